/**
 * A fixed corpus of mutated experiments (src/experiment/fuzz.ts) run the way `npm run sim` runs a
 * file: none may crash (a would-be stack trace, or a model exception wrapped as an internal
 * error), every rejection must carry `file:line:col` inside the file, and no recorded file may
 * resolve outside its experiment's folder. The corpus must keep covering every class of the
 * hostile-input issue, so the test cannot silently stop exercising one. The longer, randomly
 * seeded run is `npm run fuzz` (workers, a 10 s timeout, a 1 GB heap limit).
 *
 * Runs in-process under smaller run limits than the defaults (the same for every run, so the
 * outcome is deterministic): a case that reaches them is a located rejection.
 */
import { describe, expect, it } from 'vitest';
import { classify, FUZZ_CLASSES, mutant, runCase, type CaseResult, type Mutant, type SeedFile } from '../../src/experiment/fuzz.ts';
import { ExperimentError } from '../../src/experiment/parse.ts';
import * as run from '../../src/experiment/run.ts';
import { caseOptions, testSeeds } from '../../scripts/fuzz.ts';

const RUN_SEED = 20161123;
const COUNT = 300;
const LIMITS = { maxEvents: 300_000, maxOutputBytes: 1024 * 1024, maxSimNs: 3600 * 1e9 };

/** Markers of the issue's attack classes in the mutations' descriptions or texts. */
const REQUIRED: [string, (m: Mutant) => boolean][] = [
  ['command substitution', (m) => /\$\(|`id`/.test(m.ops.join())],
  ['&&, ||, ;, redirections, &', (m) => /&&|\|\||; id|> \/tmp|< \/etc|&$| & id/.test(m.ops.join())],
  ['unknown commands', (m) => m.classes.includes('command')],
  ['grep regexes', (m) => m.classes.includes('regex')],
  ['huge/negative/fractional numbers', (m) => m.classes.includes('numbers')],
  ['sysctl out of range', (m) => /sysctl\.net\./.test(m.ops.join())],
  ['pins', (m) => /pins \{/.test(m.ops.join())],
  ['unknown keys', (m) => m.classes.includes('keys')],
  ['path traversal in recorded.dir or files', (m) => /recorded (dir|file) .*\.\./.test(m.ops.join())],
  ['CRLF', (m) => /CRLF/.test(m.ops.join())],
  ['BOM', (m) => /byte-order mark|BOM/.test(m.ops.join())],
  ['YAML oddities', (m) => m.classes.includes('yaml')],
  ['truncation', (m) => m.classes.includes('truncate')],
  ['byte flips', (m) => /bits flipped/.test(m.ops.join())],
  ['loops', (m) => /while true; do (true|echo x|ss); done/.test(m.ops.join())],
  ['very long lines', (m) => m.classes.includes('long')],
  ["the shell's own pid killed", (m) => /kill -9 30\d\b/.test(m.ops.join())],
  ['job-control keys', (m) => m.classes.includes('jobs')],
];

describe('fuzz corpus', () => {
  // the two watch-loop experiments (~0.3 s a run) drawn ten times less often
  const seeds: SeedFile[] = testSeeds();
  const corpus = Array.from({ length: COUNT }, (_x, i) => mutant(seeds, RUN_SEED, i));

  it('classifies as the CLI would show it', () => {
    const text = '---\nid: x\n---\n';
    const loc = (line: number, col: number) => ({ file: 'f.md', line, col });
    expect(classify(new ExperimentError(loc(2, 1), 'bad'), 'f.md', text).outcome).toBe('rejected');
    expect(classify(new ExperimentError(loc(2, 6), 'one past the end of the line'), 'f.md', text).outcome).toBe('rejected');
    expect(classify(new ExperimentError(loc(9, 1), 'past the last line'), 'f.md', text).outcome).toBe('unlocated');
    expect(classify(new ExperimentError(loc(2, 40), 'past the end of the line'), 'f.md', text).outcome).toBe('unlocated');
    expect(classify(new ExperimentError({ file: 'other.md', line: 1, col: 1 }, 'another file'), 'f.md', text).outcome).toBe('unlocated');
    expect(classify(new Error('f.md:1:1: a located plain error'), 'f.md', text).outcome).toBe('rejected');
    expect(classify(new TypeError("Cannot read properties of undefined (reading 'x')"), 'f.md', text).outcome).toBe('crash');
    expect(classify(new RangeError('Maximum call stack size exceeded'), 'f.md', text).outcome).toBe('crash');
    expect(classify('a string', 'f.md', text).outcome).toBe('crash');
    const internal = Object.assign(new Error('f.md:1:1: internal error: x is undefined'), { name: 'RunInternalError' });
    expect(classify(internal, 'f.md', text).outcome).toBe('crash');
    // a run limit without a location is not a crash, but not a located rejection either
    expect(classify(Object.assign(new Error('the run stopped'), { name: 'RunLimitError' }), 'f.md', text).outcome).toBe('unlocated');
  });

  it('is deterministic', () => {
    const again = mutant(seeds, RUN_SEED, 17);
    expect(again.text).toBe(corpus[17].text);
    expect(mutant(seeds, RUN_SEED + 1, 17).text).not.toBe(corpus[17].text);
  });

  it('covers every class of the hostile-input issue', () => {
    for (const c of FUZZ_CLASSES) expect(corpus.filter((m) => m.classes.includes(c)).length, c).toBeGreaterThanOrEqual(10);
    for (const [name, has] of REQUIRED) expect(corpus.some(has), name).toBe(true);
  });

  it('never crashes, and every rejection is located', () => {
    const results: { m: Mutant; r: CaseResult }[] = [];
    for (const m of corpus) {
      const file = `fuzz-${RUN_SEED}-${m.index}-${m.seedId}.md`;
      const r = runCase(m.text, file, { ...caseOptions(m.seedId), run: { limits: LIMITS }, limitError: (run as Record<string, unknown>).RunLimitError as Function | undefined });
      results.push({ m, r });
    }
    const count = (o: string) => results.filter((x) => x.r.outcome === o).length;
    const bad = results.filter((x) => !['ok', 'rejected'].includes(x.r.outcome));
    const report = bad.map(({ m, r }) => `#${m.index} ${m.seedId} [${m.ops.join(' + ').slice(0, 160)}]\n    ${r.outcome}: ${r.message}${r.stack ? '\n    ' + r.stack.split('\n').slice(1, 3).join('\n    ') : ''}`);
    expect(report, `replay one with: npm run fuzz -- --corpus test --seed ${RUN_SEED} --index N`).toEqual([]);
    // the corpus reaches the model, not only the parser
    expect(count('ok')).toBeGreaterThanOrEqual(COUNT / 10);
    expect(count('rejected')).toBeGreaterThanOrEqual(COUNT / 3);
  });
});
