/**
 * net/ipv4/tcp_rate.c (Linux 4.9+, 6.18): the delivery rate sample of each ACK. Every data
 * transmission records in its skb how much had been delivered by then and when
 * (tcp_rate_skb_sent()); an ACK that delivers skbs takes the most recently sent one as the
 * sample's start (tcp_rate_skb_delivered()), and tcp_rate_gen() turns delivered packets over
 * the longer of the send and the ACK phase into tp->rate_delivered / rate_interval_us — what
 * tcpi_delivery_rate (ss -i's delivery_rate) reports — unless the sample is app-limited and
 * lower than the last one. tcp_rate_check_app_limited() marks the bubble a writer leaves when
 * it has less than a segment to send (tp->app_limited). 4.4 has none of it (d7722e8570fc, 4.9).
 */
import type { Kernel } from './kernel.ts';
import { after } from './seq.ts';
import type { TcpSock, WSkb } from './sock.ts';
import { tcpPacketsInFlight } from './tcp_cong.ts';

/** struct rate_sample, the part the model keeps. */
export interface RateSample {
  priorDelivered: number;
  priorMstamp: number;
  isAppLimited: boolean;
  lastEndSeq: number;
  intervalUs: number;
}

export function newRateSample(): RateSample {
  return { priorDelivered: 0, priorMstamp: 0, isAppLimited: false, lastEndSeq: 0, intervalUs: -1 };
}

/** A sample as newRateSample() makes it, in place. */
export function resetRateSample(rs: RateSample): RateSample {
  rs.priorDelivered = 0;
  rs.priorMstamp = 0;
  rs.isAppLimited = false;
  rs.lastEndSeq = 0;
  rs.intervalUs = -1;
  return rs;
}

const usNow = (k: Kernel): number => Math.floor(k.now / 1000);

/** tcp_rate_skb_sent(): snapshot the delivery state into the skb (first_tx and delivered stamps in us). */
export function tcpRateSkbSent(k: Kernel, sk: TcpSock, skb: WSkb): void {
  if (!sk.packetsOut) {
    sk.firstTxMstamp = usNow(k);
    sk.deliveredMstamp = usNow(k);
  }
  skb.txFirstTx = sk.firstTxMstamp;
  skb.txDeliveredMstamp = sk.deliveredMstamp;
  skb.txDelivered = sk.delivered;
  skb.txAppLimited = sk.appLimited !== 0;
}

/**
 * tcp_rate_skb_delivered(): an skb newly (s)acked; the most recently sent one sets the sample's
 * start. A sacked skb is marked off so its cumulative ACK does not count it again.
 */
export function tcpRateSkbDelivered(sk: TcpSock, skb: WSkb, rs: RateSample, sacked: boolean): void {
  if (!skb.txDeliveredMstamp) return;
  const txTstamp = Math.floor(skb.sentAt / 1000);
  if (!rs.priorDelivered || txTstamp > sk.firstTxMstamp || (txTstamp === sk.firstTxMstamp && after(skb.end, rs.lastEndSeq))) {
    rs.priorDelivered = skb.txDelivered ?? 0;
    rs.priorMstamp = skb.txDeliveredMstamp;
    rs.isAppLimited = !!skb.txAppLimited;
    rs.lastEndSeq = skb.end;
    sk.firstTxMstamp = txTstamp;
    rs.intervalUs = txTstamp - (skb.txFirstTx ?? txTstamp);
  }
  if (sacked) skb.txDeliveredMstamp = 0;
}

/**
 * tcp_rate_gen(): the ACK's sample: delivered since its start over max(send phase, ACK phase);
 * none below min_rtt; kept unless app-limited and lower than the one kept.
 */
export function tcpRateGen(k: Kernel, sk: TcpSock, delivered: number, rs: RateSample): void {
  if (sk.appLimited && after(sk.delivered, sk.appLimited)) sk.appLimited = 0;
  if (delivered) sk.deliveredMstamp = usNow(k);
  if (!rs.priorMstamp) return;
  const d = sk.delivered - rs.priorDelivered;
  const interval = Math.max(rs.intervalUs, usNow(k) - rs.priorMstamp);
  if (interval < sk.rttMin) return;
  if (!rs.isAppLimited || d * sk.rateIntervalUs >= sk.rateDelivered * interval) {
    sk.rateDelivered = d;
    sk.rateIntervalUs = interval;
    sk.rateAppLimited = rs.isAppLimited;
  }
}

/**
 * tcp_rate_check_app_limited() (from tcp_sendmsg()): less than a segment left to send, cwnd not
 * full and nothing lost unretransmitted: the delivery rate is the application's, until the
 * packets now in flight are delivered.
 */
export function tcpRateCheckAppLimited(sk: TcpSock): void {
  if (((sk.writeSeq - sk.sndNxt) | 0) < sk.mss && tcpPacketsInFlight(sk) < sk.sndCwnd && sk.lostOut <= sk.retransOut)
    sk.appLimited = (sk.delivered + tcpPacketsInFlight(sk)) || 1;
}
