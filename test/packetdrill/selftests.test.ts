/**
 * The Linux kernel's own packetdrill selftests (../shared/peer-suites), run on the model: every
 * script gives pass, fail or skip (nothing throws), and a script that passes on Linux 6.18 and
 * passed on the model before keeps passing. `packetdrill-passing.txt` beside this file only
 * grows: add a script to it when the model starts passing it. The 12 tier-0 scripts of the
 * shared classification pass under 10 boot seeds (hash secrets, ISNs, ports, the random IP id
 * and challenge-ACK budget all differ between them).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Verdict } from '../../src/packetdrill/run.ts';
import { runSuiteScript, summarize, summaryLine } from '../../src/packetdrill/suite.ts';
import { haveSelftests, loadSelftests, modelReportComments } from '../../scripts/packetdrill-suite.ts';
import { areaOf, areaTable, areaTableMarkdown, CHAPTERS, chapterTable, MODEL_REPORT, reportRows, reportText, type Lang } from '../../src/packetdrill/areas.ts';

describe.skipIf(!haveSelftests())('the kernel\'s packetdrill selftests on the model (linux-6.x)', () => {
  const suite = loadSelftests();
  const verdicts = new Map<string, Verdict>();
  for (const s of suite.scripts) verdicts.set(s.name, runSuiteScript(s, { defaultsSh: suite.defaultsSh }));

  it('every script gives pass, fail or skip with a reason; nothing throws', () => {
    expect(suite.scripts.length).toBe(160);
    expect(suite.real.size).toBe(160);
    expect([...verdicts].filter(([, v]) => v.reason.startsWith('internal error')).map(([n, v]) => `${n}: ${v.reason}`)).toEqual([]);
    expect([...verdicts].filter(([, v]) => v.outcome !== 'pass' && !v.reason).map(([n]) => n)).toEqual([]);
    console.log(summaryLine(summarize(verdicts, suite.real)));
  });

  it('no script of the passing list stops passing (the list only grows)', () => {
    const passing = readFileSync(new URL('packetdrill-passing.txt', import.meta.url), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(passing.length).toBeGreaterThan(0);
    for (const s of passing) {
      expect(suite.real.get(s), `${s} passes on Linux 6.18`).toBe('pass');
      expect(verdicts.get(s)?.outcome, `${s}: ${verdicts.get(s)?.reason}`).toBe('pass');
    }
  });

  it('each tier-0 script passes, and gives the same outcome and reason under 10 boot seeds', () => {
    const tier0 = suite.scripts.filter((s) => suite.tiers.get(s.name) === '0');
    expect(tier0.length).toBe(12);
    for (const s of tier0) {
      const runs = Array.from({ length: 10 }, (_, i) => runSuiteScript(s, { defaultsSh: suite.defaultsSh, seed: 1 + i * 7919 }));
      const distinct = new Set(runs.map((v) => `${v.outcome}: ${v.reason}`));
      expect([...distinct], s.name).toEqual(['pass: ']);
    }
  });

  it(`${MODEL_REPORT}, which the chapter's table is built from, is what the model gives now`, () => {
    expect(suite.scripts.filter((s) => !areaOf(s.name)).map((s) => s.name), 'scripts in no area').toEqual([]);
    const now = reportText(reportRows(verdicts, suite.tiers, suite.real), modelReportComments(summarize(verdicts, suite.real)));
    const committed = readFileSync(new URL(`../../${MODEL_REPORT}`, import.meta.url), 'utf8');
    expect(committed, 'stale: run npm run packetdrill -- --write').toBe(now);
  });

  it.each(Object.entries(CHAPTERS) as [Lang, string][])('the %s chapter shows the table of what the model gives now', (lang, file) => {
    const table = chapterTable(readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8'));
    expect(table, `${file} has no packetdrill-table markers`).not.toBeNull();
    expect(table, 'stale: run npm run packetdrill -- --write').toBe(areaTableMarkdown(areaTable(reportRows(verdicts, suite.tiers, suite.real), lang)));
  });
});
