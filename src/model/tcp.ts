/**
 * net/ipv4/tcp.c and the helpers of include/net/tcp.h (Linux 4.4 and 6.18): state changes,
 * close(), shutdown(), the send path's entry, the end of a connection (tcp_done) and the
 * constants and clocks of tcp.h.
 *
 * Deliberate differences: a child's port is not SOCK_BINDPORT_LOCK'ed apart from its listener's.
 */
import type { Kernel } from './kernel.ts';
import { ehashRemove, inetPutPort, listenUnhash } from './inet_hashtables.ts';
import { inetCskClearXmitTimer, inetCskDeleteKeepaliveTimer, inetCskDestroySock, inetCskListenStop, inetCskResetKeepaliveTimer, inetCskResetXmitTimer } from './inet_connection_sock.ts';
import { after, u32 } from './seq.ts';
import { NO_EXTRA, RCV_SHUTDOWN, SEND_SHUTDOWN, SHUTDOWN_MASK, sockDefWakeup, TCP_NAGLE_CORK, TCP_NAGLE_PUSH, type SendBacklog, type TcpSock, type WSkb } from './sock.ts';
import { tcpTimeWait } from './tcp_minisocks.ts';
import { keepaliveTimeElapsed } from './tcp_timer.ts';
import { skStreamClosing } from './stream.ts';
import { tcpChronoStats } from './tcp_output-cwnd.ts';
import { rcvTailWiden } from './tcp_input-ofo.ts';
import { tcpRcvSpaceAdjust } from './tcp_input-rcvbuf.ts';
import { __tcpSelectWindow, tcpPushPendingFrames, tcpQueueData, tcpReceiveWindow, tcpSendAck, tcpSendActiveReset, tcpSendFin } from './tcp_output.ts';
import { ECONNRESET, EINVAL } from './errno.ts';
import { ipRouteOutputKey, ipv4Mtu } from './route.ts';
import { jiffies } from './time.ts';
import { mibInc, traceQueues } from './trace.ts';
import { TCP_CLOSE, TCP_CLOSE_WAIT, TCP_CLOSING, TCP_ESTABLISHED, TCP_FIN_WAIT1, TCP_FIN_WAIT2, TCP_LAST_ACK, TCP_LISTEN, TCP_SYN_RECV, TCP_SYN_SENT, TCP_TIME_WAIT, TH_ACK, TH_PSH, type TcpState } from './types.ts';

/** include/net/tcp.h: TCP_TIMEWAIT_LEN is 60 s. */
export const TCP_TIMEWAIT_LEN_S = 60;
/** TCP_RTO_MAX = 120 s, TCP_RTO_MIN = HZ/5, TCP_TIMEOUT_INIT = 1 s, TCP_TIMEOUT_MIN = 2 jiffies. */
export const TCP_RTO_MAX_S = 120;
export const TCP_TIMEOUT_MIN = 2;

/** TSval: tcp_time_stamp = jiffies (4.4) or the ms clock plus a per-4-tuple offset (6.18). */
export function tcpTimeStamp(k: Kernel, tsOffset: number): number {
  if (k.profile.behaviour.tsClock === 'jiffies') return u32(jiffies(k));
  return u32(Math.floor(k.sim.now / 1_000_000) + tsOffset);
}

/**
 * tcp_win_from_space() (include/net/tcp.h): how much of a receive buffer may be offered as
 * window. 4.4: space - (space >> tcp_adv_win_scale), adv_win_scale 1; 6.18: space *
 * scaling_ratio >> TCP_RMEM_TO_WIN_SCALE (8), the ratio starting at TCP_DEFAULT_SCALING_RATIO
 * (128, a half) until the first received skb measures it (dfa2f0483360, v6.5; the model keeps
 * the default).
 */
export function tcpWinFromSpace(k: Kernel, space: number, scalingRatio = 128): number {
  if (k.profile.behaviour.initialWindow === '4.4') return space - (space >> 1);
  return Math.floor((space * scalingRatio) / 256);
}

/**
 * tcp_segs_in() (include/net/tcp.h): segs_in and data_segs_in count a received skb as its
 * gso_segs (a tun GSO packet's segments, or a lo skb of several segments: tcpTransmitSkb() gives
 * it the sender's gso_size; 6.18.44 counted data_segs_in:8 for 2048 + 2048 + 4096 + 2048 + 2304
 * + 256 bytes at mss 2048).
 */
