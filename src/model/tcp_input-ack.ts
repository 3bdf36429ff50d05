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
import { sockDefWakeup, SOCK_SNDBUF_LOCK, type TcpSock, type WSkb } from './sock.ts';
import { tcpProbe0When, tcpTimeStamp, TCP_RTO_MAX_S } from './tcp.ts';
import { parseOptions } from './tcp_input.ts';
import { tcpSndbufExpand } from './tcp_input-rcvbuf.ts';
import { tcpCaPktsAcked, tcpCaSsthresh, tcpCongAvoid, tcpCurrentSsthresh, tcpPacketsInFlight, tcpSetCaState, TCP_INFINITE_SSTHRESH } from './tcp_cong.ts';
import { sackBlocks, tcpSacktagWriteQueue, TCPCB_LOST, TCPCB_SACKED_ACKED, TCPCB_SACKED_RETRANS } from './tcp_input-sack.ts';
import { newRateSample, resetRateSample, tcpRateGen, tcpRateSkbDelivered, type RateSample } from './tcp_rate.ts';
import { tcpMarkSkbLost, tcpRackAdvance, tcpRackMarkLost } from './tcp_recovery.ts';
import { tcpFragment, tcpPushPendingFrames, tcpRearmRto, tcpSkbHeadTruesize, tcpSyncMss, tcpWndEnd, tcpXmitRetransmitQueue } from './tcp_output.ts';
import { tcpChronoStop, tcpScheduleLossProbe, TCP_CHRONO_BUSY } from './tcp_output-cwnd.ts';
import { jiffies } from './time.ts';
import { mibInc, traceQueues } from './trace.ts';
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

/** tcpAck()'s rate sample, and whether a tcpAck() is using it. */
const RS = newRateSample();
let rsBusy = false;

/**
 * tcp_ack(): the peer's window (tcp_ack_update_window(), max_window), its SACK blocks
 * (tcp_sacktag_write_queue()), snd_una and bytes_acked, the acked skbs out of the write queue
 * (tcp_clean_rtx_queue(), with an RTT sample from a segment sent once, Karn's rule), the
 * congestion state (tcp_fastretrans_alert(): limited transmit, fast recovery), the window
 * (tcp_cong_control(): slow start, cubic or PRR) and pacing rate, the retransmissions recovery
 * asks for (tcp_xmit_recovery()), the retransmit timer, the persist timer (tcp_ack_probe()),
 * then what cwnd and the window now let out (tcp_data_snd_check()) and a wake-up for a writer
 * waiting for memory (tcp_check_space()).
 */
