/**
 * net/ipv4/tcp_recovery.c (Linux 6.18; RACK is the default loss detection since 4.18,
 * b38a51fec1c1 "tcp: disable RFC6675 loss detection"): RACK marks a sent skb lost once an skb
 * sent after it has been delivered and it has waited the newest RTT plus a reordering window
 * (tcp_rack_detect_loss()); the window is zero while no reordering has been seen and in
 * Recovery or with tcp_reordering (3) packets sacked, else min_rtt / 4.
 *
 * An skb whose window has not run out arms the reordering timer (ICSK_TIME_REO_TIMEOUT, the
 * retransmit timer's slot) for when it will have. Deliberate difference: no TLP
 * (tcp_schedule_loss_probe()).
 * 4.4 uses RFC 6675's dupthresh instead (tcp_time_to_recover()'s sacked_out > reordering):
 * the model runs RACK on both profiles.
 */
import type { Kernel } from './kernel.ts';
import { after } from './seq.ts';
import type { TcpSock, WSkb } from './sock.ts';
import { inetCskResetXmitTimer } from './inet_connection_sock.ts';
import { tcpPacketsInFlight } from './tcp_cong.ts';
import { tcpCwndReduction, tcpEnterRecovery } from './tcp_input-ack.ts';
import { TCPCB_LOST, TCPCB_SACKED_ACKED, TCPCB_SACKED_RETRANS } from './tcp_input-sack.ts';
import { tcpRearmRto, tcpXmitRetransmitQueue } from './tcp_output.ts';
import { TCP_TIMEOUT_MIN } from './tcp.ts';
import { traceTimer } from './trace.ts';
import { TCP_CLOSE } from './types.ts';

/**
 * tcp_rack_advance(): a delivered skb sent later than the newest one RACK knows (by send time,
 * then sequence: tcp_skb_sent_after()) becomes it, with its RTT.
 */
export function tcpRackAdvance(k: Kernel, sk: TcpSock, skb: WSkb): void {
  const xmit = skb.sentAt;
  if (!xmit) return;
  const rttUs = Math.max(1, Math.floor((k.now - xmit) / 1000));
  if (skb.retransmitted && rttUs < sk.rttMin) return; // "a spurious retransmission" guard (tcp_rack_advance())
  sk.rackRttUs = rttUs;
  if (tcpSkbSentAfter(xmit, sk.rackMstamp, skb.end, sk.rackEndSeq)) {
    sk.rackMstamp = xmit;
    sk.rackEndSeq = skb.end;
  }
}

/** tcp_skb_sent_after(): t1 after t2, or at the same time with seq1 after seq2. */
function tcpSkbSentAfter(t1: number, t2: number, seq1: number, seq2: number): boolean {
  return t1 > t2 || (t1 === t2 && after(seq1, seq2));
}

/** tcp_rack_reo_wnd() */
function tcpRackReoWnd(sk: TcpSock): number {
  if (!sk.reordSeen) {
    if (sk.caState === 'Recovery' || sk.caState === 'Loss') return 0;
    if (sk.sackedOut >= sk.reordering) return 0;
  }
  return Math.min((sk.rttMin >> 2) * sk.rackReoWndSteps, sk.srttUs >> 3);
}

/**
 * tcp_rack_detect_loss() via tcp_rack_mark_lost(): walk the sent skbs in send order (the
 * write queue's order: the model retransmits in place) and mark lost those RACK's newest
 * delivered skb was sent after, once rtt + reo_wnd have passed since they were sent.
 */
export function tcpRackMarkLost(k: Kernel, sk: TcpSock): void {
  const timeout = tcpRackDetectLoss(k, sk);
  // the reordering timer: look again when the first skb still waiting has waited enough
  if (timeout) inetCskResetXmitTimer(k, sk, Math.ceil((timeout * k.HZ) / 1_000_000) + TCP_TIMEOUT_MIN, 'reo');
}

/** tcp_rack_detect_loss(): mark what has waited long enough; returns the longest wait left (us). */
function tcpRackDetectLoss(k: Kernel, sk: TcpSock): number {
  if (!sk.rackMstamp) return 0;
  const reoWnd = tcpRackReoWnd(sk);
  let timeout = 0;
  for (let i = 0; i < sk.sendHead; i++) {
    const skb = sk.writeQueue[i];
    const sacked = skb.sacked ?? 0;
    if (sacked & TCPCB_SACKED_ACKED) continue;
    if (sacked & TCPCB_LOST && !(sacked & TCPCB_SACKED_RETRANS)) continue;
    if (!tcpSkbSentAfter(sk.rackMstamp, skb.sentAt, sk.rackEndSeq, skb.end)) continue;
    const remaining = sk.rackRttUs + reoWnd - Math.floor((k.now - skb.sentAt) / 1000);
    if (remaining <= 0) tcpMarkSkbLost(sk, skb);
    else timeout = Math.max(timeout, remaining);
  }
  return timeout;
}

/**
 * tcp_rack_reo_timeout(): the reordering timer fired (tcp_write_timer_handler(),
 * ICSK_TIME_REO_TIMEOUT): what is lost now starts Recovery (with one PRR step) and is
 * retransmitted; then the RTO covers the rest.
 */
export function tcpRackReoTimeout(k: Kernel, sk: TcpSock): void {
  sk.retransTimer = null;
  sk.pending = 'none';
  traceTimer(k, sk.id, 'retrans', 'fired', undefined, undefined, sk.retransmits);
  if (sk.freed || sk.state === TCP_CLOSE || !sk.packetsOut) return;
  const priorInflight = tcpPacketsInFlight(sk);
  const priorLost = sk.lostOut;
  tcpRackDetectLoss(k, sk);
  if (priorInflight !== tcpPacketsInFlight(sk)) {
    if (sk.caState !== 'Recovery') {
      tcpEnterRecovery(k, sk);
      tcpCwndReduction(sk, 1, sk.lostOut - priorLost, false);
    }
    tcpXmitRetransmitQueue(k, sk);
  }
  if ((sk.pending as string) !== 'retrans') tcpRearmRto(k, sk);
}

/** tcp_mark_skb_lost(): TCPCB_LOST, out of retrans_out if its retransmission is lost too. */
export function tcpMarkSkbLost(sk: TcpSock, skb: WSkb): void {
  const pcount = skb.pcount ?? 1;
  let sacked = skb.sacked ?? 0;
  if (sacked & TCPCB_SACKED_RETRANS) {
    sacked &= ~TCPCB_SACKED_RETRANS;
    sk.retransOut -= pcount;
  }
  if (!(sacked & TCPCB_LOST)) {
    sacked |= TCPCB_LOST;
    sk.lostOut += pcount;
  }
  skb.sacked = sacked;
}
