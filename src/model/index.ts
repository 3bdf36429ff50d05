/** Public entry of the pure model. */
export * from './types.ts';
export { Sim } from './sim.ts';
export { Kernel, parseOptions, STRERROR, ERRNO_NAMES } from './kernel.ts';
export * from './kernel.ts';
export { ProcessTable, Tty, type Task, type Program, type ProgramCtx, type Sys, type FileRef } from './process.ts';
export { PROFILES, LINUX_4_4, LINUX_6_X, withOverrides, withHz, HZ_CHOICES, type Profile } from './profiles.ts';
export { ip4, ip4str, LOOPBACK, u32, before, after } from './seq.ts';
import { Kernel } from './kernel.ts';
import { ProcessTable } from './process.ts';
import { PROFILES, withHz, withOverrides, type Costs } from './profiles.ts';
import type { ProfileName } from './types.ts';

export interface HostOptions {
  profile: ProfileName;
  seed?: number;
  sysctl?: Record<string, number | number[] | string>;
  costs?: Partial<Costs>;
  realtimeBaseNs?: number;
  isnSecret?: number;
  /** CONFIG_HZ, when not the profile's own (HZ_CHOICES). */
  hz?: number;
}

/** A simulated machine: one kernel (netns with lo) and its process table. */
export function createHost(o: HostOptions): { k: Kernel; procs: ProcessTable } {
  const base = o.hz === undefined ? PROFILES[o.profile] : withHz(PROFILES[o.profile], o.hz);
  const profile = withOverrides(base, o.sysctl ?? {}, o.costs ?? {});
  const k = new Kernel({ profile, seed: o.seed ?? 1, realtimeBaseNs: o.realtimeBaseNs, isnSecret: o.isnSecret });
  return { k, procs: new ProcessTable(k) };
}
