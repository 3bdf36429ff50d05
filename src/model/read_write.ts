/**
 * fs/read_write.c and fs/open.c (Linux 4.4 and 6.18): read(), write() and close() on any
 * open file, each handed to the file's own operations (the terminal's n_tty, a pipe, a
 * socket), and the release of a file when its last descriptor closes (fput → sock_close →
 * tcp_close).
 *
 * Deliberate differences: data is text, read whole unless the call gives a count; files the
 * programs write (tcpdump -w) go to ProcessTable.vfs with one vfs_write call.
 */
import { EBADF } from './errno.ts';
import { pipeRead, pipeRelease, pipeReleaseReader, pipeWrite } from './pipe.ts';
import type { ProcessTable, SysOf, Task } from './process.ts';
import { O_NONBLOCK, sockRecv, sockSend } from './socket.ts';
import type { TcpSock } from './sock.ts';
import { skStreamWaitClose } from './stream.ts';
import { tcpAdjudgeToDeath, tcpClose } from './tcp.ts';
import { jiffies } from './time.ts';
import { ttyRead, ttyWrite } from './tty.ts';

/** read(fd) */
export function sysRead(pt: ProcessTable, task: Task, s: SysOf<'read'>): void {
  const f = task.fds.get(s.fd);
  if (!f) return pt.complete(task, -EBADF);
  if (f.kind === 'tty') return ttyRead(pt, task, f.tty);
  if (f.kind === 'pipe') return pipeRead(pt, task, f.pipe, s.count);
  return sockRecv(pt, task, f.sk, s.count, (f.flags & O_NONBLOCK) !== 0, s.bytes, s.fault, s.buf, s.peek);
}

/** write(fd, data) */
export function sysWrite(pt: ProcessTable, task: Task, s: SysOf<'write'>): void {
  const f = task.fds.get(s.fd);
  if (!f) return pt.complete(task, -EBADF);
  // a terminal and a pipe carry text: bytes written to them are decoded as UTF-8
  const text = typeof s.data === 'string' ? s.data : f.kind === 'sock' ? '' : new TextDecoder().decode(s.data);
  if (f.kind === 'tty') {
    ttyWrite(pt, f.tty, task.pid, s.fd === 2 ? 'stderr' : 'stdout', text);
    return pt.complete(task, s.data.length);
  }
  if (f.kind === 'pipe') return pipeWrite(pt, task, f.pipe, text);
  return sockSend(pt, task, f.sk, s.data, (f.flags & O_NONBLOCK) !== 0, s.more, s.fault, s.eor);
}

/**
 * close(fd). With SO_LINGER's time set, close() sleeps in tcp_close() until the peer ACKs the
 * FIN or the time runs out (sk_stream_wait_close(), stream.ts), and returns 0 either way; the
 * fd is gone from the table while it sleeps (close_fd() comes before the last fput()). A
 * wake-up re-runs the call: `task.closeWait` is the sleeping tcp_close()'s socket and deadline.
 */
export function sysClose(pt: ProcessTable, task: Task, s: SysOf<'close'>): void {
  const w = task.closeWait;
  if (w) {
    if (skStreamWaitClose(pt, task, w.sk, w.expires)) return;
    task.closeWait = null;
    tcpAdjudgeToDeath(pt.k, w.sk);
    return pt.complete(task, 0);
  }
  const f = task.fds.get(s.fd);
  if (!f) return pt.complete(task, -EBADF);
  const sk = closeFd(pt, task, s.fd, true);
  if (sk) {
    task.closeWait = { sk, expires: jiffies(pt.k) + sk.linger };
    return sysClose(pt, task, s);
  }
  return pt.complete(task, 0);
}

/**
 * close_fd() + fput(): the last reference to a socket's file runs inet_release() → tcp_close(),
 * whose timeout is SO_LINGER's time unless the process is exiting (`close` false: do_exit()
 * never lingers, PF_EXITING). Returns the socket when tcp_close() is to wait for its FIN's ACK.
 */
export function closeFd(pt: ProcessTable, task: Task, fd: number, close = false): TcpSock | null {
  const f = task.fds.get(fd);
  if (!f) return null;
  task.fds.delete(fd);
  f.refs--;
  if (f.kind === 'sock') pt.k.sim.emit({ type: 'fd', t: pt.k.now, pid: task.pid, fd, inode: f.sk.inode, action: 'close' });
  if (f.kind === 'pipe' && f.end === 'w') pipeRelease(f.pipe);
  if (f.kind === 'pipe' && f.end === 'r') pipeReleaseReader(f.pipe);
  if (f.refs === 0 && f.kind === 'sock') {
    f.sk.fileRefs = 0;
    // inet_release(): timeout = sk_lingertime if SOCK_LINGER and not PF_EXITING
    if (tcpClose(pt.k, f.sk, close && f.sk.linger > 0 ? f.sk.linger : 0)) return f.sk;
  }
  return null;
}

/**
 * A signal the task does not catch, while it sleeps in a lingering close() (do_exit(), or a stop
 * signal): signal_pending() ends sk_stream_wait_close() and tcp_close() completes.
 */
export function closeWaitAbort(pt: ProcessTable, task: Task): void {
  const w = task.closeWait;
  if (!w) return;
  task.closeWait = null;
  tcpAdjudgeToDeath(pt.k, w.sk);
}

/** A whole file written at once (tcpdump -w's capture file). */
export function sysVfsWrite(pt: ProcessTable, task: Task, s: SysOf<'vfs_write'>): void {
  pt.vfs.set(s.path, s.data);
  return pt.complete(task, s.data.length);
}
