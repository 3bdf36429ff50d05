/**
 * The socket system calls: net/socket.c (__sys_socket, __sys_bind, __sys_listen,
 * __sys_connect, __sys_accept4, __sys_getpeername, __sys_shutdown, setsockopt/getsockopt)
 * with the inet_* operations of net/ipv4/af_inet.c they call (inet_bind, inet_listen,
 * inet_stream_connect, inet_accept, inet_getname, inet_shutdown), and a socket's read and
 * write (sock_read_iter/sock_write_iter → tcp_recvmsg/tcp_sendmsg's checks, net/ipv4/tcp.c).
 * Linux 4.4 and 6.18 alike for what the model covers.
 *
 * Deliberate differences: AF_INET/SOCK_STREAM only, the socket options of sysSetsockopt() and
 * sysGetsockopt() only; a read returns the queued bytes as text, all of them
 * unless it gives a count; the netlink inet_diag dump (`ss`) and the packet socket
 * of tcpdump (`pcap_open`) are system calls of their own.
 */
import { tcpSetKeepalive } from './tcp_timer.ts';
import { inetCreate } from './af_inet.ts';
import { EAGAIN, EALREADY, EBADF, EFAULT, EINPROGRESS, EINVAL, EISCONN, ENOTCONN, ENOTSOCK, EPIPE } from './errno.ts';
import { inetCskAcceptDequeue, inetCskGetPort, inetCskListenStart } from './inet_connection_sock.ts';
import { openTap, releaseSockInProcess } from './loopback.ts';
import type { Kernel } from './kernel.ts';
import type { ProcessTable, SysOf, Task } from './process.ts';
import { sendSignal } from './signal.ts';
import { RCV_SHUTDOWN, SEND_SHUTDOWN, type SendBacklog, sockDefWakeup, sockSetBuf, TCP_NAGLE_CORK, TCP_NAGLE_OFF, TCP_NAGLE_PUSH, type TcpSock } from './sock.ts';
import { tcpPushPendingFrames } from './tcp_output.ts';
import { EMPTY } from './skbuff.ts';
import { tcpGetInfo, tcpIoctl, tcpRecvmsg, tcpSendmsg, tcpShutdown, tcpSockSetKeepalive } from './tcp.ts';
import { tcpV4Connect } from './tcp_ipv4.ts';
import { TCP_CLOSE, TCP_CLOSE_WAIT, TCP_ESTABLISHED, TCP_LISTEN, TCP_SYN_RECV, TCP_SYN_SENT } from './types.ts';

/** What connect() returns when the handshake failed without an sk_err (never seen: a fallback). */
const ECONNREFUSED_FALLBACK = 111;

/** sockfd_lookup(): the socket behind fd, or -EBADF / -ENOTSOCK. */
function sockOf(task: Task, fd: number): TcpSock | number {
  const f = task.fds.get(fd);
  if (!f) return -EBADF;
  if (f.kind !== 'sock') return -ENOTSOCK;
  return f.sk;
}

/** O_RDWR and O_NONBLOCK (include/uapi/asm-generic/fcntl.h): a socket's file is O_RDWR. */
export const O_RDWR = 0o2;
export const O_NONBLOCK = 0o4000;

/** Whether the call does not wait: a per-call flag (MSG_DONTWAIT-like) or the file's O_NONBLOCK. */
function nonblocking(task: Task, fd: number, callFlag: boolean | undefined): boolean {
  if (callFlag) return true;
  const f = task.fds.get(fd);
  return !!f && f.kind === 'sock' && (f.flags & O_NONBLOCK) !== 0;
}

/** __sys_socket(): SOCK_NONBLOCK sets O_NONBLOCK on the new file (sock_alloc_file()). */
export function sysSocket(pt: ProcessTable, task: Task, s: SysOf<'socket'>): void {
  const sk = inetCreate(pt.k);
  const fd = pt.allocFd(task, { kind: 'sock', sk, refs: 0, flags: O_RDWR | (s.nonblock ? O_NONBLOCK : 0) });
  sk.fileRefs = 1;
  return pt.complete(task, fd);
}

