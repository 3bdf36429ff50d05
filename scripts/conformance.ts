/**
 * npm run conformance [-- FILE|ID ...]: compare the model with every real-kernel recording
 * (content/experiments/<id>/recorded/linux-<ver>/recording.json), or those of the experiments
 * named. One line per recording, `<experiment> (<dir>, model <profile>): N/M checks agree (per
 * kind)`, then each disagreement with its reference; one listed in
 * content/experiments/known-disagreements.json is marked `known:` with its reason. An experiment
 * that does not parse or whose run fails is reported on one line and the others are still
 * checked. Exit status 1 on a disagreement the list does not name, on a listed one that now agrees
 * (take it out of the list), or on anything that could not be checked.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { EXPERIMENTS_DIR, experimentFiles, loadExperiment, ROOT } from './lib/experiments.ts';
import { checkRecording, KNOWN_FILE, knownDisagreements, recordingKey, sortDisagreements } from './lib/conformance.ts';
import { handleFatalErrors, printError } from './lib/cli.ts';

handleFatalErrors('conformance');
const named = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const files = named.length ? named.map((a) => (/^[a-z0-9-]+$/.test(a) ? join(EXPERIMENTS_DIR, a, 'experiment.md') : a)) : experimentFiles();
const known = knownDisagreements(ROOT);
let broken = 0;
let unexplained = 0;
let explained = 0;
let recordings = 0;
const lines: string[] = [];
for (const file of files) {
  let exp;
  try {
    exp = loadExperiment(file);
  } catch (e) {
    printError(e, relative(ROOT, file));
    broken++;
    continue;
  }
  const recDir = join(dirname(file), 'recorded');
  if (!existsSync(recDir)) continue;
  for (const d of readdirSync(recDir).sort()) {
    const dir = join(recDir, d);
    if (!existsSync(join(dir, 'recording.json'))) continue;
    let checked;
    try {
      checked = checkRecording(exp, dir);
    } catch (e) {
      printError(e, relative(ROOT, dir));
      broken++;
      continue;
    }
    recordings++;
    const { checks, profile } = checked;
    const ok = checks.filter((c) => c.ok).length;
    const kinds = new Map<string, [number, number]>();
    for (const c of checks) {
      const k = kinds.get(c.kind) ?? [0, 0];
      k[1]++;
      if (c.ok) k[0]++;
      kinds.set(c.kind, k);
    }
    const perKind = [...kinds].map(([k, [a, n]]) => `${k} ${a}/${n}`).join(', ');
    lines.push(`${exp.id} (${d}, model ${profile}): ${ok}/${checks.length} checks agree (${perKind})`);
    const listed = known[recordingKey(ROOT, dir)] ?? {};
    const sorted = sortDisagreements(checks, listed);
    for (const c of checks.filter((x) => !x.ok)) {
      const why = sorted.known.includes(c) ? ` (known: ${listed[c.name]})` : '';
      console.error(`${relative(ROOT, dir)}: ${c.name}: expected ${c.expected}, model gave ${c.actual} [${c.ref}]${why}`);
    }
    for (const n of sorted.fixed) console.error(`${relative(ROOT, dir)}: ${n}: agrees now; take it out of ${KNOWN_FILE}`);
    unexplained += sorted.unknown.length + sorted.fixed.length;
    explained += sorted.known.length;
  }
}
for (const l of lines) console.log(l);
console.log(`${recordings} recordings, ${unexplained + explained} disagreements (${explained} known)${broken ? `, ${broken} experiments or recordings could not be checked (above)` : ''}`);
if (broken || unexplained) process.exit(1);
