/**
 * net/ipv4/tcp_output.c (Linux 4.4 and 6.18): building and sending segments of a socket
 * (tcp_transmit_skb and its options), the SYN of tcp_connect(), ACKs (immediate and delayed),
 * the FIN and the active RST.
 *
 * Deliberate differences: no send queue (a segment is built and sent at once, its sequence
 * space recorded in snd_nxt/write_seq); no TSO/GSO, no pacing, no congestion window; a SYN
 * may be refilled from the pool of an unobserved run (refillSyn).
 */
import type { Kernel } from './kernel.ts';
import { inetCskClearXmitTimer, inetCskResetXmitTimer } from './inet_connection_sock.ts';
import { ipOutput } from './loopback.ts';
import { ipRouteOutputKey, ipv4Mtu } from './route.ts';
import { EMPTY, mkSeg, newSeg } from './skbuff.ts';
import type { TcpSock } from './sock.ts';
import { tcpFullSpace, tcpTimeStamp } from './tcp.ts';
import { tcpDelackTimer } from './tcp_timer.ts';
import { jiffies, timerFireTime } from './time.ts';
import { mibInc, traceQueues, traceTimer } from './trace.ts';
import { TCP_CLOSE, TH_ACK, TH_FIN, TH_RST, TH_SYN, type Segment, type TcpOption } from './types.ts';

/**
 * Option objects without a value are shared by every segment (options are never mutated,
 * except the TS option of a SYN that kfreeSkb() recycled, which is that SYN's own).
 */
export const OPT_NOP: TcpOption = { kind: 'nop' };
const OPT_SACK_OK: TcpOption = { kind: 'sackOK' };

/**
 * tcp_select_initial_window(): the window of a SYN or SYN-ACK (rcv_wnd), the window scale to
 * offer and the clamp, from the space the receive buffer allows and the MSS. `mss` is the one
 * the caller passes (the route's advmss, less the timestamp option when it will be used).
 * Both versions quantise the space to whole segments; '4.4' then caps the window at
 * TCP_DEFAULT_INIT_RCVWND (10) segments (2 when the MSS is over 1460) and computes the scale
 * by halving max(tcp_rmem[2], rmem_max) until it fits 16 bits; 'u16-max' (a337531b942b,
 * v4.19) caps the window at U16_MAX and takes the scale as ilog2 of max(space, tcp_rmem[2],
 * rmem_max) less 15. No RTAX_INITRWND or RTAX_WINDOW metric, no TCP_WINDOW_CLAMP, and
 * tcp_workaround_signed_windows 0. Checked against 6.18.44 with tcp_rmem "4096 8000 8000":
 * SYN win 2920 and SYN-ACK (timestamps) win 2896, wscale 7 from rmem_max 4 MB.
 */
export function tcpSelectInitialWindow(k: Kernel, fullSpace: number, mss: number, wscaleOk: boolean): { rcvWnd: number; rcvWscale: number; windowClamp: number } {
  const TCP_MAX_WSCALE = 14;
  let windowClamp = 0xffff * 2 ** TCP_MAX_WSCALE; // no clamp set: the largest scaled window
  let space = Math.min(Math.max(fullSpace, 0), windowClamp);
  if (space > mss) space = Math.floor(space / mss) * mss;
  const rmem2 = k.sysctl['net.ipv4.tcp_rmem'][2];
  const rmemMax = k.profile.behaviour.rmemMax;
  let rcvWnd: number;
  let rcvWscale = 0;
  if (k.profile.behaviour.initialWindow === '4.4') {
    rcvWnd = space;
    if (wscaleOk) {
      let s = Math.min(Math.max(rmem2, rmemMax), windowClamp);
      while (s > 65535 && rcvWscale < TCP_MAX_WSCALE) {
        s = Math.floor(s / 2);
        rcvWscale++;
      }
    }
    if (mss > 1 << rcvWscale) {
      const initCwnd = mss > 1460 ? Math.max(Math.floor((1460 * 10) / mss), 2) : 10;
      rcvWnd = Math.min(rcvWnd, initCwnd * mss);
    }
  } else {
    rcvWnd = Math.min(space, 0xffff);
    if (wscaleOk) {
      const s = Math.min(Math.max(space, rmem2, rmemMax), windowClamp);
      rcvWscale = Math.min(Math.max(Math.floor(Math.log2(s)) - 15, 0), TCP_MAX_WSCALE);
    }
  }
  windowClamp = Math.min(0xffff * 2 ** rcvWscale, windowClamp);
  return { rcvWnd, rcvWscale, windowClamp };
}

