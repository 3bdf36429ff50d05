/**
 * net/ipv4/tcp_output.c, the congestion window's part of the send path (Linux 4.4 and 6.18):
 * tcp_cwnd_test(), TSO sizing (tcp_tso_autosize(), tcp_tso_segs()) and deferral
 * (tcp_tso_should_defer()), tcp_cwnd_validate() with tcp_cwnd_application_limited(), the
 * restart after idle (tcp_cwnd_restart()) and the chronographs (tcp_chrono_start/stop()) behind
 * tcpi_busy_time, tcpi_rwnd_limited and tcpi_sndbuf_limited. tcp_write_xmit() (tcp_output.ts)
 * calls them.
 */
import type { Kernel } from './kernel.ts';
import { before } from './seq.ts';
import type { TcpSock, WSkb } from './sock.ts';
import { tcpCaEvent, tcpCurrentSsthresh, tcpIsCwndLimited, tcpPacketsInFlight } from './tcp_cong.ts';
import { inetCskResetXmitTimer } from './inet_connection_sock.ts';
import { TCP_NAGLE_OFF } from './sock.ts';
import { tcpFragment, tcpRearmRto, tcpRetransmitSkb, tcpSndWndTest, tcpWndEnd, tcpWriteXmit } from './tcp_output.ts';
import { mibInc, traceTimer } from './trace.ts';
import { TCP_CLOSE } from './types.ts';
import { jiffies } from './time.ts';

/**
 * tcp_cwnd_test(): how many packets cwnd lets out now, at most half of cwnd (so that at least
 * two TSO packets are in flight), none when the flight fills it.
 */
export function tcpCwndTest(sk: TcpSock): number {
  const inFlight = tcpPacketsInFlight(sk);
  const cwnd = sk.sndCwnd;
  if (inFlight >= cwnd) return 0;
  return Math.min(Math.max(cwnd >> 1, 1), cwnd - inFlight);
}

/**
 * tcp_tso_autosize() and tcp_tso_segs(): segments per TSO packet, about 1 ms of the pacing
 * rate (sk_pacing_rate >> sk_pacing_shift 10), plus gso_max_size >> (min_rtt >> tcp_tso_rtt_log 9)
 * on a short path (6.x, 65466904b015), at most 64 KB, at least tcp_min_tso_segs. The pacing rate
 * is unlimited until tcp_update_pacing_rate() first runs.
 */
export function tcpTsoSegs(k: Kernel, sk: TcpSock, mss: number): number {
  const GSO_MAX_SIZE = 65536;
  let bytes = Math.floor(sk.pacingRate / 1024);
  if (k.profile.name !== 'linux-4.4' && sk.rttMin) {
    const r = Math.floor(sk.rttMin / 512);
    if (r < 32) bytes += Math.floor(GSO_MAX_SIZE / 2 ** r);
  }
  bytes = Math.min(bytes, GSO_MAX_SIZE);
  return Math.max(Math.floor(bytes / mss), k.sysctl['net.ipv4.tcp_min_tso_segs']);
}

/**
 * tcp_tso_should_defer(): hold a TSO packet back for more room, unless in Recovery or Loss,
 * the last transmit was over 1 ms ago, a full packet of max_segs fits, an skb in the middle of
 * the queue fits, a 1/tcp_tso_win_divisor of the window is free, or the next ACK is due in more
 * than min(srtt/2, 1 ms). Returns whether to defer and which limit made it.
 */
export function tcpTsoShouldDefer(k: Kernel, sk: TcpSock, skb: WSkb, maxSegs: number, isTail: boolean): { defer: boolean; cwnd: boolean; rwnd: boolean } {
  const now = { defer: false, cwnd: false, rwnd: false };
  if (sk.caState === 'Recovery' || sk.caState === 'Loss') return now;
  if (k.now - sk.wstampNs - 1_000_000 > 0) return now;
  const inFlight = tcpPacketsInFlight(sk);
  const sendWin = (tcpWndEnd(sk) - skb.seq) | 0;
  const congWin = (sk.sndCwnd - inFlight) * sk.mss;
  const limit = Math.min(sendWin, congWin);
  if (limit >= maxSegs * sk.mss) return now;
  if (!isTail && limit >= skb.data.length) return now;
  const divisor = k.sysctl['net.ipv4.tcp_tso_win_divisor'];
  if (divisor) {
    const chunk = Math.floor(Math.min(sk.sndWnd, sk.sndCwnd * sk.mss) / divisor);
    if (limit >= chunk) return now;
  } else if (limit > 3 * sk.mss) return now; // tcp_max_tso_deferred_mss()
  const head = sk.writeQueue[0];
  if (sk.sendHead === 0 || !head) return now;
  const srttNs = (sk.srttUs >> 3) * 1000;
  const howFar = head.sentAt + srttNs - k.now;
  if (howFar - Math.min(srttNs >> 1, 1_000_000) > 0) return now;
  const r = { defer: true, cwnd: false, rwnd: false };
  if (congWin < sendWin) r.cwnd = congWin <= skb.data.length;
  else r.rwnd = sendWin <= skb.data.length;
  if (skb.eor || skb.fin) return { ...r, defer: false };
  return r;
}