/**
 * sk_setsockopt(SO_LINGER)'s sk_lingertime, in jiffies, from l_linger (seconds, an int). 6.18:
 * `unsigned long t_sec = l_linger`, MAX_SCHEDULE_TIMEOUT (Infinity: close() waits for the ACK
 * however long) from LONG_MAX / HZ seconds up, so for any negative l_linger. 4.4 (64-bit):
 * `(unsigned int)l_linger * HZ`, an unsigned int product that wraps at 2^32.
 */
function lingertime(k: Kernel, seconds: number): number {
  if (k.profile.name === 'linux-4.4') return ((seconds >>> 0) * k.HZ) % 2 ** 32;
  return seconds < 0 ? Infinity : seconds * k.HZ;
}

/**
 * setsockopt(): SOL_SOCKET SO_REUSEADDR / SO_REUSEPORT / SO_LINGER / SO_RCVBUF / SO_SNDBUF
 * (sk_setsockopt(); the buffers in sockSetBuf()), SOL_TCP TCP_USER_TIMEOUT, TCP_NODELAY
 * and TCP_CORK (do_tcp_setsockopt(): __tcp_sock_set_nodelay() pushes what Nagle held,
 * __tcp_sock_set_cork() clearing the cork pushes what it held).
 */
export function sysSetsockopt(pt: ProcessTable, task: Task, s: SysOf<'setsockopt'>): void {
  const sk = sockOf(task, s.fd);
  if (typeof sk === 'number') return pt.complete(task, sk);
  if (s.opt === 'SO_REUSEADDR') sk.reuse = !!s.val;
  else if (s.opt === 'SO_REUSEPORT') sk.reuseport = !!s.val;
  else if (s.opt === 'SO_RCVBUF' || s.opt === 'SO_SNDBUF') sockSetBuf(pt.k, sk, s.opt, s.val);
  else if (s.opt === 'TCP_USER_TIMEOUT') {
    // do_tcp_setsockopt(): "Cap the max time in ms TCP will retry or probe the window"
    if (s.val < 0) return pt.complete(task, -EINVAL);
    sk.userTimeout = s.val;
  }
  else if (s.opt === 'SO_LINGER') sk.linger = s.val ? lingertime(pt.k, s.linger ?? 0) : -1;
  else if (s.opt === 'SO_KEEPALIVE') {
    // sk_setsockopt(): sk_prot->keepalive (tcp_set_keepalive()), then sock_valbool_flag(SOCK_KEEPOPEN)
    tcpSetKeepalive(pt.k, sk, !!s.val);
    sk.keepOpen = !!s.val;
  } else if (s.opt === 'TCP_KEEPIDLE' || s.opt === 'TCP_KEEPINTVL' || s.opt === 'TCP_KEEPCNT') {
    const err = tcpSockSetKeepalive(pt.k, sk, s.opt, s.val);
    if (err) return pt.complete(task, err);
  }
  else if (s.opt === 'TCP_NODELAY') {
    sk.nonagle = s.val ? sk.nonagle | TCP_NAGLE_OFF : sk.nonagle & ~TCP_NAGLE_OFF;
    if (s.val) tcpPushPendingFrames(pt.k, sk, sk.nonagle | TCP_NAGLE_PUSH);
  } else if (s.val) sk.nonagle |= TCP_NAGLE_CORK;
  else {
    sk.nonagle &= ~TCP_NAGLE_CORK;
    tcpPushPendingFrames(pt.k, sk, sk.nonagle & TCP_NAGLE_OFF ? sk.nonagle | TCP_NAGLE_PUSH : sk.nonagle);
  }
  return pt.complete(task, 0);
}

/**
 * getsockopt(): SOL_SOCKET SO_ERROR (sk_getsockopt(): sock_error() reads and clears sk_err),
 * SO_RCVBUF and SO_SNDBUF (sk_rcvbuf, sk_sndbuf: twice what was set), SOL_TCP TCP_MAXSEG,
 * TCP_USER_TIMEOUT and TCP_INFO (do_tcp_getsockopt(): mss_cache; icsk_user_timeout; tcp_get_info()).
 */
