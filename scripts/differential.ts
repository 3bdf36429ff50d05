/**
 * npm run differential: random differential scripts (scripts/lib/differential.ts) on the model,
 * compared with what this machine's kernel did (test/differential/recorded/linux-<release>.json).
 * One line per script that disagrees (its first wrong step: the call, Linux's and the model's
 * [result, client [inq, outq, state], server [...]]), marked `known:` when
 * test/differential/known-disagreements.json explains it, then the totals. Exit status 1 on a
 * disagreement the list does not name or a listed script that now agrees.
 *
 * npm run differential:record [-- SCRIPTS [RUNS [small-buffers]]]: generate SCRIPTS scripts (40)
 * from seed 1 (seed 2 and tcp_rmem/tcp_wmem of 8-64 KB with small-buffers), run them RUNS times
 * (3) on this kernel (scripts/differential-real.py in a network namespace of its own, as root)
 * and write the recording. Steps where the runs differ are timing and not compared.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './lib/experiments.ts';
import { compareScript, generateScripts, type DiffRecording, type Step } from './lib/differential.ts';

export const DIFF_DIR = join(ROOT, 'test/differential');

export function loadRecordings(): { file: string; rec: DiffRecording }[] {
  return readdirSync(join(DIFF_DIR, 'recorded'))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ file: `recorded/${f}`, rec: JSON.parse(readFileSync(join(DIFF_DIR, 'recorded', f), 'utf8')) as DiffRecording }));
}

export function knownDifferential(): Record<string, string> {
  return JSON.parse(readFileSync(join(DIFF_DIR, 'known-disagreements.json'), 'utf8')) as Record<string, string>;
}

function record(n: number, runs: number, variant: DiffRecording['variant']): void {
  const small = variant === 'small-buffers';
  const scripts = generateScripts(small ? 2 : 1, n, 0.2, small);
  const kernel = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();
  const all: Step[][][] = [];
  for (let i = 0; i < runs; i++) {
    console.log(`differential:record: run ${i + 1}/${runs} of ${n} scripts on Linux ${kernel} ...`);
    const out = execFileSync('unshare', ['-n', 'sh', '-c', `ip link set lo up && exec python3 ${join(ROOT, 'scripts/differential-real.py')}`], {
      input: JSON.stringify(scripts),
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    all.push(JSON.parse(out) as Step[][]);
  }
  const major = kernel.match(/^(\d+\.\d+)/)?.[1] ?? kernel;
  const rec: DiffRecording = { variant, kernel, date: new Date().toISOString().slice(0, 10), seed: small ? 2 : 1, congestionControl: 'cubic', scripts, runs: all };
  const file = join(DIFF_DIR, 'recorded', `linux-${major}${small ? '-small-buffers' : ''}.json`);
  writeFileSync(file, `${JSON.stringify(rec)}\n`);
  console.log(`differential:record: wrote ${file}`);
}

function report(): number {
  const known = knownDifferential();
  let bad = 0;
  for (const { file, rec } of loadRecordings()) {
    let agreeScripts = 0;
    let steps = 0;
    let agreeSteps = 0;
    let unstable = 0;
    for (let i = 0; i < rec.scripts.length; i++) {
      const v = compareScript(rec, i, 'linux-6.x');
      steps += v.compared;
      agreeSteps += v.agree;
      unstable += v.unstable;
      const why = known[`${file}#${i}`];
      if (!v.first) {
        agreeScripts++;
        if (why) {
          bad++;
          console.log(`script ${i}: agrees now, but known-disagreements.json lists it: take it out`);
        }
        continue;
      }
      if (!why) bad++;
      const f = v.first;
      console.log(`${why ? 'known: ' : ''}script ${i}, step ${f.step} ${JSON.stringify(f.op)}: Linux ${JSON.stringify(f.real)}, model ${JSON.stringify(f.model)}${why ? ` (${why})` : ''}`);
    }
    console.log(`${file} (Linux ${rec.kernel}, ${rec.runs.length} runs, model linux-6.x): ${agreeScripts}/${rec.scripts.length} scripts agree, ${agreeSteps}/${steps} steps (${unstable} steps differ between real runs, not compared)`);
  }
  return bad ? 1 : 0;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, ''))) {
  if (process.argv[2] === 'record') record(Number(process.argv[3] ?? 40), Number(process.argv[4] ?? 3), process.argv[5] === 'small-buffers' ? 'small-buffers' : 'default');
  else process.exitCode = report();
}