export const TCP_CHRONO_BUSY = 1;
export const TCP_CHRONO_RWND_LIMITED = 2;
export const TCP_CHRONO_SNDBUF_LIMITED = 3;

/**
 * tcp_chrono_set(): close the running chrono's interval into its counter (chrono_stat[], kept
 * here in us of whole jiffies, as tcp_get_info() reports them), start `type`.
 */
function tcpChronoSet(k: Kernel, sk: TcpSock, type: number): void {
  const now = jiffies(k);
  const us = Math.round(((now - sk.chronoStart) * 1_000_000) / k.HZ);
  if (sk.chronoType === TCP_CHRONO_BUSY) sk.busyTime += us;
  else if (sk.chronoType === TCP_CHRONO_RWND_LIMITED) sk.rwndLimited += us;
  else if (sk.chronoType === TCP_CHRONO_SNDBUF_LIMITED) sk.sndbufLimited += us;
  sk.chronoStart = now;
  sk.chronoType = type;
}

/**
 * tcp_get_info_chrono_stats(): the three chronographs in us with the running one's time so far
 * (tcpi_busy_time is the sum of the three).
 */
export function tcpChronoStats(k: Kernel, sk: TcpSock): { busy: number; rwnd: number; sndbuf: number } {
  const run = sk.chronoType ? Math.round(((jiffies(k) - sk.chronoStart) * 1_000_000) / k.HZ) : 0;
  const busy = sk.busyTime + (sk.chronoType === TCP_CHRONO_BUSY ? run : 0);
  const rwnd = sk.rwndLimited + (sk.chronoType === TCP_CHRONO_RWND_LIMITED ? run : 0);
  const sndbuf = sk.sndbufLimited + (sk.chronoType === TCP_CHRONO_SNDBUF_LIMITED ? run : 0);
  return { busy, rwnd, sndbuf };
}

/** tcp_chrono_start(): a higher-numbered chrono takes over from a lower one. */
export function tcpChronoStart(k: Kernel, sk: TcpSock, type: number): void {
  if (type > sk.chronoType) tcpChronoSet(k, sk, type);
}

/**
 * tcp_chrono_stop(): stop `type` (back to busy while data is unacked or queued, else idle). A
 * chrono not running stays as it is, as in the kernel ("type < tp->chrono_type" is a no-op).
 */
export function tcpChronoStop(k: Kernel, sk: TcpSock, type: number): void {
  if (!sk.chronoType) return;
  const idle = sk.sendHead >= sk.writeQueue.length && sk.packetsOut === 0;
  if (idle) tcpChronoSet(k, sk, 0);
  else if (type === sk.chronoType) tcpChronoSet(k, sk, TCP_CHRONO_BUSY);
}

/**
 * tcp_cwnd_validate() (RFC 2861 as 6.x does it): remember whether this window was
 * cwnd-limited and its largest flight (max_packets_out, until snd_una passes cwnd_usage_seq);
 * when not limited, tcp_cwnd_application_limited() after an idle RTO with
 * tcp_slow_start_after_idle.
 */
export function tcpCwndValidate(k: Kernel, sk: TcpSock, isCwndLimited: boolean): void {
  if (!before(sk.sndUna, sk.cwndUsageSeq) || isCwndLimited || (!sk.isCwndLimited && sk.packetsOut > sk.maxPacketsOut)) {
    sk.isCwndLimited = isCwndLimited;
    sk.maxPacketsOut = sk.packetsOut;
    sk.cwndUsageSeq = sk.sndNxt;
  }
  if (tcpIsCwndLimited(sk)) {
    sk.sndCwndUsed = 0;
    sk.sndCwndStamp = jiffies(k);
  } else {
    if (sk.packetsOut > sk.sndCwndUsed) sk.sndCwndUsed = sk.packetsOut;
    if (k.sysctl['net.ipv4.tcp_slow_start_after_idle'] && jiffies(k) - sk.sndCwndStamp >= sk.rto) tcpCwndApplicationLimited(k, sk);
  }
}

/**
 * tcp_cwnd_application_limited(): a sender that used less than cwnd for an RTO shrinks it to
 * what it used (ssthresh keeps 3/4 of the old one), in the Open state only.
 */
function tcpCwndApplicationLimited(k: Kernel, sk: TcpSock): void {
  if (sk.caState === 'Open') {
    const winUsed = Math.max(sk.sndCwndUsed, 2);
    if (winUsed < sk.sndCwnd) {
      sk.sndSsthresh = tcpCurrentSsthresh(sk);
      sk.sndCwnd = (sk.sndCwnd + winUsed) >> 1;
    }
    sk.sndCwndUsed = 0;
  }
  sk.sndCwndStamp = jiffies(k);
}

/**
 * tcp_cwnd_restart() via tcp_slow_start_after_idle_check() (from tcp_skb_entail()): with
 * tcp_slow_start_after_idle and nothing in flight, an idle time over the RTO halves cwnd once
 * per RTO elapsed, down to the initial window.
 */