export function tcpSegsIn(sk: TcpSock, skb: { payload: Uint8Array; gsoSize?: number }): void {
  const segs = skb.gsoSize ? Math.ceil(skb.payload.length / skb.gsoSize) : 1;
  sk.segsIn += segs;
  if (skb.payload.length) sk.dataSegsIn += segs;
}

/**
 * skb->truesize of a data skb the sender built in tcp_sendmsg_locked() (tcp.c): the head from
 * tcp_stream_alloc_skb(), SKB_TRUESIZE(skb_end_offset()) of an fclone MAX_TCP_HEADER
 * allocation, plus each byte copied into its page frags (skb_copy_to_page_nocache() adds
 * `copy`). On lo the receiver gets that very skb (loopback_xmit() only orphans it), so this is
 * what sk_rmem_alloc is charged. Measured on Linux 6.18.44 (this machine, ss -tm skmem r): a
 * 1000-, 16384- or 54272-byte write into a fresh connection charges its payload + 832. The
 * 4.4 profile charges the payload alone (4.4's select_size() gave lo skbs a linear part; not
 * measured): 0 means "unknown".
 */
export const TCP_STREAM_SKB_HEAD_TRUESIZE = 832;
export function tcpStreamSkbTruesize(k: Kernel, len: number): number {
  if (!len || k.profile.name === 'linux-4.4') return 0;
  return len + TCP_STREAM_SKB_HEAD_TRUESIZE;
}

/** tcp_full_space() (include/net/tcp.h): the window the whole receive buffer allows. */
export function tcpFullSpace(k: Kernel, sk: { rcvbuf: number; scalingRatio?: number }): number {
  return tcpWinFromSpace(k, sk.rcvbuf, sk.scalingRatio);
}

/** tcp_fin_time(): linger2 ?: tcp_fin_timeout, at least 3.5 RTO. */
export function tcpFinTime(k: Kernel, sk: TcpSock): number {
  const finTimeout = k.sysctl['net.ipv4.tcp_fin_timeout'] * k.HZ;
  const rto35 = (sk.rto << 2) - (sk.rto >> 1);
  return Math.max(finTimeout, rto35);
}

/** tcp_set_state() */
export function tcpSetState(k: Kernel, sk: TcpSock, state: TcpState): void {
  const from = sk.state;
  if (from === state) return;
  sk.state = state;
  if (k.sim.traceDetail) k.sim.emit({ type: 'state', t: k.now, sock: sk.id, from, to: state });
  if (state === TCP_CLOSE) {
    // sk->sk_prot->unhash(sk); inet_put_port(sk) — unless the port is owned by a user
    // bind (SOCK_BINDPORT_LOCK), which we do not model separately.
    if (from === TCP_LISTEN) listenUnhash(k, sk);
    else ehashRemove(k, sk);
    inetPutPort(k, sk);
  }
}

/**
 * tcp_done(): TCP_CLOSE, unhash (invisible to inet_diag), stop timers, SHUTDOWN_MASK.
 * A child still in an accept queue is not orphaned: it keeps its slot there.
 */
export function tcpDone(k: Kernel, sk: TcpSock): void {
  tcpSetState(k, sk, TCP_CLOSE);
  if (sk.writeQueue.length) tcpWriteQueuePurge(sk);
  inetCskClearXmitTimer(k, sk, 'retrans');
  inetCskClearXmitTimer(k, sk, 'delack');
  inetCskDeleteKeepaliveTimer(k, sk);
  sk.skShutdown = SHUTDOWN_MASK;
  traceQueues(k, sk);
  if (!sk.dead) sockDefWakeup(sk);
  else inetCskDestroySock(k, sk);
}

/** tcp_write_queue_purge(): drop everything not yet acknowledged (the connection is over). */
export function tcpWriteQueuePurge(sk: TcpSock): void {
  sk.writeQueue = [];
  sk.sendHead = 0;
  sk.wmemQueued = 0;
}

/**
 * tcp_close(sk, timeout) (__tcp_close()): the last reference to the socket's file went away.
 * `timeout` is inet_release()'s (af_inet.c): sk_lingertime in jiffies with SO_LINGER set, 0
 * without it or when the process exits (PF_EXITING). A zero linger aborts (tcp_disconnect());
 * a longer one makes close() wait after the FIN while the FIN is unacknowledged
 * (sk_stream_wait_close(), stream.ts): then this returns true, the socket is not yet orphaned
 * and the caller sleeps, then calls tcpAdjudgeToDeath(). Otherwise the close is complete.
 */
