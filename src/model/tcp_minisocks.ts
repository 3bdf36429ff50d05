/**
 * net/ipv4/tcp_minisocks.c (Linux 4.4 and 6.18): the timewait mini-socket (tcp_time_wait,
 * tcp_timewait_state_process) and the request sock's handling of the handshake's last ACK
 * (tcp_check_req).
 *
 * Deliberate differences: no TCP_TW_RECYCLE/tw_reuse for outgoing connections; tcp_check_req()
 * does not rate-limit SYN-ACK retransmissions for retransmitted SYNs (tcp_oow_rate_limited)
 * and has no TCP_DEFER_ACCEPT.
 */
import type { Kernel } from './kernel.ts';
import { inetCskClearXmitTimer, inetCskCompleteHashdance, inetCskDeleteKeepaliveTimer, inetCskDestroySock, inetCskReqskQueueDrop } from './inet_connection_sock.ts';
import { inetTwskHashdance, inetTwskKill, inetTwskSchedule } from './inet_timewait_sock.ts';
import { later } from './loopback.ts';
import { after, before, u32 } from './seq.ts';
import { SHUTDOWN_MASK, sockDefWakeup, TimewaitSock, type RequestSock, type TcpSock } from './sock.ts';
import { tcpFullSpace, tcpSegsIn, tcpSetState, TCP_TIMEWAIT_LEN_S } from './tcp.ts';
import { tcpRcvbufClamp, tcpSelectInitialWindow, tcpSyncMss } from './tcp_output.ts';
import { parseOptions, tcpDataQueue, tcpInitTransfer, tcpOowRateLimited } from './tcp_input.ts';
import { reqskSendAckEv, sendResetEv, sendSynackEv, tcpV4SynRecvSock } from './tcp_ipv4.ts';
import { jiffies } from './time.ts';
import { mibInc, rcvVerdict } from './trace.ts';
import { TCP_CLOSE, TCP_FIN_WAIT2, TCP_TIME_WAIT, TH_ACK, TH_FIN, TH_RST, TH_SYN, type Segment, type TcpState } from './types.ts';

/**
 * tcp_time_wait(): replace a full socket by a timewait mini-socket (substate FIN_WAIT2 or
 * TIME_WAIT) that keeps the 4-tuple in ehash and the port in its bind bucket.
 */
export function tcpTimeWait(k: Kernel, sk: TcpSock, state: TcpState, timeo: number): void {
  const tw = new TimewaitSock(k.nextId++, state);
  tw.saddr = sk.saddr;
  tw.sport = sk.sport;
  tw.daddr = sk.daddr;
  tw.dport = sk.dport;
  tw.rcvNxt = sk.rcvNxt;
  tw.sndNxt = sk.sndNxt;
  tw.rcvWnd = sk.rcvWnd;
  tw.rcvWscale = sk.rcvWscale;
  tw.tsRecent = sk.tsRecent;
  tw.tsRecentStamp = sk.tsRecentStamp;
  tw.tsOffset = sk.tsOffset;
  tw.tstampOk = sk.tstampOk;
  tw.reuse = sk.reuse;
  tw.reuseport = sk.reuseport;
  const rto35 = (sk.rto << 2) - (sk.rto >> 1);
  if (timeo < rto35) timeo = rto35;
  if (state === TCP_TIME_WAIT) timeo = TCP_TIMEWAIT_LEN_S * k.HZ;
  if (k.sim.traceDetail)
    k.sim.emit({ type: 'sock-new', t: k.now, sock: tw.id, kind: 'timewait', state, saddr: tw.saddr, sport: tw.sport, daddr: tw.daddr, dport: tw.dport, inode: 0 });
  inetTwskHashdance(k, tw, sk);
  inetTwskSchedule(k, tw, timeo);
  mibInc(k, state === TCP_TIME_WAIT ? 'TW' : 'TCPFinWait2', 0);
  // tcp_done(sk) for the full socket; it is orphaned, so it is destroyed
  sk.hashed = false;
  tcpSetState(k, sk, TCP_CLOSE);
  inetCskDeleteKeepaliveTimer(k, sk);
  inetCskClearXmitTimer(k, sk, 'retrans');
  inetCskClearXmitTimer(k, sk, 'delack');
  sk.skShutdown = SHUTDOWN_MASK;
  if (sk.dead) inetCskDestroySock(k, sk);
  else sockDefWakeup(sk);
}

