/**
 * net/ipv4/tcp_input.c (Linux 4.4 and 6.18): a listener's SYN (tcp_conn_request), the state
 * machine of every other state (tcp_rcv_state_process, tcp_rcv_synsent_state_process), the
 * RFC 793/5961 checks of tcp_validate_incoming() with challenge ACKs, received data and the
 * FIN (tcp_data_queue, tcp_fin), the peer's RST (tcp_reset) and option parsing. tcp_ack() and
 * the sender's ACK processing live in tcp_input-ack.ts, the out-of-order queue and the SACK
 * blocks the receiver sends in tcp_input-ofo.ts.
 *
 * The delayed-ACK engine: quick ACKs (icsk_ack.quick from tcp_incr_quickack()), ATO adaptation
 * in tcp_event_data_recv() (tcp_input-rcvbuf.ts, with the buffer and window tuning),
 * __tcp_ack_snd_check(); lo skbs are charged their sender-side truesize and coalesce
 * (tcpTryCoalesce()).
 *
 * Deliberate differences: no fast path (header prediction); a SYN in SYN-SENT (simultaneous
 * open) is dropped; no pingpong from replies (tcp_event_data_sent()), no ato inflation when the
 * delayed-ACK timer fires, no ICSK_ACK_PUSHED heuristics; 6.x's SACK compression is left out
 * (with no receiver RTT yet it sends at once anyway).
 */
import { ECONNREFUSED, ECONNRESET, EPIPE } from './errno.ts';
import type { Kernel } from './kernel.ts';
import { inetCskClearXmitTimer, inetCskReqskQueueHashAdd, inetCskReqskQueueIsFull, inetCskResetKeepaliveTimer, inetCskResetXmitTimer } from './inet_connection_sock.ts';
import { key } from './inet_hashtables.ts';
import { later } from './loopback.ts';
import { secureTcpSeq, secureTcpTsOff } from './secure_seq.ts';
import { after, before, u32 } from './seq.ts';
import { ipRouteOutputKey, ipv4DefaultAdvmss } from './route.ts';
import { kfreeSkb } from './skbuff.ts';
import { NO_SACKS, RCV_SHUTDOWN, RequestSock, SEND_SHUTDOWN, skAcceptqIsFull, sockDefWakeup, type TcpSock } from './sock.ts';
import { cookieMss, cookieV4InitSequence } from './syncookies.ts';
import { tcpDone, tcpFinTime, tcpSetState, tcpStreamSkbTruesize, TCP_TIMEOUT_MIN, TCP_TIMEWAIT_LEN_S } from './tcp.ts';
import { sendSynackEv } from './tcp_ipv4.ts';
import { tcpOpenreqInitRwin, tcpTimeWait } from './tcp_minisocks.ts';
import { tcpAck, tcpAckUpdateRttFromTs, tcpRttEstimator, tcpSetRto } from './tcp_input-ack.ts';
import { tcpEventDataRecv, tcpGrowWindow, tcpInitBufferSpace, tcpMeasureRcvMss, tcpRcvRttMeasureTs } from './tcp_input-rcvbuf.ts';
import { keepaliveTimeWhen } from './tcp_timer.ts';
import { tcpChargeSkb, tcpCollapse, tcpDataQueueOfo, tcpDsackSet, tcpOfoPurge, tcpOfoQueue, tcpRcvNxtUpdate, tcpSackRemove } from './tcp_input-ofo.ts';
import { __tcpSelectWindow, sendAckEv, tcpReceiveWindow, tcpRmemAlloc, tcpSendAck, tcpSendDelayedAck, tcpSyncMss } from './tcp_output.ts';
import { jiffies, msecsToJiffies } from './time.ts';
import { mibInc, mibListenOverflow, rcvVerdict, traceQueues } from './trace.ts';
import { TCP_CLOSE, TCP_CLOSE_WAIT, TCP_CLOSING, TCP_ESTABLISHED, TCP_FIN_WAIT1, TCP_FIN_WAIT2, TCP_LAST_ACK, TCP_SYN_RECV, TCP_SYN_SENT, TCP_TIME_WAIT, TH_ACK, TH_FIN, TH_RST, TH_SYN, type Segment, type TcpOption } from './types.ts';

/** tcp_parse_options() */
export function parseOptions(options: TcpOption[]): { mss?: number; sackOK: boolean; ts?: { val: number; ecr: number }; wscale?: number } {
  const r: { mss?: number; sackOK: boolean; ts?: { val: number; ecr: number }; wscale?: number } = { sackOK: false };
  for (const o of options) {
    if (o.kind === 'mss') r.mss = o.value;
    else if (o.kind === 'sackOK') r.sackOK = true;
    else if (o.kind === 'ts') r.ts = o; // the option itself (read only): no object per parse
    else if (o.kind === 'wscale') r.wscale = Math.min(o.shift, 14);
  }
  return r;
}