export function tcpClose(k: Kernel, sk: TcpSock, timeout = 0): boolean {
  sk.skShutdown = SHUTDOWN_MASK;
  if (sk.state === TCP_LISTEN) {
    tcpSetState(k, sk, TCP_CLOSE);
    inetCskListenStop(k, sk);
    sk.dead = true;
    inetCskDestroySock(k, sk);
    return false;
  }
  let unread = sk.rcvTailGrow;
  for (const b of sk.rcvQueue) unread += b.length;
  sk.rcvQueue = [];
  sk.rcvTailGrow = 0;
  sk.rcvQueueCharges = [];
  if (unread) {
    // RFC 2525 §2.17: close with unread data sends a RST
    mibInc(k, 'TCPAbortOnClose');
    tcpSetState(k, sk, TCP_CLOSE);
    tcpSendActiveReset(k, sk);
  } else if (sk.linger === 0) {
    // "Check zero linger _after_ checking for unread data": tcp_disconnect(), TCPAbortOnData
    tcpDisconnect(k, sk);
    mibInc(k, 'TCPAbortOnData');
  } else if (tcpCloseState(k, sk)) {
    tcpSendFin(k, sk);
  }
  // sk_stream_wait_close(sk, timeout): its first test, before any sleep
  if (timeout && skStreamClosing(sk)) return true;
  tcpAdjudgeToDeath(k, sk);
  return false;
}

/**
 * tcp_close()'s end (`adjudge_to_death:`): sock_orphan(), then an orphan in FIN-WAIT-2 gets
 * tcp_fin_time() (the keepalive timer, or a FIN-WAIT-2 timewait sock) and a closed socket is
 * destroyed. After a linger the state is whatever the wait ended in.
 */
export function tcpAdjudgeToDeath(k: Kernel, sk: TcpSock): void {
  sk.dead = true; // sock_orphan()
  if (sk.state === TCP_FIN_WAIT2 && !sk.keepaliveTimer) {
    const tmo = tcpFinTime(k, sk);
    if (tmo > TCP_TIMEWAIT_LEN_S * k.HZ) inetCskResetKeepaliveTimer(k, sk, tmo - TCP_TIMEWAIT_LEN_S * k.HZ);
    else tcpTimeWait(k, sk, TCP_FIN_WAIT2, tmo);
    return;
  }
  if (sk.state === TCP_CLOSE) inetCskDestroySock(k, sk);
}

/**
 * tcp_disconnect() as SO_LINGER with a zero time makes close() call it: CLOSE at once, a RST
 * when the state had a peer to tell (tcp_need_reset(): ESTABLISHED, CLOSE-WAIT, FIN-WAIT-1/2,
 * SYN-RECV; or CLOSING/LAST-ACK with data unsent), and the write queue dropped.
 */
export function tcpDisconnect(k: Kernel, sk: TcpSock): void {
  const old = sk.state;
  tcpSetState(k, sk, TCP_CLOSE);
  const needReset = old === TCP_ESTABLISHED || old === TCP_CLOSE_WAIT || old === TCP_FIN_WAIT1 || old === TCP_FIN_WAIT2 || old === TCP_SYN_RECV;
  if (needReset || (sk.sndNxt !== sk.writeSeq && (old === TCP_CLOSING || old === TCP_LAST_ACK))) {
    tcpSendActiveReset(k, sk);
    sk.skErr = ECONNRESET;
  }
  inetCskClearXmitTimer(k, sk, 'retrans');
  inetCskClearXmitTimer(k, sk, 'delack');
  tcpWriteQueuePurge(sk);
}

/** tcp_close_state(): the state after close(), and whether a FIN must be sent. */
function tcpCloseState(k: Kernel, sk: TcpSock): boolean {
  const next: Record<number, [TcpState, boolean]> = {
    [TCP_ESTABLISHED]: [TCP_FIN_WAIT1, true],
    [TCP_SYN_SENT]: [TCP_CLOSE, false],
    [TCP_SYN_RECV]: [TCP_FIN_WAIT1, true],
    [TCP_FIN_WAIT1]: [TCP_FIN_WAIT1, false],
    [TCP_FIN_WAIT2]: [TCP_FIN_WAIT2, false],
    [TCP_TIME_WAIT]: [TCP_CLOSE, false],
    [TCP_CLOSE]: [TCP_CLOSE, false],
    [TCP_CLOSE_WAIT]: [TCP_LAST_ACK, true],
    [TCP_LAST_ACK]: [TCP_LAST_ACK, false],
    [TCP_LISTEN]: [TCP_CLOSE, false],
    [TCP_CLOSING]: [TCP_CLOSING, false],
  };
  const [ns, fin] = next[sk.state] ?? [TCP_CLOSE, false];
  tcpSetState(k, sk, ns);
  return fin;
}

