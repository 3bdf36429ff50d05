/**
 * net/ipv4/tcp.c and the helpers of include/net/tcp.h (Linux 4.4 and 6.18): state changes,
 * close(), shutdown(), the send path's entry, the end of a connection (tcp_done) and the
 * constants and clocks of tcp.h.
 *
 * Deliberate differences: tcp_sendmsg() sends one segment per write (no Nagle, no segment
 * size or window check: the experiments write a few bytes); no lingering close, no
 * SO_LINGER; a child's port is not SOCK_BINDPORT_LOCK'ed apart from its listener's.
 */
import type { Kernel } from './kernel.ts';
import { ehashRemove, inetPutPort, listenUnhash } from './inet_hashtables.ts';
import { inetCskClearXmitTimer, inetCskDeleteKeepaliveTimer, inetCskDestroySock, inetCskListenStop, inetCskResetKeepaliveTimer, inetCskResetXmitTimer } from './inet_connection_sock.ts';
import { u32 } from './seq.ts';
import { SEND_SHUTDOWN, SHUTDOWN_MASK, sockDefWakeup, type TcpSock } from './sock.ts';
import { tcpTimeWait } from './tcp_minisocks.ts';
import { tcpSendActiveReset, tcpSendFin, tcpTransmitSkb } from './tcp_output.ts';
import { EINVAL } from './errno.ts';
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
  inetCskClearXmitTimer(k, sk, 'retrans');
  inetCskClearXmitTimer(k, sk, 'delack');
  inetCskDeleteKeepaliveTimer(k, sk);
  sk.skShutdown = SHUTDOWN_MASK;
  traceQueues(k, sk);
  if (!sk.dead) sockDefWakeup(sk);
  else inetCskDestroySock(k, sk);
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

/** tcp_sendmsg() core for the simple case: one segment, PSH|ACK. */
export function tcpSendmsg(k: Kernel, sk: TcpSock, data: Uint8Array): void {
  const seq = sk.writeSeq;
  sk.writeSeq = (sk.writeSeq + data.length) | 0;
  sk.sndNxt = sk.writeSeq;
  tcpTransmitSkb(k, sk, TH_PSH | TH_ACK, seq, data);
  traceQueues(k, sk);
  if (sk.pending !== 'retrans') inetCskResetXmitTimer(k, sk, sk.rto || k.HZ / 5);
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
 * FIN (0 in SYN-SENT and SYN-RECV); a listener has none (-EINVAL).
 */
export function tcpIoctl(sk: TcpSock, req: 'SIOCINQ'): number {
  if (req !== 'SIOCINQ' || sk.state === TCP_LISTEN) return -EINVAL;
  if (sk.state === TCP_SYN_SENT || sk.state === TCP_SYN_RECV) return 0;
  let answ = (sk.rcvNxt - sk.copiedSeq) | 0;
  if (answ && sk.done) answ--;
  return answ;
}