/** tcp_conn_request(): a SYN for a listener (twIsn: the ISN a TIME-WAIT socket chose). */
export function tcpConnRequest(k: Kernel, sk: TcpSock, skb: Segment, twIsn = 0): void {
  let wantCookie = false;
  const syncookies = k.sysctl['net.ipv4.tcp_syncookies'];
  if ((syncookies === 2 || inetCskReqskQueueIsFull(k, sk)) && !twIsn) {
    // tcp_syn_flood_action()
    if (syncookies) {
      wantCookie = true;
      mibInc(k, 'TCPReqQFullDoCookies');
      if (!sk.synfloodWarned) {
        sk.synfloodWarned = true;
        k.sim.emit({ type: 'note', t: k.now, text: `TCP: request_sock_TCP: Possible SYN flooding on port ${sk.sport}. Sending cookies.  Check SNMP counters.` });
      }
    } else {
      mibInc(k, 'TCPReqQFullDrop');
      return rcvVerdict(k, skb, sk.id, 'dropped', 'syn-queue-full');
    }
  }
  if (k.profile.behaviour.synDropOnFullAcceptQueue) {
    // 5ea8ea2cb7f1 (4.10): drop SYN packets if the accept queue is full
    if (skAcceptqIsFull(sk)) {
      mibListenOverflow(k);
      rcvVerdict(k, skb, sk.id, 'dropped', 'listen-overflow');
      return kfreeSkb(k, skb);
    }
  } else if (skAcceptqIsFull(sk) && sk.young > 1) {
    mibListenOverflow(k);
    rcvVerdict(k, skb, sk.id, 'dropped', 'listen-overflow');
    return kfreeSkb(k, skb);
  }
  rcvVerdict(k, skb, sk.id, 'accepted');
  const opt = parseOptions(skb.options);
  const req = new RequestSock(k.nextId++, sk, skb.daddr, skb.dport, skb.saddr, skb.sport);
  req.rcvIsn = skb.seq | 0;
  req.tstampOk = !!opt.ts && !!k.sysctl['net.ipv4.tcp_timestamps'];
  req.tsRecent = (opt.ts?.val ?? 0) | 0;
  req.sackOk = opt.sackOK && !!k.sysctl['net.ipv4.tcp_sack'];
  req.wscaleOk = opt.wscale !== undefined && !!k.sysctl['net.ipv4.tcp_window_scaling'];
  req.sndWscale = opt.wscale ?? 0;
  // the route back to the client (inet_csk_route_req()) gives the MSS; tcp_openreq_init_rwin() the window
  req.advmss = ipv4DefaultAdvmss(ipRouteOutputKey(k, skb.saddr));
  req.mss = Math.min(opt.mss ?? 536, req.advmss);
  tcpOpenreqInitRwin(k, req, sk);
  req.sntIsn = (twIsn || (wantCookie ? cookieV4InitSequence(k, skb) : secureTcpSeq(k, skb.daddr, skb.saddr, skb.dport, skb.sport))) | 0;
  req.tsOffset = secureTcpTsOff(k, skb.daddr, skb.saddr, skb.dport, skb.sport) | 0;
  if (wantCookie) {
    k.sentCookies.set(key(req.saddr, req.sport, req.daddr, req.dport), {
      isn: req.sntIsn, rcvIsn: req.rcvIsn, ts: req.tsRecent, wscale: req.wscaleOk ? req.sndWscale : null,
      sack: req.sackOk, tsOk: req.tstampOk, tsOff: req.tsOffset, mss: cookieMss(req.mss),
    });
    mibInc(k, 'SyncookiesSent');
    later(k, k.profile.costs.synAckNs, sendSynackEv, req);
    return;
  }
  inetCskReqskQueueHashAdd(k, sk, req);
  later(k, k.profile.costs.synAckNs, sendSynackEv, req);
}

/** tcp_store_ts_recent(): ts_recent and its stamp from the segment's TSval. */
export function tcpStoreTsRecent(k: Kernel, sk: TcpSock, tsval: number): void {
  sk.tsRecent = tsval | 0;
  sk.tsRecentStamp = jiffies(k);
}

/**
 * tcp_rcv_state_process() for every state but LISTEN (handled by the caller). Returns
 * true when the caller must answer with a RST (tcp_v4_do_rcv's `reset:` label).
 */
