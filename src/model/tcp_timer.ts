/**
 * net/ipv4/tcp_timer.c (Linux 4.4 and 6.18): the retransmit timer and its give-up rule
 * (tcp_write_timeout), the delayed-ACK timer and the keepalive timer (an orphaned FIN-WAIT-2
 * socket, and SO_KEEPALIVE's probes: tcp_set_keepalive(), tcp_keepalive_timer()).
 *
 * The RTO enters the Loss state (tcp_enter_loss()) and resends the head; the same timer slot
 * runs the tail loss probe (tcp_send_loss_probe()) and RACK's reordering timeout.
 *
 * Deliberate differences: no F-RTO; tcp_retries2 is the host's sysctl, tcp_orphan_retries
 * its default (0, meaning 8), not a sysctl; tcp_retries1's black-hole detection (tcp_mtu_probing(),
 * __dst_negative_advice()) is not modelled; an orphan gives up on them alone (no tcp_out_of_resources()). Times are compared in jiffies on both profiles (6.x compares ms of
 * tcp_time_stamp_ts, the same to within a jiffy).
 */
import { ETIMEDOUT } from './errno.ts';
import { inetCskDeleteKeepaliveTimer, inetCskResetKeepaliveTimer, inetCskResetXmitTimer } from './inet_connection_sock.ts';
import type { Kernel } from './kernel.ts';
import type { TcpSock } from './sock.ts';
import { tcpDone, tcpFinTime, TCP_RTO_MAX_S, TCP_TIMEWAIT_LEN_S } from './tcp.ts';
import { tcpTimeWait } from './tcp_minisocks.ts';
import { tcpEnterLoss } from './tcp_input-ack.ts';
import { tcpRackReoTimeout } from './tcp_recovery.ts';
import { tcpSendLossProbe } from './tcp_output-cwnd.ts';
import { tcpRetransmitSkb, tcpSendAck, tcpSendActiveReset, tcpSendProbe0, tcpSendSyn, tcpXmitProbeSkb } from './tcp_output.ts';
import { u32 } from './seq.ts';
import { jiffies, msecsToJiffies } from './time.ts';
import { mibInc, traceTimer } from './trace.ts';
import { TCP_CLOSE, TCP_CLOSING, TCP_FIN_WAIT1, TCP_FIN_WAIT2, TCP_LAST_ACK, TCP_LISTEN, TCP_SYN_SENT } from './types.ts';

/**
 * tcp_write_timer_handler(): the socket's embedded timer runs it as fn(k, sk); icsk_pending
 * says whether it is the retransmit timer (tcp_retransmit_timer()) or the persist timer
 * (tcp_probe_timer()).
 */
export function tcpRetransmitTimer(k: Kernel, sk: TcpSock): void {
  if (sk.pending === 'probe0') return tcpProbeTimer(k, sk);
  if (sk.pending === 'reo') return tcpRackReoTimeout(k, sk); // ICSK_TIME_REO_TIMEOUT
  if (sk.pending === 'tlp') return tcpSendLossProbe(k, sk); // ICSK_TIME_LOSS_PROBE
  sk.retransTimer = null;
  sk.pending = 'none';
  traceTimer(k, sk.id, 'retrans', 'fired', undefined, undefined, sk.retransmits);
  if (sk.freed || sk.state === TCP_CLOSE) return;
  if (sk.sndUna === sk.sndNxt) return; // nothing outstanding
  // retrans_stamp: when the segment now retransmitted first went out (the SYN's is set at connect)
  if (sk.retransmits === 0 && sk.state !== TCP_SYN_SENT) sk.retransStamp = jiffies(k) - sk.rto;
  if (tcpWriteTimeout(k, sk)) return;
  const linear = sk.state === TCP_SYN_SENT ? k.sysctl['net.ipv4.tcp_syn_linear_timeouts'] : 0;
  // retransmit the head of the write queue: the SYN, or the oldest data or FIN
  if (sk.state === TCP_SYN_SENT) tcpSendSyn(k, sk);
  else {
    tcpEnterLoss(k, sk);
    tcpRetransmitSkb(k, sk);
  }
  // mibInc('TCPTimeouts') with a literal key (a named property access on the hot path)
  const mib = k.mib;
  mib['TCPTimeouts'] = (mib['TCPTimeouts'] ?? 0) + 1;
  if (k.sim.traceDetail) k.sim.emit({ type: 'mib', t: k.now, counter: 'TCPTimeouts', delta: 1 });
  sk.retransmits++;
  sk.totalRto++;
  sk.backoff++;
  // ccce324dabfe (6.5): while total_rto <= tcp_syn_linear_timeouts the RTO is not doubled.
  if (!(sk.state === TCP_SYN_SENT && sk.totalRto <= linear)) sk.rto = Math.min(sk.rto * 2, TCP_RTO_MAX_S * k.HZ);
  inetCskResetXmitTimer(k, sk, tcpClampRtoToUserTimeout(k, sk));
}

