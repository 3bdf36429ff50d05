/**
 * Clocks and the timer wheel: jiffies (include/linux/jiffies.h), msecs_to_jiffies()
 * (kernel/time/time.c), CLOCK_REALTIME (kernel/time/timekeeping.c) and when a timer armed
 * now runs (kernel/time/timer.c, Linux 4.4 and 6.18).
 *
 * Deliberate differences: time is the simulator's integer ns since boot, not a clocksource;
 * a timer is an event of the simulator at the time its wheel would run it, not a wheel slot.
 */
import type { Kernel } from './kernel.ts';
import type { Ns } from './types.ts';

/** The 4.8+ timer wheel at LVL_CLK_SHIFT 3: level n starts at 63 << 3(n-1) jiffies, granule 8^n. */
const LVL_START = [0, 63, 504, 4032, 32256, 258048, 2064384, 16515072, 132120576];
const LVL_GRAN = [1, 8, 64, 512, 4096, 32768, 262144, 2097152, 16777216];

/** jiffies, starting at INITIAL_JIFFIES = -300*HZ (so 32-bit jiffies wrap 5 min after boot). */
export function jiffies(k: Kernel): number {
  // a handler reads jiffies several times at one instant: the division is done once per instant
  const now = k.sim.now;
  if (now !== k.jiffiesAt) {
    k.jiffiesAt = now;
    k.jiffiesThen = Math.floor(now / k.jiffyNs) - 300 * k.HZ;
  }
  return k.jiffiesThen;
}

/** Start time (ns) of a jiffy. */
export function jiffyStart(k: Kernel, j: number): Ns {
  return (j + 300 * k.HZ) * k.jiffyNs;
}

/** CLOCK_REALTIME in ns, truncated to whole microseconds so the double is exact after /1000. */
export function realtimeNs(k: Kernel): number {
  return (k.realtimeBaseUs + Math.floor(k.sim.now / 1000)) * 1000;
}

/** msecs_to_jiffies(): rounded up. */
export function msecsToJiffies(k: Kernel, ms: number): number {
  return Math.ceil((ms * k.HZ) / 1000);
}

/**
 * When a timer armed now with `expires` (jiffies) runs. 'exact': on the expiry jiffy (the
 * cascading wheel of < 4.8; a timer already due runs on the next tick). 'granular': the
 * 4.8+ wheel's calc_wheel_index()/calc_index() put it in a bucket of its level and round
 * up by one granule, so it never fires early and may fire up to a granule late.
 */
export function timerFireTime(k: Kernel, expires: number): Ns {
  const now = jiffies(k);
  let fire: number;
  if (k.profile.behaviour.timerWheel === 'exact') {
    fire = Math.max(expires, now + 1);
  } else {
    // kernel/time/timer.c: LVL_CLK_SHIFT 3, LVL_BITS 6, LVL_START(n) = 63 << 3(n-1)
    const delta = expires - now;
    if (delta < 0) {
      fire = now + 1;
    } else {
      let lvl = 0;
      while (lvl < 8 && delta >= LVL_START[lvl + 1]) lvl++;
      const gran = LVL_GRAN[lvl];
      // calc_index(): expires = (expires >> LVL_SHIFT(lvl)) + 1; bucket_expiry = expires << LVL_SHIFT(lvl)
      fire = (Math.floor(expires / gran) + 1) * gran;
    }
  }
  return jiffyStart(k, fire) + k.profile.costs.timerSoftirqNs;
}