export function tcpRcvStateProcess(k: Kernel, sk: TcpSock, skb: Segment): boolean {
  if (sk.state === TCP_CLOSE) {
    rcvVerdict(k, skb, sk.id, 'dropped', 'closed');
    return false;
  }
  if (sk.state === TCP_SYN_SENT) return tcpRcvSynsentStateProcess(k, sk, skb);
  if (!(skb.flags & (TH_ACK | TH_RST | TH_SYN))) {
    rcvVerdict(k, skb, sk.id, 'dropped', 'filtered');
    return false;
  }
  if (!tcpValidateIncoming(k, sk, skb)) return false;
  // step 5: check the ACK field (tcp_ack)
  if (!(skb.flags & TH_ACK)) {
    rcvVerdict(k, skb, sk.id, 'dropped', 'filtered');
    return false;
  }
  if (before(skb.ack, sk.sndUna)) {
    // tcp_ack(): an ACK older than snd_una - max_window (RFC 5961 5.2, "Blind Data Injection
    // Attack"): dropped with a challenge ACK. 3d501dd326fb (v6.7) bounds the window by the
    // bytes ever acked ("do not accept ACK of bytes we never sent"); older ACKs within it are
    // `old_ack`, which changes nothing the model keeps.
    const maxWindow = k.profile.behaviour.oldAckBytesAcked ? Math.min(sk.maxWindow, sk.bytesAcked) : sk.maxWindow;
    if (before(skb.ack, u32(sk.sndUna - maxWindow))) {
      rcvVerdict(k, skb, sk.id, 'dropped', 'out-of-window'); // SKB_DROP_REASON_TCP_TOO_OLD_ACK
      tcpSendChallengeAck(k, sk);
      return false;
    }
  }
  if (after(skb.ack, sk.sndNxt)) {
    // ACK of something we never sent: tcp_ack() returns -1; send a dupack (rate-limited)
    rcvVerdict(k, skb, sk.id, 'dropped', 'out-of-window');
    tcpSendDupack(k, sk);
    return false;
  }
  rcvVerdict(k, skb, sk.id, 'accepted');
  const opt = parseOptions(skb.options);
  if (opt.ts && sk.tstampOk && !before(skb.seq, sk.rcvWup) && !after(skb.seq, sk.rcvNxt)) tcpStoreTsRecent(k, sk, opt.ts.val);
  const established = sk.state === TCP_ESTABLISHED; // tcp_rcv_established()'s slow path
  tcpAck(k, sk, skb);
  if (established) tcpRcvRttMeasureTs(k, sk, skb);
  // the FIN is acked when everything queued, the FIN last, is (write_seq counts the FIN)
  const finAcked = sk.sndUna === sk.writeSeq;
  switch (sk.state) {
    case TCP_FIN_WAIT1:
      if (finAcked) {
        tcpSetState(k, sk, TCP_FIN_WAIT2);
        sk.skShutdown |= SEND_SHUTDOWN;
        if (!sk.dead) {
          sockDefWakeup(sk);
          break;
        }
        // orphaned: tcp_fin_time()
        const tmo = tcpFinTime(k, sk);
        const hasFin = !!(skb.flags & TH_FIN);
        if (tmo > TCP_TIMEWAIT_LEN_S * k.HZ) {
          inetCskResetKeepaliveTimer(k, sk, tmo - TCP_TIMEWAIT_LEN_S * k.HZ);
        } else if (hasFin) {
          inetCskResetKeepaliveTimer(k, sk, tmo);
        } else {
          tcpTimeWait(k, sk, TCP_FIN_WAIT2, tmo);
          return false;
        }
      }
      break;
    case TCP_CLOSING:
      if (finAcked) {
        tcpTimeWait(k, sk, TCP_TIME_WAIT, 0);
        return false;
      }
      break;
    case TCP_LAST_ACK:
      if (finAcked) {
        tcpDone(k, sk);
        return false;
      }
      break;
  }
  // step 7: process the segment text
  switch (sk.state) {
    case TCP_CLOSE_WAIT:
    case TCP_CLOSING:
    case TCP_LAST_ACK:
      if (!before(skb.seq, sk.rcvNxt)) break; // data after FIN: ignored
    // fallthrough
    case TCP_FIN_WAIT1:
    case TCP_FIN_WAIT2:
      if (sk.skShutdown & RCV_SHUTDOWN && skb.payload.length && after(u32(skb.seq + skb.payload.length), sk.rcvNxt)) {
        // RFC 793: data after the user closed → reset
        mibInc(k, 'TCPAbortOnData');
        tcpReset(k, sk);
        return true;
      }
    // fallthrough
    case TCP_ESTABLISHED:
      tcpDataQueue(k, sk, skb);
      break;
  }
  return false;
}

/**
 * tcp_data_queue() + __tcp_ack_snd_check(): a segment in order goes to the receive queue (its
 * FIN to tcp_fin()) and pulls what the out-of-order queue now continues (tcp_ofo_queue());
 * one beyond rcv_nxt goes to the out-of-order queue (tcp_data_queue_ofo(), tcp_input-ofo.ts);
 * an old one is D-SACKed, one past the window or into a zero window dropped, each answered at
 * once (tcp_enter_quickack_mode()). A segment that starts before rcv_nxt and ends after it
 * ("Partial packet, seq < rcv_next < end_seq") D-SACKs its old head and queues the rest.
 */
