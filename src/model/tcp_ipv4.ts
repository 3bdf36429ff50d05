/**
 * net/ipv4/tcp_ipv4.c (Linux 4.4 and 6.18): connect() (tcp_v4_connect), the receive entry
 * (tcp_v4_rcv, tcp_v4_do_rcv) with its demultiplexing to established, request, timewait and
 * listening sockets, the child of a completed handshake (tcp_v4_syn_recv_sock), and the
 * segments the per-netns control socket sends: RST (tcp_v4_send_reset), SYN-ACK
 * (tcp_v4_send_synack) and the timewait ACK (tcp_v4_timewait_ack).
 *
 * Deliberate differences: no checksum verification, no socket backlog (a user holding the
 * socket lock), no MD5/AO signatures.
 */
import type { Kernel } from './kernel.ts';
import { inetBindHash, inetHashConnect, inetLookupListener } from './inet_hashtables.ts';
import { inetCskResetKeepaliveTimer } from './inet_connection_sock.ts';
import { inetTwskKill } from './inet_timewait_sock.ts';
import { ipOutput, later } from './loopback.ts';
import { ipRouteOutputKey, ipv4DefaultAdvmss } from './route.ts';
import { secureTcpSeq, secureTcpTsOff } from './secure_seq.ts';
import { u32 } from './seq.ts';
import { mkSeg } from './skbuff.ts';
import { newTcpSock, skAcceptqIsFull, type RequestSock, type TcpSock, type TimewaitSock } from './sock.ts';
import { cookieV4Check } from './syncookies.ts';
import { tcpSegsIn, tcpSetState, tcpTimeStamp } from './tcp.ts';
import { tcpConnRequest, tcpRcvStateProcess } from './tcp_input.ts';
import { tcpRcvEstablished } from './tcp_input-established.ts';
import { tcpCheckReq, tcpTimewaitStateProcess } from './tcp_minisocks.ts';
import { OPT_NOP, synOptions, tcpConnect, tcpWindowField } from './tcp_output.ts';
import { keepaliveTimeWhen } from './tcp_timer.ts';
import { jiffies } from './time.ts';
import { mibInc, mibListenOverflow, rcvVerdict } from './trace.ts';
import { TCP_CLOSE, TCP_ESTABLISHED, TCP_LISTEN, TCP_SYN_SENT, TH_ACK, TH_FIN, TH_RST, TH_SYN, type Segment } from './types.ts';

/** tcp_v4_connect(): returns 0 once tcp_connect() has sent the SYN, or -errno. */
export function tcpV4Connect(k: Kernel, sk: TcpSock, daddr: number, dport: number): number {
  sk.daddr = daddr;
  sk.dport = dport;
  // ip_route_connect(): the route gives the source address (inet_select_addr()) and the MSS
  const rt = ipRouteOutputKey(k, daddr);
  if (!sk.saddr) sk.saddr = rt.src;
  sk.advmss = ipv4DefaultAdvmss(rt);
  tcpSetState(k, sk, TCP_SYN_SENT);
  const err = inetHashConnect(k, sk);
  if (err) {
    tcpSetState(k, sk, TCP_CLOSE);
    sk.daddr = 0;
    sk.dport = 0;
    return err;
  }
  // tcp_v4_connect() computes the ISN before tcp_connect() builds and sends the SYN; the
  // gap (a few µs, more on a cold path) is a chance input, pinned with isnLeadOnce.
  const lead = k.isnLeadOnce ?? k.profile.costs.isnLeadNs;
  k.isnLeadOnce = null;
  const isn = secureTcpSeq(k, sk.saddr, sk.daddr, sk.sport, sk.dport, lead);
  const tsOff = secureTcpTsOff(k, sk.saddr, sk.daddr, sk.sport, sk.dport);
  sk.isn = isn | 0;
  sk.writeSeq = isn | 0;
  sk.tsOffset = tsOff | 0;
  sk.inetId = initialInetId(k, sk);
  tcpConnect(k, sk, isn);
  return 0;
}

/** inet->inet_id of tcp_v4_connect() and tcp_v4_syn_recv_sock(): write_seq ^ jiffies (4.4) or random (6.x). */
function initialInetId(k: Kernel, sk: TcpSock): number {
  if (k.profile.behaviour.inetIdInit === 'random') return k.rng.nextU32() & 0xffff;
  return (sk.writeSeq ^ u32(jiffies(k))) & 0xffff;
}

