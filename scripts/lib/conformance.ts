/** Run the conformance check of one recording directory against the model. */
import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { conformance, type Check, type RecordingData } from '../../src/experiment/conformance.ts';
import { compressExperiment } from '../../src/experiment/compress.ts';
import { experimentPorts } from '../../src/experiment/redact.ts';
import { runExperiment } from '../../src/experiment/run.ts';
import type { Experiment } from '../../src/experiment/types.ts';
import { LINUX_4_4, LINUX_6_X } from '../../src/model/profiles.ts';

export interface RecordingMeta {
  recording: RecordingData & { sysctls: Record<string, string>; maxGapNs?: number };
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
  // and with the ports that kernel chose where the experiment pins one
  const ports = (rec as unknown as { ports?: Record<string, number> }).ports ?? {};
  // recording.json comes with a pull request: only port numbers are substituted, as text
  const subst = (line: string) =>
    Object.entries(ports).reduce((l, [a, b]) => (/^\d{1,5}$/.test(a) && Number.isInteger(b) ? l.replace(new RegExp(`\\b${a}\\b`, 'g'), () => String(b)) : l), line);
  e = {
    ...e,
    steps: e.steps.map((s, i) => ({
      ...s,
      at: rec.steps[i]?.actualNs ?? s.at,
      action: s.action.kind === 'command' ? { kind: 'command' as const, line: subst(s.action.line) } : s.action,
      pins: { ...s.pins, pid: undefined, ephemeralPort: s.pins.ephemeralPort !== undefined ? ports[s.pins.ephemeralPort] : undefined },
    })),
  };
  const res = runExperiment(e, profile, { sampleNs: 20_000_000 });
  const procs = res.trace.flatMap((ev) => (ev.type === 'proc' && ev.action === 'exec' && ev.tty && ev.comm !== 'bash' ? [ev] : []));
  const processes = procs.map((p) => {
    const exit = res.trace.find((ev) => ev.type === 'proc' && ev.action === 'exit' && ev.pid === p.pid);
    const output = res.trace.flatMap((ev) => (ev.type === 'output' && ev.pid === p.pid ? [ev.text] : [])).join('');
    return { cmd: (p.argv ?? []).join(' '), terminal: p.tty ?? '', output, exit: exit && exit.type === 'proc' ? exit.status ?? 0 : null };
  });
  // ports that are part of the experiment's text (listening ports) stay literal
  const keep = experimentPorts(exp);
  const filtered = rec.processes.filter((p) => !/[|;]/.test(p.cmd));
  return { checks: conformance({ ...rec, processes: filtered }, { trace: res.trace, tables: res.tables, t0: res.t0, processes }, keep), profile };
}