/**
 * tcp_model_timeout(): how long `boundary` retransmissions take when the RTO starts at
 * rto_base and doubles up to TCP_RTO_MAX, in jiffies: ((2 << b) - 1) * rto_base up to the
 * linear-backoff threshold ilog2(TCP_RTO_MAX / rto_base), TCP_RTO_MAX for each one after.
 */
export function tcpModelTimeout(k: Kernel, boundary: number, rtoBase: number): number {
  const rtoMax = TCP_RTO_MAX_S * k.HZ;
  const thresh = Math.floor(Math.log2(rtoMax / rtoBase));
  // `unsigned int boundary` and unsigned arithmetic: 4.4's tcp_retries2 is a plain int
  // (proc_dointvec), so -1 is a boundary of 2^32 - 1 and the sum wraps (6.x's u8 cannot)
  const b = boundary >>> 0;
  if (b <= thresh) return ((2 << b) - 1) * rtoBase;
  return (((2 << thresh) - 1) * rtoBase + (b - thresh) * rtoMax) % 2 ** 32;
}

/**
 * retransmits_timed_out(): the time since retrans_stamp has reached tcp_model_timeout() of
 * `boundary` retransmissions (rto_base TCP_TIMEOUT_INIT for a SYN, TCP_RTO_MIN otherwise):
 * the give-up is by time, not by counting retransmissions.
 */
function retransmitsTimedOut(k: Kernel, sk: TcpSock, boundary: number, timeoutMs = 0): boolean {
  if (!sk.retransmits) return false;
  const rtoBase = sk.state === TCP_SYN_SENT ? k.HZ : k.HZ / 5;
  const timeout = timeoutMs ? msecsToJiffies(k, timeoutMs) : tcpModelTimeout(k, boundary, rtoBase);
  return jiffies(k) - sk.retransStamp >= timeout;
}

/**
 * tcp_clamp_rto_to_user_timeout() (b701a99e431d, 4.19): with TCP_USER_TIMEOUT set, the next RTO
 * is at most what is left of it since retrans_stamp (1 jiffy once it has passed); 4.4 has no
 * clamp, so its last retransmission may come after the user timeout.
 */
export function tcpClampRtoToUserTimeout(k: Kernel, sk: TcpSock): number {
  if (!sk.userTimeout || k.profile.name === 'linux-4.4') return sk.rto;
  const remaining = sk.userTimeout - Math.round(((jiffies(k) - sk.retransStamp) * 1000) / k.HZ);
  if (remaining <= 0) return 1;
  return Math.min(sk.rto, msecsToJiffies(k, remaining));
}

