/**
 * npm run fuzz [-- --count N] [--seed S] [--workers W] [--timeout MS] [--memory MB] [--out DIR]
 * npm run fuzz -- --seed S --index I [--print] (re-run one mutant, print it and its outcome)
 *   --corpus test: the seed weights of test/experiment/fuzz.test.ts (to replay one of its mutants)
 * npm run fuzz -- --replay FILE --as SEED_ID  (classify a file as if it were that experiment)
 *
 * Mutates the committed experiments (src/experiment/fuzz.ts) and runs each mutant the way
 * `npm run sim` does, every profile it lists, in worker threads (one per CPU by default) with a
 * heap limit (1 GB) and a wall-clock timeout (10 s). Outcomes: ok, rejected (a located error),
 * unlocated, crash (a would-be stack trace), escape (a recorded file outside the experiment's
 * folder accepted), timeout, memory. Prints the run seed first (replay with --seed), a summary per
 * outcome and per mutation class, the distinct failures with an example file each (written under
 * --out, default tmp/fuzz-out/, which git ignores), and the largest wall time and heap seen.
 * Exits 1 when anything failed.
 */
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { FAILING, FUZZ_CLASSES, mutant, runCase, type CaseResult, type Mutant, type RunCaseOptions, type SeedFile } from '../src/experiment/fuzz.ts';
import * as run from '../src/experiment/run.ts';
import type { ParseOptions } from '../src/experiment/parse.ts';
import * as lib from './lib/experiments.ts';
import { EXPERIMENTS_DIR, experimentFiles, ROOT } from './lib/experiments.ts';

/** One case for a worker: the main thread builds the mutant, so both sides see the same text. */
interface Job {
  index: number;
  text: string;
  file: string;
  seedId: string;
}

interface Reply {
  index: number;
  result: CaseResult;
  ms: number;
  heapMb: number;
}

export function loadSeeds(): SeedFile[] {
  return experimentFiles().map((f) => ({ id: f.split(sep).at(-2)!, text: readFileSync(f, 'utf8') }));
}

/**
 * The corpus of test/experiment/fuzz.test.ts (`--corpus test`): the two watch-loop experiments,
 * ~0.3 s a run each, drawn ten times less often.
 */
export function testSeeds(): SeedFile[] {
  return loadSeeds().map((s) => ({ ...s, weight: s.id === 'seed-collision' || s.id === 'seed-recvq' ? 0.1 : 1 }));
}

/** The run-limit API of run.ts, when present (RunLimitError, opts.limits). */
const limitError = (run as Record<string, unknown>).RunLimitError as Function | undefined;

/**
 * The parser's file-system hooks as loadExperiment passes them, for a file in `dir`: the
 * realpath-confined `recordedPath` when scripts/lib/experiments.ts has it, else `exists`.
 */
function parseHooks(dir: string): ParseOptions {
  const resolveInside = (lib as Record<string, unknown>).resolveInside as ((base: string, rel: string, mustExist?: boolean) => string) | undefined;
  if (resolveInside) return { recordedPath: (p: string) => resolveInside(dir, p, true) } as unknown as ParseOptions;
  return { exists: (p: string) => existsSync(join(dir, p)) } as unknown as ParseOptions;
}

/** Options for one case: recorded files looked up beside the seed experiment, as loadExperiment does. */
export function caseOptions(seedId: string): RunCaseOptions {
  const dir = join(EXPERIMENTS_DIR, seedId);
  const realDir = realpathSync(dir);
  return {
    parse: parseHooks(dir),
    limitError,
    inside: (p: string) => {
      const abs = resolve(dir, p);
      let real = abs;
      try {
        real = realpathSync(abs);
      } catch {
        // a missing file: judge the path as written
      }
      return real === realDir || real.startsWith(realDir + sep);
    },
  };
}

const fileName = (runSeed: number, m: { index: number; seedId: string }) => `fuzz-${runSeed}-${m.index}-${m.seedId}.md`;

// ─────────────────────────── worker ───────────────────────────