/**
 * tcp_v4_send_reset(): the per-netns control socket answers `skb` with a RST. No options,
 * IP id 0, DF, checksum computed in software. seq = the segment's ack if it had ACK,
 * otherwise seq 0 with ACK of everything it occupied.
 */
export function tcpV4SendReset(k: Kernel, skb: Segment): void {
  if (skb.flags & TH_RST) return;
  let seq = 0;
  let ack = 0;
  let flags = TH_RST;
  if (skb.flags & TH_ACK) {
    seq = skb.ack;
  } else {
    flags |= TH_ACK;
    ack = u32(skb.seq + (skb.flags & TH_SYN ? 1 : 0) + (skb.flags & TH_FIN ? 1 : 0) + skb.payload.length);
  }
  const seg = mkSeg(k, {
    saddr: skb.daddr,
    daddr: skb.saddr,
    sport: skb.dport,
    dport: skb.sport,
    seq,
    ack,
    flags,
    window: 0,
    options: [],
    ipId: 0,
    csum: 'full',
  });
  mibInc(k, 'OutRsts');
  ipOutput(k, seg, null);
}

// The replies of the receive path, as shared event functions (see later()).
export function sendResetEv(k: Kernel, skb: Segment): void {
  tcpV4SendReset(k, skb);
}
export function sendSynackEv(k: Kernel, req: RequestSock): void {
  tcpV4SendSynack(k, req);
}
export function reqskSendAckEv(k: Kernel, req: RequestSock): void {
  if (req.hashed) tcpV4ReqskSendAck(k, req);
}
function timewaitAckEv(k: Kernel, tw: TimewaitSock): void {
  tcpV4TimewaitAck(k, tw);
}

/** tcp_v4_rcv(): demultiplex to ehash (full, request, timewait) then listeners. */
export function tcpV4Rcv(k: Kernel, skb: Segment): void {
  const est = k.ehash.get(skb.daddr, skb.dport, skb.saddr, skb.sport);
  if (est) {
    if (est.kind === 'timewait') return tcpV4TimewaitRcv(k, est, skb);
    if (est.kind === 'request') return tcpCheckReq(k, est, skb);
    tcpSegsIn(est, skb);
    // sock_owned_by_user(): a system call's skbs still wait on lo (loopback.ts): tcp_add_backlog()
    if (k.loTxPending.size !== 0 && k.loTxPending.has(est.id)) return tcpAddBacklog(k, est, skb);
    return tcpV4DoRcv(k, est, skb);
  }
  const l = inetLookupListener(k, skb.saddr, skb.sport, skb.daddr, skb.dport);
  if (l) return tcpV4DoRcv(k, l, skb);
  // no socket: "reset" (tcp_v4_send_reset with sk == NULL)
  rcvVerdict(k, skb, null, 'dropped', 'no-socket');
  mibInc(k, 'InErrs', 0);
  later(k, k.profile.costs.ackReplyNs, sendResetEv, skb);
}

/** tcp_add_backlog(): queue a segment for release_sock() (without 6.x's coalescing of ACKs). */
function tcpAddBacklog(k: Kernel, sk: TcpSock, skb: Segment): void {
  const q = k.sockBacklog.get(sk.id);
  if (q) q.push(skb);
  else k.sockBacklog.set(sk.id, [skb]);
}

/** tcp_v4_do_rcv(), sk_backlog_rcv() of a TCP socket too */
export function tcpV4DoRcv(k: Kernel, sk: TcpSock, skb: Segment): void {
  if (sk.state === TCP_ESTABLISHED || sk.state !== TCP_LISTEN) {
    const reset = sk.state === TCP_ESTABLISHED ? tcpRcvEstablished(k, sk, skb) : tcpRcvStateProcess(k, sk, skb);
    if (reset) later(k, k.profile.costs.ackReplyNs, sendResetEv, skb);
    return;
  }
  // LISTEN
  if (skb.flags & TH_RST) return rcvVerdict(k, skb, sk.id, 'dropped', 'rst-ignored');
  if (skb.flags & TH_ACK) {
    // tcp_v4_cookie_check(): an ACK may complete a SYN-cookie handshake
    const cookie = cookieV4Check(k, sk, skb);
    if (cookie === 'discard') return;
    rcvVerdict(k, skb, sk.id, 'dropped', 'no-socket');
    later(k, k.profile.costs.ackReplyNs, sendResetEv, skb);
    return;
  }
  if (skb.flags & TH_SYN) return tcpConnRequest(k, sk, skb);
  rcvVerdict(k, skb, sk.id, 'dropped', 'filtered');
}