export function sysGetsockopt(pt: ProcessTable, task: Task, s: SysOf<'getsockopt'>): void {
  const sk = sockOf(task, s.fd);
  if (typeof sk === 'number') return pt.complete(task, sk);
  if (s.opt === 'TCP_MAXSEG') return pt.complete(task, sk.mss);
  if (s.opt === 'SO_RCVBUF') return pt.complete(task, sk.rcvbuf);
  if (s.opt === 'SO_SNDBUF') return pt.complete(task, sk.sndbuf);
  if (s.opt === 'TCP_USER_TIMEOUT') return pt.complete(task, sk.userTimeout);
  if (s.opt === 'TCP_INFO') return pt.complete(task, tcpGetInfo(pt.k, sk));
  const err = sk.skErr;
  sk.skErr = 0;
  return pt.complete(task, err);
}

/** __sys_bind() → inet_bind() */
export function sysBind(pt: ProcessTable, task: Task, s: SysOf<'bind'>): void {
  const sk = sockOf(task, s.fd);
  if (typeof sk === 'number') return pt.complete(task, sk);
  // inet_bind(): "Check these errors (active socket, double bind)."
  if (sk.state !== TCP_CLOSE || sk.sport) return pt.complete(task, -EINVAL);
  sk.saddr = s.addr;
  const err = inetCskGetPort(pt.k, sk, s.port);
  if (err) sk.saddr = 0;
  return pt.complete(task, err);
}

/** __sys_listen() → inet_listen() */
export function sysListen(pt: ProcessTable, task: Task, s: SysOf<'listen'>): void {
  const sk = sockOf(task, s.fd);
  if (typeof sk === 'number') return pt.complete(task, sk);
  if (sk.ss !== 'unconnected' || (sk.state !== TCP_CLOSE && sk.state !== TCP_LISTEN)) return pt.complete(task, -EINVAL);
  // __sys_listen(): "if ((unsigned int)backlog > somaxconn) backlog = somaxconn"
  const somaxconn = pt.k.sysctl['net.core.somaxconn'];
  const backlog = s.backlog < 0 || s.backlog > somaxconn ? somaxconn : s.backlog;
  if (sk.state === TCP_LISTEN) {
    sk.maxAckBacklog = backlog;
    return pt.complete(task, 0);
  }
  return pt.complete(task, inetCskListenStart(pt.k, sk, backlog));
}

/**
 * __sys_connect() → __inet_stream_connect(): blocks until the handshake ends
 * (inet_wait_for_connect), or with O_NONBLOCK returns -EINPROGRESS once the SYN is out (the
 * caller polls for POLLOUT and reads SO_ERROR); a second call while it runs is -EALREADY.
 */
export function sysConnect(pt: ProcessTable, task: Task, s: SysOf<'connect'>): void {
  const sk = sockOf(task, s.fd);
  if (typeof sk === 'number') return pt.complete(task, sk);
  if (sk.ss === 'connecting') {
    if (sk.state === TCP_SYN_SENT || sk.state === TCP_SYN_RECV) {
      if (!task.rerun || nonblocking(task, s.fd, s.nonblock)) return pt.complete(task, -EALREADY);
      return pt.blockOn(task, sk.waiters);
    }
    // the handshake finished (or failed) while we slept: inet_wait_for_connect() returns
    if (sk.state === TCP_CLOSE) {
      sk.ss = 'unconnected';
      const err = sk.skErr;
      sk.skErr = 0;
      return pt.complete(task, -(err || ECONNREFUSED_FALLBACK));
    }
    sk.ss = 'connected';
    return pt.complete(task, 0);
  }
  if (sk.ss === 'connected') return pt.complete(task, -EISCONN);
  if (sk.state !== TCP_CLOSE) return pt.complete(task, -EISCONN);
  const err = tcpV4Connect(pt.k, sk, s.addr, s.port);
  if (err) return pt.complete(task, err);
  sk.ss = 'connecting';
  if (nonblocking(task, s.fd, s.nonblock)) return pt.complete(task, -EINPROGRESS);
  return pt.blockOn(task, sk.waiters);
}

/** __sys_accept4() → inet_accept() → inet_csk_accept() */
export function sysAccept(pt: ProcessTable, task: Task, s: SysOf<'accept'>): void {
  const sk = sockOf(task, s.fd);
  if (typeof sk === 'number') return pt.complete(task, sk);
  if (sk.state !== TCP_LISTEN) return pt.complete(task, -EINVAL);
  const child = inetCskAcceptDequeue(pt.k, sk);
  if (!child) {
    if (nonblocking(task, s.fd, s.nonblock)) return pt.complete(task, -EAGAIN);
    return pt.blockOn(task, sk.waiters);
  }
  child.fileRefs = 1;
  // accept() (not accept4 with SOCK_NONBLOCK): the new file is blocking whatever the listener's is
  const fd = pt.allocFd(task, { kind: 'sock', sk: child, refs: 0, flags: O_RDWR });
  return pt.complete(task, fd);
}