export function tcpAck(k: Kernel, sk: TcpSock, skb: Segment): void {
  const priorDelivered = sk.delivered;
  const priorLost = sk.lostOut;
  const priorPackets = sk.packetsOut;
  // tcp_ack(): an ACK older than snd_una goes to `old_ack` before tcp_ack_update_window(), so
  // it never moves the window (4.4 and 6.18). On lo two ACKs can reach a sender in reverse order
  // (one waited in the backlog of a writer that owned the socket): 6.18.44 keeps the newer ACK's
  // 1792-byte window (differential small-buffers script 8, tcp_rmem 8192), where the older
  // ACK's 3840 let a whole 2048-byte segment out past the receiver's window.
  const oldAck = before(skb.ack, sk.sndUna);
  const nwin = oldAck ? sk.sndWnd : skb.window << sk.sndWscale;
  const winUpdate = nwin !== sk.sndWnd;
  sk.sndWnd = nwin;
  if (sk.sndWnd > sk.maxWindow) {
    // tcp_ack_update_window(): a larger window than ever resizes the MSS (tcp_sync_mss() with
    // icsk_pmtu_cookie): mss_cache follows half of max_window, as ss showed on 6.18.44 (mss:54272)
    sk.maxWindow = sk.sndWnd;
    tcpSyncMss(k, sk, sk.mssClamp);
  }
  sk.lastAckRecv = jiffies(k);
  // "We passed data and got it acked... Something worked": any ACK not older than snd_una clears
  // icsk_probes_out (a keepalive probe's answer, a zero-window probe's)
  if (!before(skb.ack, sk.sndUna)) sk.probesOut = 0;
  const advanced = after(skb.ack, sk.sndUna);
  // the ACK's rate sample (on the stack in tcp_ack()): one object reused unless an ACK is being
  // processed within another (a scripted peer's hook may answer synchronously)
  const rs = rsBusy ? newRateSample() : resetRateSample(RS);
  rsBusy = true;
  let sacked = 0;
  if (sk.sackOk && priorPackets) {
    const blocks = sackBlocks(skb.options);
    if (blocks.length) sacked = tcpSacktagWriteQueue(k, sk, blocks, rs);
  }
  if (advanced) {
    // tcp_snd_una_update(): bytes_acked counts what this ACK newly covers
    sk.bytesAcked += u32(skb.ack - sk.sndUna);
    sk.sndUna = skb.ack | 0;
    const acked = tcpCleanRtxQueue(k, sk, rs);
    if (!sk.sackOk) tcpRemoveRenoSacks(sk, acked);
    // FLAG_SET_XMIT_TIMER: tcp_set_xmit_timer() before the loss detection below, which may arm the reordering timer
    sk.retransmits = 0;
    sk.backoff = 0;
    sk.probesOut = 0;
    sk.retransStamp = 0;
    // tcp_process_tlp_ack(): an ACK past the probe's snd_nxt ends it (no TLP-recovery CWR modelled)
    if (sk.tlpHighSeq && after(skb.ack, sk.tlpHighSeq)) sk.tlpHighSeq = 0;
    // tcp_set_xmit_timer(): a loss probe if one may be scheduled, else the RTO
    if (!tcpScheduleLossProbe(k, sk, true)) tcpRearmRto(k, sk);
  }
  // tcp_ack_is_dubious(): a duplicate ACK (no data, no new window, snd_una unchanged), new SACK
  // information, or a state other than Open
  const dupack = !advanced && !winUpdate && !skb.payload.length && !(skb.flags & TH_FIN) && priorPackets > 0;
  let rexmit = false;
  if (dupack || sacked || sk.caState !== 'Open') rexmit = tcpFastretransAlert(k, sk, dupack ? 1 : 0, advanced);
  tcpRateGen(k, sk, sk.delivered - priorDelivered, rs);
  if (rs === RS) rsBusy = false;
  if (advanced || sacked || sk.delivered !== priorDelivered) tcpCongControl(k, sk, sk.delivered - priorDelivered, Math.max(0, sk.lostOut - priorLost), advanced);
  if (rexmit) tcpXmitRetransmitQueue(k, sk);
  if (!advanced) {
    if (sk.pending === 'probe0') tcpAckProbe(k, sk);
    if (sk.sendHead < sk.writeQueue.length) tcpPushPendingFrames(k, sk, sk.nonagle);
    return;
  }
  if (sk.sendHead < sk.writeQueue.length) {
    if (sk.pending === 'probe0') tcpAckProbe(k, sk);
    tcpPushPendingFrames(k, sk, sk.nonagle);
  } else {
    if (!sk.packetsOut) tcpChronoStop(k, sk, TCP_CHRONO_BUSY);
    traceQueues(k, sk);
  }
  if (!sk.dead && sk.waiters.size) tcpNewSpace(k, sk);
}

/**
 * tcp_check_space() -> tcp_new_space() for a writer waiting for memory (SOCK_NOSPACE): sk_sndbuf
 * grows with cwnd (tcp_should_expand_sndbuf(): not SO_SNDBUF-locked, cwnd not full;
 * tcp_sndbuf_expand()), then sk_stream_write_space() wakes the writer only once
 * sk_stream_wspace() >= sk_stream_min_wspace(), a third of the buffer free: sk_sndbuf -
 * sk_wmem_queued >= sk_wmem_queued / 2 (6.18.44, zero-window's stalled netcat: tb 4194304 with
 * w2801088 stays asleep, 1393216 < 1400544). tcp_stream_memory_free() adds notsent_lowat (not
 * modelled: its default, UINT_MAX, always passes). Same rule in 4.4.
 */
function tcpNewSpace(k: Kernel, sk: TcpSock): void {
  if (!(sk.userlocks & SOCK_SNDBUF_LOCK) && tcpPacketsInFlight(sk) < sk.sndCwnd) tcpSndbufExpand(k, sk);
  if (sk.sndbuf - sk.wmemQueued >= sk.wmemQueued >> 1) sockDefWakeup(sk);
}

/**
 * tcp_cong_control(): in CWR or Recovery the window follows PRR (tcp_cwnd_reduction()), else
 * it grows by the packets delivered when tcp_may_raise_cwnd() (data acked in order); then
 * tcp_update_pacing_rate().
 */