export function tcpDataQueue(k: Kernel, sk: TcpSock, skb: Segment): void {
  const fin = !!(skb.flags & TH_FIN);
  const seq = skb.seq | 0;
  const endSeq = (seq + skb.payload.length + (fin ? 1 : 0)) | 0;
  if (seq === endSeq) return; // a bare ACK
  sk.dsack = null; // tp->rx_opt.dsack = 0
  let payload = skb.payload;
  if (seq !== sk.rcvNxt) {
    if (!after(endSeq, sk.rcvNxt)) {
      // "A retransmit, 2nd most common case. Force an immediate ack."
      mibInc(k, 'DelayedACKLost');
      tcpDsackSet(k, sk, seq, endSeq);
      return outOfWindow(k, sk);
    }
    // "Out of window. F.e. zero window probe."
    if (!before(seq, u32(sk.rcvNxt + tcpReceiveWindow(sk)))) return outOfWindow(k, sk);
    if (!before(seq, sk.rcvNxt)) {
      if (k.profile.name !== 'linux-4.4') tcpMeasureRcvMss(k, sk, skb); // 38d7e444336567 (6.17)
      const truesize = skbTruesize(k, skb);
      tcpDataQueueOfo(k, sk, { seq, end: endSeq, data: payload, fin, extra: truesize ? truesize - payload.length : 0 });
      if (sk.sackOk && payload.length >= 128) tcpGrowWindow(k, sk, payload.length);
      // an out-of-order segment is ACKed at once (6.x compresses the fourth SACK in a row and
      // later ones by 5 % of the RTT, at most tcp_comp_sack_delay_ns: with no receiver RTT yet,
      // at once as well)
      later(k, k.profile.costs.ackReplyNs, sendAckEv, sk);
      return;
    }
    // partial packet: D-SACK the head, queue the rest
    tcpDsackSet(k, sk, seq, sk.rcvNxt);
    if (!tcpReceiveWindow(sk)) {
      mibInc(k, 'TCPZeroWindowDrop');
      return outOfWindow(k, sk);
    }
    payload = payload.subarray(Math.min(payload.length, u32(sk.rcvNxt - seq)));
  } else if (tcpReceiveWindow(sk) === 0 && payload.length) {
    // "Out of window. F.e. zero window probe." (SKB_DROP_REASON_TCP_ZEROWINDOW); a bare FIN is
    // queued all the same ("Some stacks are known to send bare FIN packets in a loop")
    mibInc(k, 'TCPZeroWindowDrop');
    return outOfWindow(k, sk);
  }
  let ackNow = tcpTryRmemSchedule(k, sk, skb);
  if (ackNow && sk.rcvQueue.length && payload.length) {
    // "if (skb_queue_len(&sk->sk_receive_queue) && skb->len)": dropped, the ACK goes now
    mibInc(k, 'TCPRcvQDrop');
    return outOfWindow(k, sk, true);
  }
  if (payload.length) {
    // tcp_queue_rcv(), then tcp_event_data_recv() with the skb charged and rcv_nxt past it (its
    // tcp_grow_window() sees the free space the skb left; the FIN, if any, is not counted yet)
    const truesize = skbTruesize(k, skb);
    const coalesced = !!truesize && tcpTryCoalesce(k, sk, skb);
    tcpChargeSkb(sk, payload, !truesize || coalesced ? 0 : truesize - payload.length, coalesced);
    tcpRcvNxtUpdate(sk, (endSeq - (fin ? 1 : 0)) | 0);
    tcpEventDataRecv(k, sk, skb);
  }
  tcpRcvNxtUpdate(sk, endSeq);
  let gotFin = fin;
  if (fin) tcpFin(k, sk);
  else if (sk.outOfOrderQueue.length) {
    gotFin = tcpOfoQueue(k, sk);
    if (gotFin) tcpFin(k, sk);
    // RFC 5681 4.2: "SHOULD send immediate ACK, when gap in queue is filled"
    if (!sk.outOfOrderQueue.length) ackNow = true;
  }
  if (sk.selectiveAcks.length) tcpSackRemove(sk);
  traceQueues(k, sk);
  sockDefWakeup(sk);
  if (gotFin && sk.state !== TCP_CLOSE_WAIT) return; // tcp_fin() acked already
  __tcpAckSndCheck(k, sk, ackNow);
}

/** TCP_MAX_QUICKACKS, TCP_ATO_MIN (HZ/25 jiffies, 40 ms). */
export const TCP_MAX_QUICKACKS = 16;
export const tcpAtoMin = (k: Kernel): number => Math.floor(k.HZ / 25);

/**
 * tcp_incr_quickack(): up to rcv_wnd / (2 x rcv_mss) ACKs at once (2 when that is 0), at most
 * `max`; never fewer than are left.
 */
export function tcpIncrQuickack(sk: TcpSock, max: number): void {
  const quickacks = Math.min(Math.floor(sk.rcvWnd / (2 * sk.rcvMss)) || 2, max);
  if (quickacks > sk.ackQuick) sk.ackQuick = quickacks;
}

/** tcp_enter_quickack_mode(): quick ACKs, out of pingpong mode, ato back to TCP_ATO_MIN. */
function tcpEnterQuickackMode(k: Kernel, sk: TcpSock, max: number): void {
  tcpIncrQuickack(sk, max);
  sk.pingpong = false;
  sk.ato = tcpAtoMin(k);
}

/**
 * __tcp_ack_snd_check() (4.4 and 6.18): the ACK goes at once when more than one full frame
 * (rcv_mss) came since the last window update and the window would not shrink
 * (__tcp_select_window() >= rcv_wnd), in quickack mode (icsk_ack.quick left and not pingpong),
 * for ICSK_ACK_NOW (a drop for memory) or, 4.4, with an out-of-order queue; otherwise the
 * delayed-ACK timer sends it. 6.18.44 on lo (zero-window's recording): the first 16384 bytes are
 * ACKed at once (quick = 65483 / (2 x 16384) = 1), the next 16384 and 54272 wait ~40 ms for
 * the timer, the window being short of rcv_wnd.
 */
function __tcpAckSndCheck(k: Kernel, sk: TcpSock, ackNow: boolean): void {
  const frames = ((sk.rcvNxt - sk.rcvWup) | 0) > sk.rcvMss && __tcpSelectWindow(k, sk) >= sk.rcvWnd;
  const quick = sk.ackQuick > 0 && !sk.pingpong;
  const ofo = k.profile.name === 'linux-4.4' && sk.outOfOrderQueue.length > 0;
  sk.ackPending = true; // inet_csk_ack_scheduled(): tcp_ack_snd_check() runs only then
  if (ackNow || frames || quick || ofo) later(k, k.profile.costs.ackReplyNs, ackSndEv, sk);
  else tcpSendDelayedAck(k, sk);
}