/** tcp_shutdown(): shutdown(SHUT_WR) on a connected socket: FIN now, keep receiving. */
export function tcpShutdown(k: Kernel, sk: TcpSock, how: number): void {
  if (how & SEND_SHUTDOWN && (sk.state === TCP_ESTABLISHED || sk.state === TCP_CLOSE_WAIT || sk.state === TCP_SYN_RECV)) {
    if (tcpCloseState(k, sk)) tcpSendFin(k, sk);
  }
}

/**
 * tcp_sendmsg_locked(): copy what the send buffer takes into the write queue (tcpQueueData())
 * and push it (tcp_push() with tp->nonagle: Nagle unless TCP_NODELAY, everything held under
 * TCP_CORK or MSG_MORE). Returns the bytes taken; the caller waits for the rest
 * (sk_stream_wait_memory()). No autocorking, no forced_push() PSH in mid-write.
 */
export function tcpSendmsg(k: Kernel, sk: TcpSock, data: Uint8Array, off = 0, more = false, eor = false, bl?: SendBacklog): number {
  const copied = tcpQueueData(k, sk, data, off, eor, bl);
  // sk_flush_backlog(): the copy goes on after the backlog, no push in between
  if (bl?.flush) return copied;
  // tcp_push(): the tail skb gets PSH (tcp_mark_push()) unless MSG_MORE, or when forced_push()
  const q = sk.writeQueue;
  if (copied && q.length > sk.sendHead && (!more || tcpForcedPush(sk))) tcpMarkPush(sk, q[q.length - 1]);
  if (copied) tcpPushPendingFrames(k, sk, more ? sk.nonagle | TCP_NAGLE_CORK : sk.nonagle);
  else if (off < data.length) tcpPushPendingFrames(k, sk, TCP_NAGLE_PUSH); // before waiting for memory
  return copied;
}

/** forced_push(): write_seq is more than half the largest window past pushed_seq. */
export function tcpForcedPush(sk: TcpSock): boolean {
  return after(sk.writeSeq, (sk.pushedSeq + (sk.maxWindow >> 1)) | 0);
}

/** tcp_mark_push(): PSH on the skb, pushed_seq = write_seq. */
export function tcpMarkPush(sk: TcpSock, skb: WSkb): void {
  skb.psh = true;
  sk.pushedSeq = sk.writeSeq;
}

/**
 * tcp_recvmsg_locked(): copy up to `count` queued bytes (every one without it) from the
 * receive queue, advancing copied_seq, then tcp_cleanup_rbuf(). The FIN stays queued.
 * The bytes are copied to the start of `into` when given (read(2) into the program's buffer,
 * `count` at most its length), else returned as a new array (or the queue's one view).
 * `peek` (MSG_PEEK, Linux 4.4 and 6.18): the same bytes, read from peek_seq, stay queued.
 */
export function tcpRecvmsg(k: Kernel, sk: TcpSock, count = Infinity, into?: Uint8Array, peek = false): Uint8Array {
  rcvTailWiden(sk);
  const q = sk.rcvQueue;
  let n = 0;
  let i = 0;
  for (; i < q.length && n < count; i++) n += q[i].length;
  let out: Uint8Array;
  if (i === 1 && n <= count && !into) out = q[0];
  else {
    out = into ? into.subarray(0, Math.min(n, count)) : new Uint8Array(Math.min(n, count));
    copyQueued(q, i, out);
  }
  // tcp_rcv_space_adjust() runs after each skb copied; within one call only the first can count
  // (tcp_mstamp does not move), so it runs once, with copied_seq past the first skb: the first
  // charged skb's end (rcvQueueCharges; the whole read on 4.4, which charges none)
  const charges = sk.rcvQueueCharges;
  const first = charges.length ? Math.min(out.length, (charges[0] - sk.copiedSeq) | 0) : out.length;
  // MSG_PEEK: copied from a private copy of copied_seq (peek_seq): nothing leaves the queue
  if (peek) {
    if (out.length) {
      tcpRcvSpaceAdjust(k, sk);
      tcpCleanupRbuf(k, sk, out.length);
    }
    return out;
  }
  if (n > count) {
    // the last run was read in part: what is left of it stays at the head
    const last = q[i - 1];
    q[i - 1] = last.subarray(last.length - (n - count));
    i--;
  }
  if (i === q.length) sk.rcvQueue = [];
  else q.splice(0, i);
  if (out.length) {
    const copied = sk.copiedSeq;
    sk.copiedSeq = (copied + first) | 0;
    tcpRcvSpaceAdjust(k, sk);
    sk.copiedSeq = (copied + out.length) | 0;
  }
  // sk_eat_skb(): an skb read whole gives back its truesize (one read in part keeps all of it)
  skEatSkbs(sk);
  if (out.length) tcpCleanupRbuf(k, sk, out.length);
  traceQueues(k, sk);
  return out;
}