function tcpCongControl(k: Kernel, sk: TcpSock, ackedSacked: number, newlyLost: number, advanced: boolean): void {
  if (sk.caState === 'CWR' || sk.caState === 'Recovery') tcpCwndReduction(sk, ackedSacked, newlyLost, advanced);
  else if (advanced && ackedSacked > 0) tcpCongAvoid(k, sk, ackedSacked);
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
 * tcp_fastretrans_alert(): leave Recovery (or CWR) once snd_una reaches high_seq (cwnd =
 * ssthresh, tcp_end_cwnd_reduction(); no undo: it needs timestamps or D-SACKs); find lost skbs
 * (tcp_identify_packet_loss(): RACK with SACK, tcp_newreno_mark_lost() without); enter
 * Recovery when something is lost (tcp_time_to_recover()), else Disorder while packets are
 * sacked (tcp_try_to_open()). A peer without SACK counts each duplicate ACK as one packet
 * sacked (tcp_add_reno_sack()), which lets the first two send a new segment (limited transmit,
 * RFC 3042). Returns whether lost skbs are to be retransmitted (REXMIT_LOST).
 */
function tcpFastretransAlert(k: Kernel, sk: TcpSock, numDupack: number, advanced: boolean): boolean {
  if ((sk.caState === 'CWR' || sk.caState === 'Recovery') && !before(sk.sndUna, sk.highSeq)) {
    if (sk.caState === 'CWR') {
      if (sk.sndUna !== sk.highSeq) {
        tcpEndCwndReduction(k, sk);
        tcpSetCaState(k, sk, 'Open');
      }
    } else {
      if (!sk.sackOk) sk.sackedOut = 0; // tcp_reset_reno_sack()
      // tcp_try_undo_recovery(): Reno holds Recovery until something above high_seq is acked
      if (!sk.sackOk && sk.sndUna === sk.highSeq) return false;
      tcpSetCaState(k, sk, 'Open');
      tcpEndCwndReduction(k, sk);
    }
  }
  if (sk.caState === 'Loss') return tcpProcessLoss(k, sk, numDupack, advanced);
  if (!sk.sackOk && !advanced) tcpAddRenoSack(sk, numDupack);
  tcpIdentifyPacketLoss(k, sk, advanced);
  if (sk.caState === 'Recovery') return true;
  if (!sk.lostOut) {
    // tcp_try_to_open()
    if (sk.caState !== 'CWR') tcpSetCaState(k, sk, sk.sackedOut + sk.lostOut || sk.retransOut ? 'Disorder' : 'Open');
    return false;
  }
  tcpEnterRecovery(k, sk);
  return true;
}

/**
 * tcp_enter_loss() (from tcp_retransmit_timer()): the RTO marks every skb in flight that is not
 * sacked lost (tcp_timeout_mark_lost()), ssthresh from the algorithm unless already reduced in
 * this window, cwnd = in flight + 1, the Loss state until high_seq (snd_nxt now) is acked.
 * Deliberate difference: no F-RTO (tcp_frto), so no spurious-RTO detection or undo.
 */
export function tcpEnterLoss(k: Kernel, sk: TcpSock): void {
  if (sk.caState === 'Open' || sk.caState === 'Disorder' || !after(sk.highSeq, sk.sndUna) || (sk.caState === 'Loss' && !sk.retransmits)) {
    sk.priorSsthresh = tcpCurrentSsthresh(sk);
    sk.priorCwnd = sk.sndCwnd;
    sk.sndSsthresh = tcpCaSsthresh(k, sk);
    sk.undoMarker = sk.sndUna;
    sk.undoRetrans = sk.retransOut || -1;
  }
  for (let i = 0; i < sk.sendHead; i++) {
    const skb = sk.writeQueue[i];
    const sacked = skb.sacked ?? 0;
    if (sacked & TCPCB_SACKED_ACKED) continue; // no SACK reneging
    if (sacked & TCPCB_SACKED_RETRANS) {
      skb.sacked = sacked & ~TCPCB_SACKED_RETRANS;
      sk.retransOut -= skb.pcount ?? 1;
    }
    tcpMarkSkbLost(sk, skb);
  }
  sk.sndCwnd = tcpPacketsInFlight(sk) + 1;
  sk.sndCwndCnt = 0;
  sk.sndCwndStamp = jiffies(k);
  tcpSetCaState(k, sk, 'Loss');
  sk.highSeq = sk.sndNxt;
  sk.tlpHighSeq = 0;
}

/**
 * tcp_process_loss() (no F-RTO): snd_una at high_seq ends Loss (tcp_try_undo_recovery(): Open,
 * no undo); before that every ACK asks for the lost skbs cwnd allows (REXMIT_LOST).
 */
function tcpProcessLoss(k: Kernel, sk: TcpSock, numDupack: number, advanced: boolean): boolean {
  if (!before(sk.sndUna, sk.highSeq)) {
    tcpSetCaState(k, sk, 'Open');
    return false;
  }
  if (!sk.sackOk) {
    if (after(sk.sndNxt, sk.highSeq) && numDupack) tcpAddRenoSack(sk, numDupack);
    else if (advanced) sk.sackedOut = 0; // tcp_reset_reno_sack()
  }
  return true;
}

/** tcp_identify_packet_loss(): tcp_newreno_mark_lost() for Reno, RACK for SACK. */
function tcpIdentifyPacketLoss(k: Kernel, sk: TcpSock, advanced: boolean): void {
  if (!sk.sendHead) return;
  if (sk.sackOk) return tcpRackMarkLost(k, sk);
  if ((sk.caState !== 'Recovery' && sk.sackedOut >= sk.reordering) || (sk.caState === 'Recovery' && advanced)) {
    const head = sk.writeQueue[0];
    if ((head.sacked ?? 0) & TCPCB_LOST) return;
    if ((head.pcount ?? 1) > 1 && head.data.length > sk.mss) tcpFragment(k, sk, 0, sk.mss);
    tcpMarkSkbLost(sk, sk.writeQueue[0]);
  }
}

/**
 * tcp_enter_recovery() with tcp_init_undo() and tcp_init_cwnd_reduction(): high_seq = snd_nxt,
 * prior_cwnd = cwnd, ssthresh from the algorithm (cubic: cwnd x 717/1024), PRR counters reset.
 */
export function tcpEnterRecovery(k: Kernel, sk: TcpSock): void {
  mibInc(k, sk.sackOk ? 'TCPSackRecovery' : 'TCPRenoRecovery');
  sk.undoMarker = sk.sndUna;
  sk.undoRetrans = sk.retransOut || -1;
  sk.priorSsthresh = 0;
  if (sk.caState !== 'CWR' && sk.caState !== 'Recovery') {
    sk.priorSsthresh = tcpCurrentSsthresh(sk);
    sk.highSeq = sk.sndNxt;
    sk.tlpHighSeq = 0;
    sk.sndCwndCnt = 0;
    sk.priorCwnd = sk.sndCwnd;
    sk.prrDelivered = 0;
    sk.prrOut = 0;
    sk.sndSsthresh = tcpCaSsthresh(k, sk);
  }
  tcpSetCaState(k, sk, 'Recovery');
}

/** tcp_end_cwnd_reduction(): cwnd = ssthresh after CWR, or after Recovery with an undo marker. */
function tcpEndCwndReduction(k: Kernel, sk: TcpSock): void {
  if (sk.caState === 'CWR' || (sk.undoMarker && sk.sndSsthresh < TCP_INFINITE_SSTHRESH)) {
    sk.sndCwnd = sk.sndSsthresh;
    sk.sndCwndStamp = jiffies(k);
  }
}

/**
 * tcp_cwnd_reduction() (PRR, RFC 6937, 6.x form): while the flight is above ssthresh, send
 * ssthresh/prior_cwnd of what is delivered; below it, as much as is delivered (one more when
 * snd_una moved and nothing new was lost), up to ssthresh; at least one to start the fast
 * retransmit. cwnd = in flight + that.
 */
export function tcpCwndReduction(sk: TcpSock, newlyAckedSacked: number, newlyLost: number, advanced: boolean): void {
  if (newlyAckedSacked <= 0 || !sk.priorCwnd) return;
  const delta = sk.sndSsthresh - tcpPacketsInFlight(sk);
  sk.prrDelivered += newlyAckedSacked;
  let sndcnt: number;
  if (delta < 0) {
    sndcnt = Math.floor((sk.sndSsthresh * sk.prrDelivered + sk.priorCwnd - 1) / sk.priorCwnd) - sk.prrOut;
  } else {
    sndcnt = Math.max(sk.prrDelivered - sk.prrOut, newlyAckedSacked);
    if (advanced && !newlyLost) sndcnt++;
    sndcnt = Math.min(delta, sndcnt);
  }
  sndcnt = Math.max(sndcnt, sk.prrOut ? 0 : 1);
  sk.sndCwnd = tcpPacketsInFlight(sk) + sndcnt;
}

/** tcp_add_reno_sack(): a duplicate ACK from a peer without SACK counts one packet out of order. */
function tcpAddRenoSack(sk: TcpSock, numDupack: number): void {
  if (!numDupack) return;
  sk.sackedOut += numDupack;
  sk.delivered += numDupack; // tcp_count_delivered()
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

/**
 * tcp_clean_rtx_queue(): free the skbs snd_una now covers (packets_out less their tcp_skb_pcount(),
 * sacked_out / lost_out / retrans_out less the ones they counted in, delivered more for those
 * not sacked before with a SACK peer, RACK told of them); an RTT sample from the newest never
 * retransmitted (tcp_ack_update_rtt()), which icsk_ca_ops->pkts_acked() gets too (the
 * ack_sample's rtt_us, -1 without one: tcpCaPktsAcked(), cubic's HyStart). Returns the packets
 * acked.
 */
function tcpCleanRtxQueue(k: Kernel, sk: TcpSock, rs: RateSample): number {
  const q = sk.writeQueue;
  let n = 0;
  let sample = -1;
  let pkts = 0;
  while (n < sk.sendHead && !after(q[n].end, sk.sndUna)) {
    const skb = q[n];
    sk.wmemQueued -= skb.data.length + tcpSkbHeadTruesize(k); // sk_wmem_free_skb(): its truesize
    const pcount = skb.pcount ?? 1;
    pkts += pcount;
    tcpSkbUncount(k, sk, skb, pcount);
    tcpRateSkbDelivered(sk, skb, rs, false);
    if (!skb.retransmitted && skb.sentAt) sample = k.now - skb.sentAt;
    n++;
  }
  if (n < sk.sendHead && after(sk.sndUna, q[n].seq)) {
    // tcp_trim_head(): a partly acked skb keeps only what is left (tcp_tso_acked())
    const skb = q[n];
    const acked = (sk.sndUna - skb.seq) | 0;
    const dataAcked = Math.min(acked, skb.data.length);
    sk.wmemQueued -= dataAcked; // tcp_trim_head(): the truesize of the page bytes let go
    skb.data = skb.data.subarray(dataAcked);
    skb.seq = sk.sndUna;
    const prior = skb.pcount ?? 1;
    skb.pcount = Math.max(1, Math.ceil(skb.data.length / sk.mss));
    pkts += prior - skb.pcount;
    tcpSkbUncount(k, sk, skb, prior - skb.pcount);
    if (prior > skb.pcount) tcpRateSkbDelivered(sk, skb, rs, false);
    if (!skb.retransmitted && skb.sentAt && prior > skb.pcount) sample = k.now - skb.sentAt;
  }
  if (n) {
    if (n === q.length) sk.writeQueue = [];
    else q.splice(0, n);
    sk.sendHead -= n;
  }
  sk.packetsOut = Math.max(0, sk.packetsOut - pkts);
  let caRttUs = -1;
  if (sample >= 0) {
    caRttUs = Math.max(1, Math.floor(sample / 1000));
    tcpRttEstimator(k, sk, caRttUs);
    tcpSetRto(k, sk);
  }
  tcpCaPktsAcked(k, sk, caRttUs);
  return pkts;
}

/** The scoreboard counts of `pcount` packets of an skb snd_una now covers. */
function tcpSkbUncount(k: Kernel, sk: TcpSock, skb: WSkb, pcount: number): void {
  if (pcount <= 0) return;
  const sacked = skb.sacked ?? 0;
  if (sacked & TCPCB_SACKED_RETRANS) sk.retransOut -= pcount;
  if (sacked & TCPCB_LOST) sk.lostOut -= pcount;
  if (sacked & TCPCB_SACKED_ACKED) sk.sackedOut -= pcount;
  else if (sk.sackOk) {
    sk.delivered += pcount; // tcp_count_delivered()
    if (!(sacked & TCPCB_SACKED_RETRANS)) tcpRackAdvance(k, sk, skb);
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
  // tcp_update_rtt_min() first (tcp_ack_update_rtt()): the model keeps the all-time minimum, not a 5-minute window
  if (!sk.rttMin || mrttUs < sk.rttMin) sk.rttMin = mrttUs;
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

