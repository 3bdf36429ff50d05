/**
 * net/ipv4/tcp_input.c, the sender's half (Linux 4.4 and 6.18): tcp_ack() and what it calls for
 * the data this socket sent — the peer's window, snd_una, the write queue's acked skbs
 * (tcp_clean_rtx_queue()), the RTT estimator and RTO (tcp_ack_update_rtt(), tcp_rtt_estimator(),
 * tcp_set_rto()) and the persist timer (tcp_ack_probe()). The receive side (state machine, data
 * queue, window) stays in tcp_input.ts.
 */
import type { Kernel } from './kernel.ts';
import { inetCskClearXmitTimer, inetCskResetXmitTimer } from './inet_connection_sock.ts';
import { after, before, u32 } from './seq.ts';
import { sockDefWakeup, type TcpSock } from './sock.ts';
import { tcpProbe0When, tcpTimeStamp, TCP_RTO_MAX_S } from './tcp.ts';
import { parseOptions } from './tcp_input.ts';
import { tcpCongAvoid, tcpSetCaState } from './tcp_cong.ts';
import { cubictcpAcked } from './tcp_cubic.ts';
import { tcpPushPendingFrames, tcpRearmRto, tcpWndEnd } from './tcp_output.ts';
import { tcpChronoStop, TCP_CHRONO_BUSY } from './tcp_output-cwnd.ts';
import { jiffies } from './time.ts';
import { traceQueues } from './trace.ts';
import { TH_FIN, type Segment } from './types.ts';

/**
 * tcp_ack_update_rtt() with the RTT taken from the timestamp the segment echoes (TSecr), as
 * for the handshake's last segment: on lo a few microseconds, so rto = TCP_RTO_MIN + srtt
 * rounds up to 51 jiffies (204 ms at HZ=250, what ss -i shows for a new connection).
 */
export function tcpAckUpdateRttFromTs(k: Kernel, sk: TcpSock, skb?: Segment): void {
  if (!skb || !sk.tstampOk) return;
  const ts = parseOptions(skb.options).ts;
  if (!ts || !ts.ecr) return;
  const ticks = (tcpTimeStamp(k, sk.tsOffset) - ts.ecr) | 0;
  if (ticks < 0) return;
  const perTickUs = k.profile.behaviour.tsClock === 'jiffies' ? 1_000_000 / k.HZ : 1000;
  tcpRttEstimator(k, sk, Math.max(1, ticks * perTickUs));
  tcpSetRto(k, sk);
}

/**
 * tcp_ack() for what the model keeps: the peer's window (tcp_ack_update_window(), max_window),
 * snd_una and bytes_acked, the acked skbs out of the write queue (tcp_clean_rtx_queue(), with an
 * RTT sample from a segment sent once, Karn's rule), a duplicate ACK counted for a peer without
 * SACK (tcp_fastretrans_alert()), the congestion window (tcp_cong_control()) and pacing rate,
 * the retransmit timer re-armed or stopped, the persist timer (tcp_ack_probe()), then what cwnd
 * and the window now let out (tcp_data_snd_check()) and a wake-up for a writer waiting for
 * memory (tcp_check_space()).
 */
export function tcpAck(k: Kernel, sk: TcpSock, skb: Segment): void {
  const priorSndUna = sk.sndUna;
  const priorDelivered = sk.delivered;
  const nwin = skb.window << sk.sndWscale;
  const winUpdate = nwin !== sk.sndWnd;
  sk.sndWnd = nwin;
  if (sk.sndWnd > sk.maxWindow) sk.maxWindow = sk.sndWnd;
  sk.lastAckRecv = jiffies(k);
  // "We passed data and got it acked... Something worked": any ACK not older than snd_una clears
  // icsk_probes_out (a keepalive probe's answer, a zero-window probe's)
  if (!before(skb.ack, sk.sndUna)) sk.probesOut = 0;
  if (!after(skb.ack, sk.sndUna)) {
    // tcp_ack_is_dubious(): an ACK with no data, no new window and snd_una unchanged is a dupack
    const dupack = !winUpdate && !skb.payload.length && !(skb.flags & TH_FIN) && sk.packetsOut > 0;
    if (dupack || sk.caState !== 'Open') tcpFastretransAlert(k, sk, dupack ? 1 : 0, false);
    if (sk.pending === 'probe0') tcpAckProbe(k, sk);
    if (sk.sendHead < sk.writeQueue.length) tcpPushPendingFrames(k, sk, sk.nonagle);
    return;
  }
  // tcp_snd_una_update(): bytes_acked counts what this ACK newly covers
  sk.bytesAcked += u32(skb.ack - sk.sndUna);
  sk.sndUna = skb.ack | 0;
  const acked = tcpCleanRtxQueue(k, sk);
  if (!sk.sackOk) tcpRemoveRenoSacks(sk, acked);
  if (sk.caState !== 'Open') tcpFastretransAlert(k, sk, 0, true);
  tcpCongControl(k, sk, sk.delivered - priorDelivered, priorSndUna);
  sk.retransmits = 0;
  sk.backoff = 0;
  sk.probesOut = 0;
  sk.retransStamp = 0;
  tcpRearmRto(k, sk);
  if (sk.sendHead < sk.writeQueue.length) {
    if (sk.pending === 'probe0') tcpAckProbe(k, sk);
    tcpPushPendingFrames(k, sk, sk.nonagle);
  } else {
    if (!sk.packetsOut) tcpChronoStop(k, sk, TCP_CHRONO_BUSY);
    traceQueues(k, sk);
  }
  // sk_stream_write_space(): a writer wakes once a third of the buffer is free (sk_stream_is_writeable())
  if (!sk.dead && sk.waiters.size && sk.sndbuf - sk.wmemQueued >= sk.wmemQueued >> 1) sockDefWakeup(sk);
}