/**
 * sk_eat_skb() of each queued skb a read took whole (its end not after copied_seq): its charge
 * goes. An skb read in part stays charged whole (tcp_recvmsg_locked() frees an skb only once
 * it is used up): the bytes copied from it count in sk_rmem_alloc until then. Measured on
 * 6.18.44 (differential small-buffers script 15, tcp_rmem 32768): 29824 bytes in three lo skbs
 * (r32320), a read of 20000 takes two and 3616 bytes of the third (13440 + 832), r31808 with
 * 27360 queued after the next window, which was 137 << 7 = 17536 (tcp_space() of 32768 - 14272).
 */
function skEatSkbs(sk: TcpSock): void {
  const c = sk.rcvQueueCharges;
  let m = 0;
  sk.rmemExtra -= sk.rcvHeadCopied;
  sk.rcvHeadCopied = 0;
  while (m < c.length && !after(c[m], sk.copiedSeq)) {
    sk.rmemExtra -= c[m + 1];
    sk.rcvChargeStart = c[m];
    m += 2;
  }
  if (m === c.length) sk.rcvQueueCharges = NO_EXTRA;
  else {
    if (m) {
      c.copyWithin(0, m);
      c.length -= m;
    }
    const copied = (sk.copiedSeq - sk.rcvChargeStart) | 0;
    if (copied > 0) {
      sk.rcvHeadCopied = copied;
      sk.rmemExtra += copied;
    }
  }
}

/** The copy of tcp_recvmsg_locked() (skb_copy_datagram_msg()): the first `count` views of the queue into `out`, until it is full. */
function copyQueued(q: Uint8Array[], count: number, out: Uint8Array): void {
  let o = 0;
  for (let j = 0; j < count && o < out.length; j++) {
    const p = q[j];
    const take = Math.min(p.length, out.length - o);
    out.set(take === p.length ? p : p.subarray(0, take), o);
    o += take;
  }
}

/**
 * tcp_cleanup_rbuf(): after a read, ACK now when an ACK is due and more than a segment came
 * since the last window update, or when the read opened the window to at least twice what is
 * left of the one advertised (a reader that catches up reopens a closed window at once).
 */
export function tcpCleanupRbuf(k: Kernel, sk: TcpSock, copied: number): void {
  let timeToAck = sk.ackPending && ((sk.rcvNxt - sk.rcvWup) | 0) > sk.rcvMss;
  if (copied > 0 && !timeToAck && !(sk.skShutdown & RCV_SHUTDOWN)) {
    const rcvWindowNow = tcpReceiveWindow(sk);
    if (2 * rcvWindowNow <= sk.windowClamp) {
      const newWindow = __tcpSelectWindow(k, sk);
      if (newWindow && newWindow >= 2 * rcvWindowNow) timeToAck = true;
    }
  }
  if (timeToAck) tcpSendAck(k, sk);
}

/**
 * The tcp_info fields the model fills (include/uapi/linux/tcp.h, in struct order). 4.4's struct
 * ends at tcpi_segs_in; the later ones read 0 there, as ss's "older kernels" workaround fills them.
 */
