/**
 * net/ipv4/inet_connection_sock.c with include/net/inet_connection_sock.h and the request
 * queue of include/net/request_sock.h (Linux 4.4 and 6.18): port binding (inet_csk_get_port),
 * listen start and stop, the SYN queue and its SYN-ACK timer (reqsk_timer_handler), the accept
 * queue, the destruction of a socket and the xmit/keepalive timers of a connection socket.
 *
 * Deliberate differences: bind(0) scans the range from its low end for a free odd port (the
 * kernel starts at a random offset); SO_REUSEPORT groups and the listener's bind-conflict
 * recheck are reduced to the rules the experiments exercise; a request sock's timer is not
 * pinned to a CPU.
 */
import { EADDRINUSE, ECONNRESET } from './errno.ts';
import type { Kernel } from './kernel.ts';
import { ehashInsert, ehashRemove, ehashReplace, inetBindHash, inetHash, inetPutPort, type BindBucket } from './inet_hashtables.ts';
import { append, sockDefWakeup, type RequestSock, type TcpSock } from './sock.ts';
import { tcpSetState, TCP_RTO_MAX_S } from './tcp.ts';
import { tcpV4SendSynack } from './tcp_ipv4.ts';
import { tcpSendActiveReset } from './tcp_output.ts';
import { tcpKeepaliveTimer, tcpRetransmitTimer } from './tcp_timer.ts';
import { jiffies, timerFireTime } from './time.ts';
import { mibInc, traceAcceptq, traceQueues, traceTimer } from './trace.ts';
import { TCP_CLOSE, TCP_CLOSE_WAIT, TCP_ESTABLISHED, TCP_FIN_WAIT1, TCP_FIN_WAIT2, TCP_LISTEN, TCP_SYN_RECV } from './types.ts';

/**
 * inet_csk_bind_conflict(): does binding `sk` to `port` clash with an owner of the bucket?
 * A timewait socket keeps the SO_REUSEADDR of the socket it replaced (tw_reuse); nc's
 * client sockets set none, so even a new socket with SO_REUSEADDR conflicts with it.
 */
export function inetCskBindConflict(sk: TcpSock, tb: BindBucket): boolean {
  for (const sk2 of tb.owners) {
    if (sk2 === sk) continue;
    const state2 = sk2.kind === 'timewait' ? sk2.substate : sk2.state;
    const reuseOk = sk.reuse && sk2.reuse && state2 !== TCP_LISTEN;
    const reuseportOk = sk.reuseport && sk2.reuseport && sk2.kind === 'full' && sk2.uid === sk.uid;
    if (reuseOk || reuseportOk) continue;
    if (!sk2.saddr || !sk.saddr || sk2.saddr === sk.saddr) return true;
  }
  return false;
}

/** inet_csk_get_port(): bind to a given port (snum > 0) or pick one (snum == 0). */
export function inetCskGetPort(k: Kernel, sk: TcpSock, snum: number): number {
  if (snum === 0) {
    // bind(0)/listen autobind: prefer odd ports since 4.6; we scan from the low end.
    const [lo, hi] = k.sysctl['net.ipv4.ip_local_port_range'];
    for (let p = Math.max(lo, 1) | 1; p <= Math.min(hi, 65535); p += 2) {
      const tb = k.bhash.get(p);
      if (!tb || !inetCskBindConflict(sk, tb)) {
        inetBindHash(k, sk, tb, p, sk.reuse ? 1 : 0);
        sk.sport = p;
        return 0;
      }
    }
    return -EADDRINUSE;
  }
  const tb = k.bhash.get(snum);
  if (tb && inetCskBindConflict(sk, tb)) return -EADDRINUSE;
  inetBindHash(k, sk, tb, snum, sk.reuse ? 1 : 0);
  sk.sport = snum;
  return 0;
}

/** inet_csk_listen_start(): into the listening hash; autobind if needed. */
export function inetCskListenStart(k: Kernel, sk: TcpSock, backlog: number): number {
  sk.maxAckBacklog = backlog;
  if (!sk.sport) {
    const err = inetCskGetPort(k, sk, 0);
    if (err) return err;
  } else {
    // re-check the bind conflict against listeners (reuseport groups, SO_REUSEADDR)
    const tb = k.bhash.get(sk.sport);
    if (tb) {
      for (const o of tb.owners) {
        if (o !== sk && o.kind === 'full' && o.state === TCP_LISTEN && !(sk.reuseport && o.reuseport) && (!o.saddr || !sk.saddr || o.saddr === sk.saddr))
          return -EADDRINUSE;
      }
    }
  }
  tcpSetState(k, sk, TCP_LISTEN);
  inetHash(k, sk);
  traceQueues(k, sk);
  return 0;
}

/**
 * inet_csk_listen_stop(): every request sock is dropped silently; every child still in the
 * accept queue is disconnected (a RST if tcp_need_reset()) and destroyed.
 */