/**
 * The ACK __tcp_ack_snd_check() sends now, a moment later (the receive path's cost): unless an
 * ACK left in between (a reader woken by this data ran tcp_cleanup_rbuf(), or data went out),
 * which tcp_event_ack_sent() made the one that was due.
 */
function ackSndEv(k: Kernel, sk: TcpSock): void {
  if (!sk.freed && sk.ackPending) tcpSendAck(k, sk);
}

/**
 * tcp_try_rmem_schedule() for an in-order skb: when tcp_can_ingest() says no (sk_rmem_alloc
 * over sk_rcvbuf), tcp_prune_queue() (PruneCalled) collapses the queues (tcpCollapse()) and fails
 * (RcvPruned) when the skb still does not fit, or at once with nothing queued ("Do nothing if our
 * queues are empty"). Failing means ICSK_ACK_NOMEM | ICSK_ACK_NOW: returns true. On lo the window
 * keeps rmem under the buffer; a packetdrill peer that ignores it gets here
 * (tcp_rcv_zero_wnd_fin.pkt's FIN into a full buffer: ACKed at once on 6.18.44; a 50000-byte skb
 * into the empty 20000-byte buffer of tcp_rcv_big_endseq.pkt is taken, rmem being 0, and
 * ACKed by the delayed-ACK timer, 43.5 ms later on 6.18.44).
 */
function tcpTryRmemSchedule(k: Kernel, sk: TcpSock, skb: Segment): boolean {
  if (tcpCanIngest(k, sk, skb)) return false;
  if (!tcpRmemAlloc(sk)) return true;
  mibInc(k, 'PruneCalled');
  tcpCollapse(sk);
  if (tcpCanIngest(k, sk, skb)) return false;
  mibInc(k, 'RcvPruned');
  return true;
}

/**
 * tcp_can_ingest(): sk_rmem_alloc not over sk_rcvbuf. 6.17 had tested it with the arriving
 * skb's truesize added (1d2fbaad7cd8, then its len); 026dfef287c0 ("tcp: give up on stronger
 * sk_rcvbuf checks (for now)", net, Feb 2026; in the 6.18.y stable queue of March 2026) went
 * back to 4.4's rule.
 * 6.18.44 here (differential small-buffers script 34, tcp_rmem 8192): a 1792-byte persist-timer
 * segment (truesize 2624) joins a queue charged 5760 by coalescing (r7552, TcpExtTCPRcvCoalesce 1,
 * no PruneCalled), where rmem + truesize (8384) would have pruned it.
 */
function tcpCanIngest(k: Kernel, sk: TcpSock, skb: Segment): boolean {
  return tcpRmemAlloc(sk) <= sk.rcvbuf;
}

/**
 * skb->truesize of a received data skb: what the packetdrill runner gave a tun packet, else (lo)
 * the sender's skb's (tcpStreamSkbTruesize(); 0 on the 4.4 profile, charged its payload).
 */
export function skbTruesize(k: Kernel, skb: Segment): number {
  return skb.truesize ?? tcpStreamSkbTruesize(k, skb.payload.length);
}

/**
 * tcp_queue_rcv()'s tcp_try_coalesce() -> skb_try_coalesce() for a lo skb: its page frags join
 * the receive queue's tail skb, which is charged only their size (delta = truesize -
 * SKB_TRUESIZE(skb_end_offset())), unless the tail is still the sender's clone (skb_cloned(to):
 * its original waits in the sender's retransmit queue until an ACK frees or trims it). So a
 * stopped reader's queue is one skb: 6.18.44 holds 124928 bytes in r125760 (ss -tm skmem),
 * 832 over the payload. Tun skbs (packetdrill) keep their own charge.
 */
function tcpTryCoalesce(k: Kernel, sk: TcpSock, skb: Segment): boolean {
  if (skb.truesize !== undefined) return false;
  const ok = sk.rcvQueue.length > 0 && !rcvTailCloned(k, sk, skb);
  sk.rcvTailClone = ok ? null : skb.seq | 0;
  return ok;
}

/** skb_cloned() of the receive queue's tail: its sender still holds it (not acked yet). */
function rcvTailCloned(k: Kernel, sk: TcpSock, skb: Segment): boolean {
  const tail = sk.rcvTailClone;
  if (tail === null) return false;
  const peer = k.ehash.get(skb.saddr, skb.sport, skb.daddr, skb.dport);
  return !!peer && peer.kind === 'full' && !after(peer.sndUna, tail);
}

/**
 * tcp_data_queue()'s out_of_window: tcp_enter_quickack_mode(), inet_csk_schedule_ack(), then
 * tcp_ack_snd_check(). Usually an ACK now, but __tcp_ack_snd_check() asks __tcp_select_window()
 * first, which ends quickack mode when free space is under half the buffer's window: 6.18.44
 * answers a tail loss probe's duplicate into a filling buffer with its delayed ACK (D-SACK 36 ms
 * later in zero-window's recording). `now`: ICSK_ACK_NOW (a drop for lack of memory).
 */