/** tcp_v4_rcv()'s do_time_wait: tcp_timewait_state_process() → TCP_TW_{SUCCESS,ACK,RST,SYN} */
function tcpV4TimewaitRcv(k: Kernel, tw: TimewaitSock, skb: Segment): void {
  const res = tcpTimewaitStateProcess(k, tw, skb);
  if (res.kind === 'syn') {
    const l = inetLookupListener(k, skb.saddr, skb.sport, skb.daddr, skb.dport);
    if (l) {
      inetTwskKill(k, tw);
      tcpConnRequest(k, l, skb, res.isn);
      return;
    }
    // no listener any more: "Fall through to ACK" (4.4) / fallthrough to TCP_TW_ACK (6.x) —
    // the TIME-WAIT socket answers with tcp_v4_timewait_ack() and stays
    rcvVerdict(k, skb, tw.id, 'dropped', 'timewait');
    later(k, k.profile.costs.ackReplyNs, timewaitAckEv, tw);
    return;
  }
  if (res.kind === 'ack') later(k, k.profile.costs.ackReplyNs, timewaitAckEv, tw);
  if (res.kind === 'rst') later(k, k.profile.costs.ackReplyNs, sendResetEv, skb);
}

/** tcp_v4_syn_recv_sock(): null when the accept queue is full (exit_overflow). */
export function tcpV4SynRecvSock(k: Kernel, l: TcpSock, skb: Segment, req: RequestSock): TcpSock | null {
  if (skAcceptqIsFull(l)) {
    mibListenOverflow(k);
    return null;
  }
  const child = newTcpSock(k.nextId++, k.nextInode++, TCP_ESTABLISHED);
  k.socks.set(child.id, child);
  child.saddr = req.saddr;
  child.sport = req.sport;
  child.daddr = req.daddr;
  child.dport = req.dport;
  child.isn = req.sntIsn;
  child.caName = l.caName; // inet_csk_clone_lock() copies icsk_ca_ops
  child.sndUna = (req.sntIsn + 1) | 0;
  child.sndNxt = child.sndUna;
  child.writeSeq = child.sndUna;
  child.rcvNxt = (req.rcvIsn + 1) | 0;
  child.copiedSeq = child.rcvNxt;
  child.rcvWup = child.rcvNxt;
  child.tstampOk = req.tstampOk;
  child.tsRecent = req.tsRecent;
  child.tsRecentStamp = jiffies(k);
  child.tsOffset = req.tsOffset;
  child.sackOk = req.sackOk;
  child.wscaleOk = req.wscaleOk;
  child.sndWscale = req.sndWscale;
  child.rcvWscale = req.rcvWscale;
  // tcp_create_openreq_child(): rcv_wnd from the request, max_window = the first snd_wnd
  child.rcvWnd = req.rcvWnd;
  child.sndWnd = skb.window << child.sndWscale;
  child.maxWindow = child.sndWnd;
  child.advmss = req.advmss;
  // sk_clone_lock(): the buffers, their SO_SNDBUF/SO_RCVBUF locks and TCP_USER_TIMEOUT come from the listener
  child.rcvbuf = l.rcvbuf;
  child.sndbuf = l.sndbuf;
  child.userlocks = l.userlocks;
  child.userTimeout = l.userTimeout;
  // ... and SO_KEEPALIVE with TCP_KEEPIDLE/INTVL/CNT; tcp_create_openreq_child() arms the timer
  child.keepOpen = l.keepOpen;
  child.keepaliveTime = l.keepaliveTime;
  child.keepaliveIntvl = l.keepaliveIntvl;
  child.keepaliveProbes = l.keepaliveProbes;
  if (child.keepOpen) inetCskResetKeepaliveTimer(k, child, keepaliveTimeWhen(k, child));
  child.windowClamp = req.windowClamp;
  // tcp_create_openreq_child(): icsk_ack.lrcvtime and lsndtime = tcp_jiffies32 (tcpi_last_data_recv
  // and tcpi_last_data_sent count from them until data moves), segs_in = 1 (the SYN)
  child.lastDataRecv = jiffies(k);
  child.lastDataSent = child.lastDataRecv;
  child.segsIn = 1;
  // rcv_tstamp: the final ACK goes through tcp_ack() (keepalive_time_elapsed() reads both)
  child.lastAckRecv = child.lastDataRecv;
  child.rto = k.HZ / 5; // TCP_RTO_MIN on lo
  child.ss = 'connected';
  child.inetId = initialInetId(k, child);
  child.uid = l.uid;
  // sk_clone_lock() copies the listener, so the child keeps SO_REUSEADDR/SO_REUSEPORT
  // (and so will its timewait socket: tw_reuse)
  child.reuse = l.reuse;
  child.reuseport = l.reuseport;
  child.parent = l;
  // __inet_inherit_port(): the child joins the listener's bind bucket
  const tb = k.bhash.get(l.sport);
  inetBindHash(k, child, tb, l.sport, tb?.fastreuse ?? 0);
  if (k.sim.traceDetail)
    k.sim.emit({ type: 'sock-new', t: k.now, sock: child.id, kind: 'full', state: TCP_ESTABLISHED, saddr: child.saddr, sport: child.sport, daddr: child.daddr, dport: child.dport, inode: child.inode, parent: l.id });
  return child;
}

