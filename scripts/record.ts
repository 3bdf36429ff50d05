/**
 * npm run record -- <experiment file> [--out DIR] [--sysctl name=value ...] [--max-gap SECONDS]
 * npm run record -- <experiment file> --out DIR --expected-only
 *
 * Runs the experiment against this machine's kernel with the real tools, inside a fresh network
 * namespace, and writes its recorded outputs (default: <experiment dir>/recorded/linux-<major.minor>/).
 * --max-gap shortens idle stretches between steps (use it with a lowered tcp_fin_timeout).
 * When the run is the experiment as written (nothing compressed, no sysctl override), it also
 * writes expected/<block>.txt: the terminal and tcpdump blocks with ports, ISNs, TS values, pids
 * and times redacted, ready to be listed under `recorded:` in the experiment file.
 * --expected-only rewrites expected/ from an existing recording in DIR without running anything.
 */
import { dirname, join, relative } from 'node:path';
import { execFileSync } from 'node:child_process';
import { loadExperiment, ROOT } from './lib/experiments.ts';
import { preflight, recordExperiment, writeExpectedBlocks } from '../src/recorder/record.ts';
import { compressExperiment } from '../src/experiment/compress.ts';
import { handleFatalErrors, printError } from './lib/cli.ts';

handleFatalErrors('npm run record');
const args = process.argv.slice(2);
const file = args.find((a, i) => !a.startsWith('--') && !['--out', '--sysctl', '--max-gap'].includes(args[i - 1]));
if (!file) {
  console.error('usage: npm run record -- <experiment file> [--out DIR] [--sysctl name=value ...] [--max-gap SECONDS]');
  process.exit(2);
}
const sysctl: Record<string, string> = {};
let out: string | undefined;
let maxGap: number | undefined;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--out') out = args[++i];
  else if (args[i] === '--max-gap') maxGap = Number(args[++i]);
  else if (args[i] === '--sysctl') {
    const [k, v] = (args[++i] ?? '').split('=');
    if (!k || v === undefined) {
      console.error(`--sysctl expects name=value, got ${args[i]}`);
      process.exit(2);
    }
    sysctl[k] = v;
  }
}
if (args.includes('--expected-only')) {
  if (!out) {
    console.error('--expected-only needs --out DIR (an existing recording)');
    process.exit(2);
  }
  let names: string[];
  try {
    names = writeExpectedBlocks(loadExperiment(file, { checkRecorded: false }), out);
  } catch (e) {
    printError(e, file);
    process.exit(1);
  }
  console.error(`wrote ${names.length} expected blocks into ${join(out, 'expected')}: ${names.join(', ')}`);
  process.exit(0);
}
const missing = preflight();
if (missing.length) {
  console.error(`npm run record: cannot record on this machine; missing:\n${missing.map((m) => `  - ${m}`).join('\n')}`);
  process.exit(2);
}
let exp;
try {
  exp = loadExperiment(file, { checkRecorded: false });
} catch (e) {
  printError(e, file);
  process.exit(1);
}
const asWritten = exp;
if (maxGap) exp = compressExperiment(exp, Math.round(maxGap * 1e9));
const faithful = exp.steps.every((s, i) => s.at === asWritten.steps[i].at) && Object.keys(sysctl).length === 0;
const release = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();
const dir = out ?? join(dirname(file), 'recorded', `linux-${release.split('.').slice(0, 2).join('.')}`);
console.error(`recording ${exp.id} on Linux ${release} into ${relative(ROOT, dir) || dir}`);
const rec = await recordExperiment(exp, { outDir: dir, sysctl, maxGapNs: maxGap ? Math.round(maxGap * 1e9) : undefined, log: (l) => console.error(l) });
console.error(`done: ${rec.processes.length} processes, ${rec.samples.length} ss samples, ${rec.packets.length} packets`);
if (faithful) {
  const names = writeExpectedBlocks(asWritten, dir);
  console.error(`expected blocks (redacted) for ${names.join(', ')} in ${relative(ROOT, join(dir, 'expected'))}`);
} else {
  console.error('no expected blocks: this run was shortened (--max-gap) or changed sysctls, so its blocks are not the experiment as written');
}
