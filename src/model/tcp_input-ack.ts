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
import { tcpPushPendingFrames, tcpRearmRto, tcpWndEnd } from './tcp_output.ts';
import { jiffies } from './time.ts';
import { traceQueues } from './trace.ts';
import type { Segment } from './types.ts';

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
 * RTT sample from a segment sent once, Karn's rule), the retransmit timer re-armed or stopped,
 * the persist timer (tcp_ack_probe()), then what the window now lets out (tcp_data_snd_check())
 * and a wake-up for a writer waiting for memory (tcp_check_space()).
 */
export function tcpAck(k: Kernel, sk: TcpSock, skb: Segment): void {
  sk.sndWnd = skb.window << sk.sndWscale;
  if (sk.sndWnd > sk.maxWindow) sk.maxWindow = sk.sndWnd;
  sk.lastAckRecv = jiffies(k);
  // "We passed data and got it acked... Something worked": any ACK not older than snd_una clears
  // icsk_probes_out (a keepalive probe's answer, a zero-window probe's)
  if (!before(skb.ack, sk.sndUna)) sk.probesOut = 0;
  if (!after(skb.ack, sk.sndUna)) {
    if (sk.pending === 'probe0') tcpAckProbe(k, sk);
    if (sk.sendHead < sk.writeQueue.length) tcpPushPendingFrames(k, sk, sk.nonagle);
    return;
  }
  // tcp_snd_una_update(): bytes_acked counts what this ACK newly covers
  sk.bytesAcked += u32(skb.ack - sk.sndUna);
  sk.sndUna = skb.ack | 0;
  tcpCleanRtxQueue(k, sk);
  sk.retransmits = 0;
  sk.backoff = 0;
  sk.probesOut = 0;
  sk.retransStamp = 0;
  tcpRearmRto(k, sk);
  if (sk.sendHead < sk.writeQueue.length) {
    if (sk.pending === 'probe0') tcpAckProbe(k, sk);
    tcpPushPendingFrames(k, sk, sk.nonagle);
  } else traceQueues(k, sk);
  // sk_stream_write_space(): a writer wakes once a third of the buffer is free (sk_stream_is_writeable())
  if (!sk.dead && sk.waiters.size && sk.sndbuf - sk.wmemQueued >= sk.wmemQueued >> 1) sockDefWakeup(sk);
}

/** tcp_clean_rtx_queue(): free the skbs snd_una now covers; an RTT sample from the newest. */
function tcpCleanRtxQueue(k: Kernel, sk: TcpSock): void {
  const q = sk.writeQueue;
  let n = 0;
  let sample = -1;
  while (n < sk.sendHead && !after(q[n].end, sk.sndUna)) {
    const skb = q[n];
    sk.wmemQueued -= skb.data.length;
    if (!skb.retransmitted && skb.sentAt) sample = k.now - skb.sentAt;
    n++;
  }
  if (n < sk.sendHead && after(sk.sndUna, q[n].seq)) {
    // tcp_trim_head(): a partly acked skb keeps only what is left
    const skb = q[n];
    const acked = (sk.sndUna - skb.seq) | 0;
    const dataAcked = Math.min(acked, skb.data.length);
    sk.wmemQueued -= dataAcked;
    skb.data = skb.data.subarray(dataAcked);
    skb.seq = sk.sndUna;
  }
  if (n) {
    if (n === q.length) sk.writeQueue = [];
    else q.splice(0, n);
    sk.sendHead -= n;
  }
  if (sample >= 0) {
    tcpRttEstimator(k, sk, Math.max(1, Math.floor(sample / 1000)));
    tcpSetRto(k, sk);
  }
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