/** tcp_v4_send_synack() from a request sock: IP id 0 (ip_build_and_send_pkt with DF). */
export function tcpV4SendSynack(k: Kernel, req: RequestSock): void {
  const ts = req.tstampOk;
  const tsVal = ts ? tcpTimeStamp(k, req.tsOffset) : 0;
  const seg = mkSeg(k, {
    saddr: req.saddr,
    daddr: req.daddr,
    sport: req.sport,
    dport: req.dport,
    seq: req.sntIsn >>> 0,
    ack: u32(req.rcvIsn + 1),
    flags: TH_SYN | TH_ACK,
    // tcp_make_synack(): RFC 1323, the window of a SYN-ACK is never scaled
    window: Math.min(req.rcvWnd, 0xffff),
    options: synOptions(k, req.advmss, ts, tsVal, ts ? req.tsRecent >>> 0 : 0, req.sackOk, req.wscaleOk ? req.rcvWscale : null),
    ipId: 0,
    csum: 'partial',
  });
  req.sntSynack = k.now; // tcp_rsk(req)->snt_synack (tcp_clock_us())
  ipOutput(k, seg, req.id);
}

/**
 * tcp_v4_send_ack(): an ACK from the per-netns control socket, for a socket that has no full
 * socket to send it (a request, a timewait socket): IP id 0, software checksum, the TS option
 * when the connection uses timestamps.
 */
function tcpV4SendAck(k: Kernel, s: { saddr: number; daddr: number; sport: number; dport: number; tstampOk: boolean; tsOffset: number; tsRecent: number; rcvWnd: number; rcvWscale: number }, seq: number, ack: number): void {
  const seg = mkSeg(k, {
    saddr: s.saddr,
    daddr: s.daddr,
    sport: s.sport,
    dport: s.dport,
    seq,
    ack,
    flags: TH_ACK,
    window: tcpWindowField(s),
    options: s.tstampOk ? [OPT_NOP, OPT_NOP, { kind: 'ts', val: tcpTimeStamp(k, s.tsOffset), ecr: s.tsRecent >>> 0 }] : [],
    ipId: 0,
    csum: 'full',
  });
  ipOutput(k, seg, null);
}

/**
 * tcp_v4_reqsk_send_ack(): a request sock's ACK (out of window, or a challenge):
 * <SEQ=snt_isn+1><ACK=rcv_nxt>, the window rsk_rcv_wnd >> rcv_wscale, TS ts_recent.
 */
function tcpV4ReqskSendAck(k: Kernel, req: RequestSock): void {
  tcpV4SendAck(k, req, u32(req.sntIsn + 1), u32(req.rcvIsn + 1));
}

/** tcp_v4_timewait_ack() */
function tcpV4TimewaitAck(k: Kernel, tw: TimewaitSock): void {
  tcpV4SendAck(k, tw, tw.sndNxt >>> 0, tw.rcvNxt >>> 0);
}

