/** Run the conformance check of one recording directory against the model. */
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { conformance, type Check, type RecordingData } from '../../src/experiment/conformance.ts';
import { compressExperiment } from '../../src/experiment/compress.ts';
import { experimentPorts } from '../../src/experiment/redact.ts';
import { runExperiment } from '../../src/experiment/run.ts';
import type { Experiment } from '../../src/experiment/types.ts';
import { LINUX_4_4, LINUX_6_X } from '../../src/model/profiles.ts';

/**
 * Disagreements with real-kernel recordings that are known and explained, by recording
 * (`<experiment>/recorded/<dir>`) and check name: chance the experiment names (which reuseport
 * listener a hash picks), or a behaviour the model does not have yet, with who owns the fix. The
 * list only shrinks: `npm run conformance` and the conformance test fail on a disagreement it
 * does not name, and on an entry whose check now agrees.
 */
export const KNOWN_FILE = 'content/experiments/known-disagreements.json';
export type KnownDisagreements = Record<string, Record<string, string>>;

export function knownDisagreements(root: string): KnownDisagreements {
  const file = join(root, KNOWN_FILE);
  if (!existsSync(file)) return {};
  const data = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  const ok = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (!ok(data) || !Object.values(data).every((v) => ok(v) && Object.values(v).every((r) => typeof r === 'string' && r.length > 0)))
    throw new Error(`${KNOWN_FILE}: expected { "<experiment>/recorded/<dir>": { "<check name>": "<why>" } }`);
  return data as KnownDisagreements;
}

/** A recording's key in the known-disagreements list: `<experiment>/recorded/<dir>`. */
export const recordingKey = (root: string, dir: string): string => relative(join(root, 'content/experiments'), dir).split('\\').join('/');

/** The checks that disagree without being known, and the known entries that now agree. */
export function sortDisagreements(checks: Check[], known: Record<string, string> = {}): { unknown: Check[]; known: Check[]; fixed: string[] } {
  const bad = checks.filter((c) => !c.ok);
  return {
    unknown: bad.filter((c) => !(c.name in known)),
    known: bad.filter((c) => c.name in known),
    fixed: Object.keys(known).filter((n) => !bad.some((c) => c.name === n)),
  };
}

export interface RecordingMeta {
  recording: RecordingData & { sysctls: Record<string, string>; maxGapNs?: number; terminal?: string; ports?: Record<string, number>; pids?: Record<string, number> };
}

/** The profile a recording's kernel corresponds to: linux-6.x from 4.10 on, else linux-4.4. */
export function profileFor(kernel: string): 'linux-4.4' | 'linux-6.x' {
  const [maj, min] = kernel.split('.').map(Number);
  return maj > 4 || (maj === 4 && min >= 10) ? 'linux-6.x' : 'linux-4.4';
}

export function checkRecording(exp: Experiment, dir: string): { checks: Check[]; profile: string } {
  // recorded sets come with pull requests: a link (to /proc/self/environ, say) is not read
  const file = join(dir, 'recording.json');
  if (lstatSync(dir).isSymbolicLink() || !lstatSync(file).isFile()) throw new Error(`${file}: a recording must be a regular file in a real folder, not a symbolic link`);
  const rec = JSON.parse(readFileSync(file, 'utf8')) as RecordingMeta['recording'];
  const profile = profileFor(rec.kernel);
  const base = profile === 'linux-6.x' ? LINUX_6_X : LINUX_4_4;
  // run the model with the sysctls the recording used (e.g. a lowered tcp_fin_timeout)
  const sysctl: Record<string, number | number[]> = { ...exp.sysctl };
  for (const [k, v] of Object.entries(rec.sysctls)) {
    if (!(k in base.sysctl)) continue;
    const nums = v.split(/\s+/).map(Number);
    if (nums.some((x) => !Number.isFinite(x))) continue;
    if (JSON.stringify(nums.length === 1 ? nums[0] : nums) !== JSON.stringify((base.sysctl as unknown as Record<string, unknown>)[k])) sysctl[k] = nums.length === 1 ? nums[0] : nums;
  }
  // recordings run in a bare network namespace: no DNS resolver is reachable there
  let e: Experiment = { ...exp, sysctl, inputs: { ...exp.inputs, noDns: 1 } };
  if (rec.maxGapNs) e = compressExperiment(e, rec.maxGapNs);
  // the recording's steps happened at their real times: replay them at those times
  // and with the ports (and pids) that kernel gave where the experiment pins one
  const ports = rec.ports ?? {};
  const pids = rec.pids ?? {};
  // recording.json comes with a pull request: only numbers are substituted, as text
  const subst = (line: string) =>
    [...Object.entries(ports), ...Object.entries(pids)].reduce((l, [a, b]) => (/^\d{1,7}$/.test(a) && Number.isInteger(b) ? l.replace(new RegExp(`\\b${a}\\b`, 'g'), () => String(b)) : l), line);
  // a real bash in a pid namespace gives a pinned pid (ns_last_pid); the emulating recorder did not
  const realPids = rec.terminal === 'bash';
  e = {
    ...e,
    steps: e.steps.map((s, i) => ({
      ...s,
      at: rec.steps[i]?.actualNs ?? s.at,
      action: s.action.kind === 'key' ? s.action : { ...s.action, line: subst(s.action.line) },
      pins: {
        ...s.pins,
        pid: realPids && s.pins.pid !== undefined ? (pids[s.pins.pid] ?? s.pins.pid) : undefined,
        ephemeralPort: s.pins.ephemeralPort !== undefined ? ports[s.pins.ephemeralPort] : undefined,
      },
    })),
  };
  const res = runExperiment(e, profile, { sampleNs: 20_000_000 });
  const execs = res.trace.flatMap((ev) => (ev.type === 'proc' && ev.action === 'exec' && ev.tty && ev.comm !== 'bash' ? [ev] : []));
  const processes = execs.map((p) => {
    const exit = res.trace.find((ev) => ev.type === 'proc' && ev.action === 'exit' && ev.pid === p.pid && ev.t >= p.t);
    return {
      cmd: (p.argv ?? []).join(' '),
      terminal: p.tty ?? '',
      startNs: p.t - res.t0,
      endNs: exit ? exit.t - res.t0 : null,
      exit: exit && exit.type === 'proc' ? (exit.status ?? 0) : null,
    };
  });
  // where the experiment ends: the recording's last step plus the tail (then the recorder ends
  // what still runs)
  const endNs = (rec.steps.at(-1)?.actualNs ?? 0) + (exp.inputs.tailNs ?? 3e9);
  const unscreened = new Set(e.steps.flatMap((s) => (s.action.kind !== 'key' && /(^|[\s|;])ss(\s|$)/.test(s.action.line) ? [s.terminal] : [])));
  const loops = e.steps.flatMap((s, i) => {
    if (s.action.kind !== 'command' || !/^\s*while\s/.test(s.action.line)) return [];
    const next = e.steps.slice(i + 1).find((x) => x.terminal === s.terminal);
    return [{ terminal: s.terminal, from: s.at, to: next ? next.at : Infinity }];
  });
  // ports that are part of the experiment's text (listening ports) stay literal
  const keep = experimentPorts(exp);
  return { checks: conformance(rec, { trace: res.trace, tables: res.tables, t0: res.t0, processes, screens: res.screens, endNs, unscreened, loops }, keep), profile };
}
