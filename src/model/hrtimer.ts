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

/** nanosleep(ns) */
export function sysNanosleep(pt: ProcessTable, task: Task, s: SysOf<'nanosleep'>): void {
  task.state = 'blocked';
  // a sleep that ends after the end of time (hrtimer's KTIME_MAX, 292 years) never ends:
  // the task just waits for a signal, without an event
  if (!(s.ns >= 0 && s.ns <= KTIME_MAX_NS)) return;
  task.timeoutEvent = pt.k.sim.after(s.ns + pt.k.profile.costs.sleepSlackNs, () => {
    task.timeoutEvent = null;
    task.state = 'running';
    pt.complete(task, 0, 0);
  });
}
