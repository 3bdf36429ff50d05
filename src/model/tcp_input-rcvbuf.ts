/**
 * net/ipv4/tcp_input.c, "Buffer size and advertised window tuning" and the receiver's
 * autotuning (Dynamic Right-Sizing), Linux 4.4 and 6.18: tcp_sndbuf_expand(), tcp_grow_window(),
 * tcp_init_buffer_space(), tcp_measure_rcv_mss() (with tcp_set_window_clamp() of tcp.c),
 * tcp_event_data_recv(), the receiver's RTT (tcp_rcv_rtt_update(), tcp_rcv_rtt_measure(),
 * tcp_rcv_rtt_measure_ts(): tcpi_rcv_rtt, ss's rcv_rtt), tcp_rcv_space_adjust() (tcp_recvmsg()
 * after each skb it copies) and tcp_rcvbuf_grow().
 *
 * How the versions differ. 4.4 measures in jiffies (tcp_time_stamp) and sizes the buffer in
 * tcp_rcv_space_adjust() itself from the bytes read in the last RTT (b0983d3c9b13, v4.1):
 * rcvwin = 2 x copied + 16 x advmss, doubled (x1.5) when the rate grew by 50 % (25 %), in
 * segments of SKB_TRUESIZE(advmss + MAX_TCP_HEADER); window_clamp = rcvwin. Its timestamp
 * sample takes 0 jiffies as 1 and smooths. 6.18 measures in µs on tcp_mstamp (645f4c6f2ebd,
 * v4.13), and the May 2025 series (v6.16) changed the rest: 65c5287892e9 moved the sizing into
 * tcp_rcvbuf_grow() (2 x rcvq_space.space in tcp_space_from_win() bytes, called from the ofo
 * queue too: 63ad7dfedfae), ea33537d8292 subtracts what is still queued from `copied`,
 * d59fc95be9d0 drops 0 ms timestamp samples, b879dcb1aeec / a00f135cd986 keep the minimum of
 * the window samples and skip a large timestamp sample while data waits; aa251c84636c then added
 * the slow-start term (rcvwin += 2 x rcvwin x (new - old) / old). 6.18.44 on this machine (perf
 * tcp:tcp_rcvbuf_grow over lo) gives exactly that: space 65483 -> 190464 at ratio 252 makes
 * sk_rcvbuf 1864135; 65483 -> 76773: 209769; 76773 -> 104554: 366163; 65483 -> 162816: 1314194.
 * The later tcp_rcvbuf_low_rtt damping (net-next, Nov 2025) is not in 6.18.44 (no such sysctl).
 *
 * Deliberate differences: tcp_recvmsg() in the model copies a read at once, so the one
 * tcp_rcv_space_adjust() that counts (the first, after the first skb: the later ones in the same
 * call see time 0) runs with copied_seq after that skb; an skb is a queued payload with its own
 * charge (one coalesced on lo joins the one before it). 4.4's prequeue copies
 * (tcp_copy_to_iovec()) and its tcp_fixup_rcvbuf() (sk_rcvbuf for 4 windows of the initial
 * receive window at connection time) are not modelled.
 */
import type { Kernel } from './kernel.ts';
import { before } from './seq.ts';
import { SOCK_MIN_RCVBUF, SOCK_RCVBUF_LOCK, SOCK_SNDBUF_LOCK, type TcpSock } from './sock.ts';
import { tcpFullSpace, tcpTimeStamp, tcpWinFromSpace } from './tcp.ts';
import { skbTruesize, tcpAtoMin, tcpIncrQuickack, TCP_MAX_QUICKACKS } from './tcp_input.ts';
import { tcpSpace } from './tcp_output.ts';
import { jiffies } from './time.ts';
import type { Segment } from './types.ts';

/** MAX_TCP_HEADER (L1_CACHE_ALIGN(128 + MAX_HEADER)) and SKB_DATA_ALIGN of skb_shared_info and sk_buff, x86-64. */
const MAX_TCP_HEADER = 320;
const SHINFO = 320;
const SKB = 256;

