/**
 * npm run packetdrill -- [FILE.pkt...] [--profile linux-6.x] [--hz 1000] [--verbose] [--force] [--needs] [--write]
 *
 * Runs packetdrill scripts against the model (src/packetdrill) and compares each outcome with
 * the real packetdrill on Linux 6.18 (../shared/peer-suites/...verdicts-linux-6.18.44-ipv4.tsv).
 * With no FILE it runs the kernel's 160 selftest scripts. One line per script:
 *   <script>: pass|fail|skip — <first mismatch or reason>
 * then `packetdrill: N/M scripts agree with Linux 6.18 (P pass, F fail, S skip)`.
 * --hz sets the simulated kernel's CONFIG_HZ (default 1000, as the selftests' config asks).
 * --needs adds the model gaps ranked by how many scripts each one alone blocks.
 * --write (with no FILE) also writes reports/packetdrill-model-linux-6.x.tsv, the per-script
 * results, and the table built from them in the chapters (content/docs/{en,zh-cn}/packetdrill.mdx,
 * between the packetdrill-table markers); test/packetdrill/selftests.test.ts checks both.
 * A script that does not parse fails with its file:line:col error; nothing else stops the run.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseVerdicts, type Outcome, type Verdict } from '../src/packetdrill/run.ts';
import { runSuiteScript, summarize, summaryLine } from '../src/packetdrill/suite.ts';
import type { ProfileName } from '../src/model/types.ts';
import { areaTable, areaTableMarkdown, CHAPTERS, MODEL_REPORT, reportRows, reportText, withChapterTable, type Lang } from '../src/packetdrill/areas.ts';
import { loadSelftests, modelReportComments, ROOT, SUITE, VERDICTS } from './packetdrill-suite.ts';

function usage(msg: string): never {
  console.error(`packetdrill: ${msg}\nusage: npm run packetdrill -- [FILE.pkt...] [--profile linux-4.4|linux-6.x] [--hz 100|250|1000] [--verbose] [--force] [--needs] [--write]`);
  process.exit(2);
}

const args = process.argv.slice(2);
let profile: ProfileName = 'linux-6.x';
let verbose = false;
let force = false;
let showNeeds = false;
let write = false;
let hz: number | undefined;
const files: string[] = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--profile') {
    const p = args[++i];
    if (p !== 'linux-4.4' && p !== 'linux-6.x') usage(`unknown profile '${p}'`);
    profile = p;
  } else if (a.startsWith('--profile=')) {
    const p = a.slice(10);
    if (p !== 'linux-4.4' && p !== 'linux-6.x') usage(`unknown profile '${p}'`);
    profile = p;
  } else if (a === '--verbose' || a === '-v') verbose = true;
  else if (a === '--force') force = true;
  else if (a === '--needs') showNeeds = true;
  else if (a === '--write') write = true;
  else if (a === '--hz' || a.startsWith('--hz=')) {
    const v = a === '--hz' ? args[++i] : a.slice(5);
    if (!['100', '250', '1000'].includes(v)) usage(`--hz takes 100, 250 or 1000, not '${v}'`);
    hz = Number(v);
  }
  else if (a.startsWith('-')) usage(`unknown option '${a}'`);
  else files.push(a);
}
if (write && (files.length || profile !== 'linux-6.x' || force || hz !== undefined)) usage('--write runs the whole suite with linux-6.x, without FILEs or --force');
if (!files.length) {
  if (!existsSync(SUITE)) usage(`no FILE given and ${SUITE} is missing`);
  files.push(...readdirSync(SUITE).filter((f) => f.endsWith('.pkt')).sort().map((f) => join(SUITE, f)));
}

const real = existsSync(VERDICTS) ? parseVerdicts(readFileSync(VERDICTS, 'utf8')) : new Map<string, Outcome>();

const t0 = performance.now();
const results = new Map<string, Verdict>();
const soleNeed = new Map<string, number>();
const anyNeed = new Map<string, number>();
const firstNeed = new Map<string, number>();
for (const file of files) {
  const name = basename(file);
  let v: Verdict;
  let text: string | null = null;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    v = { outcome: 'fail', reason: `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, line: null, needs: [] };
  }
  if (text !== null) {
    // ./defaults.sh beside the script, else the selftests' own (a probe of test/packetdrill/probes)
    const defaultsPath = [join(dirname(resolve(file)), 'defaults.sh'), join(SUITE, 'defaults.sh')].find((p) => existsSync(p));
    const defaultsSh = defaultsPath ? readFileSync(defaultsPath, 'utf8') : undefined;
    v = runSuiteScript({ name, text }, { profile, hz, defaultsSh, force, log: verbose ? (_, s) => console.log(`  ${s}`) : undefined });
  }
  results.set(name, v!);
  const kinds = [...new Set(v!.needs.map((n) => n.need))];
  for (const k of kinds) anyNeed.set(k, (anyNeed.get(k) ?? 0) + 1);
  if (kinds.length === 1) soleNeed.set(kinds[0], (soleNeed.get(kinds[0]) ?? 0) + 1);
  if (v!.outcome === 'skip' && v!.needs.length) firstNeed.set(v!.needs[0].need, (firstNeed.get(v!.needs[0].need) ?? 0) + 1);
  const r = real.get(name);
  const vs = r && r !== v!.outcome ? ` [Linux 6.18: ${r}]` : '';
  console.log(`${name}: ${v!.outcome}${v!.reason ? ` — ${v!.reason}` : ''}${vs}`);
}
const secs = ((performance.now() - t0) / 1000).toFixed(1);
if (showNeeds) {
  console.log('\nmodel gaps (scripts blocked by this gap alone / scripts needing it):');
  for (const [k, n] of [...anyNeed].sort((a, b) => (soleNeed.get(b[0]) ?? 0) - (soleNeed.get(a[0]) ?? 0) || b[1] - a[1]))
    console.log(`  ${String(soleNeed.get(k) ?? 0).padStart(3)} / ${String(n).padStart(3)}  ${k}`);
  console.log('\nskip reasons (first need of each skipped script):');
  for (const [k, n] of [...firstNeed].sort((a, b) => b[1] - a[1])) console.log(`  ${String(n).padStart(3)}  ${k}`);
}
console.log(`${summaryLine(summarize(results, real))} in ${secs} s`);
if (write) {
  const t = loadSelftests();
  const rows = reportRows(results, t.tiers, t.real);
  writeFileSync(join(ROOT, MODEL_REPORT), reportText(rows, modelReportComments(summarize(results, t.real))));
  console.log(`wrote ${MODEL_REPORT}`);
  for (const [lang, file] of Object.entries(CHAPTERS) as [Lang, string][]) {
    const path = join(ROOT, file);
    if (!existsSync(path)) continue;
    writeFileSync(path, withChapterTable(readFileSync(path, 'utf8'), areaTableMarkdown(areaTable(rows, lang))));
    console.log(`wrote the table of ${file}`);
  }
}