function outOfWindow(k: Kernel, sk: TcpSock, now = false): void {
  tcpEnterQuickackMode(k, sk, TCP_MAX_QUICKACKS);
  sk.ackPending = true;
  __tcpAckSndCheck(k, sk, now);
}

/**
 * tcp_init_transfer() as the connection is established, with the handshake's RTT sample (from
 * the echoed timestamp of the SYN-ACK or of the final ACK) setting the RTO;
 * tcp_init_buffer_space() (tcp_input-rcvbuf.ts) and tcp_initialize_rcv_mss() (the guess of the
 * peer's segment size before data: at most TCP_MSS_DEFAULT, 536).
 */
export function tcpInitTransfer(k: Kernel, sk: TcpSock, skb?: Segment, req?: RequestSock): void {
  // tcp_connect_init() / tcp_create_openreq_child(): snd_sml = snd_una, pushed_seq = write_seq
  sk.sndSml = sk.sndUna;
  sk.pushedSeq = sk.writeSeq;
  if (!(req && tcpSynackRttMeas(k, sk, req))) tcpAckUpdateRttFromTs(k, sk, skb);
  tcpInitBufferSpace(k, sk);
  const hint = Math.min(sk.advmss, sk.mss, sk.rcvWnd >> 1, 536);
  sk.rcvMss = Math.max(hint, 88); // TCP_MIN_MSS
}

/**
 * tcp_synack_rtt_meas() (tcp_rcv_state_process() in SYN-RECV): the RTT from the SYN-ACK's
 * departure (snt_synack) to the ACK, when the SYN-ACK was not retransmitted; tcp_ack_update_rtt()
 * prefers it to the TS echo ("Prefer RTT measured from ACK's timing to TS-ECR"). 6.x measures
 * in µs (tcp_clock_us()); 4.4 in jiffies (tcp_time_stamp - synack_stamp). Without it a passive
 * socket without timestamps had no RTT: tcp_user_timeout_user_timeout.pkt's 100 ms handshake
 * gives srtt 100 ms, RTO 300 ms. Returns whether it took a sample.
 */
function tcpSynackRttMeas(k: Kernel, sk: TcpSock, req: RequestSock): boolean {
  if (req.numRetrans || !req.sntSynack) return false;
  let us = (k.now - req.sntSynack) / 1000;
  const tick = 1e9 / k.HZ;
  if (k.profile.name === 'linux-4.4') us = (Math.floor(k.now / tick) - Math.floor(req.sntSynack / tick)) * (1e6 / k.HZ);
  tcpRttEstimator(k, sk, Math.max(1, Math.floor(us)));
  tcpSetRto(k, sk);
  sk.backoff = 0;
  return true;
}

/** tcp_fin(): the peer closed its side. */
function tcpFin(k: Kernel, sk: TcpSock): void {
  // "It _is_ possible, that we have something out-of-order _after_ FIN. ... For now drop them."
  // tcp_sack_reset() forgets the SACK blocks and a pending D-SACK too (tcp_close_no_rst.pkt:
  // "Why do we have a delay and no dsack ?")
  tcpOfoPurge(sk);
  if (sk.sackOk) {
    sk.selectiveAcks = NO_SACKS;
    sk.dsack = null;
  }
  sk.skShutdown |= RCV_SHUTDOWN;
  sk.finQueued = true;
  sk.done = true;
  switch (sk.state) {
    case TCP_SYN_RECV:
    case TCP_ESTABLISHED:
      tcpSetState(k, sk, TCP_CLOSE_WAIT);
      sk.pingpong = true; // "Move to CLOSE_WAIT" ... icsk_ack.pingpong = 1
      break;
    case TCP_FIN_WAIT1:
      // simultaneous close: ACK the FIN now, move to CLOSING
      tcpSendAck(k, sk);
      tcpSetState(k, sk, TCP_CLOSING);
      break;
    case TCP_FIN_WAIT2:
      // received a FIN: send the ACK now and enter TIME-WAIT
      tcpSendAck(k, sk);
      tcpTimeWait(k, sk, TCP_TIME_WAIT, 0);
      break;
  }
}

/**
 * tcp_send_dupack() after tcp_oow_rate_limited() (a segment with data and no SYN is never rate
 * limited, f2b2c582e824, 4.0): data before rcv_nxt counts DelayedACKLost and is D-SACKed.
 */
function tcpSendDupack(k: Kernel, sk: TcpSock, skb?: Segment): void {
  const len = skb ? skb.payload.length + (skb.flags & TH_FIN ? 1 : 0) : 0;
  if (!(len && !(skb!.flags & TH_SYN)) && tcpOowRateLimited(k, sk, 'TCPACKSkippedSeq')) return;
  if (skb && len && before(skb.seq, sk.rcvNxt)) {
    mibInc(k, 'DelayedACKLost');
    const end = u32(skb.seq + len);
    tcpDsackSet(k, sk, skb.seq, after(end, sk.rcvNxt) ? sk.rcvNxt : end);
  }
  later(k, k.profile.costs.ackReplyNs, sendAckEv, sk);
}

