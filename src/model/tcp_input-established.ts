/**
 * net/ipv4/tcp_input.c, tcp_rcv_established()'s header prediction (the fast path of an
 * ESTABLISHED socket); its slow path is tcpRcvStateProcess() (tcp_input.ts).
 */
import type { Kernel } from './kernel.ts';
import { after, before } from './seq.ts';
import type { TcpSock } from './sock.ts';
import { skbTruesize, tcpDataQueue, tcpRcvStateProcess, tcpStoreTsRecent } from './tcp_input.ts';
import { tcpAck } from './tcp_input-ack.ts';
import { tcpMstampRefresh, tcpRcvRttMeasureTs } from './tcp_input-rcvbuf.ts';
import { tcpReceiveWindow, tcpRmemAlloc } from './tcp_output.ts';
import { rcvVerdict } from './trace.ts';
import { TH_ACK, TH_PSH, type Segment } from './types.ts';

/** TCP_HP_BITS: the flags header prediction compares (all but PSH and the reserved bits). */
const TCP_HP_BITS = 0xff & ~TH_PSH;

/**
 * tcp_rcv_established(): Van Jacobson's header prediction, then the slow path
 * (tcpRcvStateProcess(), which is tcp_rcv_established()'s slow_path + step5 for an ESTABLISHED
 * socket). A segment is predicted when (tcp_flag_word(th) & TCP_HP_BITS) == pred_flags, its seq
 * is rcv_nxt and its ack not after snd_nxt. pred_flags (__tcp_fast_path_on()) is the header
 * length (options: exactly the aligned timestamp when timestamps were agreed, else none), ACK
 * alone, and the window field snd_wnd >> snd_wscale; tcp_fast_path_check() sets it only with an
 * empty out-of-order queue, rcv_wnd non-zero, sk_rmem_alloc < sk_rcvbuf and no urgent data (the
 * model has none). The model keeps no pred_flags: it tests those conditions as the segment
 * arrives. Then, as in 4.4 and 6.18, a TSval older than ts_recent goes to the slow path ("If
 * PAWS failed, check it more carefully"). Where Linux's fast path would take a segment the
 * model's slow path treats otherwise, the model takes the slow path too, so both give the same
 * trace: an ACK below snd_una (tcp_ack()'s old-ACK checks), data ending past the window on 6.x
 * (tcp_sequence(), 9ca48d616ed7), a zero window left (tcp_data_queue()'s drop) and data that does
 * not fit sk_rcvbuf (the fast path's `skb->truesize > sk_forward_alloc` goto step5). A predicted
 * segment then skips tcp_validate_incoming() and the state checks: the pure ACK (len ==
 * tcp_header_len) goes to tcp_ack(), data to the receive queue and to tcp_ack() when it acks
 * something new or leaves the fast path for memory (tcpFastPathData()). The model keeps its
 * slow path's order (tcp_ack() before queueing the data, ts_recent taken from any in-order
 * segment: tcp_replace_ts_recent() rather than the fast path's rcv_nxt == rcv_wup rule) and its
 * tcp_data_queue() for the queueing, as every transcript is pinned to them; 4.4's direct copy
 * to a reader sleeping in recvmsg() (ucopy/prequeue, gone in 4.14 with e7942d0633c4) is not
 * modelled, as before. tcp_mstamp_refresh() first, tcp_rcv_rtt_measure_ts() on both paths
 * (tcp_input-rcvbuf.ts). TcpExtTCPHPHits/TCPHPAcks are not counted. Returns true when the caller
 * must answer with a RST (from the slow path).
 */