/** A sysctl the profiles may not list (tcp_moderate_rcvbuf: 1 by default on both kernels). */
function sysctlOr(k: Kernel, name: string, dflt: number): number {
  const v = (k.sysctl as unknown as Record<string, unknown>)[name];
  return typeof v === 'number' ? v : dflt;
}

const v44 = (k: Kernel): boolean => k.profile.name === 'linux-4.4';

/** tcp_mstamp_refresh(): the socket's µs clock (tcp_clock_us()), read as a segment arrives or data leaves. */
export function tcpMstampRefresh(k: Kernel, sk: TcpSock): void {
  sk.tcpMstamp = Math.floor(k.now / 1000);
}

/** The clock of rcv_rtt_est and rcvq_space: tcp_mstamp (µs) on 6.x, tcp_time_stamp (jiffies) on 4.4. */
function rcvClock(k: Kernel, sk: TcpSock): number {
  return v44(k) ? jiffies(k) : sk.tcpMstamp;
}

/**
 * tcp_sndbuf_expand(): sk_sndbuf for two windows of TCP_INIT_CWND (10) segments, each costing
 * roundup_pow_of_two(MSS + MAX_TCP_HEADER + skb_shared_info) + sk_buff, capped at
 * tcp_wmem[2]: on lo (MSS 65495) 2 x 10 x 131328 = 2626560 with cubic (bbr asks for 3 windows,
 * 3939840, as 6.18 on this machine shows). Same rule in 4.4.
 */
export function tcpSndbufExpand(k: Kernel, sk: TcpSock): void {
  let perMss = Math.max(sk.mssClamp, sk.mss) + MAX_TCP_HEADER + SHINFO;
  perMss = 2 ** Math.ceil(Math.log2(perMss)) + SKB;
  // nr_segs: TCP_INIT_CWND, cwnd or reordering + 1, whichever is largest (tcp_new_space() calls
  // it again as cwnd grows)
  const sndmem = 2 * Math.max(10, sk.sndCwnd, sk.reordering + 1) * perMss;
  if (sk.sndbuf < sndmem) sk.sndbuf = Math.min(sndmem, k.sysctl['net.ipv4.tcp_wmem'][2]);
}

/**
 * tcp_init_buffer_space(): sk_sndbuf from tcp_sndbuf_expand() unless SO_SNDBUF locked it;
 * window_clamp to the buffer's window, less tcp_app_win's reserve of one segment; rcv_ssthresh
 * within it; the first rcvq_space: min3(rcv_ssthresh, rcv_wnd, TCP_INIT_CWND x advmss) on 6.x
 * (041a14d26715, v4.19), rcv_wnd on 4.4, from copied_seq now.
 */
export function tcpInitBufferSpace(k: Kernel, sk: TcpSock): void {
  if (!(sk.userlocks & SOCK_SNDBUF_LOCK)) tcpSndbufExpand(k, sk);
  tcpMstampRefresh(k, sk);
  sk.rcvqTime = rcvClock(k, sk);
  sk.rcvqSeq = sk.copiedSeq;
  const maxwin = tcpFullSpace(k, sk);
  const appWin = 31; // sysctl_tcp_app_win
  if (!sk.windowClamp || sk.windowClamp >= maxwin) {
    sk.windowClamp = maxwin;
    if (maxwin > 4 * sk.advmss) sk.windowClamp = Math.max(maxwin - (maxwin >> appWin), 4 * sk.advmss);
  }
  if (sk.windowClamp > 2 * sk.advmss && sk.windowClamp + sk.advmss > maxwin) sk.windowClamp = Math.max(2 * sk.advmss, maxwin - sk.advmss);
  sk.rcvSsthresh = Math.min(sk.rcvSsthresh || sk.rcvWnd, sk.windowClamp);
  sk.rcvSpace = v44(k) ? sk.rcvWnd : Math.min(sk.rcvSsthresh, sk.rcvWnd, 10 * sk.advmss);
}