export type TwVerdict = { kind: 'success' | 'ack' | 'rst' } | { kind: 'syn'; isn: number };

/** tcp_timewait_state_process(): TCP_TW_SUCCESS, TCP_TW_ACK, TCP_TW_RST or TCP_TW_SYN (with the new ISN). */
export function tcpTimewaitStateProcess(k: Kernel, tw: TimewaitSock, skb: Segment): TwVerdict {
  const opt = parseOptions(skb.options);
  const isSyn = !!(skb.flags & TH_SYN);
  const endSeq = u32(skb.seq + skb.payload.length + (isSyn ? 1 : 0) + (skb.flags & TH_FIN ? 1 : 0));
  const pawsReject = !!(opt.ts && tw.tstampOk && tw.tsRecent && ((tw.tsRecent - opt.ts.val) | 0) > 0 && !(skb.flags & TH_RST));
  if (tw.substate === TCP_FIN_WAIT2) {
    // "Out of window, send ACK": a retransmission of data the socket had received (end_seq <=
    // rcv_nxt) is out of window too, and answered with an ACK (the one its delayed-ACK timer
    // would have sent, lost when tcp_close() turned the socket into this mini-socket)
    if (pawsReject || !tcpInWindow(skb.seq, endSeq, tw.rcvNxt, u32(tw.rcvNxt + tw.rcvWnd))) {
      rcvVerdict(k, skb, tw.id, 'dropped', pawsReject ? 'paws' : 'out-of-window');
      return tcpTimewaitCheckOowRateLimit(k, tw, 'TCPACKSkippedFinWait2');
    }
    if (skb.flags & TH_RST) {
      rcvVerdict(k, skb, tw.id, 'accepted');
      inetTwskKill(k, tw);
      return { kind: 'success' };
    }
    if (isSyn && !before(skb.seq, tw.rcvNxt)) {
      rcvVerdict(k, skb, tw.id, 'dropped', 'timewait');
      return { kind: 'rst' };
    }
    if (!(skb.flags & TH_ACK) || !after(endSeq, tw.rcvNxt) || endSeq === skb.seq) {
      rcvVerdict(k, skb, tw.id, 'dropped', 'dup-ack');
      return { kind: 'success' };
    }
    if (!(skb.flags & TH_FIN) || endSeq !== u32(tw.rcvNxt + 1)) {
      rcvVerdict(k, skb, tw.id, 'dropped', 'timewait');
      return { kind: 'rst' };
    }
    // FIN arrived: enter the true TIME-WAIT
    rcvVerdict(k, skb, tw.id, 'accepted');
    const from = tw.substate;
    tw.substate = TCP_TIME_WAIT;
    if (k.sim.traceDetail) k.sim.emit({ type: 'state', t: k.now, sock: tw.id, from, to: TCP_TIME_WAIT });
    tw.rcvNxt = endSeq | 0;
    if (opt.ts) {
      tw.tsRecent = opt.ts.val | 0;
      tw.tsRecentStamp = jiffies(k);
    }
    inetTwskSchedule(k, tw, TCP_TIMEWAIT_LEN_S * k.HZ);
    return { kind: 'ack' };
  }
  // Real TIME_WAIT
  if (!pawsReject && u32(skb.seq) === u32(tw.rcvNxt) && (u32(skb.seq) === endSeq || skb.flags & TH_RST)) {
    if (skb.flags & TH_RST) {
      if (!k.sysctl['net.ipv4.tcp_rfc1337']) {
        rcvVerdict(k, skb, tw.id, 'accepted');
        inetTwskKill(k, tw);
        return { kind: 'success' };
      }
    } else {
      inetTwskSchedule(k, tw, TCP_TIMEWAIT_LEN_S * k.HZ);
    }
    rcvVerdict(k, skb, tw.id, 'dropped', 'timewait');
    return { kind: 'success' };
  }
  if (isSyn && !(skb.flags & TH_RST) && !(skb.flags & TH_ACK) && !pawsReject &&
    (after(skb.seq, tw.rcvNxt) || (opt.ts && tw.tstampOk && ((tw.tsRecent - opt.ts.val) | 0) < 0))) {
    // "a new connection": the listener gets it with ISN = tw_snd_nxt + 65535 + 2
    let isn = u32(tw.sndNxt + 65535 + 2);
    if (isn === 0) isn++;
    rcvVerdict(k, skb, tw.id, 'accepted');
    return { kind: 'syn', isn };
  }
  if (pawsReject) mibInc(k, 'PAWSEstabRejected');
  if (!(skb.flags & TH_RST)) {
    if (pawsReject || skb.flags & TH_ACK) inetTwskSchedule(k, tw, TCP_TIMEWAIT_LEN_S * k.HZ);
    rcvVerdict(k, skb, tw.id, 'dropped', 'timewait');
    return tcpTimewaitCheckOowRateLimit(k, tw, 'TCPACKSkippedTimeWait');
  }
  rcvVerdict(k, skb, tw.id, 'dropped', 'timewait');
  return { kind: 'success' };
}

