/**
 * The kernel's packetdrill selftests as files: ../shared/peer-suites (read, never copied).
 * Loads the 160 scripts, defaults.sh, the real Linux 6.18 verdicts and the tiers table, for
 * `npm run packetdrill`, `npm run bench` and the tests; and times the whole suite on the
 * model (the bench's packetdrill line).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseVerdicts, type Outcome } from '../src/packetdrill/run.ts';
import { runSuiteScript, summarize, summaryLine, type SuiteScript, type SuiteSummary } from '../src/packetdrill/suite.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const SUITES = resolve(ROOT, '../shared/peer-suites');
export const SUITE = join(SUITES, 'linux-selftests-packetdrill');
export const VERDICTS = join(SUITES, 'linux-selftests-packetdrill.verdicts-linux-6.18.44-ipv4.tsv');
export const TIERS = join(SUITES, 'linux-selftests-packetdrill.tiers.tsv');

export interface Selftests {
  scripts: SuiteScript[];
  defaultsSh: string;
  /** The real verdicts on Linux 6.18.44 (IPv4). */
  real: Map<string, Outcome>;
  /** Script -> tier (0, a, b, c, X) of the shared classification. */
  tiers: Map<string, string>;
}

export const haveSelftests = (): boolean => existsSync(SUITE);

export function loadSelftests(): Selftests {
  const scripts = readdirSync(SUITE)
    .filter((f) => f.endsWith('.pkt'))
    .sort()
    .map((name) => ({ name, text: readFileSync(join(SUITE, name), 'utf8') }));
  const tiers = new Map<string, string>();
  for (const line of readFileSync(TIERS, 'utf8').split('\n').slice(1)) {
    const [script, tier] = line.split('\t');
    if (script?.endsWith('.pkt')) tiers.set(script, tier);
  }
  return { scripts, defaultsSh: readFileSync(join(SUITE, 'defaults.sh'), 'utf8'), real: parseVerdicts(readFileSync(VERDICTS, 'utf8')), tiers };
}

/**
 * The bench's line: the whole suite on the model (linux-6.x) in one pass, as `npm run
 * packetdrill` runs it, `runs` times in this process (the first one cold).
 */
export function benchSelftests(runs = 3): string {
  const t = loadSelftests();
  const secs: number[] = [];
  let line = '';
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const results = new Map(t.scripts.map((s) => [s.name, runSuiteScript(s, { defaultsSh: t.defaultsSh })]));
    secs.push((performance.now() - t0) / 1000);
    line = summaryLine(summarize(results, t.real));
  }
  const sorted = [...secs].sort((a, b) => a - b);
  return (
    `packetdrill selftests on the model (${t.scripts.length} scripts, linux-6.x): ${secs[0].toFixed(2)} s cold, ` +
    `median of ${runs} runs ${sorted[Math.floor(runs / 2)].toFixed(2)} s (target < 10 s; the real kernel took 85 s); ${line.replace(/^packetdrill: /, '')}`
  );
}

/** The comment lines of reports/packetdrill-model-linux-6.x.tsv. */
export function modelReportComments(s: SuiteSummary): string[] {
  return [
    "The Linux kernel's packetdrill selftests (../shared/peer-suites, Linux 7.2.13's tools/testing/selftests/net/packetdrill) on the model, profile linux-6.x",
    'written by npm run packetdrill -- --write; linux-6.18: the real verdict on Linux 6.18.44 (IPv4); why: what a skipped script needs first, or the line a failing one fails at',
    summaryLine(s),
  ];
}