export function tcpSlowStartAfterIdleCheck(k: Kernel, sk: TcpSock): void {
  if (!k.sysctl['net.ipv4.tcp_slow_start_after_idle'] || sk.packetsOut) return;
  let delta = jiffies(k) - sk.lastDataSent;
  if (delta <= sk.rto) return;
  tcpCaEvent(k, sk, 'cwnd-restart');
  const restartCwnd = Math.min(10, sk.sndCwnd);
  let cwnd = sk.sndCwnd;
  sk.sndSsthresh = tcpCurrentSsthresh(sk);
  while ((delta -= sk.rto) > 0 && cwnd > restartCwnd) cwnd >>= 1;
  sk.sndCwnd = Math.max(cwnd, restartCwnd);
  sk.sndCwndStamp = jiffies(k);
  sk.sndCwndUsed = 0;
}


/**
 * tcp_schedule_loss_probe(): with SACK, something in flight and the state Open or CWR, the
 * retransmit timer becomes a tail loss probe (ICSK_TIME_LOSS_PROBE) at 2 x srtt, plus
 * tcp_rto_min (200 ms) when one packet is out (a delayed ACK) or TCP_TIMEOUT_MIN (2 ms)
 * otherwise; TCP_TIMEOUT_INIT without an RTT sample; never after the RTO would fire
 * (tcp_rto_delta_us()). 4.4 (before bb4d991a28cc, 4.11): max(2 x srtt, 10 ms), with one packet
 * out at least 1.5 x srtt + TCP_DELACK_MAX. Returns whether it armed the probe.
 */
export function tcpScheduleLossProbe(k: Kernel, sk: TcpSock, advancingRto: boolean): boolean {
  if (!sk.packetsOut || !sk.sackOk || (sk.caState !== 'Open' && sk.caState !== 'CWR')) return false;
  let timeout: number;
  if (sk.srttUs) {
    let us: number;
    if (k.profile.name === 'linux-4.4') {
      us = sk.srttUs >> 2;
      if (sk.packetsOut === 1) us = Math.max(us, (sk.srttUs >> 3) + (sk.srttUs >> 4) + 200_000);
      us = Math.max(us, 10_000);
    } else us = (sk.srttUs >> 2) + (sk.packetsOut === 1 ? 200_000 : 2_000);
    timeout = Math.ceil((us * k.HZ) / 1_000_000);
  } else timeout = k.HZ; // TCP_TIMEOUT_INIT
  const rtoDeltaUs = advancingRto ? Math.round((sk.rto * 1_000_000) / k.HZ) : tcpRtoDeltaUs(k, sk);
  if (rtoDeltaUs > 0) timeout = Math.min(timeout, Math.ceil((rtoDeltaUs * k.HZ) / 1_000_000));
  inetCskResetXmitTimer(k, sk, timeout, 'tlp');
  return true;
}

/** tcp_rto_delta_us(): how far in the future the RTO of the oldest skb in flight is. */
function tcpRtoDeltaUs(k: Kernel, sk: TcpSock): number {
  const head = sk.writeQueue[0];
  if (!head || !sk.sendHead) return Math.round((sk.rto * 1_000_000) / k.HZ);
  return Math.round((sk.rto * 1_000_000) / k.HZ - (k.now - head.sentAt) / 1000);
}

/**
 * tcp_send_loss_probe(): the probe timer fired: new data if the window allows it (one packet,
 * tcp_write_xmit() push_one 2), else the last skb sent once more (its last segment,
 * __tcp_retransmit_skb(): no SACKED_RETRANS, no retrans_out); tlp_high_seq = snd_nxt marks it
 * (at most one probe out); then the RTO from now.
 */
export function tcpSendLossProbe(k: Kernel, sk: TcpSock): void {
  sk.retransTimer = null;
  sk.pending = 'none';
  traceTimer(k, sk.id, 'retrans', 'fired', undefined, undefined, sk.retransmits);
  if (sk.freed || sk.state === TCP_CLOSE || !sk.packetsOut) return;
  if (!sk.tlpHighSeq) {
    const head = sk.writeQueue[sk.sendHead];
    let sent = false;
    if (head && tcpSndWndTest(sk, head, sk.mss)) {
      const prior = sk.packetsOut;
      tcpWriteXmit(k, sk, TCP_NAGLE_OFF, 2);
      sent = sk.packetsOut > prior;
    } else {
      let i = sk.sendHead - 1;
      const last = sk.writeQueue[i];
      const pcount = last.pcount ?? 1;
      if (pcount > 1 && last.data.length > (pcount - 1) * sk.mss) {
        tcpFragment(k, sk, i, (pcount - 1) * sk.mss);
        i++;
      }
      tcpRetransmitSkb(k, sk, i, 1, false);
      sent = true;
    }
    if (sent) {
      sk.tlpHighSeq = sk.sndNxt;
      mibInc(k, 'TCPLossProbes');
    }
  }
  tcpRearmRto(k, sk);
}