/**
 * tcp_sync_mss() as a connection is established: mss_cache, the payload of a full segment,
 * from the route's MTU less the headers, clamped to the peer's MSS (rx_opt.mss_clamp), less
 * the timestamp option when used, and at most half the largest window the peer offered
 * (tcp_bound_to_half_wnd()). 6.18.44: MSS 1000 with timestamps gives TCP_MAXSEG 988; before
 * the handshake it is TCP_MSS_DEFAULT, 536 (tcp_init_sock()).
 */
export function tcpSyncMss(k: Kernel, sk: TcpSock, mssClamp: number): void {
  let mss = Math.min(ipv4Mtu(ipRouteOutputKey(k, sk.daddr)) - 40, mssClamp) - (sk.tstampOk ? 12 : 0);
  const cutoff = sk.maxWindow > 536 ? sk.maxWindow >> 1 : sk.maxWindow;
  if (cutoff && mss > cutoff) mss = Math.max(cutoff, 68 - 20 - (sk.tstampOk ? 12 : 0));
  sk.mss = Math.max(mss, 48);
}

/** tcp_select_window(): the raw 16-bit window field of a non-SYN segment. */
export function tcpSelectWindow(sk: { rcvWnd: number; rcvWscale: number }): number {
  return Math.min(0xffff, Math.ceil(sk.rcvWnd / (1 << sk.rcvWscale)));
}

/** tcp_syn_options() / tcp_synack_options() as tcp_options_write() lays them out. */
export function synOptions(k: Kernel, mss: number, ts: boolean, tsVal: number, tsEcr: number, sack: boolean, wscale: number | null): TcpOption[] {
  if (tsEcr >>> 0 !== tsEcr) throw new Error(`TS ecr must be unsigned 32-bit, got ${tsEcr}`);
  // tcp_options_write(): MSS | SACK_PERM+TS (or NOP NOP TS) | NOP+WSCALE
  let mssOpt = k.mssOpt;
  if (mssOpt === null || mssOpt.value !== mss) k.mssOpt = mssOpt = { kind: 'mss', value: mss };
  // one exact-size array literal per layout (push() would reallocate with spare capacity)
  if (wscale === null) {
    if (sack && ts) return [mssOpt, OPT_SACK_OK, { kind: 'ts', val: tsVal, ecr: tsEcr }];
    if (ts) return [mssOpt, OPT_NOP, OPT_NOP, { kind: 'ts', val: tsVal, ecr: tsEcr }];
    if (sack) return [mssOpt, OPT_NOP, OPT_NOP, OPT_SACK_OK];
    return [mssOpt];
  }
  let wsOpt = k.wscaleOpt;
  if (wsOpt === null || wsOpt.shift !== wscale) k.wscaleOpt = wsOpt = { kind: 'wscale', shift: wscale };
  if (sack && ts) return [mssOpt, OPT_SACK_OK, { kind: 'ts', val: tsVal, ecr: tsEcr }, OPT_NOP, wsOpt];
  if (ts) return [mssOpt, OPT_NOP, OPT_NOP, { kind: 'ts', val: tsVal, ecr: tsEcr }, OPT_NOP, wsOpt];
  if (sack) return [mssOpt, OPT_NOP, OPT_NOP, OPT_SACK_OK, OPT_NOP, wsOpt];
  return [mssOpt, OPT_NOP, wsOpt];
}

