/**
 * npm run transcripts        — regenerate every generated block from the simulator
 * npm run transcripts:check  — fail on drift (committed generated text differs from what the
 *                              model produces now) and on fidelity (generated text does not
 *                              match a recorded output); one summary line per experiment.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { runExperiment } from '../src/experiment/run.ts';
import { matchTranscript } from '../src/experiment/match.ts';
import { experimentFiles, loadExperiment, readInside, resolveInside, ROOT } from './lib/experiments.ts';
import { handleFatalErrors, printError } from './lib/cli.ts';

handleFatalErrors('transcripts');
const mode = process.argv.includes('--write') ? 'write' : 'check';
let failures = 0;
const summary: string[] = [];

for (const file of experimentFiles()) {
  let exp;
  try {
    exp = loadExperiment(file);
  } catch (e) {
    printError(e, relative(ROOT, file));
    failures++;
    continue;
  }
  const dir = dirname(file);
  let recordedTotal = 0;
  let recordedOk = 0;
  for (const profile of exp.profiles) {
    let res;
    try {
      res = runExperiment(exp, profile);
    } catch (e) {
      // a run that cannot start, hits a limit or meets a bug: one located line, no stack
      printError(e, `${relative(ROOT, file)} (${profile})`);
      failures++;
      continue;
    }
    const genDir = join(dir, 'generated', profile);
    const status: Record<string, { status: string; recorded: string | null; provenance: Record<string, string> | null }> = {};
    for (const [name, text] of res.blocks) status[name] = { status: 'no-recording', recorded: null, provenance: null };
    for (const set of exp.recorded.filter((r) => r.profile === profile)) {
      for (const rb of set.blocks) {
        recordedTotal++;
        const actual = res.blocks.get(rb.name);
        const recPath = join(dir, set.dir, rb.file);
        // loadExperiment checked that it resolves inside the experiment's folder; read it the same way
        const expected = readInside(dir, join(set.dir, rb.file));
        const m = actual === undefined ? { ok: false, diff: `no block named ${rb.name}` } : matchTranscript(expected, actual, rb.options);
        const rel = relative(ROOT, recPath);
        if (m.ok) recordedOk++;
        else {
          failures++;
          console.error(`${rb.loc.file}:${rb.loc.line}: block ${rb.name} (${profile}) does not match ${rel}\n${m.diff ?? ''}`);
        }
        status[rb.name] = { status: m.ok ? 'match' : 'mismatch', recorded: relative(dir, recPath), provenance: set.provenance };
      }
    }
    const files = new Map<string, string>();
    for (const [name, text] of res.blocks) files.set(`${name}.txt`, text);
    files.set('status.json', JSON.stringify(status, null, 2) + '\n');
    if (mode === 'write') {
      rmSync(genDir, { recursive: true, force: true });
      mkdirSync(genDir, { recursive: true });
      for (const [f, text] of files) writeFileSync(join(genDir, f), text);
    } else {
      const committed = existsSync(genDir) ? readdirSync(genDir).sort() : [];
      for (const f of new Set([...committed, ...files.keys()])) {
        const path = join(genDir, f);
        const now = files.get(f);
        // a committed file that leads outside the experiment's folder (a symlink) is never read into a diff
        const where = existsSync(path) ? resolveInside(dir, relative(dir, path)) : 'missing';
        if (where === 'outside' || where === 'not-a-file') {
          failures++;
          console.error(`${relative(ROOT, path)}: ${where === 'outside' ? "resolves outside its experiment's folder" : 'is not a regular file'}; generated files are plain files`);
          continue;
        }
        const old = where === 'ok' ? readFileSync(path, 'utf8') : undefined;
        if (now === old) continue;
        failures++;
        const rel = relative(ROOT, path);
        if (now === undefined) console.error(`drift: ${rel} is committed but the model no longer produces it`);
        else if (old === undefined) console.error(`drift: ${rel} is missing; run \`npm run transcripts\``);
        else console.error(`drift: ${rel} differs from what the model produces now (run \`npm run transcripts\` and review):\n${createTwoFilesPatch(rel + ' (committed)', rel + ' (model)', old, now)}`);
      }
    }
  }
  summary.push(`${exp.id}: ${recordedOk}/${recordedTotal} recorded blocks match`);
}
for (const line of summary) console.log(line);
if (failures) {
  console.error(`transcripts:${mode}: ${failures} problem(s)`);
  process.exit(1);
}