/**
 * tcp_write_timeout(): has the retransmission gone too far? SYN-SENT: tcp_syn_retries by time
 * (4.4), or by count with the linear timeouts added (icsk_retransmits >= syn_retries +
 * tcp_syn_linear_timeouts) or by time, whichever first (6.x: with tcp_syn_retries=2 the time,
 * 7 s, comes first: 5 retransmissions, not 6). Other states: the host's net.ipv4.tcp_retries2
 * (default 15: 924.6 s from TCP_RTO_MIN), an orphan tcp_orphan_retries (0 means 8), by time on both.
 */
function tcpWriteTimeout(k: Kernel, sk: TcpSock): boolean {
  let expired: boolean;
  if (sk.state === TCP_SYN_SENT) {
    const retries = k.sysctl['net.ipv4.tcp_syn_retries'];
    const byCount = k.profile.behaviour.synWriteTimeout === 'count-or-time' && sk.retransmits >= retries + k.sysctl['net.ipv4.tcp_syn_linear_timeouts'];
    expired = byCount || retransmitsTimedOut(k, sk, retries);
  } else expired = retransmitsTimedOut(k, sk, sk.dead ? 8 : k.sysctl['net.ipv4.tcp_retries2'], sk.userTimeout); // TCP_USER_TIMEOUT replaces the model timeout
  if (!expired) return false;
  // tcp_write_err(): sk_err = sk_err_soft ?: ETIMEDOUT; tcp_done()
  sk.skErr = ETIMEDOUT;
  tcpDone(k, sk);
  return true;
}

/**
 * tcp_probe_timer(): the persist timer. Nothing waiting or something in flight: nothing to do.
 * Else a zero-window probe (tcp_send_probe0()), unless icsk_probes_out reached tcp_retries2
 * (the sysctl, max_probes; an orphan tcp_orphan_retries): then tcp_write_err().
 */
export function tcpProbeTimer(k: Kernel, sk: TcpSock): void {
  sk.retransTimer = null;
  sk.pending = 'none';
  traceTimer(k, sk.id, 'probe', 'fired', undefined, undefined, sk.probesOut);
  if (sk.freed || sk.state === TCP_CLOSE) return;
  if (sk.sndNxt !== sk.sndUna || sk.sendHead >= sk.writeQueue.length) {
    sk.probesOut = 0;
    sk.backoff = 0;
    return;
  }
  const maxProbes = sk.dead ? 8 : k.sysctl['net.ipv4.tcp_retries2'];
  if (sk.probesOut >= maxProbes) {
    sk.skErr = ETIMEDOUT;
    tcpDone(k, sk);
    return;
  }
  tcpSendProbe0(k, sk);
}

/** tcp_delack_timer(): send the ACK still pending. */
export function tcpDelackTimer(k: Kernel, sk: TcpSock): void {
  sk.delackTimer = null;
  traceTimer(k, sk.id, 'delack', 'fired');
  if (sk.ackPending && sk.state !== TCP_CLOSE && !sk.freed) tcpSendAck(k, sk);
}

/** keepalive_time_when(), keepalive_intvl_when(), keepalive_probes() (include/net/tcp.h): the socket's TCP_KEEP* value or the sysctl, in jiffies. */
export function keepaliveTimeWhen(k: Kernel, sk: TcpSock): number {
  return sk.keepaliveTime || k.sysctl['net.ipv4.tcp_keepalive_time'] * k.HZ;
}
export function keepaliveIntvlWhen(k: Kernel, sk: TcpSock): number {
  return sk.keepaliveIntvl || k.sysctl['net.ipv4.tcp_keepalive_intvl'] * k.HZ;
}
export function keepaliveProbes(k: Kernel, sk: TcpSock): number {
  return sk.keepaliveProbes || k.sysctl['net.ipv4.tcp_keepalive_probes'];
}

/**
 * keepalive_time_elapsed() (include/net/tcp.h): jiffies since the peer was last heard from,
 * the later of the last data received (icsk_ack.lrcvtime) and the last ACK (rcv_tstamp).
 */