/** __tcp_oow_rate_limited(): at most one out-of-window ACK per tcp_invalid_ratelimit. */
export function tcpOowRateLimited(k: Kernel, s: { lastOowAckTime: number }, mib: string | null): boolean {
  const now = u32(jiffies(k));
  if (s.lastOowAckTime) {
    const elapsed = (now - s.lastOowAckTime) | 0;
    if (elapsed >= 0 && elapsed < msecsToJiffies(k, k.sysctl['net.ipv4.tcp_invalid_ratelimit'])) {
      if (mib) mibInc(k, mib);
      return true;
    }
  }
  s.lastOowAckTime = now || 1;
  return false;
}

/**
 * tcp_validate_incoming(): PAWS, RFC 793 step 1 (sequence), step 2 (RST, RFC 5961 §3.2)
 * and step 4 (SYN, RFC 5961 §4: challenge ACK). Returns false when the segment is consumed.
 */
export function tcpValidateIncoming(k: Kernel, sk: TcpSock, skb: Segment): boolean {
  const opt = parseOptions(skb.options);
  const isSyn = !!(skb.flags & TH_SYN);
  const isRst = !!(skb.flags & TH_RST);
  // PAWS (tcp_paws_discard)
  if (opt.ts && sk.tstampOk && sk.tsRecent && ((sk.tsRecent - opt.ts.val) | 0) > 0 && !isRst) {
    if (isSyn && k.profile.behaviour.pawsSynChallenge) return synChallenge(k, sk, skb);
    mibInc(k, 'PAWSEstabRejected');
    rcvVerdict(k, skb, sk.id, 'dropped', 'paws');
    tcpSendDupack(k, sk, skb);
    return false;
  }
  // Step 1: check sequence number (tcp_sequence)
  const endSeq = u32(skb.seq + skb.payload.length + (isSyn ? 1 : 0) + (skb.flags & TH_FIN ? 1 : 0));
  const seqOk = tcpSequence(k, sk, skb.seq, endSeq, !!(skb.flags & TH_FIN));
  if (seqOk !== 'ok') {
    if (isRst) {
      rcvVerdict(k, skb, sk.id, 'dropped', 'out-of-window');
      return false;
    }
    if (isSyn) return synChallenge(k, sk, skb);
    if (seqOk === 'beyond-window') mibInc(k, 'BeyondWindow');
    rcvVerdict(k, skb, sk.id, 'dropped', 'out-of-window');
    tcpSendDupack(k, sk, skb);
    return false;
  }
  // Step 2: check RST bit (RFC 5961 3.2: only an exact match resets)
  if (isRst) {
    if ((skb.seq | 0) === sk.rcvNxt) {
      rcvVerdict(k, skb, sk.id, 'accepted');
      tcpReset(k, sk);
    } else {
      rcvVerdict(k, skb, sk.id, 'dropped', 'out-of-window');
      tcpSendChallengeAck(k, sk);
    }
    return false;
  }
  // Step 4: RFC 5961 4.2: send a challenge ACK to any SYN
  if (isSyn) return synChallenge(k, sk, skb);
  return true;
}

/**
 * tcp_sequence(): a segment ending before rcv_wup is old; one starting past the window is out
 * of it. Since 9ca48d616ed7 (6.17) one that only ends past the window is dropped too, unless
 * the receive queue is empty (SKB_DROP_REASON_TCP_INVALID_END_SEQUENCE), and 6c758062c64d counts
 * both in TcpExtBeyondWindow; 4.4 accepts such a segment (tcp_data_queue() keeps what fits).
 */
function tcpSequence(k: Kernel, sk: TcpSock, seq: number, endSeq: number, fin: boolean): 'ok' | 'old' | 'beyond-window' {
  if (before(endSeq, sk.rcvWup)) return 'old';
  const right = u32(sk.rcvNxt + tcpReceiveWindow(sk));
  if (k.profile.name === 'linux-4.4') return after(seq, right) ? 'old' : 'ok';
  if (after(endSeq, right)) {
    // "Some stacks are known to handle FIN incorrectly; allow the FIN to extend beyond the
    // window and check it in detail later" (in 6.18.44: tcp_rcv_zero_wnd_fin.pkt)
    if (!after(u32(endSeq - (fin ? 1 : 0)), right)) return 'ok';
    if (after(seq, right)) return 'beyond-window';
    if (sk.rcvQueue.length) return 'beyond-window';
  }
  return 'ok';
}

/** tcp_validate_incoming()'s `syn_challenge:` label. */
function synChallenge(k: Kernel, sk: TcpSock, skb: Segment): false {
  mibInc(k, 'TCPSYNChallenge');
  const sent = tcpSendChallengeAck(k, sk);
  rcvVerdict(k, skb, sk.id, 'dropped', sent ? 'syn-challenge' : 'challenge-ack-ratelimited');
  return false;
}

/**
 * tcp_send_challenge_ack(): per-socket rate limit (083ae308280d, 4.7; in 4.4.155), then the
 * global budget: ~limit per second randomised (75ff39ccc1bd) on 4.4, per-netns and off by
 * default since 79e3602caa6f (6.0). The ACK itself is a plain tcp_send_ack().
 */