/** __sys_getpeername() → inet_getname(peer = 1) */
export function sysGetpeername(pt: ProcessTable, task: Task, s: SysOf<'getpeername'>): void {
  const sk = sockOf(task, s.fd);
  if (typeof sk === 'number') return pt.complete(task, sk);
  if (!sk.dport || sk.state === TCP_CLOSE || sk.state === TCP_SYN_SENT) return pt.complete(task, -ENOTCONN);
  return pt.complete(task, 0);
}

/** __sys_shutdown() → inet_shutdown() */
export function sysShutdown(pt: ProcessTable, task: Task, s: SysOf<'shutdown'>): void {
  const sk = sockOf(task, s.fd);
  if (typeof sk === 'number') return pt.complete(task, sk);
  const how = s.how + 1; // SHUT_RD=0 → RCV_SHUTDOWN=1 ...
  if (sk.state === TCP_CLOSE || sk.state === TCP_LISTEN || sk.state === TCP_SYN_SENT) return pt.complete(task, -ENOTCONN);
  sk.skShutdown |= how;
  tcpShutdown(pt.k, sk, how);
  sockDefWakeup(sk);
  return pt.complete(task, 0);
}

/** sock_ioctl() → inet_ioctl() → tcp_ioctl(): SIOCINQ. */
export function sysIoctl(pt: ProcessTable, task: Task, s: SysOf<'ioctl'>): void {
  const sk = sockOf(task, s.fd);
  if (typeof sk === 'number') return pt.complete(task, sk);
  return pt.complete(task, tcpIoctl(sk, s.req));
}

/** The netlink inet_diag dump plus the /proc fd scan of `ss -p`. */
export function sysInetDiag(pt: ProcessTable, task: Task, s: SysOf<'inet_diag'>): void {
  return pt.complete(task, pt.socketTable(s.info ?? false));
}

/** socket(AF_PACKET) with a BPF filter and a TPACKET_V3 ring (tcpdump's capture). */
export function sysPcapOpen(pt: ProcessTable, task: Task, s: SysOf<'pcap_open'>): void {
  const tap = openTap(pt.k, s.filter);
  return pt.complete(task, tap);
}

/**
 * tcp_recvmsg(): queued data first (up to `count` bytes, when given), then the FIN (0 = EOF),
 * then sk_err; with nothing to read, -EAGAIN on a non-blocking file, else wait. `fault`: the
 * buffer is unmapped, so the first copy fails (skb_copy_datagram_msg()): -EFAULT, and the data
 * stays queued (tcp_recvmsg_locked(): `if (!copied) copied = -EFAULT`).
 */
export function sockRecv(pt: ProcessTable, task: Task, sk: TcpSock, count?: number, nonblock = false, bytes = false, fault = false, buf?: Uint8Array, peek = false): void {
  if (sk.state === TCP_LISTEN) return pt.complete(task, -ENOTCONN);
  // end of file: 0 into a buffer, else nothing as bytes or text
  const eof = buf ? 0 : bytes ? EMPTY : '';
  if (sk.rcvQueue.length) {
    if (fault) return pt.complete(task, -EFAULT);
    if (buf) return pt.complete(task, tcpRecvmsg(pt.k, sk, Math.min(count ?? Infinity, buf.length), buf, peek).length);
    const data = tcpRecvmsg(pt.k, sk, count, undefined, peek);
    return pt.complete(task, bytes ? data : new TextDecoder().decode(data));
  }
  if (sk.finQueued) {
    if (peek) return pt.complete(task, eof); // MSG_PEEK leaves the FIN queued
    sk.finQueued = false;
    sk.copiedSeq = (sk.copiedSeq + 1) | 0; // found_fin_ok: ++*seq
    return pt.complete(task, eof);
  }
  if (sk.done) return pt.complete(task, eof);
  if (sk.skErr) {
    const e = sk.skErr;
    sk.skErr = 0;
    return pt.complete(task, -e);
  }
  if (sk.skShutdown & RCV_SHUTDOWN) return pt.complete(task, eof);
  if (sk.state === TCP_CLOSE) return pt.complete(task, -ENOTCONN);
  if (nonblock) return pt.complete(task, -EAGAIN);
  return pt.blockOn(task, sk.waiters);
}