if (!isMainThread) {
  parentPort!.on('message', (job: Job) => {
    const t = performance.now();
    const result = runCase(job.text, job.file, caseOptions(job.seedId));
    const ms = performance.now() - t;
    const h = getHeapStatistics();
    parentPort!.postMessage({ index: job.index, result, ms, heapMb: h.total_heap_size / 2 ** 20 } satisfies Reply);
  });
}

// ─────────────────────────── main ───────────────────────────

type Final = CaseResult['outcome'] | 'timeout' | 'memory';

interface Pool {
  runAll(count: number, make: (index: number) => Job, onDone: (job: Job, outcome: Final, r: Reply | null) => void): Promise<void>;
}

function pool(n: number, timeoutMs: number, memoryMb: number): Pool {
  const url = new URL(import.meta.url);
  const spawn = () => new Worker(url, { resourceLimits: { maxOldGenerationSizeMb: memoryMb } });
  return {
    runAll(count, make, onDone) {
      let next = 0;
      let active = 0;
      return new Promise((done) => {
        const drive = (w: Worker) => {
          if (next >= count) {
            void w.terminate();
            if (--active === 0) done();
            return;
          }
          const job = make(next++);
          const started = performance.now();
          let settled = false;
          const onMessage = (r: Reply) => finish(r.result.outcome, r, false);
          const onError = (e: Error & { code?: string }) => {
            const oom = e.code === 'ERR_WORKER_OUT_OF_MEMORY';
            finish(oom ? 'memory' : 'crash', { index: job.index, result: { outcome: 'crash', message: `worker died: ${e.message}`, stack: e.stack }, ms: performance.now() - started, heapMb: memoryMb }, true);
          };
          const onExit = (code: number) => finish('crash', { index: job.index, result: { outcome: 'crash', message: `worker exited with code ${code}` }, ms: performance.now() - started, heapMb: NaN }, true);
          const finish = (outcome: Final, r: Reply | null, replace: boolean) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            // only our listeners: the Worker keeps its own (newListener/removeListener) on itself
            w.off('message', onMessage).off('error', onError).off('exit', onExit);
            onDone(job, outcome, r ?? { index: job.index, result: { outcome: outcome as CaseResult['outcome'], message: outcome }, ms: performance.now() - started, heapMb: NaN });
            if (replace) {
              void w.terminate();
              const nw = spawn();
              nw.once('online', () => drive(nw));
            } else drive(w);
          };
          const timer = setTimeout(() => finish('timeout', null, true), timeoutMs);
          w.on('message', onMessage).on('error', onError).on('exit', onExit);
          w.postMessage(job);
        };
        for (let i = 0; i < Math.min(n, count); i++) {
          active++;
          const w = spawn();
          w.once('online', () => drive(w));
        }
        if (!count) done();
      });
    },
  };
}