/**
 * tcp_cong_control(): in CWR or Recovery the window follows PRR (tcp_cwnd_reduction()), else
 * it grows by the packets delivered when tcp_may_raise_cwnd() (data acked in order); then
 * tcp_update_pacing_rate().
 */
function tcpCongControl(k: Kernel, sk: TcpSock, ackedSacked: number, _priorSndUna: number): void {
  if (sk.caState === 'CWR' || sk.caState === 'Recovery') tcpCwndReduction(sk, ackedSacked);
  else if (ackedSacked > 0) tcpCongAvoid(k, sk, ackedSacked);
  tcpUpdatePacingRate(k, sk);
}

/**
 * tcp_update_pacing_rate(): 200 % of cwnd x mss / srtt in slow start (tcp_pacing_ss_ratio),
 * 120 % after (tcp_pacing_ca_ratio); what tcp_tso_autosize() sizes TSO packets from.
 */
export function tcpUpdatePacingRate(_k: Kernel, sk: TcpSock): void {
  let rate = sk.mss * ((1_000_000 / 100) * 8);
  rate *= sk.sndCwnd < sk.sndSsthresh / 2 ? 200 : 120;
  rate *= Math.max(sk.sndCwnd, sk.packetsOut);
  if (sk.srttUs) rate = Math.floor(rate / sk.srttUs);
  sk.pacingRate = rate;
}

/**
 * tcp_fastretrans_alert() for a peer without SACK (Reno): each duplicate ACK counts one packet
 * as delivered out of order (tcp_add_reno_sack(): sacked_out, which tcp_packets_in_flight()
 * leaves out, so each of the first two dupacks lets a new segment out: limited transmit, RFC
 * 3042); Open becomes Disorder, and Disorder with nothing left out Open again
 * (tcp_try_to_open()). Fast retransmit and recovery after tcp_reordering dupacks are not
 * modelled yet (the RTO recovers).
 */
function tcpFastretransAlert(k: Kernel, sk: TcpSock, numDupack: number, _advanced: boolean): void {
  if (sk.sackOk) return;
  if (numDupack) {
    sk.sackedOut += numDupack;
    sk.delivered += numDupack; // tcp_count_delivered()
  }
  // tcp_try_to_open()
  if (sk.caState === 'Open' || sk.caState === 'Disorder') tcpSetCaState(k, sk, sk.sackedOut + sk.lostOut || sk.retransOut ? 'Disorder' : 'Open');
}

/**
 * tcp_remove_reno_sacks(): a cumulative ACK of `acked` packets fills one hole; the rest were
 * the ones the dupacks counted (delivered grows by what they did not count, at least 1).
 */
function tcpRemoveRenoSacks(sk: TcpSock, acked: number): void {
  if (acked <= 0) return;
  sk.delivered += Math.max(acked - sk.sackedOut, 1);
  if (acked - 1 >= sk.sackedOut) sk.sackedOut = 0;
  else sk.sackedOut -= acked - 1;
}

/** tcp_cwnd_reduction() (PRR, RFC 6937): not reached yet (no recovery), cwnd kept. */
function tcpCwndReduction(_sk: TcpSock, _ackedSacked: number): void {}

/**
 * tcp_clean_rtx_queue(): free the skbs snd_una now covers (packets_out less their tcp_skb_pcount(),
 * delivered more for a SACK peer); an RTT sample from the newest never retransmitted
 * (tcp_ack_update_rtt()). Returns the packets acked.
 */