/**
 * tcp_measure_rcv_mss(): icsk_ack.rcv_mss follows the largest segment seen (gso_size of a GSO
 * skb: a lo skb of several segments keeps the sender's mss, 2048 for a 4096-byte one with
 * tcp_rmem 8192 on 6.18.44, not its length), at most advmss. On 6.x (dfa2f0483360, v6.5) a new
 * size also measures scaling_ratio, skb->len << 8 / truesize (packetdrill's tun packets, lo's
 * sender-side truesize), and window_clamp follows it (tcp_set_window_clamp()). The
 * smaller-segment heuristics (ICSK_ACK_PUSHED) are not modelled.
 */
export function tcpMeasureRcvMss(k: Kernel, sk: TcpSock, skb: Segment): void {
  const len = skb.gsoSize ?? skb.payload.length;
  if (len < sk.rcvMss) return;
  const truesize = skbTruesize(k, skb);
  if (len !== sk.rcvMss && truesize && !v44(k)) {
    const old = sk.scalingRatio;
    sk.scalingRatio = Math.floor((skb.payload.length * 256) / truesize) || 1;
    if (old !== sk.scalingRatio) {
      tcpSetWindowClamp(sk, tcpWinFromSpace(k, sk.rcvbuf, sk.scalingRatio));
      if (sk.windowClamp < sk.rcvSpace) sk.rcvSpace = sk.windowClamp;
    }
  }
  sk.rcvMss = Math.min(len, sk.advmss);
}

/**
 * tcp_set_window_clamp() (tcp.c, 6.x): at least SOCK_MIN_RCVBUF / 2; a smaller clamp pulls
 * rcv_ssthresh down to it (__tcp_adjust_rcv_ssthresh()), a larger one lets it up to rcv_wnd.
 */
function tcpSetWindowClamp(sk: TcpSock, val: number): void {
  const clamp = Math.max(SOCK_MIN_RCVBUF >> 1, val);
  if (clamp === sk.windowClamp) return;
  if (clamp < sk.windowClamp) sk.rcvSsthresh = Math.min(sk.rcvSsthresh, clamp);
  else sk.rcvSsthresh = Math.max(Math.min(sk.rcvWnd, clamp), sk.rcvSsthresh);
  sk.windowClamp = clamp;
}

/**
 * tcp_event_data_recv(): the first data segment starts the delayed-ACK engine, quickack mode
 * with ato = TCP_ATO_MIN (HZ/25, 40 ms), then ato follows the inter-arrival time;
 * tcp_measure_rcv_mss() learns the peer's segment size, tcp_rcv_rtt_measure() times a window
 * and tcp_grow_window() lets rcv_ssthresh follow the free space for a segment of at least 128
 * bytes.
 */
export function tcpEventDataRecv(k: Kernel, sk: TcpSock, skb: Segment): void {
  const len = skb.payload.length;
  sk.ackPending = true; // inet_csk_schedule_ack()
  tcpMeasureRcvMss(k, sk, skb);
  tcpRcvRttMeasure(k, sk);
  const now = jiffies(k);
  const atoMin = tcpAtoMin(k);
  if (!sk.ato) {
    // "The _first_ data packet received, initialize delayed ACK engine."
    tcpIncrQuickack(sk, TCP_MAX_QUICKACKS);
    sk.ato = atoMin;
  } else {
    const m = now - sk.lastDataRecv;
    if (m <= atoMin >> 1) sk.ato = (sk.ato >> 1) + (atoMin >> 1);
    else if (m < sk.ato) sk.ato = Math.min((sk.ato >> 1) + m, sk.rto);
    else if (m > sk.rto) tcpIncrQuickack(sk, TCP_MAX_QUICKACKS); // "Too long gap."
  }
  sk.lastDataRecv = now; // icsk_ack.lrcvtime = now
  if (len >= 128) tcpGrowWindow(k, sk, len);
}

/**
 * tcp_grow_window(): while rcv_ssthresh is under both window_clamp and the free space, an
 * skb whose payload is at least the window its memory allows (always, as the model charges
 * an skb its payload) raises it by max(2 x advmss, 2 x len), up to that limit.
 */
export function tcpGrowWindow(k: Kernel, sk: TcpSock, len: number): void {
  const room = Math.min(sk.windowClamp, tcpSpace(k, sk)) - sk.rcvSsthresh;
  if (room <= 0) return;
  const incr = Math.max(2 * sk.advmss, 2 * len);
  sk.rcvSsthresh += Math.min(room, incr);
  sk.ackQuick |= 1; // inet_csk(sk)->icsk_ack.quick |= 1
}

