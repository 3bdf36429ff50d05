/**
 * The shell lines of packetdrill scripts (the init command, `` `cmd` `` events, the cleanup
 * command): what each one writes to /proc/sys and what else it runs, in order, and whether the
 * line as a whole succeeds. packetdrill runs a line with system(3), so its status is the status
 * of the line's last command: `./defaults.sh` succeeds whatever its sysctl writes do (its last
 * command is `tc qdisc add`), while a script whose init command ends with
 * `sysctl -q net.ipv4.tcp_ecn=5` fails on Linux 6.18 (tcp_ecn takes 0..2 there) with
 * "error executing init command: non-zero status 1".
 *
 * Pure: defaults.sh comes in as text.
 */
import { SYSCTL_TABLE, sysctlWrite } from '../model/sysctl_net_ipv4.ts';
import type { ProfileName } from '../model/types.ts';
import { NSTAT_OPTIONS } from './nstat.ts';

export type ShellStep =
  | { kind: 'sysctl'; name: string; value: string }
  /** `ip link set dev NAME mtu N` (the runner sets the device's MTU). */
  | { kind: 'mtu'; dev: string; mtu: number }
  /** `nstat [OPTIONS] [PATTERN...]`, piped through `grep [-q] PATTERN` commands (run at the line's time: nstat.ts). */
  | { kind: 'nstat'; argv: string[]; greps: string[][] }
  /** A command the model has nothing to act on (defaults.sh's tcp_metrics flush and pfifo qdisc). */
  | { kind: 'inert'; text: string }
  | { kind: 'other'; text: string };

/**
 * Sysctls the scripts set whose features the model does not have at all, so that their value
 * changes nothing the model does; a script that exercises the feature has another need (a TCP
 * option, a flag, a system call) that skips it. `range`: the values Linux 6.18 accepts, where a
 * script writes one it refuses (measured in a fresh network namespace of 6.18.44).
 */
export const INERT_SYSCTLS: Record<string, { why: string; range?: [number, number] }> = {
  'net.ipv4.tcp_frto': { why: 'F-RTO (no loss recovery in the model)' },
  'net.ipv4.tcp_fack': { why: 'FACK (a no-op since Linux 4.15)' },
  'net.ipv4.tcp_dsack': { why: 'DSACK (the model sends no SACK blocks)' },
  'net.ipv4.tcp_reordering': { why: 'reordering threshold (no fast retransmit in the model)' },
  'net.ipv4.tcp_early_retrans': { why: 'TLP (no loss probes in the model)' },
  'net.ipv4.tcp_recovery': { why: 'RACK (no loss recovery in the model)' },
  'net.ipv4.tcp_ecn': { why: 'ECN (the model sends no ECN; ECN flags in a script are needs)', range: [0, 2] },
  'net.ipv4.tcp_pacing_ss_ratio': { why: 'pacing (no pacing)' },
  'net.ipv4.tcp_pacing_ca_ratio': { why: 'pacing (no pacing)' },
  'net.ipv4.tcp_notsent_lowat': { why: 'TCP_NOTSENT_LOWAT (no send queue limit)' },
  'net.ipv4.tcp_fastopen': { why: 'TFO (FO options in a script are needs)' },
  'net.ipv4.tcp_fastopen_key': { why: 'TFO key (FO options in a script are needs)' },
};

/**
 * defaults.sh's other commands that have nothing to act on in the model, and the restore script
 * set_sysctls.py leaves (/tmp/sysctl_restore_${PPID}.sh puts back the sysctls it changed: the
 * model's sysctls live only for the run).
 */
const INERT_COMMANDS = [/^ip tcp_metrics flush all\b/, /^tc qdisc add dev tun0 root pfifo$/, /^\/tmp\/sysctl_restore_\$\{PPID\}\.sh$/];