/** tcp_established_options(): NOP NOP TS on a connection that agreed on timestamps. */
export function tsOpts(k: Kernel, sk: { tstampOk: boolean; tsOffset: number; tsRecent: number }): TcpOption[] {
  if (!sk.tstampOk) return [];
  return [OPT_NOP, OPT_NOP, { kind: 'ts', val: tcpTimeStamp(k, sk.tsOffset), ecr: sk.tsRecent >>> 0 }];
}

/** tcp_transmit_skb() for a full socket. */
export function tcpTransmitSkb(k: Kernel, sk: TcpSock, flags: number, seq: number, payload?: Uint8Array): void {
  const seg = mkSeg(k, {
    saddr: sk.saddr,
    daddr: sk.daddr,
    sport: sk.sport,
    dport: sk.dport,
    seq: seq >>> 0,
    ack: flags & TH_ACK ? sk.rcvNxt >>> 0 : 0,
    flags,
    window: tcpSelectWindow(sk),
    options: tsOpts(k, sk),
    ipId: sk.inetId,
    csum: 'partial',
    payload,
  });
  sk.inetId = (sk.inetId + 1) & 0xffff;
  sk.rcvWup = sk.rcvNxt;
  if (flags & TH_ACK) inetCskClearXmitTimer(k, sk, 'delack');
  ipOutput(k, seg, sk.id);
}

/** tcp_send_ack() */
export function tcpSendAck(k: Kernel, sk: TcpSock): void {
  if (sk.state === TCP_CLOSE) return;
  tcpTransmitSkb(k, sk, TH_ACK, sk.sndNxt);
}

/** tcp_send_ack() as a shared event function (a reply of the receive path, see later()). */
export function sendAckEv(k: Kernel, sk: TcpSock): void {
  if (!sk.freed) tcpSendAck(k, sk);
}

/** tcp_send_active_reset(): RST|ACK from a full socket (listener close, abort). */
export function tcpSendActiveReset(k: Kernel, sk: TcpSock): void {
  mibInc(k, 'OutRsts');
  tcpTransmitSkb(k, sk, TH_RST | TH_ACK, sk.sndNxt);
}

/**
 * tcp_send_delayed_ack(). A zero ato (a fresh child, or a FIN that is not data) makes the
 * timer due at once: it runs on the next tick, which is what the capture shows (the
 * CLOSE-WAIT child ACKs the FIN within one jiffy).
 */
export function tcpSendDelayedAck(k: Kernel, sk: TcpSock): void {
  sk.ackPending = true;
  if (sk.delackTimer) return;
  sk.delackExpires = jiffies(k) + sk.ato;
  sk.delackTimer = k.sim.call(timerFireTime(k, sk.delackExpires), tcpDelackTimer, k, sk);
  traceTimer(k, sk.id, 'delack', 'armed', sk.delackExpires, sk.delackTimer.t);
}

/**
 * tcp_connect_init() and tcp_connect(): the connection's initial state, the SYN, and its
 * retransmit timer (the ISN and IP id were chosen by tcp_v4_connect()).
 */
export function tcpConnect(k: Kernel, sk: TcpSock, isn: number): void {
  // tcp_connect_init(): the window of the SYN (no TS deduction: ts_recent_stamp is 0 on a new socket)
  const w = tcpSelectInitialWindow(k, tcpFullSpace(k, sk), sk.advmss, !!k.sysctl['net.ipv4.tcp_window_scaling']);
  sk.rcvWscale = w.rcvWscale;
  sk.rcvWnd = w.rcvWnd;
  sk.sndUna = isn | 0;
  sk.sndNxt = (isn + 1) | 0;
  sk.writeSeq = (isn + 1) | 0;
  sk.rcvNxt = 0;
  sk.rto = k.HZ; // TCP_TIMEOUT_INIT
  sk.retransmits = 0;
  sk.totalRto = 0;
  sk.backoff = 0;
  sk.retransStamp = jiffies(k);
  tcpSendSyn(k, sk);
  traceQueues(k, sk);
  inetCskResetXmitTimer(k, sk, sk.rto);
}