/**
 * tcp_rcv_rtt_update(): a sample (µs on 6.x, jiffies on 4.4) into rcv_rtt_est, kept x 8.
 * 6.18: the minimum, else (a timestamp sample, win_dep 0, with nothing left unread) 7/8 of the
 * old plus the sample. 4.4: a 0 becomes 1; a window sample keeps the minimum, a timestamp
 * sample is smoothed (old + sample - old/8).
 */
export function tcpRcvRttUpdate(k: Kernel, sk: TcpSock, sample: number, winDep: boolean): void {
  const old = sk.rcvRttEst;
  if (v44(k)) {
    const m = sample || 1;
    if (!old) sk.rcvRttEst = m * 8;
    else if (!winDep) sk.rcvRttEst = old + m - (old >>> 3);
    else if (m * 8 < old) sk.rcvRttEst = m * 8;
    return;
  }
  const m = sample * 8;
  if (old === 0 || m < old) sk.rcvRttEst = m;
  else if (!winDep && sk.rcvNxt === sk.copiedSeq) sk.rcvRttEst = old - (old >>> 3) + sample;
}

/**
 * tcp_rcv_rtt_measure() (tcp_event_data_recv()): the time from a window's start until rcv_nxt
 * reaches its end (rcv_nxt + rcv_wnd when it started), a win_dep sample; then the next window.
 */
function tcpRcvRttMeasure(k: Kernel, sk: TcpSock): void {
  const now = rcvClock(k, sk);
  if (sk.rcvRttTime !== 0) {
    if (before(sk.rcvNxt, sk.rcvRttSeq)) return;
    tcpRcvRttUpdate(k, sk, Math.max(now - sk.rcvRttTime, v44(k) ? 0 : 1), true);
  }
  sk.rcvRttSeq = (sk.rcvNxt + sk.rcvWnd) | 0;
  sk.rcvRttTime = now;
}

/**
 * tcp_rcv_rtt_measure_ts() (tcp_rcv_established(), both paths, before the data is queued): a
 * segment of at least rcv_mss echoing our timestamp gives the time since that TSval. 6.18 once
 * per echoed value (rcv_rtt_last_tsecr, which a pure ACK in the fast path also sets), in ms x
 * 1000 (tcp_rtt_tsopt_us(tp, 0)), a 0 ms delta giving no sample (d59fc95be9d0): over lo the
 * window samples decide. 4.4 on every such segment, 0 jiffies counting as 1.
 */
export function tcpRcvRttMeasureTs(k: Kernel, sk: TcpSock, skb: Segment): void {
  if (!sk.tstampOk) return;
  const ts = tsOption(skb);
  if (!ts) return;
  const delta = u32Sub(tcpTimeStamp(k, sk.tsOffset), ts.ecr);
  if (v44(k)) {
    if (ts.ecr && skb.payload.length >= sk.rcvMss) tcpRcvRttUpdate(k, sk, delta, false);
    return;
  }
  if ((ts.ecr | 0) === sk.rcvRttLastTsecr) return;
  sk.rcvRttLastTsecr = ts.ecr | 0;
  if (!skb.payload.length) return; // a pure ACK: only rcv_rtt_last_tsecr
  if (skb.payload.length >= sk.rcvMss && delta > 0 && delta < 2147483647 / 1000) tcpRcvRttUpdate(k, sk, delta * 1000, false);
}

const u32Sub = (a: number, b: number): number => (a - b) >>> 0;

/** The segment's timestamp option (without parseOptions()'s object: this runs for every segment). */
function tsOption(skb: Segment): { val: number; ecr: number } | undefined {
  const o = skb.options;
  for (let i = 0; i < o.length; i++) {
    const x = o[i];
    if (x.kind === 'ts') return x;
  }
  return undefined;
}

