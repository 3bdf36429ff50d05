/**
 * kernel/signal.c (Linux 4.4 and 6.18): sending a signal and its default action (stop,
 * continue, terminate), kill() and pause().
 *
 * Deliberate differences: a signal is handled when it is sent, not on the way back to user
 * space; a program that catches a signal finds it in ctx.pendingSignals (no handler frames);
 * no signal masks, queues or siginfo. A stopped task keeps what it is sent (but SIGKILL and
 * SIGCONT) pending until SIGCONT, as a task in TASK_STOPPED does: it only acts on its
 * signals once it runs again.
 */
import { doExit, reportStatus } from './exit.ts';
import { closeWaitAbort } from './read_write.ts';
import type { ProcessTable, SysOf, Task, TaskState } from './process.ts';
import { append } from './sock.ts';
import type { Signal } from './types.ts';

/** The stop signals (sig_kernel_stop(): SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU). */
const STOP_SIGNALS: ReadonlySet<Signal> = new Set<Signal>(['SIGSTOP', 'SIGTSTP', 'SIGTTIN']);

/** Signals sent to a task while it was stopped, delivered when SIGCONT wakes it. */
const heldWhileStopped = new WeakMap<Task, Signal[]>();

/** Deliver a signal with its default action unless the program catches it. */
export function sendSignal(pt: ProcessTable, task: Task, sig: Signal): void {
  if (task.state === 'zombie') return;
  const k = pt.k;
  k.sim.emit({ type: 'signal', t: k.now, pid: task.pid, sig });
  if (task.ctx.ignores.has(sig) && sig !== 'SIGKILL' && sig !== 'SIGSTOP') return;
  // a stopped task does not run: what it is sent waits (kernel/signal.c: only SIGKILL and
  // SIGCONT wake a TASK_STOPPED task; a stop signal to a stopped task changes nothing)
  if (task.state === 'stopped' && sig !== 'SIGKILL' && sig !== 'SIGCONT') {
    if (!STOP_SIGNALS.has(sig)) heldWhileStopped.set(task, [...(heldWhileStopped.get(task) ?? []), sig]);
    return;
  }
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
      // prepare_signal(SIGCONT) then the woken task's get_signal(): what was sent meanwhile acts now
      const held = heldWhileStopped.get(task);
      if (held) {
        heldWhileStopped.delete(task);
        for (const h of held) sendSignal(pt, task, h);
      }
    }
    return;
  }
  if (task.ctx.catches.has(sig) && sig !== 'SIGKILL' && sig !== 'SIGSTOP') {
    task.ctx.pendingSignals = append(task.ctx.pendingSignals, sig);
    if (task.state === 'blocked') pt.wakeTask(task);
    return;
  }
  if (STOP_SIGNALS.has(sig)) {
    if (task.state === 'stopped') return;
    if (task.state === 'blocked') {
      pt.unwait(task);
      // the stop signal is pending: a lingering close() ends its wait, returns 0, then the task stops
      if (task.closeWait) {
        closeWaitAbort(pt, task);
        pt.complete(task, 0);
      }
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