/** tcp_timewait_check_oow_rate_limit() */
function tcpTimewaitCheckOowRateLimit(k: Kernel, tw: TimewaitSock, mib: string): { kind: 'success' | 'ack' } {
  return tcpOowRateLimited(k, tw, mib) ? { kind: 'success' } : { kind: 'ack' };
}

/**
 * tcp_openreq_init_rwin(): the window and scale a SYN-ACK offers, from the listener's receive
 * buffer and the request's MSS less the timestamp option when the client sent one.
 */
export function tcpOpenreqInitRwin(k: Kernel, req: RequestSock, l: TcpSock): void {
  const clamp = tcpRcvbufClamp(k, l, l.windowClamp);
  const w = tcpSelectInitialWindow(k, tcpFullSpace(k, l), req.advmss - (req.tstampOk ? TCPOLEN_TSTAMP_ALIGNED : 0), req.wscaleOk, clamp);
  req.rcvWnd = w.rcvWnd;
  req.rcvWscale = w.rcvWscale;
  // rsk_window_clamp, the child's window_clamp (tcp_create_openreq_child()); kept only when SO_RCVBUF set it
  req.windowClamp = clamp ? w.windowClamp : 0;
}

/** TCPOLEN_TSTAMP_ALIGNED: NOP NOP TS (12 bytes). */
const TCPOLEN_TSTAMP_ALIGNED = 12;

/**
 * tcp_in_window() (tcp_minisocks.c): whether [seq, end_seq) touches the window [s_win, e_win].
 * The kernel compares u32s; here a socket's rcv_nxt may be kept signed (| 0), so every equality
 * is taken on u32(): a RST at exactly rcv_nxt >= 2^31 is in the window.
 */
function tcpInWindow(seq: number, endSeq: number, sWin: number, eWin: number): boolean {
  if (u32(seq) === u32(sWin)) return true;
  if (after(endSeq, sWin) && before(seq, eWin)) return true;
  return u32(seq) === u32(eWin) && u32(seq) === u32(endSeq);
}

/** tcp_check_req()'s embryonic_reset: the request goes; a RST is answered by nothing, anything else by a RST. */
function embryonicReset(k: Kernel, req: RequestSock, skb: Segment): void {
  mibInc(k, 'AttemptFails');
  if (!(skb.flags & TH_RST)) later(k, k.profile.costs.ackReplyNs, sendResetEv, skb);
  inetCskReqskQueueDrop(k, req.listener, req);
  mibInc(k, 'EmbryonicRsts');
}

/**
 * tcp_check_req(): a segment for a request sock (NEW_SYN_RECV). After a retransmitted SYN
 * (answered with the SYN-ACK again) come RFC 793's checks in SYN-RECEIVED: an ACK of anything
 * but our SYN makes the listener answer with a RST; a segment outside the window
 * [rcv_nxt, rcv_nxt + rsk_rcv_wnd] is dropped with an ACK (none for a RST; rate-limited by
 * tcp_oow_rate_limited(), TCPACKSkippedSynRecv); an in-window RST or SYN resets the request
 * (embryonic_reset: TcpAttemptFails, TcpExtEmbryonicRsts).
 * RFC 5961 in SYN-RECEIVED (`rstChallengeSynRecv`, 6.18): the RST is validated first, before
 * the ACK — out of the window it is dropped silently, exactly at rcv_nxt it resets the request,
 * anywhere else in the window it gets a challenge ACK (<SEQ=snt_isn+1><ACK=rcv_nxt>, at most
 * one per tcp_invalid_ratelimit, no SNMP counter) and the request survives. As
 * tools/testing/selftests/net/packetdrill/tcp_rfc5961_rst-syn-recv.pkt checks, which passes on
 * 6.18.44; also measured there: an exact RST|ACK with an unacceptable ACK resets the request, a
 * RST at rcv_nxt + rsk_rcv_wnd is in the window and one past it is not, a second challenge within
 * 500 ms is not sent, and the counters are TcpAttemptFails and TcpExtEmbryonicRsts only.
 */
