/**
 * net/ipv4/tcp.c and the helpers of include/net/tcp.h (Linux 4.4 and 6.18): state changes,
 * close(), shutdown(), the send path's entry, the end of a connection (tcp_done) and the
 * constants and clocks of tcp.h.
 *
 * Deliberate differences: SO_LINGER with a time (l_linger > 0) does not make close() wait (only
 * a zero time, the abort, is modelled); no MSG_PEEK; a child's port is not SOCK_BINDPORT_LOCK'ed apart from its listener's.
 */
import type { Kernel } from './kernel.ts';
import { ehashRemove, inetPutPort, listenUnhash } from './inet_hashtables.ts';
import { inetCskClearXmitTimer, inetCskDeleteKeepaliveTimer, inetCskDestroySock, inetCskListenStop, inetCskResetKeepaliveTimer, inetCskResetXmitTimer } from './inet_connection_sock.ts';
import { u32 } from './seq.ts';
import { RCV_SHUTDOWN, SEND_SHUTDOWN, SHUTDOWN_MASK, sockDefWakeup, TCP_NAGLE_CORK, TCP_NAGLE_PUSH, type TcpSock } from './sock.ts';
import { tcpTimeWait } from './tcp_minisocks.ts';
import { __tcpSelectWindow, tcpForcedPush, tcpMarkPush, tcpPushPendingFrames, tcpQueueData, tcpReceiveWindow, tcpSendAck, tcpSendActiveReset, tcpSendFin } from './tcp_output.ts';
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
export function tcpWinFromSpace(k: Kernel, space: number): number {
  if (k.profile.behaviour.initialWindow === '4.4') return space - (space >> 1);
  return Math.floor((space * 128) / 256);
}

/** tcp_full_space() (include/net/tcp.h): the window the whole receive buffer allows. */
export function tcpFullSpace(k: Kernel, sk: { rcvbuf: number }): number {
  return tcpWinFromSpace(k, sk.rcvbuf);
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

/** tcp_close(): the last reference to the socket's file went away. */
export function tcpClose(k: Kernel, sk: TcpSock): void {
  sk.skShutdown = SHUTDOWN_MASK;
  if (sk.state === TCP_LISTEN) {
    tcpSetState(k, sk, TCP_CLOSE);
    inetCskListenStop(k, sk);
    sk.dead = true;
    inetCskDestroySock(k, sk);
    return;
  }
  let unread = 0;
  for (const b of sk.rcvQueue) unread += b.length;
  sk.rcvQueue = [];
  sk.dead = true; // sock_orphan()
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
export function tcpSendmsg(k: Kernel, sk: TcpSock, data: Uint8Array, off = 0, more = false): number {
  const copied = tcpQueueData(sk, data, off);
  // tcp_push(): the tail skb gets PSH (tcp_mark_push()) unless MSG_MORE, or when forced_push()
  const q = sk.writeQueue;
  if (copied && q.length > sk.sendHead && (!more || tcpForcedPush(sk))) tcpMarkPush(sk, q[q.length - 1]);
  if (copied) tcpPushPendingFrames(k, sk, more ? sk.nonagle | TCP_NAGLE_CORK : sk.nonagle);
  else if (off < data.length) tcpPushPendingFrames(k, sk, TCP_NAGLE_PUSH); // before waiting for memory
  return copied;
}

/**
 * tcp_recvmsg_locked(): copy up to `count` queued bytes (every one without it) from the
 * receive queue, advancing copied_seq, then tcp_cleanup_rbuf(). The FIN stays queued.
 */
export function tcpRecvmsg(k: Kernel, sk: TcpSock, count = Infinity): Uint8Array {
  const q = sk.rcvQueue;
  let n = 0;
  let i = 0;
  for (; i < q.length && n < count; i++) n += q[i].length;
  let out: Uint8Array;
  if (i === 1 && n <= count) out = q[0];
  else {
    out = new Uint8Array(Math.min(n, count));
    let o = 0;
    for (let j = 0; j < i; j++) {
      const p = q[j];
      const take = Math.min(p.length, out.length - o);
      out.set(take === p.length ? p : p.subarray(0, take), o);
      o += take;
    }
  }
  if (n > count) {
    // the last skb was read in part: what is left of it stays at the head
    const last = q[i - 1];
    q[i - 1] = last.subarray(last.length - (n - count));
    i--;
  }
  if (i === q.length) sk.rcvQueue = [];
  else q.splice(0, i);
  sk.copiedSeq = (sk.copiedSeq + out.length) | 0;
  if (out.length) tcpCleanupRbuf(k, sk, out.length);
  traceQueues(k, sk);
  return out;
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

/** The tcp_info fields the model keeps (tcp_get_info() has more: they need what the model lacks). */
export const TCP_INFO_FIELDS = [
  'tcpi_state', 'tcpi_retransmits', 'tcpi_probes', 'tcpi_backoff', 'tcpi_options', 'tcpi_snd_wscale', 'tcpi_rcv_wscale',
  'tcpi_rto', 'tcpi_ato', 'tcpi_snd_mss', 'tcpi_advmss', 'tcpi_pmtu', 'tcpi_snd_wnd', 'tcpi_rcv_wnd', 'tcpi_bytes_acked', 'tcpi_notsent_bytes',
] as const;
export type TcpInfo = Record<(typeof TCP_INFO_FIELDS)[number], number>;

/** TCPI_OPT_* of include/uapi/linux/tcp.h. */
export const TCPI_OPT_TIMESTAMPS = 1;
export const TCPI_OPT_SACK = 2;
export const TCPI_OPT_WSCALE = 4;

/**
 * tcp_get_info() (getsockopt(TCP_INFO)): a snapshot of the socket, for the fields in
 * TCP_INFO_FIELDS; times in µs (jiffies_to_usecs()). No congestion state, RTT, SACK or
 * segment counters: the model does not keep them.
 */
export function tcpGetInfo(k: Kernel, sk: TcpSock): TcpInfo {
  const usecs = (j: number) => Math.round((j * 1_000_000) / k.HZ);
  return {
    tcpi_state: sk.state,
    tcpi_retransmits: sk.retransmits,
    tcpi_probes: sk.probesOut,
    tcpi_backoff: sk.backoff,
    tcpi_options: (sk.tstampOk ? TCPI_OPT_TIMESTAMPS : 0) | (sk.sackOk ? TCPI_OPT_SACK : 0) | (sk.wscaleOk ? TCPI_OPT_WSCALE : 0),
    tcpi_snd_wscale: sk.wscaleOk ? sk.sndWscale : 0,
    tcpi_rcv_wscale: sk.wscaleOk ? sk.rcvWscale : 0,
    tcpi_rto: usecs(sk.rto),
    tcpi_ato: usecs(sk.ato),
    tcpi_snd_mss: sk.mss,
    tcpi_advmss: sk.advmss,
    tcpi_pmtu: ipv4Mtu(ipRouteOutputKey(k, sk.daddr)),
    tcpi_snd_wnd: sk.sndWnd,
    tcpi_rcv_wnd: sk.rcvWnd,
    tcpi_bytes_acked: sk.bytesAcked,
    tcpi_notsent_bytes: Math.max(0, (sk.writeSeq - sk.sndNxt) | 0),
  };
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
