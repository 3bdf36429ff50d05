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
import { tcpClose } from './tcp.ts';
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

/** close(fd) */
export function sysClose(pt: ProcessTable, task: Task, s: SysOf<'close'>): void {
  const f = task.fds.get(s.fd);
  if (!f) return pt.complete(task, -EBADF);
  closeFd(pt, task, s.fd);
  return pt.complete(task, 0);
}

/** close_fd() + fput(): the last reference to a socket's file runs tcp_close(). */
export function closeFd(pt: ProcessTable, task: Task, fd: number): void {
  const f = task.fds.get(fd);
  if (!f) return;
  task.fds.delete(fd);
  f.refs--;
  if (f.kind === 'sock') pt.k.sim.emit({ type: 'fd', t: pt.k.now, pid: task.pid, fd, inode: f.sk.inode, action: 'close' });
  if (f.kind === 'pipe' && f.end === 'w') pipeRelease(f.pipe);
  if (f.kind === 'pipe' && f.end === 'r') pipeReleaseReader(f.pipe);
  if (f.refs === 0 && f.kind === 'sock') {
    f.sk.fileRefs = 0;
    tcpClose(pt.k, f.sk);
  }
}

/** A whole file written at once (tcpdump -w's capture file). */
export function sysVfsWrite(pt: ProcessTable, task: Task, s: SysOf<'vfs_write'>): void {
  pt.vfs.set(s.path, s.data);
  return pt.complete(task, s.data.length);
}
