/**
 * kernel/signal.c (Linux 4.4 and 6.18): sending a signal and its default action (stop,
 * continue, terminate), kill() and pause().
 *
 * Deliberate differences: a signal is handled when it is sent, not on the way back to user
 * space; a program that catches a signal finds it in ctx.pendingSignals (no handler frames);
 * no signal masks, queues or siginfo.
 */
import { doExit, reportStatus } from './exit.ts';
import type { ProcessTable, SysOf, Task, TaskState } from './process.ts';
import { append } from './sock.ts';
import type { Signal } from './types.ts';

/** Deliver a signal with its default action unless the program catches it. */
export function sendSignal(pt: ProcessTable, task: Task, sig: Signal): void {
  if (task.state === 'zombie') return;
  const k = pt.k;
  k.sim.emit({ type: 'signal', t: k.now, pid: task.pid, sig });
  if (task.ctx.ignores.has(sig) && sig !== 'SIGKILL' && sig !== 'SIGSTOP') return;
  if (sig === 'SIGCONT') {
    if (task.state === 'stopped') {
      k.sim.emit({ type: 'proc', t: k.now, pid: task.pid, comm: task.comm, action: 'cont' });
      const hadPending = !!task.pending;
      task.state = 'running';
      if (task.resumeValue !== undefined) {
        const v = task.resumeValue;
        task.resumeValue = undefined;
        k.sim.after(0, () => pt.step(task, v));
      } else if (hadPending) {
        task.rerun = true;
        k.sim.after(0, () => pt.execute(task));
      }
    }
    return;
  }
  if (task.ctx.catches.has(sig) && sig !== 'SIGKILL' && sig !== 'SIGSTOP') {
    task.ctx.pendingSignals = append(task.ctx.pendingSignals, sig);
    if (task.state === 'blocked') pt.wakeTask(task);
    return;
  }
  if (sig === 'SIGSTOP' || sig === 'SIGTSTP') {
    if (task.state === 'stopped') return;
    if (task.state === 'blocked') {
      pt.unwait(task);
    }
    task.state = 'stopped';
    k.sim.emit({ type: 'proc', t: k.now, pid: task.pid, comm: task.comm, action: 'stop' });
    reportStatus(pt, task, { kind: 'stopped', sig });
    return;
  }
  doExit(pt, task, { kind: 'signaled', sig });
}

/** kill(pid, sig) */
export function sysKill(pt: ProcessTable, task: Task, s: SysOf<'kill'>): void {
  const target = pt.tasks.get(s.pid);
  if (!target || target.state === 'zombie') return pt.complete(task, -3 /* ESRCH */);
  sendSignal(pt, target, s.sig);
  // kill(getpid(), SIGKILL) does not return: the caller died (do_exit) before returning
  // to user space (kernel/signal.c: the fatal signal is handled on the way out)
  if ((task.state as TaskState) === 'zombie') return;
  return pt.complete(task, 0);
}

/** sys_pause(): TASK_INTERRUPTIBLE and schedule(), on no wait queue: only a signal ends it. */
export function sysPause(task: Task): void {
  task.state = 'blocked';
}