/**
 * tcp_rcv_space_adjust() (tcp_recvmsg(), after copying): at most once per receiver RTT
 * (rcv_rtt_est / 8), the bytes read since the last measure (6.x: less what is still queued,
 * ea33537d8292) become rcvq_space.space when they exceed it, and the buffer grows for them
 * (tcp_rcvbuf_grow(); 4.4 inline, see the file comment). Nothing before a receiver RTT exists.
 */
export function tcpRcvSpaceAdjust(k: Kernel, sk: TcpSock): void {
  if (!sk.rcvRttEst) return;
  const now = rcvClock(k, sk);
  const time = Math.max(0, now - sk.rcvqTime);
  if (time >= sk.rcvRttEst >>> 3) {
    let copied = (sk.copiedSeq - sk.rcvqSeq) | 0;
    if (!v44(k)) copied -= (sk.rcvNxt - sk.copiedSeq) | 0;
    if (copied > sk.rcvSpace) {
      if (v44(k)) tcpRcvSpaceGrow44(k, sk, copied);
      else tcpRcvbufGrow(k, sk, copied);
    }
    sk.rcvqSeq = sk.copiedSeq;
    sk.rcvqTime = now;
  }
}

/** 4.4's tcp_rcv_space_adjust() body (b0983d3c9b13): rcvbuf in whole segments of rcvmem, window_clamp = rcvwin. */
function tcpRcvSpaceGrow44(k: Kernel, sk: TcpSock, copied: number): void {
  const space = sk.rcvSpace;
  if (sysctlOr(k, 'net.ipv4.tcp_moderate_rcvbuf', 1) && !(sk.userlocks & SOCK_RCVBUF_LOCK)) {
    let rcvwin = 2 * copied + 16 * sk.advmss;
    if (copied >= space + (space >> 2)) rcvwin = copied >= space + (space >> 1) ? rcvwin * 2 : rcvwin + (rcvwin >> 1);
    let rcvmem = ((sk.advmss + MAX_TCP_HEADER + 63) & ~63) + SKB + SHINFO; // SKB_TRUESIZE()
    while (tcpWinFromSpace(k, rcvmem) < sk.advmss) rcvmem += 128;
    const rcvbuf = Math.min(Math.floor(rcvwin / sk.advmss) * rcvmem, k.sysctl['net.ipv4.tcp_rmem'][2]);
    if (rcvbuf > sk.rcvbuf) {
      sk.rcvbuf = rcvbuf;
      sk.windowClamp = rcvwin; // "Make the window clamp follow along."
    }
  }
  sk.rcvSpace = copied;
}

/**
 * tcp_rcvbuf_grow(sk, newval) (6.18): rcvq_space.space becomes newval; unless SO_RCVBUF locked
 * the buffer or tcp_moderate_rcvbuf is off, room for 2 x newval ("DRS is always one RTT late")
 * plus the slow-start term 2 x rcvwin x (newval - old) / old (aa251c84636c) plus what the ofo
 * queue spans beyond rcv_nxt, in buffer bytes (tcp_space_from_win(): win << 8 / scaling_ratio),
 * at most tcp_rmem[2]; window_clamp follows a larger buffer. The ofo queue calls it with the
 * current space (no slow-start term).
 */
export function tcpRcvbufGrow(k: Kernel, sk: TcpSock, newval: number): void {
  const oldval = sk.rcvSpace;
  sk.rcvSpace = newval;
  if (sk.userlocks & SOCK_RCVBUF_LOCK || !sysctlOr(k, 'net.ipv4.tcp_moderate_rcvbuf', 1)) return;
  let rcvwin = newval * 2;
  if (oldval) rcvwin += 2 * Math.floor((rcvwin * ((newval - oldval) >>> 0)) / oldval);
  rcvwin >>>= 0; // u32
  const q = sk.outOfOrderQueue;
  if (q.length) rcvwin += (q[q.length - 1].end - sk.rcvNxt) | 0;
  const rcvbuf = Math.min(Math.floor((rcvwin * 256) / sk.scalingRatio), k.sysctl['net.ipv4.tcp_rmem'][2]);
  if (rcvbuf > sk.rcvbuf) {
    sk.rcvbuf = rcvbuf;
    sk.windowClamp = tcpWinFromSpace(k, rcvbuf, sk.scalingRatio);
  }
}