export function tcpSendChallengeAck(k: Kernel, sk: TcpSock): boolean {
  if (tcpOowRateLimited(k, sk, 'TCPACKSkippedChallenge')) return false;
  const limit = k.sysctl['net.ipv4.tcp_challenge_ack_limit'];
  if (k.profile.behaviour.challengeAckGlobal === 'per-second-random' || limit < 2147483647) {
    const nowSec = Math.floor(jiffies(k) / k.HZ);
    if (nowSec !== k.challengeTimestamp) {
      const half = (limit + 1) >> 1;
      k.challengeTimestamp = nowSec;
      k.challengeCount = half + k.rng.below(limit);
    }
    if (k.challengeCount <= 0) {
      mibInc(k, 'TCPChallengeACKLimited');
      return false;
    }
    k.challengeCount--;
  }
  mibInc(k, 'TCPChallengeACK');
  later(k, k.profile.costs.ackReplyNs, sendAckEv, sk);
  return true;
}

/** tcp_rcv_synsent_state_process() */
function tcpRcvSynsentStateProcess(k: Kernel, sk: TcpSock, skb: Segment): boolean {
  if (skb.flags & TH_ACK) {
    // "If SEG.ACK =< ISS, or SEG.ACK > SND.NXT, send a reset" (RFC 793)
    if (!after(skb.ack, sk.sndUna) || after(skb.ack, sk.sndNxt)) {
      // 9603d47bad46 (5.6): "Previous FIN/ACK or RST/ACK might be ignored."
      if (k.profile.behaviour.fastSynResendOnBadAck && sk.retransmits === 0)
        inetCskResetXmitTimer(k, sk, TCP_TIMEOUT_MIN);
      rcvVerdict(k, skb, sk.id, 'dropped', 'bad-ack');
      return true; // reset_and_undo
    }
    if (skb.flags & TH_RST) {
      rcvVerdict(k, skb, sk.id, 'accepted');
      tcpReset(k, sk);
      return false;
    }
    if (!(skb.flags & TH_SYN)) {
      rcvVerdict(k, skb, sk.id, 'dropped', 'filtered');
      return false;
    }
    // SYN-ACK: the connection is established
    rcvVerdict(k, skb, sk.id, 'accepted');
    const opt = parseOptions(skb.options);
    sk.tstampOk = !!opt.ts && !!k.sysctl['net.ipv4.tcp_timestamps'];
    sk.tsRecent = (opt.ts?.val ?? 0) | 0;
    sk.tsRecentStamp = jiffies(k);
    sk.sackOk = !!opt.sackOK && !!k.sysctl['net.ipv4.tcp_sack'];
    sk.wscaleOk = opt.wscale !== undefined && !!k.sysctl['net.ipv4.tcp_window_scaling'];
    sk.sndWscale = sk.wscaleOk ? opt.wscale! : 0;
    if (!sk.wscaleOk) sk.rcvWscale = 0;
    sk.lastDataRecv = jiffies(k); // tcp_finish_connect(): icsk_ack.lrcvtime = tcp_jiffies32
    sk.lastAckRecv = sk.lastDataRecv; // tcp_ack() of the SYN-ACK: rcv_tstamp (keepalive_time_elapsed())
    // tcp_finish_connect(): SO_KEEPALIVE set before connect() arms the keepalive timer now
    if (sk.keepOpen) inetCskResetKeepaliveTimer(k, sk, keepaliveTimeWhen(k, sk));
    sk.rcvNxt = (skb.seq + 1) | 0;
    sk.copiedSeq = sk.rcvNxt;
    sk.rcvWup = sk.rcvNxt;
    sk.sndUna = skb.ack | 0;
    sk.sndWnd = skb.window;
    sk.maxWindow = sk.sndWnd;
    // "tp->advmss -= TCPOLEN_TSTAMP_ALIGNED" when timestamps are on, then tcp_sync_mss()
    if (sk.tstampOk) sk.advmss -= 12;
    sk.rto = k.HZ / 5;
    tcpSyncMss(k, sk, opt.mss ?? 536);
    tcpInitTransfer(k, sk, skb);
    inetCskClearXmitTimer(k, sk, 'retrans');
    sk.retransmits = 0;
    sk.backoff = 0;
    tcpSetState(k, sk, TCP_ESTABLISHED);
    traceQueues(k, sk);
    sockDefWakeup(sk);
    later(k, k.profile.costs.handshakeAckNs, sendAckEv, sk);
    return false;
  }
  if (skb.flags & TH_RST) {
    rcvVerdict(k, skb, sk.id, 'dropped', 'rst-ignored');
    return false;
  }
  // a SYN without ACK would be a simultaneous open: not modelled, dropped
  rcvVerdict(k, skb, sk.id, 'dropped', 'filtered');
  return false;
}

/** tcp_reset(): the peer reset us; sk_err depends on the state (EPIPE in CLOSE-WAIT). */
export function tcpReset(k: Kernel, sk: TcpSock): void {
  switch (sk.state) {
    case TCP_SYN_SENT:
      sk.skErr = ECONNREFUSED;
      break;
    case TCP_CLOSE_WAIT:
      sk.skErr = EPIPE;
      break;
    case TCP_CLOSE:
      return;
    default:
      sk.skErr = ECONNRESET;
  }
  mibInc(k, 'EstabResets', sk.state === TCP_ESTABLISHED || sk.state === TCP_CLOSE_WAIT ? 1 : 0);
  tcpDone(k, sk);
}
