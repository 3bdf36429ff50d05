/**
 * Per-run limits (src/experiment/run.ts: RunLimits, RunLimitError) and the run's own checks of
 * its inputs: a hostile experiment stops quickly with a located error instead of running for
 * minutes or filling memory; every accepted input runs without an exception escaping.
 */
import { describe, expect, it } from 'vitest';
import { experimentText } from '../helpers/experiment.ts';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseExperiment } from '../../src/experiment/parse.ts';
import { DEFAULT_LIMITS, runExperiment, RunError, RunInputError, RunInternalError, RunLimitError } from '../../src/experiment/run.ts';
import type { Experiment } from '../../src/experiment/types.ts';

function experiment(steps: string, extra = ''): Experiment {
  const text = experimentText(steps, { extra });
  return parseExperiment(text, 'x/experiment.md');
}

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

describe('run limits', () => {
  it('are far above what the committed experiments use', () => {
    // measured: at most ~10,000 events, 80 KB of output and 323 s (seed-collision, seed-recvq)
    expect(DEFAULT_LIMITS.maxEvents).toBeGreaterThanOrEqual(25 * 10_000); // low enough that a runaway loop stops within a few seconds
    expect(DEFAULT_LIMITS.maxOutputBytes).toBeGreaterThanOrEqual(50 * 80_000);
    expect(DEFAULT_LIMITS.maxSimNs).toBeGreaterThanOrEqual(100 * 323e9);
  });

  it('a loop starting programs forever (`while true; do ss; done`) stops at the process limit, located at its step', () => {
    const exp = experiment('0.5 b $ ss\n0.6 a $ while true; do ss -nt; done\n', 'inputs: { tailNs: 3600000000000 }\n');
    const e = thrown(() => runExperiment(exp, 'linux-6.x'));
    expect(e).toBeInstanceOf(RunLimitError);
    expect((e as RunLimitError).limit).toBe('processes');
    expect((e as Error).message).toMatch(/^x\/experiment\.md:15:7: the run stopped: 8,\d{3} processes started by \d+(\.\d+)? s of simulated time \(limit 8,000\)/);
  });

  it('a loop printing forever stops at the output limit, located at its step', () => {
    const exp = experiment('0.5 b $ ss\n0.6 a $ while true; do echo x; done\n');
    const e = thrown(() => runExperiment(exp, 'linux-6.x', { limits: { maxOutputBytes: 64 * 1024 } }));
    expect(e).toBeInstanceOf(RunLimitError);
    expect((e as RunLimitError).limit).toBe('output');
    expect((e as Error).message).toMatch(/^x\/experiment\.md:14:\d+: the run stopped: 6\d(\.\d)? KB of terminal output and files \(limit 64 KB\); the command at this step never ends\?$/);
  });

  it('a loop of builtins stops at the event limit, located at its step', () => {
    const exp = experiment('0.5 a $ while true; do true; done\n');
    const e = thrown(() => runExperiment(exp, 'linux-6.x', { limits: { maxEvents: 50_000 } }));
    expect(e).toBeInstanceOf(RunLimitError);
    expect((e as RunLimitError).limit).toBe('events');
    expect((e as RunLimitError).loc).toEqual(exp.steps[0].loc);
    expect((e as Error).message).toContain('(limit 50,000); the command at this step never ends?');
  });

  it('a run longer than the time limit is refused before it starts', () => {
    const exp = experiment('0.5 a $ while true; do ss; sleep 1; done\n');
    const t = performance.now();
    const e = thrown(() => runExperiment(exp, 'linux-6.x', { tailNs: 1e15 }));
    expect(performance.now() - t).toBeLessThan(1000);
    expect(e).toBeInstanceOf(RunLimitError);
    expect((e as RunLimitError).limit).toBe('time');
    expect((e as Error).message).toContain('it would last 1000000 s of simulated time with its tail (inputs.tailNs), limit 86400 s');
    const late = { ...exp, steps: [...exp.steps, { ...exp.steps[0], at: 1e9 * 1e9, action: { kind: 'key' as const, key: '^C' as const } }] };
    expect((thrown(() => runExperiment(late)) as Error).message).toContain('this step is at 1000000000 s of simulated time (limit 86400 s)');
  });

  it('inputs no real run could have are located errors, not exceptions of the model', () => {
    const exp = experiment('0.5 a $ nc -l 12345 {pid=500}\n');
    const cases: [Partial<Experiment>, RegExp][] = [
      [{ inputs: { bootNs: 1.5 } }, /^x\/experiment\.md:1:1: inputs\.bootNs must be a whole number/],
      [{ inputs: { tailNs: -5 } }, /^x\/experiment\.md:13:\d+: the tail after the last step \(inputs\.tailNs\) must be a whole number of ns from 0, got -5$/],
      [{ steps: [{ ...exp.steps[0], pins: { pid: 2 ** 32 } }] }, /pid 4294967296 cannot be allocated/],
      [{ steps: [{ ...exp.steps[0], at: 0.5 }] }, /the step's time must be a whole number of ns/],
      [{ sysctl: { 'net.ipv4.ip_local_port_range': [-5, 10] } }, /^x\/experiment\.md:1:1: net\.ipv4\.ip_local_port_range: /],
    ];
    for (const [patch, re] of cases) {
      const e = thrown(() => runExperiment({ ...exp, ...patch }));
      expect(e, String(re)).toBeInstanceOf(RunInputError);
      expect((e as Error).message).toMatch(re);
    }
  });

  it('a pinned pid taken already, or the shell killing itself, runs: the terminal shows nothing more', () => {
    const exp = experiment('0.5 a $ kill -9 301\n1.0 a $ ss\n1.5 b $ nc -l 12345 {pid=301}\n');
    const res = runExperiment(exp);
    expect(res.blocks.get('a')).toBe('[#1#root@box ~]$kill -9 301\n');
    expect(res.blocks.get('b')).toBe('[#1#root@box ~]$nc -l 12345\n');
  });

  it('an exception inside the model is an internal error located at the step applied last', () => {
    const exp = experiment('0.5 a $ ss\n1.0 b $ ss\n');
    const e = thrown(() => runExperiment(exp, 'linux-6.x', { env: { get dns(): boolean { throw new Error('boom'); } } as never }));
    expect(e).toBeInstanceOf(RunInternalError);
    expect(e).toBeInstanceOf(RunError);
    expect((e as Error).message).toMatch(/^x\/experiment\.md:\d+:\d+: internal error: boom$/);
    expect((e as Error).cause).toBeInstanceOf(Error);
  });
});

describe('the CLIs on hostile files', () => {
  const root = resolve(import.meta.dirname, '../..');
  const node = join(root, 'node_modules/.bin/node');
  const dir = mkdtempSync(join(tmpdir(), 'tcplab-hostile-'));
  const files: Record<string, string> = {
    'echo-loop': '0.5 a $ while true; do echo x; done\n',
    'kill-self': '0.5 a $ kill -9 301\n1 a $ ss\n',
    'grep-paren': "0.5 a $ ss | grep -E '('\n",
    'pid-taken': '0.5 a $ nc -l 12345 {pid=301}\n',
    'bad-step': '0.5 a $ ss $(id)\n',
  };
  for (const [name, steps] of Object.entries(files)) {
    mkdirSync(join(dir, name));
    writeFileSync(
      join(dir, name, 'experiment.md'),
      `---\nid: ${name}\ntitle: { en: t, zh-CN: t }\nprofile: linux-6.x\nseed: 4\nhost: { hostname: box, user: root }\nterminals:\n  a: { history: 1 }\n---\n\n\`\`\`steps\n${steps}\`\`\`\n\n\`\`\`blocks\na terminal a from start to end\n\`\`\`\n`,
    );
  }

  it('npm run sim prints one located line or the blocks, never a stack trace', () => {
    try {
      for (const name of Object.keys(files)) {
        const t = performance.now();
        const r = spawnSync(node, [join(root, 'scripts/sim.ts'), join(dir, name, 'experiment.md')], { encoding: 'utf8', cwd: root, env: { ...process.env, TCPLAB_DEBUG: '' } });
        expect(r.stderr, name).not.toMatch(/^\s+at /m);
        expect(performance.now() - t, name).toBeLessThan(20_000);
        if (name === 'echo-loop') {
          expect(r.status).toBe(1);
          expect(r.stderr).toMatch(/experiment\.md:12:\d+: the run stopped: .* \(limit .*\); the command at this step never ends\?\n$/);
        } else if (name === 'bad-step') {
          expect(r.status).toBe(1);
          expect(r.stderr.trim().split('\n')).toHaveLength(1);
          expect(r.stderr).toMatch(/experiment\.md:12:\d+: /);
        } else {
          expect(r.status, `${name}: ${r.stderr}`).toBe(0);
          if (name === 'grep-paren') expect(r.stdout).toContain('grep: Unmatched ( or \\(');
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
