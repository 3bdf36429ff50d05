/**
 * kernel/time/hrtimer.c (Linux 4.4 and 6.18): nanosleep().
 *
 * Deliberate difference: a sleep ends after the profile's slack (`sleepSlackNs`, the timer
 * slack and wake-up latency measured once per profile), not after a clock event.
 */
import type { ProcessTable, SysOf, Task } from './process.ts';

/**
 * The longest sleep the model schedules (ns): beyond it a sleep never ends. The kernel's is
 * KTIME_MAX (2^63 - 1 ns); the model stops at 2^52, where integer ns are still exact doubles
 * added to any time of a run (runs last at most 10^6 s).
 */
export const KTIME_MAX_NS = 2 ** 52;

/**
 * The end of a timed call, in ns: now + `ns` for a new call; for one re-run after a wake-up or
 * a stop and SIGCONT, the end fixed when it started (restart_block's absolute expiry: a sleep
 * or poll() stopped past its end returns as soon as it runs again).
 */
export function timedCallDeadline(pt: ProcessTable, task: Task, ns: number): number {
  if (!task.rerun || task.deadline < 0) task.deadline = pt.k.now + ns;
  return task.deadline;
}

/** nanosleep(ns) */
export function sysNanosleep(pt: ProcessTable, task: Task, s: SysOf<'nanosleep'>): void {
  task.state = 'blocked';
  // a sleep that ends after the end of time (hrtimer's KTIME_MAX, 292 years) never ends:
  // the task just waits for a signal, without an event
  if (!(s.ns >= 0 && s.ns <= KTIME_MAX_NS)) return;
  const left = timedCallDeadline(pt, task, s.ns) - pt.k.now;
  if (left <= 0) {
    // hrtimer_nanosleep_restart() of an expired sleep: done
    task.state = 'running';
    return pt.complete(task, 0, 0);
  }
  task.timeoutEvent = pt.k.sim.after(left + pt.k.profile.costs.sleepSlackNs, () => {
    task.timeoutEvent = null;
    task.state = 'running';
    pt.complete(task, 0, 0);
  });
}