export const TCP_INFO_FIELDS = [
  'tcpi_state', 'tcpi_ca_state', 'tcpi_retransmits', 'tcpi_probes', 'tcpi_backoff', 'tcpi_options', 'tcpi_snd_wscale', 'tcpi_rcv_wscale',
  'tcpi_rto', 'tcpi_ato', 'tcpi_snd_mss', 'tcpi_rcv_mss', 'tcpi_unacked', 'tcpi_sacked', 'tcpi_lost', 'tcpi_retrans', 'tcpi_fackets',
  'tcpi_last_data_sent', 'tcpi_last_ack_sent', 'tcpi_last_data_recv', 'tcpi_last_ack_recv',
  'tcpi_pmtu', 'tcpi_rcv_ssthresh', 'tcpi_rtt', 'tcpi_rttvar', 'tcpi_snd_ssthresh', 'tcpi_snd_cwnd', 'tcpi_advmss', 'tcpi_reordering',
  'tcpi_rcv_rtt', 'tcpi_rcv_space', 'tcpi_total_retrans', 'tcpi_pacing_rate', 'tcpi_max_pacing_rate', 'tcpi_bytes_acked',
  'tcpi_bytes_received', 'tcpi_segs_out', 'tcpi_segs_in',
  // 4.6 and later
  'tcpi_notsent_bytes', 'tcpi_min_rtt', 'tcpi_data_segs_in', 'tcpi_data_segs_out', 'tcpi_delivery_rate', 'tcpi_busy_time',
  'tcpi_rwnd_limited', 'tcpi_sndbuf_limited', 'tcpi_delivered', 'tcpi_delivered_ce', 'tcpi_bytes_sent', 'tcpi_bytes_retrans',
  'tcpi_dsack_dups', 'tcpi_reord_seen', 'tcpi_rcv_ooopack', 'tcpi_snd_wnd', 'tcpi_rcv_wnd', 'tcpi_delivery_rate_app_limited',
] as const;
export type TcpInfo = Record<(typeof TCP_INFO_FIELDS)[number], number>;

/** TCPI_OPT_* of include/uapi/linux/tcp.h. */
export const TCPI_OPT_TIMESTAMPS = 1;
export const TCPI_OPT_SACK = 2;
export const TCPI_OPT_WSCALE = 4;
/** ~0ULL: tcpi_pacing_rate / tcpi_max_pacing_rate of a socket without a rate (ss prints none). */
export const TCPI_RATE_UNLIMITED = Number.MAX_SAFE_INTEGER;

/**
 * tcp_sock fields the model does not keep yet (bytes_sent, bytes_retrans, the rate
 * sample of tcp_rate.c): read as 0 while absent, so ss prints nothing for them, as for a zero.
 */
interface NotYetKept {
  bytesSent?: number;
  bytesRetrans?: number;
  rateDelivered?: number;
  rateIntervalUs?: number;
  rateAppLimited?: boolean;
}

/** icsk_ca_ops->name, what INET_DIAG_CONG reports (tcp_congestion_control: cubic by default). */
export function tcpCaName(sk: TcpSock): string {
  return sk.caName;
}

/** tcp_compute_delivery_rate() (tcp.c, 4.9+): rate_delivered x mss per rate_interval_us, in bytes/s. */
function tcpComputeDeliveryRate(sk: TcpSock): number {
  const c = sk as unknown as NotYetKept;
  if (!c.rateDelivered || !c.rateIntervalUs) return 0;
  return Math.floor((c.rateDelivered * sk.mss * 1_000_000) / c.rateIntervalUs);
}

/**
 * tcp_get_info() (getsockopt(TCP_INFO), and INET_DIAG_INFO for ss -i): a snapshot of the socket;
 * times in µs (jiffies_to_usecs()), the last_* ages in ms (jiffies_to_msecs()).
 * 4.4 fills every field for a listener too (rto 1 s, mss 536...); 6.x reports a listener's
 * pacing rates, reordering and cwnd only, then its accept queue as unacked / sacked and returns
 * (the early return for listeners came after 4.4; as 6.1 ss shows it: a listener prints `cubic cwnd:10`).
 * bytes_sent/bytes_retrans and the delivery rate read 0 until the model keeps them.
 */