/** The steps of a shell line, in order (`./defaults.sh` expanded from its text). */
export function shellSteps(cmd: string, defaultsSh: string | undefined): ShellStep[] {
  const steps: ShellStep[] = [];
  const lines = cmd.replace(/\\\n/g, ' ').split(/\n|;|&&/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  for (let line of lines) {
    line = line.replace(/\s+#.*$/, '').replace(/\s*>\s*\/dev\/null(\s+2>&1)?/, '').trim();
    line = line.replace(/\$\(\(([0-9*+ ]+)\)\)/g, (_, e: string) => String(e.split('+').reduce((s, t) => s + t.split('*').reduce((p, f) => p * Number(f), 1), 0)));
    if (line === './defaults.sh') {
      if (defaultsSh === undefined) steps.push({ kind: 'other', text: './defaults.sh (its text was not given)' });
      else steps.push(...shellSteps(defaultsSh.split('\n').filter((l) => !l.startsWith('#')).join('\n'), undefined));
      continue;
    }
    const sy = /^sysctl\s+(?:-[qe]\s+)*(.*)$/.exec(line);
    if (sy) {
      for (const m of sy[1].matchAll(/([\w./]+)=("([^"]*)"|\S+)/g)) steps.push({ kind: 'sysctl', name: m[1].replace(/\//g, '.'), value: m[3] ?? m[2] });
      continue;
    }
    const py = /^\.\/set_sysctls\.py\s+(.*)$/.exec(line);
    if (py) {
      for (const m of py[1].matchAll(/\/proc\/sys\/([\w/]+)=(\S+)/g)) steps.push({ kind: 'sysctl', name: m[1].replace(/\//g, '.'), value: m[2] });
      continue;
    }
    const ns = nstatPipeline(line);
    if (ns) {
      steps.push(ns);
      continue;
    }
    const mtu = /^ip link set (?:dev )?(\S+) mtu (\d+)$/.exec(line);
    if (mtu) {
      steps.push({ kind: 'mtu', dev: mtu[1], mtu: Number(mtu[2]) });
      continue;
    }
    steps.push(INERT_COMMANDS.some((r) => r.test(line)) ? { kind: 'inert', text: line } : { kind: 'other', text: line });
  }
  return steps;
}

/** The words of a simple command: blanks split, double and single quotes group (no expansions). */
function words(cmd: string): string[] | null {
  const out: string[] = [];
  const re = /\s*(?:"([^"]*)"|'([^']*)'|([^\s"']+))/gy;
  let m: RegExpExecArray | null;
  let last = 0;
  while ((m = re.exec(cmd)) && m[0].length) {
    out.push(m[1] ?? m[2] ?? m[3]);
    last = re.lastIndex;
  }
  return cmd.slice(last).trim() ? null : out;
}

/** `nstat ... | grep ... | grep -q ...`: the nstat options (those nstat.ts runs) and the greps, or null. */
function nstatPipeline(line: string): ShellStep | null {
  const parts = line.split('|').map((p) => words(p.trim()));
  if (parts.some((p) => !p || !p.length) || parts[0]![0] !== 'nstat') return null;
  const argv = parts[0]!.slice(1);
  if (argv.some((a) => a.startsWith('-') && ![...a.slice(1)].every((c) => NSTAT_OPTIONS.has(c)))) return null;
  const greps = parts.slice(1) as string[][];
  if (greps.some((g) => g[0] !== 'grep' || g.slice(1).some((a) => a.startsWith('-') && a !== '-q'))) return null;
  return { kind: 'nstat', argv, greps: greps.map((g) => g.slice(1)) };
}

/** Sysctl writes (`sysctl -q k=v`, set_sysctls.py) and other commands of a shell line. */
export function shellCommands(cmd: string, defaultsSh: string | undefined): { sysctls: [string, string][]; others: string[] } {
  const steps = shellSteps(cmd, defaultsSh);
  return {
    sysctls: steps.flatMap((s) => (s.kind === 'sysctl' ? [[s.name, s.value] as [string, string]] : [])),
    others: steps.flatMap((s) => (s.kind === 'other' ? [s.text] : [])),
  };
}

/** A sysctl value as written: one integer, or several separated by blanks (tcp_rmem). */
export function sysctlValue(v: string): number | number[] | string {
  if (/\s/.test(v.trim())) return v.trim().split(/\s+/).map(Number);
  // a name (tcp_congestion_control) stays a string
  return /^[A-Za-z_]\w*$/.test(v.trim()) ? v.trim() : Number(v);
}

/**
 * Whether a sysctl write succeeds on the profile's kernel: the model's own sysctls by their proc
 * handler (sysctl_net_ipv4.ts), the inert ones by the range Linux 6.18 accepts. Null when it
 * does, or when the model cannot tell (a sysctl it does not know: a need of the script), or why not.
 */
export function sysctlRefused(profile: ProfileName, hz: number, name: string, value: string): string | null {
  const v = sysctlValue(value);
  const inert = INERT_SYSCTLS[name];
  if (inert) {
    if (!inert.range || profile !== 'linux-6.x') return null;
    const [lo, hi] = inert.range;
    return typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi ? null : `${value} is out of range (${lo}..${hi} on Linux 6.18)`;
  }
  if (!Object.values(SYSCTL_TABLE).some((t) => name in t)) return null;
  const w = sysctlWrite(profile, hz, name, v);
  return w.err ? (w as { message: string }).message : null;
}