export function tcpCheckReq(k: Kernel, req: RequestSock, skb: Segment): void {
  const l = req.listener;
  if (skb.flags & TH_SYN && !(skb.flags & TH_ACK) && (skb.seq | 0) === req.rcvIsn) {
    // a retransmitted SYN: resend the SYN-ACK (rate limited by tcp_oow_rate_limited)
    rcvVerdict(k, skb, req.id, 'accepted');
    later(k, k.profile.costs.synAckNs, sendSynackEv, req);
    return;
  }
  const rcvNxt = u32(req.rcvIsn + 1);
  const endSeq = u32(skb.seq + skb.payload.length + (skb.flags & TH_SYN ? 1 : 0) + (skb.flags & TH_FIN ? 1 : 0));
  const inWindow = tcpInWindow(skb.seq, endSeq, rcvNxt, u32(rcvNxt + req.rcvWnd));
  if (skb.flags & TH_RST && k.profile.behaviour.rstChallengeSynRecv) {
    if (!inWindow) return rcvVerdict(k, skb, req.id, 'dropped', 'out-of-window');
    if (skb.seq !== rcvNxt) {
      rcvVerdict(k, skb, req.id, 'dropped', 'out-of-window');
      if (!tcpOowRateLimited(k, req, null)) later(k, k.profile.costs.ackReplyNs, reqskSendAckEv, req);
      return;
    }
    rcvVerdict(k, skb, req.id, 'accepted');
    return embryonicReset(k, req, skb);
  }
  if (skb.flags & TH_ACK && skb.ack !== u32(req.sntIsn + 1)) {
    // "Reset" the embryonic connection: the listener answers with a RST
    rcvVerdict(k, skb, req.id, 'dropped', 'bad-ack');
    later(k, k.profile.costs.ackReplyNs, sendResetEv, skb);
    return;
  }
  if (!inWindow) {
    // "Out of window: send ACK and drop" (never to a RST)
    rcvVerdict(k, skb, req.id, 'dropped', 'out-of-window');
    if (!(skb.flags & TH_RST) && !tcpOowRateLimited(k, req, 'TCPACKSkippedSynRecv')) later(k, k.profile.costs.ackReplyNs, reqskSendAckEv, req);
    return;
  }
  if (skb.flags & (TH_RST | TH_SYN)) {
    rcvVerdict(k, skb, req.id, 'accepted');
    return embryonicReset(k, req, skb);
  }
  if (!(skb.flags & TH_ACK)) return rcvVerdict(k, skb, req.id, 'dropped', 'filtered');
  const opt = parseOptions(skb.options);
  if (opt.ts) req.tsRecent = opt.ts.val | 0;
  const child = tcpV4SynRecvSock(k, l, skb, req);
  if (!child) {
    // listen_overflow:
    if (!k.sysctl['net.ipv4.tcp_abort_on_overflow']) {
      req.acked = true;
      return rcvVerdict(k, skb, req.id, 'dropped', 'listen-overflow');
    }
    // embryonic_reset:
    rcvVerdict(k, skb, req.id, 'dropped', 'listen-overflow');
    mibInc(k, 'EmbryonicRsts');
    later(k, k.profile.costs.ackReplyNs, sendResetEv, skb);
    inetCskReqskQueueDrop(k, l, req);
    return;
  }
  rcvVerdict(k, skb, child.id, 'accepted');
  // tcp_create_openreq_child(): with timestamps the header grows by 12 bytes, and so the MSS
  // advertised shrinks (6.18.44: tcpi_advmss 1448 over tun0); tcp_sync_mss() with the SYN's MSS as the clamp
  if (child.tstampOk) child.advmss -= TCPOLEN_TSTAMP_ALIGNED;
  tcpSyncMss(k, child, req.mss);
  tcpInitTransfer(k, child, skb, req);
  inetCskCompleteHashdance(k, l, req, child);
  // tcp_child_process(): tcp_segs_in() of the ACK, which may carry data or a FIN
  tcpSegsIn(child, skb);
  if (skb.payload.length || skb.flags & TH_FIN) tcpDataQueue(k, child, skb);
}