export function inetCskListenStop(k: Kernel, l: TcpSock): void {
  for (const req of [...(l.reqs ?? [])]) inetCskReqskQueueDrop(k, l, req);
  const queue = l.acceptQueue;
  l.acceptQueue = [];
  traceAcceptq(k, l);
  for (const child of queue) {
    child.parent = null;
    inetChildForget(k, child);
  }
}

/** inet_child_forget() → tcp_disconnect() → tcp_send_active_reset() when needed. */
function inetChildForget(k: Kernel, child: TcpSock): void {
  const old = child.state;
  if (old !== TCP_CLOSE) tcpSetState(k, child, TCP_CLOSE);
  const needReset = [TCP_ESTABLISHED, TCP_CLOSE_WAIT, TCP_FIN_WAIT1, TCP_FIN_WAIT2, TCP_SYN_RECV].includes(old);
  if (needReset) {
    tcpSendActiveReset(k, child);
    child.skErr = ECONNRESET;
  }
  child.dead = true;
  inetCskDestroySock(k, child);
}

/** reqsk_queue_len() (request_sock.h): the listener's request socks (its SYN queue). */
function reqskQueueLen(sk: TcpSock): number {
  return sk.reqs === null ? 0 : sk.reqs.size;
}

/** inet_csk_reqsk_queue_is_full(): `>=` in 4.4 (ef547f2ac16b), `>` since the 2025 fix. */
export function inetCskReqskQueueIsFull(k: Kernel, sk: TcpSock): boolean {
  return k.profile.behaviour.reqskQueueFullGe
    ? reqskQueueLen(sk) >= sk.maxAckBacklog
    : reqskQueueLen(sk) > sk.maxAckBacklog;
}

/**
 * inet_csk_reqsk_queue_hash_add(): the request sock goes into ehash (NEW_SYN_RECV) and its
 * SYN-ACK timer starts (reqsk_queue_hash_req()); the listener counts it as young.
 */
export function inetCskReqskQueueHashAdd(k: Kernel, sk: TcpSock, req: RequestSock): void {
  (sk.reqs ??= new Set<RequestSock>()).add(req);
  sk.young++;
  ehashInsert(k, req);
  if (k.sim.traceDetail)
    k.sim.emit({ type: 'sock-new', t: k.now, sock: req.id, kind: 'request', state: TCP_SYN_RECV, saddr: req.saddr, sport: req.sport, daddr: req.daddr, dport: req.dport, inode: 0, parent: sk.id });
  req.expires = jiffies(k) + k.HZ; // TCP_TIMEOUT_INIT
  req.timer = k.sim.call(timerFireTime(k, req.expires), reqskTimerHandler, k, req);
  traceTimer(k, req.id, 'synack', 'armed', req.expires, req.timer.t, 0);
}

/** reqsk_timer_handler(): SYN-ACK retransmits with exponential backoff, then drop. */
export function reqskTimerHandler(k: Kernel, req: RequestSock): void {
  req.timer = null;
  traceTimer(k, req.id, 'synack', 'fired', undefined, undefined, req.numTimeout);
  const l = req.listener;
  if (!req.hashed || l.state !== TCP_LISTEN) return;
  const maxRetries = k.sysctl['net.ipv4.tcp_synack_retries'];
  let thresh = maxRetries;
  const qlen = reqskQueueLen(l);
  if (qlen << 1 > Math.max(8, l.maxAckBacklog)) {
    let young = l.young << 1;
    while (thresh > 2) {
      if (qlen < young) break;
      thresh--;
      young <<= 1;
    }
  }
  const expire = req.numTimeout >= thresh;
  if (!expire) {
    tcpV4SendSynack(k, req);
    req.numRetrans++;
    mibInc(k, 'TCPSynRetrans');
    if (req.numTimeout++ === 0) l.young--;
    const timeo = Math.min(k.HZ << req.numTimeout, TCP_RTO_MAX_S * k.HZ);
    req.expires = jiffies(k) + timeo;
    req.timer = k.sim.call(timerFireTime(k, req.expires), reqskTimerHandler, k, req);
    traceTimer(k, req.id, 'synack', 'armed', req.expires, req.timer.t, req.numTimeout);
    return;
  }
  inetCskReqskQueueDrop(k, l, req);
}

/** inet_csk_reqsk_queue_drop(): the request sock leaves the SYN queue and ehash. */
export function inetCskReqskQueueDrop(k: Kernel, l: TcpSock, req: RequestSock): void {
  if (!l.reqs?.delete(req)) return;
  if (req.numTimeout === 0) l.young--;
  ehashRemove(k, req);
  if (req.timer) k.sim.cancel(req.timer);
  req.timer = null;
  if (k.sim.traceDetail) k.sim.emit({ type: 'sock-free', t: k.now, sock: req.id });
}