export function tcpRcvEstablished(k: Kernel, sk: TcpSock, skb: Segment): boolean {
  tcpMstampRefresh(k, sk);
  const ts = tcpPredictHeader(k, sk, skb);
  if (ts < 0) return tcpRcvStateProcess(k, sk, skb);
  rcvVerdict(k, skb, sk.id, 'accepted');
  if (sk.tstampOk) tcpStoreTsRecent(k, sk, ts);
  // tcp_rcv_rtt_measure_ts() for data; a pure ACK only sets rcv_rtt_last_tsecr (6.x)
  tcpRcvRttMeasureTs(k, sk, skb);
  if (!skb.payload.length || (skb.ack | 0) !== sk.sndUna || !tcpFastPathData(k, sk, skb)) tcpAck(k, sk, skb);
  if (skb.payload.length) tcpDataQueue(k, sk, skb);
  return false;
}

/**
 * Does a predicted data segment that acks nothing new stay on the fast path, which skips tcp_ack()
 * ("if (TCP_SKB_CB(skb)->ack_seq != tp->snd_una)"; tcp_update_wl() only), so no tcp_ack_probe()
 * re-arms a pending persist timer and rcv_tstamp (tcpi_last_ack_recv) stays? Only when
 * `skb->truesize <= sk_forward_alloc`, else step5, the slow path, runs tcp_ack(). 6.x keeps
 * sk_forward_alloc under a page (4890b686f408, v5.19: sk_mem_uncharge() reclaims at once;
 * __sk_mem_schedule() adds whole pages), so it is what the pages charged for sk_wmem_queued +
 * sk_rmem_alloc leave over: 6.18.44 ss -tm showed f1248 with w19232 r0, f2432 with r5760, f3008
 * with w1088. So a socket with a write queue takes a small segment on the fast path (differential
 * small-buffers script 19: its persist timer, armed by the last window update, sends 1792 bytes
 * in time), a fresh one on the slow path (ss -i fixture: the server's lastack is the time of the
 * client's first data). The 4.4 profile (reclaim in quanta, not modelled) keeps the slow path's
 * tcp_ack().
 */
function tcpFastPathData(k: Kernel, sk: TcpSock, skb: Segment): boolean {
  if (k.profile.name === 'linux-4.4') return false;
  const used = sk.wmemQueued + tcpRmemAlloc(sk);
  const forwardAlloc = (PAGE_SIZE - (used % PAGE_SIZE)) % PAGE_SIZE;
  return (skbTruesize(k, skb) || skb.payload.length) <= forwardAlloc;
}

const PAGE_SIZE = 4096;

/**
 * The header prediction test of tcp_rcv_established() (see there): -1 for the slow path, else
 * the segment's TSval (0 without timestamps).
 */
function tcpPredictHeader(k: Kernel, sk: TcpSock, skb: Segment): number {
  if ((skb.flags & TCP_HP_BITS) !== TH_ACK || (skb.seq | 0) !== sk.rcvNxt || after(skb.ack, sk.sndNxt) || before(skb.ack, sk.sndUna)) return -1;
  if (skb.window !== sk.sndWnd >>> sk.sndWscale || sk.outOfOrderQueue.length || !sk.rcvWnd) return -1;
  const opts = skb.options;
  let tsval = 0;
  if (sk.tstampOk) {
    // tcp_parse_aligned_timestamp(): NOP, NOP, TS and nothing else (TCPOLEN_TSTAMP_ALIGNED)
    const o = opts.length === 3 && opts[0].kind === 'nop' && opts[1].kind === 'nop' ? opts[2] : null;
    if (o === null || o.kind !== 'ts') return -1;
    if (((o.val - sk.tsRecent) | 0) < 0) return -1;
    tsval = o.val;
  } else if (opts.length) return -1;
  const rmem = tcpRmemAlloc(sk);
  if (rmem >= sk.rcvbuf) return -1;
  const len = skb.payload.length;
  if (len) {
    const win = tcpReceiveWindow(sk);
    if (!win || (k.profile.name !== 'linux-4.4' && len > win)) return -1;
    if (rmem + (skbTruesize(k, skb) || len) > sk.rcvbuf) return -1;
  }
  return tsval;
}
