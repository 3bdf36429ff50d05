/**
 * npm run conformance: compare the model with every real-kernel recording
 * (content/experiments/<id>/recorded/linux-<ver>/recording.json). One line per recording,
 * `<experiment> (<kernel>): N/M checks agree`, then each disagreement with its reference.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { experimentFiles, loadExperiment, ROOT } from './lib/experiments.ts';
import { checkRecording } from './lib/conformance.ts';
import { handleFatalErrors, printError } from './lib/cli.ts';

handleFatalErrors('conformance');
let bad = 0;
const lines: string[] = [];
for (const file of experimentFiles()) {
  let exp;
  try {
    exp = loadExperiment(file);
  } catch (e) {
    printError(e, relative(ROOT, file));
    bad++;
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
      bad++;
      continue;
    }
    const { checks, profile } = checked;
    const ok = checks.filter((c) => c.ok).length;
    lines.push(`${exp.id} (${d}, model ${profile}): ${ok}/${checks.length} checks agree`);
    for (const c of checks.filter((x) => !x.ok)) {
      bad++;
      console.error(`${relative(ROOT, dir)}: ${c.name}: expected ${c.expected}, model gave ${c.actual} [${c.ref}]`);
    }
  }
}
for (const l of lines) console.log(l);
if (bad) process.exit(1);
