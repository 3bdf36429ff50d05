/**
 * kernel/exit.c (Linux 4.4 and 6.18): a task's end (do_exit: every fd closed in order, which
 * runs tcp_close() on its sockets), the status its parent collects, and waitpid(WUNTRACED).
 *
 * Deliberate differences: no reparenting to init (a task without a parent is reaped at once),
 * no SIGCHLD: the parent's waitpid() is woken on a queue of its own.
 */
import { closeFd, closeWaitAbort } from './read_write.ts';
import type { ProcessTable, SysOf, Task, WaitStatus } from './process.ts';
import { append, type Waiter } from './sock.ts';
import { SIGNUM } from './process.ts';

/** The queue a parent's waitpid() sleeps on (wait_chldexit in signal_struct). */
function childQueue(pt: ProcessTable, t: Task): Set<Waiter> {
  let q = pt.childQueues.get(t);
  if (!q) {
    q = new Set();
    pt.childQueues.set(t, q);
  }
  return q;
}

/** A status change for the parent's waitpid() (do_notify_parent / do_notify_parent_cldstop). */
export function reportStatus(pt: ProcessTable, task: Task, st: WaitStatus): void {
  task.reports = append(task.reports, st);
  if (task.parent) {
    const q = childQueue(pt, task.parent);
    for (const w of [...q]) w.wake();
  }
}

/** do_exit(): close every fd in order (tcp_close on sockets), report to the parent. */
export function doExit(pt: ProcessTable, task: Task, st: WaitStatus): void {
  if (task.state === 'zombie') return;
  pt.unwait(task);
  closeWaitAbort(pt, task); // killed in a lingering close(): tcp_close() ends before do_exit()
  task.pending = null;
  task.state = 'zombie';
  for (const fd of [...task.fds.keys()].sort((a, b) => a - b)) closeFd(pt, task, fd);
  task.exitStatus = st;
  pt.k.sim.emit({ type: 'proc', t: pt.k.now, pid: task.pid, comm: task.comm, action: 'exit', status: st.kind === 'exited' ? st.status : 128 + SIGNUM[st.sig] });
  if (task.parent) reportStatus(pt, task, st);
  else pt.tasks.delete(task.pid);
}

/** waitpid(pid, WUNTRACED): the child's oldest status change; a dead child is reaped. */
export function sysWaitpid(pt: ProcessTable, task: Task, s: SysOf<'waitpid'>): void {
  const child = pt.tasks.get(s.pid);
  if (!child) return pt.complete(task, -10 /* ECHILD */);
  const rep = child.reports.length ? child.reports.shift() : undefined;
  if (rep) {
    if (rep.kind !== 'stopped' && child.state === 'zombie') pt.tasks.delete(child.pid);
    return pt.complete(task, rep);
  }
  return pt.blockOn(task, childQueue(pt, task));
}
