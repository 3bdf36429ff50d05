/**
 * net/ipv4/tcp_output.c (Linux 4.4 and 6.18): building and sending segments of a socket
 * (tcp_transmit_skb and its options), the SYN of tcp_connect(), ACKs (immediate and delayed),
 * the FIN and the active RST; the write queue and tcp_write_xmit() under cwnd, the peer's window
 * and Nagle (the congestion window's part in tcp_output-cwnd.ts), retransmissions.
 *
 * Deliberate differences: on the 4.4 profile an skb is charged its payload, not its truesize
 * (6.x: tcpSkbHeadTruesize() + payload, as 6.18.44 measures); no pacing (the rate
 * only sizes TSO packets), no TSQ (tcp_small_queue_check()); a SYN may be refilled from the pool
 * of an unobserved run (refillSyn).
 */
import type { Kernel } from './kernel.ts';
import { inetCskClearXmitTimer, inetCskResetXmitTimer } from './inet_connection_sock.ts';
import { ipOutput } from './loopback.ts';
import { ipRouteOutputKey, ipv4Mtu } from './route.ts';
import { EMPTY, mkSeg, newSeg, skbAppendData } from './skbuff.ts';
import { append, newWSkb, skFlushBacklogDue, SOCK_RCVBUF_LOCK, TCP_NAGLE_CORK, TCP_NAGLE_OFF, TCP_NAGLE_PUSH, type SendBacklog, type TcpSock, type WSkb } from './sock.ts';
import { after, before, u32 } from './seq.ts';
import { TCP_STREAM_SKB_HEAD_TRUESIZE, tcpCheckProbeTimer, tcpForcedPush, tcpFullSpace, tcpMarkPush, tcpProbe0When, tcpTimeStamp, tcpWinFromSpace } from './tcp.ts';
import { tcpCaEvent, tcpPacketsInFlight } from './tcp_cong.ts';
import { tcpRateCheckAppLimited, tcpRateSkbSent } from './tcp_rate.ts';
import { TCPCB_EVER_RETRANS, TCPCB_LOST, TCPCB_SACKED_ACKED, TCPCB_SACKED_RETRANS } from './tcp_input-sack.ts';
import { tcpScheduleLossProbe, tcpChronoStart, tcpChronoStop, tcpCwndTest, tcpCwndValidate, tcpSlowStartAfterIdleCheck, tcpTsoSegs, tcpTsoShouldDefer, TCP_CHRONO_BUSY, TCP_CHRONO_RWND_LIMITED } from './tcp_output-cwnd.ts';
import { tcpDelackTimer } from './tcp_timer.ts';
import { jiffies, timerFireTime } from './time.ts';
import { mibInc, traceQueues, traceTimer } from './trace.ts';
import { TCP_CLOSE, TH_ACK, TH_FIN, TH_PSH, TH_RST, TH_SYN, type Segment, type TcpOption } from './types.ts';

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
export function tcpSelectInitialWindow(k: Kernel, fullSpace: number, mss: number, wscaleOk: boolean, clamp = 0): { rcvWnd: number; rcvWscale: number; windowClamp: number } {
  const TCP_MAX_WSCALE = 14;
  // `clamp`: the window_clamp already set (SO_RCVBUF's tcp_full_space(), see tcpRcvbufClamp()), else the largest scaled window
  let windowClamp = clamp || 0xffff * 2 ** TCP_MAX_WSCALE;
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
 * tcp_connect_init() / tcp_openreq_init_rwin(): "limit the window selection if the user enforce
 * a smaller rx buffer": with SO_RCVBUF set (SOCK_RCVBUF_LOCK) window_clamp is at most
 * tcp_full_space(), so the window scale comes from it (SO_RCVBUF 20000: win 18980, wscale 0, as
 * tcp_rcv_neg_window.pkt shows). 0: no clamp. Linux 4.4 and 6.18 alike.
 */
export function tcpRcvbufClamp(k: Kernel, sk: { userlocks: number; rcvbuf: number }, clamp: number): number {
  if (!(sk.userlocks & SOCK_RCVBUF_LOCK)) return clamp;
  const full = tcpFullSpace(k, sk);
  return clamp > full || clamp === 0 ? full : clamp;
}

/**
 * tcp_sync_mss() as a connection is established: mss_cache, the payload of a full segment,
 * from the route's MTU less the headers, clamped to the peer's MSS (rx_opt.mss_clamp), less
 * the timestamp option when used, and at most half the largest window the peer offered
 * (tcp_bound_to_half_wnd()). 6.18.44: MSS 1000 with timestamps gives TCP_MAXSEG 988; before
 * the handshake it is TCP_MSS_DEFAULT, 536 (tcp_init_sock()).
 */
export function tcpSyncMss(k: Kernel, sk: TcpSock, mssClamp: number): void {
  sk.mssClamp = mssClamp;
  let mss = Math.min(ipv4Mtu(ipRouteOutputKey(k, sk.daddr)) - 40, mssClamp) - (sk.tstampOk ? 12 : 0);
  const cutoff = sk.maxWindow > 536 ? sk.maxWindow >> 1 : sk.maxWindow;
  if (cutoff && mss > cutoff) mss = Math.max(cutoff, 68 - 20 - (sk.tstampOk ? 12 : 0));
  sk.mss = Math.max(mss, 48);
}

/** tcp_space() (include/net/tcp.h): the window the free part of the receive buffer allows. */
export function tcpSpace(k: Kernel, sk: TcpSock): number {
  return tcpWinFromSpace(k, sk.rcvbuf - tcpRmemAlloc(sk), sk.scalingRatio);
}

/**
 * sk_rmem_alloc of a socket: the bytes in its receive queue (the model charges an skb its
 * payload, not its truesize: a deliberate difference, so a window closes later than on Linux).
 */
export function tcpRmemAlloc(sk: TcpSock): number {
  return (((sk.rcvNxt - sk.copiedSeq) | 0) - (sk.finQueued ? 1 : 0) + sk.rmemExtra) | 0;
}

/**
 * __tcp_select_window() (Linux 4.4 and 6.18 alike with tcp_shrink_window 0, its default since
 * b650d953cd39, v6.5): the window the free space allows, zero when it is under a segment
 * (rcv_mss) or a sixteenth of the buffer's, at most rcv_ssthresh; with window scaling rounded up
 * to a multiple of the scale, without it a multiple of rcv_mss.
 */
export function __tcpSelectWindow(k: Kernel, sk: TcpSock): number {
  let mss = sk.rcvMss;
  let freeSpace = tcpSpace(k, sk);
  const allowedSpace = tcpFullSpace(k, sk);
  const fullSpace = Math.min(sk.windowClamp, allowedSpace);
  const scale = 1 << sk.rcvWscale;
  if (mss > fullSpace) {
    mss = fullSpace;
    if (mss <= 0) return 0;
  }
  if (freeSpace < fullSpace >> 1) {
    sk.ackQuick = 0; // icsk->icsk_ack.quick = 0
    // "free_space might become our new window, make sure we don't increase it due to wscale"
    freeSpace -= freeSpace % scale;
    if (freeSpace < allowedSpace >> 4 || freeSpace < mss) return 0;
  }
  if (freeSpace > sk.rcvSsthresh) freeSpace = sk.rcvSsthresh;
  if (sk.rcvWscale) return Math.ceil(freeSpace / scale) * scale; // ALIGN(window, 1 << rcv_wscale)
  let window = sk.rcvWnd;
  if (window <= freeSpace - mss || window > freeSpace) window = Math.floor(freeSpace / mss) * mss;
  else if (mss === fullSpace && freeSpace > window + (fullSpace >> 1)) window = freeSpace;
  return window;
}

/**
 * tcp_receive_window() (include/net/tcp.h): what is left of the window last advertised.
 */
export function tcpReceiveWindow(sk: { rcvWup: number; rcvWnd: number; rcvNxt: number }): number {
  const win = (sk.rcvWup + sk.rcvWnd - sk.rcvNxt) | 0;
  return win < 0 ? 0 : win;
}

/**
 * tcp_select_window(): the raw 16-bit window field of a non-SYN segment, which becomes rcv_wnd
 * from rcv_wup = rcv_nxt. The offered window never shrinks (a smaller one keeps the current
 * right edge, counted in LINUX_MIB_TCPWANTZEROWINDOWADV when it would have been zero), and
 * TCPToZeroWindowAdv / TCPFromZeroWindowAdv count the moves to and from a zero window. A socket
 * that has not reached the data path (rcv_mss unset: a request's or timewait's ACK) keeps its
 * rcv_wnd.
 */
export function tcpSelectWindow(k: Kernel, sk: TcpSock): number {
  if (!sk.windowClamp) {
    // not established yet (tcp_init_transfer() has not run): the window of the SYN stands
    sk.rcvWup = sk.rcvNxt;
    return tcpWindowField(sk);
  }
  const oldWin = sk.rcvWnd;
  const curWin = tcpReceiveWindow(sk);
  let newWin = __tcpSelectWindow(k, sk);
  const scale = 1 << sk.rcvWscale;
  if (newWin < curWin) {
    if (newWin === 0) mibInc(k, 'TCPWantZeroWindowAdv');
    newWin = Math.ceil(curWin / scale) * scale;
  }
  sk.rcvWnd = newWin;
  sk.rcvWup = sk.rcvNxt;
  newWin = Math.min(newWin, 65535 * scale) >>> sk.rcvWscale;
  if (newWin === 0) {
    if (oldWin) mibInc(k, 'TCPToZeroWindowAdv');
  } else if (oldWin === 0) mibInc(k, 'TCPFromZeroWindowAdv');
  return newWin;
}

/** The window field of a segment from a socket that only keeps rcv_wnd (timewait, request). */
export function tcpWindowField(sk: { rcvWnd: number; rcvWscale: number }): number {
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

/**
 * tcp_established_options() of a full socket: NOP NOP TS, then NOP NOP SACK with the D-SACK
 * block first and tp->selective_acks, as many as the 40 option bytes hold (4 without TS, 3
 * with); tcp_options_write() clears rx_opt.dsack once it is sent.
 */
function tcpEstablishedOptions(k: Kernel, sk: TcpSock): TcpOption[] {
  const ts = tsOpts(k, sk);
  const sacks = sk.selectiveAcks;
  if (!sacks.length && !sk.dsack) return ts;
  const room = Math.floor((40 - (sk.tstampOk ? 12 : 0) - 4) / 8);
  const all = sk.dsack ? [sk.dsack, ...sacks] : sacks;
  sk.dsack = null;
  const blocks = all.slice(0, room).map((b) => [b.start >>> 0, b.end >>> 0] as [number, number]);
  return [...ts, OPT_NOP, OPT_NOP, { kind: 'sack', blocks }];
}

/** tcp_transmit_skb() for a full socket. */
export function tcpTransmitSkb(k: Kernel, sk: TcpSock, flags: number, seq: number, payload?: Uint8Array, pcount = 1, mss = sk.mss): void {
  const seg = mkSeg(k, {
    saddr: sk.saddr,
    daddr: sk.daddr,
    sport: sk.sport,
    dport: sk.dport,
    seq: seq >>> 0,
    ack: flags & TH_ACK ? sk.rcvNxt >>> 0 : 0,
    flags,
    window: tcpSelectWindow(k, sk),
    options: tcpEstablishedOptions(k, sk),
    ipId: sk.inetId,
    csum: 'partial',
    payload,
  });
  // tcp_set_skb_tso_segs(): an skb of several segments carries gso_size = mss_now, which lo hands
  // to the receiver as it is (tcp_measure_rcv_mss() and tcp_segs_in() read it there)
  if (payload && pcount > 1) seg.gsoSize = mss;
  sk.inetId = (sk.inetId + 1) & 0xffff;
  sk.segsOut += pcount;
  if (payload) {
    sk.dataSegsOut += pcount;
    sk.bytesSent += payload.length; // __tcp_transmit_skb(): tp->bytes_sent += skb->len
  }
  // tcp_event_ack_sent(): the ACK a segment carries is the one a delayed ACK would have sent
  if (flags & TH_ACK) {
    tcpDecQuickackMode(k, sk, pcount);
    inetCskClearXmitTimer(k, sk, 'delack');
  }
  ipOutput(k, seg, sk.id);
}

/**
 * tcp_xmit_size_goal(): how large tcp_sendmsg() lets an skb grow, whole segments up to the
 * GSO limit (GSO_LEGACY_MAX_SIZE, 64 KB), so lo and a tun device carry segments of several MSS
 * (one GSO packet on the wire, as tcpdump and packetdrill see them), and at most half the
 * largest window the peer offered (tcp_bound_to_half_wnd(); both kernels): 25000 bytes against
 * a peer window of 50000 (6.18.44: three skbs' heads for a 55000-byte write), 32741 for a fresh
 * lo connection (6.18.44 sends a 4 MB write's first segment as seq 1:32742).
 */
export function tcpXmitSizeGoal(k: Kernel, sk: TcpSock): number {
  // 6.x: sk_gso_max_size (GSO_LEGACY_MAX_SIZE less MAX_TCP_HEADER + 1, sk_setup_caps()); 4.4: the
  // sk_gso_max_size - 1 less the IP and TCP headers
  let goal = k.profile.name === 'linux-4.4' ? 65535 - 20 - 20 - (sk.tstampOk ? 12 : 0) : 65536 - 1 - 320;
  // tcp_bound_to_half_wnd(): at most half the largest window the peer offered
  const cutoff = sk.maxWindow > 536 ? sk.maxWindow >> 1 : sk.maxWindow;
  if (cutoff && goal > cutoff) goal = Math.max(cutoff, 68 - 20 - (sk.tstampOk ? 12 : 0));
  return Math.max(sk.mss, Math.floor(goal / sk.mss) * sk.mss);
}

/**
 * SKB_TRUESIZE() of the head tcp_stream_alloc_skb() allocates for the write queue (tcp.c):
 * what sk_wmem_queued is charged per skb beyond its payload (tcp_skb_entail(), tcp_fragment(),
 * tso_fragment(), tcp_queue_skb() of a FIN), given back by sk_wmem_free_skb(). 6.x: 832
 * (TCP_STREAM_SKB_HEAD_TRUESIZE, measured on 6.18.44). The 4.4 profile charges payload only
 * (4.4's sk_stream_alloc_skb() took select_size()'s linear part; not measured here).
 */
export function tcpSkbHeadTruesize(k: Kernel): number {
  return k.profile.name === 'linux-4.4' ? 0 : TCP_STREAM_SKB_HEAD_TRUESIZE;
}

/**
 * tcp_skb_entail() + the copy of tcp_sendmsg_locked(): append bytes to the write queue, into
 * the unsent tail skb while it is under size_goal (tcpXmitSizeGoal()) and in new skbs while
 * sk_wmem_queued < sk_sndbuf (sk_stream_memory_free()). Returns the bytes taken (or stops at a due sk_flush_backlog()).
 */
export function tcpQueueData(k: Kernel, sk: TcpSock, data: Uint8Array, off: number, eor = false, bl?: SendBacklog): number {
  const sizeGoal = tcpXmitSizeGoal(k, sk);
  let copied = 0;
  tcpRateCheckAppLimited(sk); // "is sending application-limited?" (tcp_sendmsg_locked())
  while (off + copied < data.length) {
    const q = sk.writeQueue;
    const tail = q.length > sk.sendHead ? q[q.length - 1] : null;
    // tcp_skb_can_collapse_to(): nothing is added to an skb that ends a record (MSG_EOR)
    let room = tail && !tail.fin && !tail.eor ? sizeGoal - tail.data.length : 0;
    if (room <= 0) {
      if (sk.wmemQueued >= sk.sndbuf) break; // sk_stream_memory_free() fails: wait for memory
      if (skFlushBacklogDue(k, sk, bl)) break; // the caller takes the backlog, then copies on
      const skb = newWSkb(sk.writeSeq, sk.writeSeq, EMPTY, false, false, 0, false);
      sk.writeQueue = append(q, skb);
      sk.wmemQueued += tcpSkbHeadTruesize(k); // tcp_skb_entail(): sk_wmem_queued_add(sk, skb->truesize)
      // tcp_skb_entail(): tcp_add_write_queue_tail() starts the busy chrono on an empty write queue
      if (sk.sendHead === sk.writeQueue.length - 1) tcpChronoStart(k, sk, TCP_CHRONO_BUSY);
      tcpSlowStartAfterIdleCheck(k, sk);
      continue;
    }
    const t = tail!;
    const n = Math.min(room, data.length - off - copied);
    const chunk = data.subarray(off + copied, off + copied + n);
    // "if (!copied) TCP_SKB_CB(skb)->tcp_flags &= ~TCPHDR_PSH": the first bytes of a write
    // take back the PSH an earlier write's tcp_push() left on the tail skb (tcp_sendmsg_locked(),
    // 4.4 and 6.18); the write's own tcp_push() marks the new tail
    if (off + copied === 0) t.psh = false;
    // the skb references the program's buffer instead of a copy of it (the model's programs never
    // change a buffer once write() took it: text is encoded afresh per call); the copy is made
    // only when data is appended to an skb that already holds some
    if (t.data.length === 0) t.data = chunk;
    else t.data = skbAppendData(t.data, chunk, sizeGoal);
    t.end = (t.end + n) | 0;
    sk.writeSeq = (sk.writeSeq + n) | 0;
    sk.wmemQueued += n;
    copied += n;
    if (t.data.length < sizeGoal || off + copied === data.length) continue;
    // a full skb: pushed at once when half the largest window went by since the last push
    // (forced_push()), else sent alone if it is the send head (tcp_push_one())
    if (tcpForcedPush(sk)) {
      tcpMarkPush(sk, t);
      tcpPushPendingFrames(k, sk, TCP_NAGLE_PUSH);
    } else if (sk.sendHead === sk.writeQueue.length - 1) {
      tcpWriteXmit(k, sk, TCP_NAGLE_PUSH, 1);
      traceQueues(k, sk);
    }
  }
  // "if (flags & MSG_EOR) TCP_SKB_CB(skb)->eor = 1" once the whole write is queued
  if (eor && copied && off + copied === data.length) sk.writeQueue[sk.writeQueue.length - 1].eor = true;
  return copied;
}

/** tcp_wnd_end(): the right edge of the peer's window. */
export function tcpWndEnd(sk: TcpSock): number {
  return (sk.sndUna + sk.sndWnd) | 0;
}

/** tcp_snd_wnd_test(): does the skb's first segment fit the peer's window? */
export function tcpSndWndTest(sk: TcpSock, skb: WSkb, curMss: number): boolean {
  let end = skb.end;
  if (skb.data.length > curMss) end = (skb.seq + curMss) | 0;
  return !after(end, tcpWndEnd(sk));
}

/**
 * tcp_nagle_test(): a segment may go now if Nagle is off (TCP_NODELAY, or a push that asked
 * for it), it carries the FIN, it is a full segment, or (tcp_nagle_check() with Minshall's
 * variant, tcp_minshall_check()) no small segment sent earlier is still unacknowledged; TCP_CORK
 * holds every partial segment.
 */
export function tcpNagleTest(sk: TcpSock, skb: WSkb, curMss: number, nonagle: number): boolean {
  if (nonagle & TCP_NAGLE_PUSH) return true;
  if (skb.fin) return true;
  if (skb.data.length >= curMss) return true;
  if (nonagle & TCP_NAGLE_CORK) return false;
  if (nonagle & TCP_NAGLE_OFF) return true;
  const packetsOut = sk.sndNxt !== sk.sndUna;
  return !(packetsOut && after(sk.sndSml, sk.sndUna));
}

/**
 * tcp_fragment(): split the skb at q[i] after `len` bytes of payload (the FIN goes with the
 * second part), as tcp_write_wakeup() and a window smaller than an skb need.
 */
export function tcpFragment(k: Kernel, sk: TcpSock, i: number, len: number): void {
  const skb = sk.writeQueue[i];
  // the second part is a new skb (tcp_stream_alloc_skb()): its head is charged, the payload's
  // truesize moves over with the bytes
  sk.wmemQueued += tcpSkbHeadTruesize(k);
  const second = newWSkb((skb.seq + len) | 0, skb.end, skb.data.subarray(len), skb.fin, skb.psh, skb.sentAt, skb.retransmitted);
  second.sacked = skb.sacked;
  second.eor = skb.eor;
  if (skb.pcount !== undefined) {
    // a sent skb: packets_out counted it whole (tcp_fragment_tstamp / tcp_adjust_pcount())
    const first = Math.max(1, Math.ceil(len / sk.mss));
    second.pcount = Math.max(skb.pcount - first, 1);
    sk.packetsOut += first + second.pcount - skb.pcount;
    skb.pcount = first;
  }
  skb.eor = false;
  skb.data = skb.data.subarray(0, len);
  skb.end = (skb.seq + len) | 0;
  skb.fin = false;
  skb.psh = false;
  sk.writeQueue.splice(i + 1, 0, second);
  if (i < sk.sendHead) sk.sendHead++; // both parts are sent
}

/** tcp_skb_pcount(): the segments of an skb at this MSS (tcp_set_skb_tso_segs()). */
export function tcpSkbPcount(skb: WSkb, mss: number): number {
  return skb.data.length <= mss ? 1 : Math.ceil(skb.data.length / mss);
}

/**
 * Put the skb at the send head on the wire (tcp_transmit_skb() of tcp_write_xmit()) and
 * account for it: tcp_event_data_sent() (CA_EVENT_TX_START when nothing was in flight,
 * lsndtime), tcp_event_new_data_sent() (snd_nxt, packets_out, the RTO armed when nothing was
 * out) and tcp_minshall_update(). PSH on an skb tcp_mark_push() marked; on 6.x also on every
 * TSO packet of several segments (what 6.18.44 sends under packetdrill: each 2-segment packet
 * of a 15000-byte write carries PSH, a 1-segment one cut from it does not).
 */
function tcpSendHead(k: Kernel, sk: TcpSock, mss: number): void {
  const skb = sk.writeQueue[sk.sendHead];
  const priorOut = sk.sndNxt !== sk.sndUna;
  const pcount = tcpSkbPcount(skb, mss);
  let flags = TH_ACK;
  if (skb.fin) flags |= TH_FIN;
  if (skb.psh || (pcount > 1 && k.profile.name !== 'linux-4.4')) flags |= TH_PSH;
  sk.sendHead++;
  skb.sentAt = k.now || 1;
  skb.pcount = pcount;
  if (tcpPacketsInFlight(sk) === 0) tcpCaEvent(k, sk, 'tx-start');
  sk.lastDataSent = jiffies(k);
  sk.wstampNs = k.now;
  tcpRateSkbSent(k, sk, skb);
  tcpTransmitSkb(k, sk, flags, skb.seq, skb.data.length ? skb.data : undefined, pcount, mss);
  sk.sndNxt = skb.end;
  sk.packetsOut += pcount;
  if (skb.data.length < pcount * mss) sk.sndSml = skb.end;
  if (!priorOut || sk.pending === 'probe0' || sk.pending === 'tlp') tcpRearmRto(k, sk);
}

/**
 * tcp_mss_split_point(): how much of an skb of several segments goes now: max_segs segments
 * when the window allows them, else what the window allows, in whole segments when Nagle would
 * hold the partial one back.
 */
function tcpMssSplitPoint(sk: TcpSock, skb: WSkb, mss: number, maxSegs: number, isTail: boolean, nonagle: number): number {
  const window = (tcpWndEnd(sk) - skb.seq) | 0;
  const maxLen = mss * maxSegs;
  if (maxLen <= window && !isTail) return maxLen;
  const needed = Math.min(skb.data.length, window);
  if (maxLen <= needed) return maxLen;
  const partial = needed % mss;
  // tcp_nagle_check(partial != 0, ...)
  if (partial && (nonagle & TCP_NAGLE_CORK || (!nonagle && sk.packetsOut && after(sk.sndSml, sk.sndUna)))) return needed - partial;
  return needed;
}

/**
 * tcp_grow_skb() (8ee602c63520, 6.10): an skb shorter than what cwnd lets out takes bytes from
 * the next one, unless it ends a record (MSG_EOR, tcp_skb_can_collapse()).
 */
function tcpGrowSkb(k: Kernel, sk: TcpSock, i: number, amount: number): void {
  const q = sk.writeQueue;
  const skb = q[i];
  const next = q[i + 1];
  if (!next || skb.eor || skb.fin) return;
  const n = Math.min(amount, next.data.length);
  if (!n) return;
  // no copy when next's bytes follow skb's in one buffer (they usually do: one write, split); see skbAppendData()
  skb.data = skbAppendData(skb.data, next.data.subarray(0, n), skb.data.length + amount);
  skb.end = (skb.end + n) | 0;
  next.data = next.data.subarray(n);
  next.seq = (next.seq + n) | 0;
  if (!next.data.length) {
    // the next skb is used up: its end (a FIN with it), eor and flags move over
    skb.end = next.end;
    skb.fin = next.fin;
    skb.eor = next.eor;
    skb.psh ||= next.psh;
    q.splice(i + 1, 1);
    sk.wmemQueued -= tcpSkbHeadTruesize(k); // tcp_eat_one_skb(): sk_wmem_free_skb()
  }
}

/**
 * tcp_write_xmit(): send what cwnd (tcp_cwnd_test(), at most tcp_tso_segs() per packet), the
 * peer's window and Nagle allow from the send head: an skb of one segment passes
 * tcp_nagle_test(), one of several may wait for more room (tcp_tso_should_defer()) and is cut
 * where tcp_mss_split_point() says. The rwnd-limited chrono runs while the window stops it;
 * tcp_cwnd_validate() follows. push_one 2 is a loss probe (one packet even if cwnd is full).
 * Returns true when something is left unsent with nothing in flight (the caller arms the
 * persist timer: tcp_check_probe_timer()).
 */
export function tcpWriteXmit(k: Kernel, sk: TcpSock, nonagle: number, pushOne = 0): boolean {
  sk.tcpMstamp = Math.floor(k.now / 1000); // tcp_mstamp_refresh()
  const mss = sk.mss;
  let sent = 0;
  let isCwndLimited = false;
  let isRwndLimited = false;
  // the restart after idle (tcp_slow_start_after_idle_check()) also covers data queued before
  // the idle time that only the window held back: 6.18.44 sends cwnd 10's first 5 segments once a
  // window update ends 2 s of zero window (slow-start-after-win-update.pkt)
  if (!sk.packetsOut && sk.sendHead < sk.writeQueue.length) tcpSlowStartAfterIdleCheck(k, sk);
  const maxSegs = tcpTsoSegs(k, sk, mss);
  while (sk.sendHead < sk.writeQueue.length) {
    const q = sk.writeQueue;
    const skb = q[sk.sendHead];
    let quota = tcpCwndTest(sk);
    if (!quota) {
      if (pushOne !== 2) break;
      quota = 1;
    }
    quota = Math.min(quota, maxSegs);
    if (quota * mss - skb.data.length > 0 && k.profile.name !== 'linux-4.4') tcpGrowSkb(k, sk, sk.sendHead, quota * mss - skb.data.length);
    const tsoSegs = tcpSkbPcount(skb, mss);
    if (!tcpSndWndTest(sk, skb, mss)) {
      isRwndLimited = true;
      break;
    }
    const isTail = sk.sendHead === sk.writeQueue.length - 1;
    if (tsoSegs === 1) {
      if (!tcpNagleTest(sk, skb, mss, isTail ? nonagle : TCP_NAGLE_PUSH)) break;
    } else if (!pushOne) {
      const d = tcpTsoShouldDefer(k, sk, skb, maxSegs, isTail);
      if (d.defer) {
        isCwndLimited ||= d.cwnd;
        isRwndLimited ||= d.rwnd;
        break;
      }
    }
    const limit = tsoSegs > 1 ? tcpMssSplitPoint(sk, skb, mss, quota, isTail, nonagle) : mss;
    if (skb.data.length > limit) tcpFragment(k, sk, sk.sendHead, limit);
    tcpSendHead(k, sk, mss);
    sent += skb.pcount ?? 1;
    if (pushOne) break;
  }
  if (isRwndLimited) tcpChronoStart(k, sk, TCP_CHRONO_RWND_LIMITED);
  else tcpChronoStop(k, sk, TCP_CHRONO_RWND_LIMITED);
  isCwndLimited ||= tcpPacketsInFlight(sk) >= sk.sndCwnd;
  if (sent || isCwndLimited) tcpCwndValidate(k, sk, isCwndLimited);
  if (sent) {
    if (sk.caState === 'CWR' || sk.caState === 'Recovery') sk.prrOut += sent;
    if (pushOne !== 2) tcpScheduleLossProbe(k, sk, false);
    return false;
  }
  return sk.packetsOut === 0 && sk.sendHead < sk.writeQueue.length;
}

/**
 * __tcp_push_pending_frames(): tcp_write_xmit(), then the persist timer when the window
 * holds everything back (tcp_check_probe_timer()).
 */
export function tcpPushPendingFrames(k: Kernel, sk: TcpSock, nonagle: number): void {
  if (sk.state === TCP_CLOSE) return;
  if (tcpWriteXmit(k, sk, nonagle)) tcpCheckProbeTimer(k, sk);
  traceQueues(k, sk);
}

/**
 * tcp_rearm_rto(): the retransmit timer covers the oldest unacknowledged segment; none out,
 * none armed.
 */
export function tcpRearmRto(k: Kernel, sk: TcpSock): void {
  if (sk.sndNxt === sk.sndUna) {
    if (sk.pending !== 'probe0' && sk.pending !== 'none') inetCskClearXmitTimer(k, sk, 'retrans');
    return;
  }
  inetCskResetXmitTimer(k, sk, sk.rto);
}

/**
 * tcp_retransmit_skb(): send the sent skb q[i] again (the RTO: the head of the write queue),
 * cut to `segs` segments (tcp_fragment()); it is TCPCB_SACKED_RETRANS and in retrans_out until
 * acked, sacked or marked lost again.
 */
export function tcpRetransmitSkb(k: Kernel, sk: TcpSock, i = 0, segs = 1, account = true): void {
  const skb = sk.writeQueue[i];
  if (!skb || i >= sk.sendHead) return;
  if (skb.data.length > segs * sk.mss) tcpFragment(k, sk, i, segs * sk.mss);
  let flags = TH_ACK;
  if (skb.fin) flags |= TH_FIN;
  if (skb.psh) flags |= TH_PSH;
  skb.retransmitted = true;
  skb.sentAt = k.now || 1; // skb_mstamp_ns: RACK times a retransmission from when it left
  const pcount = skb.pcount ?? 1;
  // __tcp_retransmit_skb() (a loss probe) marks it EVER_RETRANS only; tcp_retransmit_skb() also SACKED_RETRANS
  skb.sacked = (skb.sacked ?? 0) | TCPCB_EVER_RETRANS;
  if (account && !(skb.sacked & TCPCB_SACKED_RETRANS)) {
    skb.sacked |= TCPCB_SACKED_RETRANS;
    sk.retransOut += pcount;
  }
  sk.totalRetrans += pcount;
  sk.bytesRetrans += skb.data.length; // __tcp_retransmit_skb(): tp->bytes_retrans
  tcpRateSkbSent(k, sk, skb);
  if (account) sk.undoRetrans = Math.max(sk.undoRetrans, 0) + pcount;
  mibInc(k, 'RetransSegs');
  tcpTransmitSkb(k, sk, flags, skb.seq, skb.data.length ? skb.data : undefined, pcount);
}

/**
 * tcp_xmit_retransmit_queue(): in Recovery (or Loss), retransmit the skbs marked lost, oldest
 * first, while the flight is under cwnd (prr_out counts them during a cwnd reduction).
 */
export function tcpXmitRetransmitQueue(k: Kernel, sk: TcpSock): void {
  const maxSegs = tcpTsoSegs(k, sk, sk.mss);
  for (let i = 0; i < sk.sendHead; i++) {
    const room = sk.sndCwnd - tcpPacketsInFlight(sk);
    if (room <= 0 || sk.retransOut >= sk.lostOut) break;
    const skb = sk.writeQueue[i];
    const sacked = skb.sacked ?? 0;
    if (!(sacked & TCPCB_LOST) || sacked & (TCPCB_SACKED_ACKED | TCPCB_SACKED_RETRANS)) continue;
    tcpRetransmitSkb(k, sk, i, Math.min(room, maxSegs));
    mibInc(k, sk.caState === 'Loss' ? 'TCPSlowStartRetrans' : 'TCPFastRetrans');
    if (sk.caState === 'CWR' || sk.caState === 'Recovery') sk.prrOut += sk.writeQueue[i].pcount ?? 1;
    if (i === 0) tcpRearmRto(k, sk);
  }
}

/**
 * tcp_send_probe0() → tcp_write_wakeup(): when the window has room, send the head (cut to what
 * the window and the MSS allow, tcp_fragment()); else tcp_xmit_probe_skb(): a bare ACK with the
 * sequence number snd_una - 1, which the receiver must answer with its window. Then the
 * persist timer again, backed off (icsk_backoff, icsk_probes_out).
 */
export function tcpSendProbe0(k: Kernel, sk: TcpSock): void {
  const q = sk.writeQueue;
  if (sk.sendHead < q.length && before(q[sk.sendHead].seq, tcpWndEnd(sk))) {
    const skb = q[sk.sendHead];
    const segSize = Math.min((tcpWndEnd(sk) - skb.seq) | 0, sk.mss);
    if (segSize < skb.data.length) tcpFragment(k, sk, sk.sendHead, segSize);
    skb.psh = true; // "TCP_SKB_CB(skb)->tcp_flags |= TCPHDR_PSH" before tcp_transmit_skb()
    tcpSendHead(k, sk, sk.mss);
  } else {
    tcpTransmitSkb(k, sk, TH_ACK, u32(sk.sndUna - 1));
  }
  if (sk.sndNxt !== sk.sndUna || sk.sendHead >= q.length) {
    // the probe sent data: the retransmit timer covers it now (tcp_send_probe0: packets_out)
    sk.probesOut = 0;
    sk.backoff = 0;
    traceQueues(k, sk);
    return;
  }
  sk.backoff++;
  sk.probesOut++;
  inetCskResetXmitTimer(k, sk, tcpProbe0When(k, sk), 'probe0');
}

/**
 * tcp_dec_quickack_mode() (tcp_event_ack_sent()): an ACK sent uses up quick ACKs, 6.x one when an
 * ACK was scheduled (059217c18be6, v6.6: "tcp: fix quick-ack counting to count actual ACKs of new
 * data"), 4.4 the segment's pcount; the last one deflates ato to TCP_ATO_MIN. (H8, receive side.)
 */
function tcpDecQuickackMode(k: Kernel, sk: TcpSock, pcount: number): void {
  if (!sk.ackQuick) return;
  const pkts = k.profile.name === 'linux-4.4' ? pcount : sk.ackPending ? 1 : 0;
  if (pkts >= sk.ackQuick) {
    sk.ackQuick = 0;
    sk.ato = Math.floor(k.HZ / 25);
  } else sk.ackQuick -= pkts;
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
  const clamp = tcpRcvbufClamp(k, sk, sk.windowClamp);
  const w = tcpSelectInitialWindow(k, tcpFullSpace(k, sk), sk.advmss, !!k.sysctl['net.ipv4.tcp_window_scaling'], clamp);
  if (clamp) sk.windowClamp = w.windowClamp;
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

/**
 * tcp_send_fin(): the FIN goes on the tail skb when it has not been sent yet (it leaves with
 * the last data), else in an skb of its own; then the queue is pushed (__tcp_push_pending_frames
 * with TCP_NAGLE_OFF).
 */
export function tcpSendFin(k: Kernel, sk: TcpSock): void {
  const q = sk.writeQueue;
  const tail = q.length > sk.sendHead ? q[q.length - 1] : null;
  if (tail) {
    tail.fin = true;
    tail.end = (tail.end + 1) | 0;
  } else {
    sk.writeQueue = append(q, newWSkb(sk.writeSeq, (sk.writeSeq + 1) | 0, EMPTY, true, false, 0, false));
    sk.wmemQueued += tcpSkbHeadTruesize(k); // tcp_queue_skb()
  }
  sk.writeSeq = (sk.writeSeq + 1) | 0;
  tcpPushPendingFrames(k, sk, TCP_NAGLE_OFF);
}

/**
 * tcp_xmit_probe_skb(sk, 0, mib) as tcp_write_wakeup() sends it for the keepalive timer (an
 * empty write queue, so no data to send into the window): a bare ACK with the sequence number
 * snd_una - 1, which the peer's tcp_sequence() finds old and answers with a duplicate ACK
 * (within tcp_invalid_ratelimit). Counted in the given MIB (TCPKeepAlive).
 */
export function tcpXmitProbeSkb(k: Kernel, sk: TcpSock, mib: string): void {
  mibInc(k, mib);
  tcpTransmitSkb(k, sk, TH_ACK, u32(sk.sndUna - 1));
}
