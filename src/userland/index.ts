/** Install the modelled programs on a simulated host. */
import type { ProcessTable } from '../model/process.ts';
import type { Profile } from '../model/profiles.ts';
import { bash, BUILTIN_PROGRAM, builtinProgram } from './bash.ts';
import { yes } from './coreutils.ts';
import { iptables } from './iptables.ts';
import { netcat } from './nc.ts';
import { grep, sleep, ss, tcpdump } from './tools.ts';

export const COMMANDS = ['nc', 'ss', 'tcpdump', 'sleep', 'grep', 'yes', 'iptables'];

export function installUserland(procs: ProcessTable, profile: Profile, host: { user: string; hostname: string }): void {
  procs.programs.set('nc', netcat(profile.tools.netcat, profile.costs.ncStartupNs));
  procs.programs.set('ss', ss(profile));
  procs.programs.set('tcpdump', tcpdump(profile));
  procs.programs.set('sleep', sleep);
  procs.programs.set('grep', grep);
  procs.programs.set('yes', yes);
  procs.programs.set('iptables', iptables);
  procs.programs.set(BUILTIN_PROGRAM, builtinProgram);
  void host;
}

/** Start an interactive shell on terminal `tty`. */
export function startShell(procs: ProcessTable, profile: Profile, tty: string, o: { user: string; hostname: string; history: number; cols?: number; pid?: number }) {
  const t = procs.tty(tty, o.cols ?? 80);
  const name = `bash@${tty}`;
  procs.programs.set(name, bash(profile, { user: o.user, hostname: o.hostname, history: o.history, commands: new Set(COMMANDS) }));
  return procs.spawn(name, ['bash'], { tty: t, pid: o.pid });
}