export function tcpGetInfo(k: Kernel, sk: TcpSock): TcpInfo {
  const usecs = (j: number) => Math.round((j * 1_000_000) / k.HZ);
  const msecs = (j: number) => Math.round((j * 1000) / k.HZ);
  const v44 = k.profile.name === 'linux-4.4';
  const c = sk as unknown as NotYetKept;
  const info = Object.fromEntries(TCP_INFO_FIELDS.map((f) => [f, 0])) as TcpInfo;
  const listen = sk.state === TCP_LISTEN;
  info.tcpi_state = sk.state;
  // sk_pacing_rate: ~0 until tcp_update_pacing_rate() first runs; 4.4 keeps it in a u32
  // (capped by sk_max_pacing_rate ~0U, which reads as "no rate": ss then prints none)
  const rate = sk.pacingRate;
  info.tcpi_pacing_rate = !Number.isFinite(rate) || (v44 && rate >= 0xffffffff) ? TCPI_RATE_UNLIMITED : rate;
  info.tcpi_max_pacing_rate = TCPI_RATE_UNLIMITED;
  info.tcpi_reordering = sk.reordering;
  info.tcpi_snd_cwnd = sk.sndCwnd;
  if (listen && !v44) {
    info.tcpi_unacked = sk.acceptQueue.length;
    info.tcpi_sacked = sk.maxAckBacklog;
    return info;
  }
  info.tcpi_ca_state = ['Open', 'Disorder', 'CWR', 'Recovery', 'Loss'].indexOf(sk.caState);
  info.tcpi_retransmits = sk.retransmits;
  info.tcpi_probes = sk.probesOut;
  info.tcpi_backoff = sk.backoff;
  info.tcpi_options = (sk.tstampOk ? TCPI_OPT_TIMESTAMPS : 0) | (sk.sackOk ? TCPI_OPT_SACK : 0) | (sk.wscaleOk ? TCPI_OPT_WSCALE : 0);
  info.tcpi_snd_wscale = sk.wscaleOk ? sk.sndWscale : 0;
  info.tcpi_rcv_wscale = sk.wscaleOk ? sk.rcvWscale : 0;
  info.tcpi_rto = usecs(sk.rto);
  info.tcpi_ato = usecs(sk.ato);
  info.tcpi_snd_mss = sk.mss;
  info.tcpi_rcv_mss = sk.rcvMss;
  info.tcpi_unacked = listen ? sk.acceptQueue.length : sk.packetsOut;
  info.tcpi_sacked = listen ? sk.maxAckBacklog : sk.sackedOut;
  info.tcpi_lost = sk.lostOut;
  info.tcpi_retrans = sk.retransOut;
  // jiffies_to_msecs() of a u32 age, an unsigned int: a listener's lsndtime 0 gives 4.4's
  // huge lastsnd (the jiffies since INITIAL_JIFFIES, times 4 at HZ 250, modulo 2^32)
  const now = jiffies(k);
  const age = (t: number) => u32(msecs(u32(now - t)));
  info.tcpi_last_data_sent = age(sk.lastDataSent);
  info.tcpi_last_data_recv = age(sk.lastDataRecv);
  info.tcpi_last_ack_recv = age(sk.lastAckRecv);
  // icsk_pmtu_cookie: set by tcp_sync_mss() once the socket has a route (not a listener)
  info.tcpi_pmtu = listen ? 0 : ipv4Mtu(ipRouteOutputKey(k, sk.daddr));
  info.tcpi_rcv_ssthresh = sk.rcvSsthresh;
  info.tcpi_rtt = sk.srttUs >> 3;
  info.tcpi_rttvar = sk.mdevUs >> 2;
  info.tcpi_snd_ssthresh = sk.sndSsthresh;
  info.tcpi_advmss = sk.advmss;
  // rcv_rtt_est.rtt_us >> 3 (6.x); jiffies_to_usecs(rcv_rtt_est.rtt) >> 3 (4.4)
  info.tcpi_rcv_rtt = v44 ? usecs(sk.rcvRttEst) >>> 3 : sk.rcvRttEst >>> 3;
  info.tcpi_rcv_space = sk.rcvSpace;
  info.tcpi_total_retrans = sk.totalRetrans;
  info.tcpi_bytes_acked = sk.bytesAcked;
  info.tcpi_bytes_received = sk.bytesReceived;
  info.tcpi_segs_out = sk.segsOut;
  info.tcpi_segs_in = sk.segsIn;
  if (v44) return info;
  info.tcpi_notsent_bytes = Math.max(0, (sk.writeSeq - sk.sndNxt) | 0);
  info.tcpi_min_rtt = sk.rttMin;
  info.tcpi_data_segs_in = sk.dataSegsIn;
  info.tcpi_data_segs_out = sk.dataSegsOut;
  info.tcpi_delivery_rate_app_limited = (c.rateAppLimited ?? sk.appLimited !== 0) ? 1 : 0;
  info.tcpi_delivery_rate = tcpComputeDeliveryRate(sk);
  // tcp_get_info_chrono_stats(): busy_time is the sum of the three chronographs, the running one included
  const chrono = tcpChronoStats(k, sk);
  info.tcpi_rwnd_limited = chrono.rwnd;
  info.tcpi_sndbuf_limited = chrono.sndbuf;
  info.tcpi_busy_time = chrono.busy + chrono.rwnd + chrono.sndbuf;
  info.tcpi_delivered = sk.delivered;
  info.tcpi_bytes_sent = c.bytesSent ?? 0;
  info.tcpi_bytes_retrans = c.bytesRetrans ?? 0;
  info.tcpi_snd_wnd = sk.sndWnd;
  info.tcpi_rcv_wnd = sk.rcvWnd;
  return info;
}

/** MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL (32767 s), MAX_TCP_KEEPCNT (127): include/net/tcp.h. */
export const MAX_TCP_KEEPIDLE = 32767;
export const MAX_TCP_KEEPINTVL = 32767;
export const MAX_TCP_KEEPCNT = 127;

/**
 * do_tcp_setsockopt() TCP_KEEPIDLE (tcp_sock_set_keepidle_locked()), TCP_KEEPINTVL and
 * TCP_KEEPCNT: seconds 1..32767 (stored in jiffies), a count 1..127, else -EINVAL. A new idle
 * time re-arms a running keepalive timer for what is left of it (keepalive_time_elapsed()).
 */
export function tcpSockSetKeepalive(k: Kernel, sk: TcpSock, opt: 'TCP_KEEPIDLE' | 'TCP_KEEPINTVL' | 'TCP_KEEPCNT', val: number): number {
  if (opt === 'TCP_KEEPCNT') {
    if (val < 1 || val > MAX_TCP_KEEPCNT) return -EINVAL;
    sk.keepaliveProbes = val;
    return 0;
  }
  if (val < 1 || val > (opt === 'TCP_KEEPIDLE' ? MAX_TCP_KEEPIDLE : MAX_TCP_KEEPINTVL)) return -EINVAL;
  if (opt === 'TCP_KEEPINTVL') {
    sk.keepaliveIntvl = val * k.HZ;
    return 0;
  }
  sk.keepaliveTime = val * k.HZ;
  if (sk.keepOpen && sk.state !== TCP_CLOSE && sk.state !== TCP_LISTEN) {
    const elapsed = keepaliveTimeElapsed(k, sk);
    inetCskResetKeepaliveTimer(k, sk, sk.keepaliveTime > elapsed ? sk.keepaliveTime - elapsed : 0);
  }
  return 0;
}

/**
 * tcp_ioctl(): SIOCINQ is tcp_inq(), the bytes between copied_seq and rcv_nxt less a received
 * FIN (0 in SYN-SENT and SYN-RECV); SIOCOUTQ the bytes not yet acked (write_seq - snd_una),
 * SIOCOUTQNSD those not yet sent (write_seq - snd_nxt); a listener has none (-EINVAL).
 */
export function tcpIoctl(sk: TcpSock, req: 'SIOCINQ' | 'SIOCOUTQ' | 'SIOCOUTQNSD'): number {
  if (sk.state === TCP_LISTEN) return -EINVAL;
  if (req === 'SIOCOUTQ') return (sk.writeSeq - sk.sndUna) | 0;
  if (req === 'SIOCOUTQNSD') return (sk.writeSeq - sk.sndNxt) | 0;
  if (sk.state === TCP_SYN_SENT || sk.state === TCP_SYN_RECV) return 0;
  let answ = (sk.rcvNxt - sk.copiedSeq) | 0;
  if (answ && sk.done) answ--;
  return answ;
}

/**
 * tcp_check_probe_timer() (include/net/tcp.h): nothing in flight and no timer pending: arm
 * the persist timer, ICSK_TIME_PROBE0, for tcp_probe0_base() = max(rto, TCP_RTO_MIN).
 */
export function tcpCheckProbeTimer(k: Kernel, sk: TcpSock): void {
  if (sk.sndNxt === sk.sndUna && sk.pending === 'none') inetCskResetXmitTimer(k, sk, tcpProbe0When(k, sk), 'probe0');
}

/** tcp_probe0_base() << icsk_backoff, at most TCP_RTO_MAX (tcp_probe0_when()). */
export function tcpProbe0When(k: Kernel, sk: TcpSock): number {
  const base = Math.max(sk.rto, k.HZ / 5);
  return Math.min(base * 2 ** sk.backoff, TCP_RTO_MAX_S * k.HZ);
}
