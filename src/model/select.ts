/**
 * fs/select.c (Linux 4.4 and 6.18): poll(), with each file's poll operation: a terminal's
 * (n_tty_poll), a pipe's (pipe_poll) and a TCP socket's (tcp_poll, net/ipv4/tcp.c, with
 * inet_csk_listen_poll for a listener).
 *
 * Deliberate differences: the timeout is exact (no slack); the poll bits are the ones the
 * programs ask for.
 */
import { KTIME_MAX_NS, timedCallDeadline } from './hrtimer.ts';
import type { ProcessTable, SysOf, Task } from './process.ts';
import { RCV_SHUTDOWN, SHUTDOWN_MASK, type WaitQueue } from './sock.ts';
import { TCP_CLOSE, TCP_LISTEN, TCP_SYN_RECV, TCP_SYN_SENT } from './types.ts';

export const POLLIN = 0x001;
export const POLLOUT = 0x004;
export const POLLERR = 0x008;
export const POLLHUP = 0x010;
export const POLLRDHUP = 0x2000;

/** poll(fds, timeoutMs): ready at once, or sleep on every fd's queue until a wake-up or the timeout. */
export function sysPoll(pt: ProcessTable, task: Task, s: SysOf<'poll'>): void {
  const revents = s.fds.map((p) => pollMask(task, p.fd) & (p.events | POLLERR | POLLHUP));
  const ready = revents.filter((r) => r).length;
  if (ready || s.timeoutMs === 0) return pt.complete(task, { ready, revents });
  const queues = s.fds.map((p) => waitQueue(task, p.fd)).filter((q): q is WaitQueue => !!q);
  if (s.timeoutMs > 0 && s.timeoutMs * 1e6 <= KTIME_MAX_NS && !task.timeoutEvent) {
    // the timeout runs from the call's start, through wake-ups that find nothing ready and a
    // stop (do_poll()'s end_time; do_restart_poll()): one already past returns 0 now
    const left = timedCallDeadline(pt, task, s.timeoutMs * 1e6) - pt.k.now;
    if (left <= 0) return pt.complete(task, { ready: 0, revents: s.fds.map(() => 0) });
    task.timeoutEvent = pt.k.sim.after(left, () => {
      task.timeoutEvent = null;
      if (task.state !== 'blocked') return;
      pt.unwait(task);
      task.state = 'running';
      pt.complete(task, { ready: 0, revents: s.fds.map(() => 0) });
    });
  }
  return pt.block(task, queues);
}

/** The wait queue of an fd's file (poll_wait()'s queue). */
function waitQueue(task: Task, fd: number): WaitQueue | null {
  const f = task.fds.get(fd);
  if (!f) return null;
  if (f.kind === 'sock') return f.sk.waiters;
  if (f.kind === 'tty') return f.tty.waiters;
  return f.pipe.waiters;
}

/** The file's poll operation: n_tty_poll, pipe_poll, tcp_poll() / inet_csk_listen_poll(). */
export function pollMask(task: Task, fd: number): number {
  const f = task.fds.get(fd);
  if (!f) return 0x20; // POLLNVAL
  if (f.kind === 'tty') return f.tty.input.length || f.tty.eof ? POLLIN : 0;
  if (f.kind === 'pipe') return f.pipe.buf || f.pipe.writers === 0 ? POLLIN : 0;
  const sk = f.sk;
  if (sk.state === TCP_LISTEN) return sk.acceptQueue.length ? POLLIN : 0;
  let mask = 0;
  if (sk.skShutdown === SHUTDOWN_MASK || sk.state === TCP_CLOSE) mask |= POLLHUP;
  if (sk.skShutdown & RCV_SHUTDOWN) mask |= POLLIN | POLLRDHUP;
  if (sk.state !== TCP_SYN_SENT && sk.state !== TCP_SYN_RECV) {
    if (sk.rcvQueue.length || sk.finQueued) mask |= POLLIN;
    // sk_stream_is_writeable(): free send buffer at least half of what is queued
    if (sk.sndbuf - sk.wmemQueued >= sk.wmemQueued >> 1) mask |= POLLOUT;
  }
  if (sk.skErr) mask |= POLLERR;
  return mask;
}