/** The SYN of tcp_connect() (and of its retransmissions), through tcp_transmit_skb(). */
export function tcpSendSyn(k: Kernel, sk: TcpSock): void {
  const sys = k.sysctl;
  const ts = !!sys['net.ipv4.tcp_timestamps'];
  const tsVal = ts ? tcpTimeStamp(k, sk.tsOffset) : 0;
  const sack = !!sys['net.ipv4.tcp_sack'];
  const wscale = sys['net.ipv4.tcp_window_scaling'] ? sk.rcvWscale : null;
  // a SYN freed by the last drop of a SYN flood is refilled instead of allocating one
  let seg = k.skbPool.length ? refillSyn(k, k.skbPool.pop()!, sk, ts, tsVal, sack, wscale) : null;
  if (seg !== null) k.stats.skbRecycled++;
  // RFC 1323: the window of a SYN is never scaled (tcp_transmit_skb: min(rcv_wnd, 65535))
  else seg = newSeg(k, sk.saddr, sk.daddr, sk.sport, sk.dport, sk.isn >>> 0, 0, TH_SYN, Math.min(sk.rcvWnd, 0xffff), synOptions(k, sk.advmss, ts, tsVal, 0, sack, wscale), EMPTY, sk.inetId, 'partial');
  sk.inetId = (sk.inetId + 1) & 0xffff;
  ipOutput(k, seg, sk.id);
}

/**
 * Rewrite a pooled SYN as the SYN tcpSendSyn() would build for sk, keeping its options
 * array when it has the layout this SYN needs (only the TS value changes between two SYNs
 * of the same settings); null when it does not fit (the caller allocates).
 */
function refillSyn(k: Kernel, seg: Segment, sk: TcpSock, ts: boolean, tsVal: number, sack: boolean, wscale: number | null): Segment | null {
  const o = seg.options;
  // the layout synOptions() gives for MSS, SACK_PERM, TS, NOP, WSCALE (the Linux default)
  if (!(ts && sack && wscale !== null && o.length === 5)) return null;
  const mss = o[0], t = o[2], ws = o[4];
  if (mss.kind !== 'mss' || mss.value !== sk.advmss || t.kind !== 'ts' || ws.kind !== 'wscale' || ws.shift !== wscale || o[1] !== OPT_SACK_OK || o[3] !== OPT_NOP) return null;
  t.val = tsVal;
  t.ecr = 0;
  seg.id = k.nextSegId++;
  seg.saddr = sk.saddr;
  seg.daddr = sk.daddr;
  seg.sport = sk.sport;
  seg.dport = sk.dport;
  seg.seq = sk.isn >>> 0;
  seg.ack = 0;
  seg.flags = TH_SYN;
  seg.window = Math.min(sk.rcvWnd, 0xffff);
  seg.urgent = 0;
  seg.payload = EMPTY;
  seg.ipId = sk.inetId;
  seg.ttl = 64;
  seg.df = true;
  seg.tos = 0;
  seg.csum = 'partial';
  return seg;
}

/** tcp_send_fin() */
export function tcpSendFin(k: Kernel, sk: TcpSock): void {
  const seq = sk.writeSeq;
  sk.writeSeq = (sk.writeSeq + 1) | 0;
  sk.sndNxt = sk.writeSeq;
  tcpTransmitSkb(k, sk, TH_FIN | TH_ACK, seq);
  traceQueues(k, sk);
  inetCskResetXmitTimer(k, sk, sk.rto || k.HZ / 5);
}