/** inet_csk_complete_hashdance(): the child replaces the request sock in ehash and is queued. */
export function inetCskCompleteHashdance(k: Kernel, l: TcpSock, req: RequestSock, child: TcpSock): void {
  l.reqs?.delete(req);
  if (req.numTimeout === 0) l.young--;
  if (req.timer) k.sim.cancel(req.timer);
  req.timer = null;
  ehashReplace(k, req, child);
  if (k.sim.traceDetail) k.sim.emit({ type: 'sock-free', t: k.now, sock: req.id });
  inetCskReqskQueueAdd(k, l, child);
}

/** inet_csk_reqsk_queue_add() + sk_acceptq_added(): wake the accept()er. */
export function inetCskReqskQueueAdd(k: Kernel, l: TcpSock, child: TcpSock): void {
  l.acceptQueue = append(l.acceptQueue, child);
  traceAcceptq(k, l);
  traceQueues(k, l);
  sockDefWakeup(l);
}

/** reqsk_queue_remove() + sk_acceptq_removed() for inet_csk_accept(): the oldest child, dead or alive. */
export function inetCskAcceptDequeue(k: Kernel, l: TcpSock): TcpSock | null {
  const child = l.acceptQueue.length ? l.acceptQueue.shift()! : null;
  if (child) {
    child.parent = null;
    traceAcceptq(k, l);
    traceQueues(k, l);
  }
  return child;
}

/** inet_csk_destroy_sock(): timers stopped, unhashed, port released, freed. */
export function inetCskDestroySock(k: Kernel, sk: TcpSock): void {
  if (sk.freed) return;
  sk.freed = true;
  inetCskClearXmitTimer(k, sk, 'retrans');
  inetCskClearXmitTimer(k, sk, 'delack');
  inetCskDeleteKeepaliveTimer(k, sk);
  if (sk.hashed) ehashRemove(k, sk);
  inetPutPort(k, sk);
  k.socks.delete(sk.id);
  if (k.sim.traceDetail) k.sim.emit({ type: 'sock-free', t: k.now, sock: sk.id });
}

/** inet_csk_clear_xmit_timer() */
export function inetCskClearXmitTimer(k: Kernel, sk: TcpSock, what: 'retrans' | 'delack'): void {
  if (what === 'retrans') {
    if (sk.retransTimer) {
      k.sim.cancel(sk.retransTimer);
      sk.retransTimer = null;
      traceTimer(k, sk.id, sk.pending === 'probe0' ? 'probe' : 'retrans', 'cleared');
    }
    sk.pending = 'none';
  } else {
    if (sk.delackTimer) {
      k.sim.cancel(sk.delackTimer);
      sk.delackTimer = null;
      traceTimer(k, sk.id, 'delack', 'cleared');
    }
    sk.ackPending = false;
  }
}

/**
 * inet_csk_reset_xmit_timer(sk, ICSK_TIME_RETRANS or ICSK_TIME_PROBE0, when): sk_reset_timer()
 * on the timer the socket embeds (a pending one is simply moved: its old queue entry goes
 * stale); tcp_write_timer_handler() tells the two apart by icsk_pending.
 */
export function inetCskResetXmitTimer(k: Kernel, sk: TcpSock, when: number, what: 'retrans' | 'probe0' | 'reo' | 'tlp' = 'retrans'): void {
  sk.pending = what;
  sk.timeout = jiffies(k) + when;
  sk.fn = tcpRetransmitTimer;
  sk.a = k;
  sk.b = sk;
  sk.retransTimer = k.sim.rearm(sk, timerFireTime(k, sk.timeout));
  traceTimer(k, sk.id, what === 'probe0' ? 'probe' : 'retrans', 'armed', sk.timeout, sk.retransTimer.t, what === 'probe0' ? sk.probesOut : sk.retransmits);
}

/** inet_csk_reset_keepalive_timer() */
export function inetCskResetKeepaliveTimer(k: Kernel, sk: TcpSock, len: number): void {
  inetCskDeleteKeepaliveTimer(k, sk);
  sk.keepaliveExpires = jiffies(k) + len;
  sk.keepaliveTimer = k.sim.call(timerFireTime(k, sk.keepaliveExpires), tcpKeepaliveTimer, k, sk);
  traceTimer(k, sk.id, 'keepalive', 'armed', sk.keepaliveExpires, sk.keepaliveTimer.t);
}

/** inet_csk_delete_keepalive_timer() */
export function inetCskDeleteKeepaliveTimer(k: Kernel, sk: TcpSock): void {
  if (sk.keepaliveTimer) {
    k.sim.cancel(sk.keepaliveTimer);
    sk.keepaliveTimer = null;
    traceTimer(k, sk.id, 'keepalive', 'cleared');
  }
}