export function keepaliveTimeElapsed(k: Kernel, sk: TcpSock): number {
  const now = jiffies(k);
  return Math.min(u32(now - sk.lastDataRecv), u32(now - sk.lastAckRecv));
}

/**
 * tcp_set_keepalive() (tcp_timer.c in 4.4, tcp.c in 6.x), SO_KEEPALIVE's hook: on a socket past
 * the handshake, arm the keepalive timer for keepalive_time_when() when keepalive goes on, stop
 * it when it goes off. A socket that connects later gets it in tcp_finish_connect().
 */
export function tcpSetKeepalive(k: Kernel, sk: TcpSock, val: boolean): void {
  if (sk.state === TCP_CLOSE || sk.state === TCP_LISTEN) return;
  if (val && !sk.keepOpen) inetCskResetKeepaliveTimer(k, sk, keepaliveTimeWhen(k, sk));
  else if (!val) inetCskDeleteKeepaliveTimer(k, sk);
}

/**
 * tcp_keepalive_timer(): sk_timer, shared by an orphaned FIN_WAIT2 (on to the timewait socket,
 * or die) and SO_KEEPALIVE. Data in flight or queued: nothing to probe, look again after
 * keepalive_time_when(). Else, once the peer has been quiet that long: a probe
 * (tcp_write_wakeup() -> tcp_xmit_probe_skb(): a bare ACK at snd_una - 1, TCPKeepAlive) every
 * keepalive_intvl_when(), counted in icsk_probes_out (an ACK from the peer clears it, tcp_ack());
 * with keepalive_probes() unanswered (or TCP_USER_TIMEOUT elapsed, with one probe out) a RST and
 * tcp_write_err(): ETIMEDOUT. Before that point, sleep until it.
 */
export function tcpKeepaliveTimer(k: Kernel, sk: TcpSock): void {
  sk.keepaliveTimer = null;
  traceTimer(k, sk.id, 'keepalive', 'fired', undefined, undefined, sk.probesOut);
  if (sk.freed || sk.state === TCP_LISTEN) return;
  if (sk.state === TCP_FIN_WAIT2 && sk.dead) {
    const tmo = tcpFinTime(k, sk) - TCP_TIMEWAIT_LEN_S * k.HZ;
    if (tmo > 0) tcpTimeWait(k, sk, TCP_FIN_WAIT2, tmo);
    else tcpDone(k, sk);
    return;
  }
  if (!sk.keepOpen || sk.state === TCP_CLOSE || sk.state === TCP_SYN_SENT) return;
  let elapsed = keepaliveTimeWhen(k, sk);
  // "It is alive without keepalive 8)": data in flight or waiting to be sent
  if (sk.sndNxt !== sk.sndUna || sk.writeQueue.length > 0) return inetCskResetKeepaliveTimer(k, sk, elapsed);
  elapsed = keepaliveTimeElapsed(k, sk);
  if (elapsed >= keepaliveTimeWhen(k, sk)) {
    const userTimeout = sk.userTimeout;
    if ((userTimeout !== 0 && elapsed >= msecsToJiffies(k, userTimeout) && sk.probesOut > 0) || (userTimeout === 0 && sk.probesOut >= keepaliveProbes(k, sk))) {
      tcpSendActiveReset(k, sk);
      // tcp_write_err(): sk_err = sk_err_soft ?: ETIMEDOUT, then tcp_done()
      sk.skErr = ETIMEDOUT;
      mibInc(k, 'TCPAbortOnTimeout');
      tcpDone(k, sk);
      return;
    }
    tcpXmitProbeSkb(k, sk, 'TCPKeepAlive');
    sk.probesOut++;
    elapsed = keepaliveIntvlWhen(k, sk);
  } else {
    // it is rcv_tstamp (or lrcvtime) + keepalive_time_when()
    elapsed = keepaliveTimeWhen(k, sk) - elapsed;
  }
  inetCskResetKeepaliveTimer(k, sk, elapsed);
}