/** A message with its numbers, quoted text and file name folded, to group failures. */
function signature(outcome: string, r: CaseResult): string {
  let m = r.message.replace(/^fuzz-\d+-\d+-[a-z0-9-]+\.md:\d+:\d+: /, '');
  m = m.replace(/`[^`]*`/g, '`…`').replace(/\d+/g, 'N');
  if (outcome === 'crash') {
    const frame = r.stack?.split('\n').find((l) => /^\s+at /.test(l))?.trim().replace(/:\d+:\d+\)?$/, '').replace(/\(file:\/\/\/.*\/(src|scripts)\//, '($1/');
    return `${r.errorName ?? 'Error'}: ${m.slice(0, 120)}  [${frame ?? '?'}]`;
  }
  return m.slice(0, 140);
}

async function main() {
  const args = process.argv.slice(2);
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const corpus = opt('--corpus') ?? 'all';
  const seeds = corpus === 'test' ? testSeeds() : loadSeeds();

  if (opt('--replay')) {
    const path = opt('--replay')!;
    const seedId = opt('--as') ?? seeds.find((s) => path.endsWith(`-${s.id}.md`))?.id;
    if (!seedId || !seeds.some((s) => s.id === seedId)) {
      console.error(`--replay needs --as <experiment id> (one of ${seeds.map((s) => s.id).join(', ')})`);
      process.exit(2);
    }
    if (!existsSync(path)) {
      console.error(`--replay: no file ${path}`);
      process.exit(2);
    }
    const text = readFileSync(path, 'utf8');
    const file = relative(ROOT, resolve(path));
    const t = performance.now();
    const r = runCase(text, file, caseOptions(seedId));
    console.log(`${r.outcome} in ${(performance.now() - t).toFixed(0)} ms: ${r.message}`);
    if (r.stack) console.log(r.stack);
    process.exit(FAILING.includes(r.outcome as never) ? 1 : 0);
  }

  const runSeed = opt('--seed') !== undefined ? Number(opt('--seed')) : Math.floor(Math.random() * 2 ** 32);
  if (!Number.isInteger(runSeed) || runSeed < 0 || runSeed >= 2 ** 32) {
    console.error('--seed takes an integer 0..4294967295');
    process.exit(2);
  }

  if (opt('--index') !== undefined) {
    const m = mutant(seeds, runSeed, Number(opt('--index')));
    const file = fileName(runSeed, m);
    console.log(`${file}: ${m.classes.join(', ')}\n  ${m.ops.join('\n  ')}`);
    if (args.includes('--print')) console.log(m.text);
    const t = performance.now();
    const r = runCase(m.text, file, caseOptions(m.seedId));
    console.log(`${r.outcome} in ${(performance.now() - t).toFixed(0)} ms: ${r.message}`);
    if (r.stack) console.log(r.stack);
    process.exit(FAILING.includes(r.outcome as never) ? 1 : 0);
  }

  const count = Number(opt('--count') ?? 10_000);
  const workers = Number(opt('--workers') ?? Math.min(2, availableParallelism()));
  const timeoutMs = Number(opt('--timeout') ?? 10_000);
  const memoryMb = Number(opt('--memory') ?? 1024);
  const out = resolve(opt('--out') ?? join(ROOT, 'tmp/fuzz-out'));
  console.log(`fuzz: seed ${runSeed} (replay: npm run fuzz -- --seed ${runSeed} --count ${count}), ${count} mutants of ${seeds.length} experiments, ${workers} workers, timeout ${timeoutMs} ms, heap limit ${memoryMb} MB`);

  const byOutcome = new Map<Final, number>();
  const byClass = new Map<string, Map<Final, number>>();
  const failures = new Map<string, { outcome: Final; n: number; example: Mutant; r: Reply }>();
  const accepted = new Map<string, { n: number; example: Mutant }>();
  let maxMs = 0;
  let maxMsAt = -1;
  let maxHeap = 0;
  let maxHeapAt = -1;
  let done = 0;
  const t0 = performance.now();
  // the mutant of each job in flight (its text goes to the worker, its description stays here)
  const inFlight = new Map<number, Mutant>();
  const make = (index: number): Job => {
    const m = mutant(seeds, runSeed, index);
    inFlight.set(index, m);
    return { index, text: m.text, file: fileName(runSeed, m), seedId: m.seedId };
  };
  await pool(workers, timeoutMs, memoryMb).runAll(count, make, (job, outcome, r) => {
    const m = inFlight.get(job.index)!;
    inFlight.delete(job.index);
    byOutcome.set(outcome, (byOutcome.get(outcome) ?? 0) + 1);
    for (const c of m.classes) {
      const cm = byClass.get(c) ?? new Map<Final, number>();
      cm.set(outcome, (cm.get(outcome) ?? 0) + 1);
      byClass.set(c, cm);
    }
    if (r && r.ms > maxMs && outcome !== 'timeout') {
      maxMs = r.ms;
      maxMsAt = job.index;
    }
    if (r && Number.isFinite(r.heapMb) && r.heapMb > maxHeap) {
      maxHeap = r.heapMb;
      maxHeapAt = job.index;
    }
    if ((FAILING as readonly string[]).includes(outcome)) {
      const sig = outcome === 'timeout' || outcome === 'memory' ? `${outcome}: ${m.ops.map((o) => o.replace(/\d+/g, 'N')).join(' + ')}`.slice(0, 160) : `${outcome}: ${signature(outcome, r!.result)}`;
      const f = failures.get(sig);
      if (f) f.n++;
      else failures.set(sig, { outcome, n: 1, example: m, r: r! });
    } else if (outcome === 'ok' && m.mustReject) {
      const sig = m.ops.map((o) => o.replace(/line \d+/g, 'line N').replace(/offset \d+/g, 'offset N')).join(' + ').slice(0, 160);
      const a = accepted.get(sig);
      if (a) a.n++;
      else accepted.set(sig, { n: 1, example: m });
    }
    if (++done % 100 === 0) process.stderr.write(`  ${done}/${count} (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
  });
  const wall = (performance.now() - t0) / 1000;

  const outcomes: Final[] = ['ok', 'rejected', 'unlocated', 'crash', 'escape', 'timeout', 'memory'];
  console.log(`\n${count} mutants in ${wall.toFixed(0)} s`);
  console.log(outcomes.map((o) => `${o} ${byOutcome.get(o) ?? 0}`).join(' · '));
  console.log(`max wall time of a case ${maxMs.toFixed(0)} ms (index ${maxMsAt}; timeouts excluded), max heap after a case ${maxHeap.toFixed(0)} MB (index ${maxHeapAt})`);
  console.log('\nper mutation class:');
  for (const c of FUZZ_CLASSES) {
    const cm = byClass.get(c);
    if (!cm) continue;
    console.log(`  ${c.padEnd(10)} ${outcomes.filter((o) => cm.get(o)).map((o) => `${o} ${cm.get(o)}`).join(' · ')}`);
  }
  rmSync(out, { recursive: true, force: true });
  if (failures.size) {
    console.log('\nfailures (distinct messages, one example each):');
    const sorted = [...failures.entries()].sort((a, b) => a[1].outcome.localeCompare(b[1].outcome) || b[1].n - a[1].n);
    const perOutcome = new Map<string, number>();
    for (const [sig, f] of sorted) {
      const k = (perOutcome.get(f.outcome) ?? 0) + 1;
      perOutcome.set(f.outcome, k);
      if (k > 15) continue;
      const dir = join(out, f.outcome);
      mkdirSync(dir, { recursive: true });
      const path = join(dir, fileName(runSeed, f.example));
      writeFileSync(path, f.example.text);
      console.log(`  ${String(f.n).padStart(5)}× ${sig}`);
      console.log(`         ${relative(process.cwd(), path)}  (npm run fuzz -- --seed ${runSeed} --index ${f.example.index})`);
      console.log(`         ${f.example.ops.join(' + ').slice(0, 200)}`);
    }
    for (const [o, k] of perOutcome) if (k > 15) console.log(`  … and ${k - 15} more distinct ${o} messages`);
  }
  if (accepted.size) {
    const n = [...accepted.values()].reduce((a, x) => a + x.n, 0);
    console.log(`\nnote: ${n} mutants that a correct parser must refuse ran anyway (silently accepted; not a failure of this run):`);
    const dir = join(out, 'accepted');
    mkdirSync(dir, { recursive: true });
    for (const [sig, a] of [...accepted.entries()].sort((x, y) => y[1].n - x[1].n).slice(0, 15)) {
      writeFileSync(join(dir, fileName(runSeed, a.example)), a.example.text);
      console.log(`  ${String(a.n).padStart(5)}× ${sig}  (--index ${a.example.index})`);
    }
  }
  const failed = FAILING.reduce((a, o) => a + (byOutcome.get(o) ?? 0), 0);
  console.log(failed ? `\nFAIL: ${failed} failing mutants (seed ${runSeed})` : `\nok: no crash, unlocated error, escape, timeout or memory blow-up (seed ${runSeed})`);
  process.exit(failed ? 1 : 0);
}

// run only as the script (the test imports caseOptions and loadSeeds)
if (isMainThread && process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