function tcpCleanRtxQueue(k: Kernel, sk: TcpSock): number {
  const q = sk.writeQueue;
  let n = 0;
  let sample = -1;
  let pkts = 0;
  while (n < sk.sendHead && !after(q[n].end, sk.sndUna)) {
    const skb = q[n];
    sk.wmemQueued -= skb.data.length;
    pkts += skb.pcount ?? 1;
    if (!skb.retransmitted && skb.sentAt) sample = k.now - skb.sentAt;
    n++;
  }
  if (n < sk.sendHead && after(sk.sndUna, q[n].seq)) {
    // tcp_trim_head(): a partly acked skb keeps only what is left (tcp_tso_acked())
    const skb = q[n];
    const acked = (sk.sndUna - skb.seq) | 0;
    const dataAcked = Math.min(acked, skb.data.length);
    sk.wmemQueued -= dataAcked;
    skb.data = skb.data.subarray(dataAcked);
    skb.seq = sk.sndUna;
    const prior = skb.pcount ?? 1;
    skb.pcount = Math.max(1, Math.ceil(skb.data.length / sk.mss));
    pkts += prior - skb.pcount;
    if (!skb.retransmitted && skb.sentAt && prior > skb.pcount) sample = k.now - skb.sentAt;
  }
  if (n) {
    if (n === q.length) sk.writeQueue = [];
    else q.splice(0, n);
    sk.sendHead -= n;
  }
  sk.packetsOut = Math.max(0, sk.packetsOut - pkts);
  if (sk.sackOk) sk.delivered += pkts;
  if (sample >= 0) {
    const us = Math.max(1, Math.floor(sample / 1000));
    if (!sk.rttMin || us < sk.rttMin) sk.rttMin = us; // tcp_update_rtt_min() (a windowed min in the kernel)
    tcpRttEstimator(k, sk, us);
    tcpSetRto(k, sk);
    cubictcpAcked(k, sk, us);
  }
  return pkts;
}

/**
 * tcp_ack_probe(): the window opened for the send head: the persist timer stops (its backoff
 * is forgotten); still closed: it is armed again for tcp_probe0_when().
 */
function tcpAckProbe(k: Kernel, sk: TcpSock): void {
  const head = sk.writeQueue[sk.sendHead];
  if (!head) return;
  if (!after(head.end, tcpWndEnd(sk)) || !after(Math.min(head.data.length, sk.mss) + head.seq | 0, tcpWndEnd(sk))) {
    sk.backoff = 0;
    sk.probesOut = 0;
    inetCskClearXmitTimer(k, sk, 'retrans');
  } else {
    inetCskResetXmitTimer(k, sk, tcpProbe0When(k, sk), 'probe0');
  }
}

/**
 * tcp_rtt_estimator() (Jacobson/Karels, RFC 6298 with Linux's mdev_max): srtt_us is 8 x
 * srtt, rttvar at least tcp_rto_min (200 ms) for a window of data. Same in 4.4 and 6.18.
 */
export function tcpRttEstimator(k: Kernel, sk: TcpSock, mrttUs: number): void {
  const rtoMinUs = 200_000; // TCP_RTO_MIN
  let m = mrttUs;
  let srtt = sk.srttUs;
  if (srtt !== 0) {
    m -= srtt >> 3;
    srtt += m;
    if (m < 0) {
      m = -m;
      m -= sk.mdevUs >> 2;
      if (m > 0) m >>= 3;
    } else m -= sk.mdevUs >> 2;
    sk.mdevUs += m;
    if (sk.mdevUs > sk.mdevMaxUs) {
      sk.mdevMaxUs = sk.mdevUs;
      if (sk.mdevMaxUs > sk.rttvarUs) sk.rttvarUs = sk.mdevMaxUs;
    }
    if (after(sk.sndUna, sk.rttSeq)) {
      if (sk.mdevMaxUs < sk.rttvarUs) sk.rttvarUs -= (sk.rttvarUs - sk.mdevMaxUs) >> 2;
      sk.rttSeq = sk.sndNxt;
      sk.mdevMaxUs = rtoMinUs;
    }
  } else {
    srtt = m << 3;
    sk.mdevUs = m << 1;
    sk.rttvarUs = Math.max(sk.mdevUs, rtoMinUs);
    sk.mdevMaxUs = sk.rttvarUs;
    sk.rttSeq = sk.sndNxt;
  }
  sk.srttUs = Math.max(1, srtt);
}

/**
 * tcp_set_rto(): rto = srtt + rttvar (usecs_to_jiffies() rounds up, so 200 ms and a few
 * microseconds of RTT on lo is 51 jiffies, 204 ms, at HZ=250), at most TCP_RTO_MAX.
 */
export function tcpSetRto(k: Kernel, sk: TcpSock): void {
  const us = (sk.srttUs >> 3) + sk.rttvarUs;
  sk.rto = Math.min(Math.ceil((us * k.HZ) / 1_000_000), TCP_RTO_MAX_S * k.HZ);
}