/**
 * The bytes of a write still being copied while its task waits for send-buffer memory
 * (sk_stream_wait_memory()): a blocked call re-runs from the start, so this is where the
 * copy resumes.
 */
const pendingWrites = new WeakMap<Task, { data: Uint8Array; off: number; bl: SendBacklog }>();

/**
 * sk_flush_backlog() in tcp_sendmsg_locked() (net/core/sock.c, Linux 4.7+): the call takes the
 * socket's backlog and goes on copying. On lo, what it has sent so far is received and ACKed by
 * the softirq it runs in its own context, so the call goes on once that work is quiet and the
 * socket's skbs have all left (releaseSock() takes what waited for them), re-run from where it
 * stopped (pendingWrites).
 */
function skFlushBacklogEv(pt: ProcessTable, e: { task: Task; sk: TcpSock }): void {
  const k = pt.k;
  const { task, sk } = e;
  if (!pendingWrites.has(task) || task.state !== 'running' || !task.pending) return;
  if (k.softirqUntil > k.now || k.loTxPending.has(sk.id)) {
    k.sim.post(Math.max(k.now, k.softirqUntil), skFlushBacklogEv, pt, e);
    return;
  }
  if (k.sockBacklog.has(sk.id)) releaseSockInProcess(k, sk);
  task.rerun = true;
  pt.execute(task);
}

/**
 * tcp_sendmsg(): errors first (sk_err, then EPIPE after shutdown/close) with SIGPIPE; then the
 * bytes go into the write queue as the send buffer takes them (tcp_sendmsg_locked()); a full
 * buffer makes a blocking write wait until all is copied (sk_stream_wait_memory()), a
 * non-blocking one return what it copied, or -EAGAIN. An error met after some bytes were
 * copied returns their count.
 */
export function sockSend(pt: ProcessTable, task: Task, sk: TcpSock, data: string | Uint8Array, nonblock = false, more = false, fault = false, eor = false): void {
  let w = task.rerun ? pendingWrites.get(task) : undefined;
  if (!w) w = { data: typeof data === 'string' ? new TextEncoder().encode(data) : data, off: 0, bl: { n: 0, flush: false } };
  pendingWrites.delete(task);
  if (sk.state !== TCP_ESTABLISHED && sk.state !== TCP_CLOSE_WAIT) {
    if (sk.state === TCP_SYN_SENT) return pt.blockOn(task, sk.waiters);
    if (w.off) return pt.complete(task, w.off);
    let err = EPIPE;
    if (sk.skErr) {
      err = sk.skErr;
      sk.skErr = 0;
    }
    if (err === EPIPE) sendSignal(pt, task, 'SIGPIPE');
    if (task.state === 'zombie') return;
    return pt.complete(task, -err);
  }
  if (sk.skShutdown & SEND_SHUTDOWN) {
    if (w.off) return pt.complete(task, w.off);
    sendSignal(pt, task, 'SIGPIPE');
    if (task.state === 'zombie') return;
    return pt.complete(task, -EPIPE);
  }
  // an unmapped buffer: the copy into the first skb fails (skb_copy_to_page_nocache()),
  // nothing was copied, so tcp_sendmsg_locked() returns -EFAULT (sk_stream_error())
  if (fault && w.data.length) return pt.complete(task, -EFAULT);
  w.off += tcpSendmsg(pt.k, sk, w.data, w.off, more, eor, w.bl);
  if (w.bl.flush) {
    w.bl.flush = false;
    pendingWrites.set(task, w);
    return pt.k.sim.post(Math.max(pt.k.now, pt.k.softirqUntil), skFlushBacklogEv, pt, { task, sk });
  }
  if (w.off === w.data.length) return pt.complete(task, w.off);
  if (nonblock) return pt.complete(task, w.off || -EAGAIN);
  pendingWrites.set(task, w);
  return pt.blockOn(task, sk.waiters);
}
