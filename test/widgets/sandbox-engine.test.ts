// The sandbox terminal's engine (src/widgets/sandbox-engine.ts) in Node: slices under a budget,
// ^C ends a runaway watch loop, a model exception boots a new host, exit and a new shell, the
// unknown-command note, and the same output however finely the run is sliced.
import { describe, expect, test } from 'vitest';
import { performance } from 'node:perf_hooks';
import { SandboxDriver, SandboxEngine, keepTail, shortName, type Input, type Item, type Update } from '../../src/widgets/sandbox-engine.ts';

const PROMPT = /\[#\d+#root@lab ~\]\$$/;

/** Text of the output items (crash and exit items as markers). */
function text(items: Item[]): string {
  return items.map((i) => (i.kind === 'out' ? i.text : i.kind === 'crash' ? `<crash: ${i.message}>` : '<exit>')).join('');
}

/** Run the engine until idle with a wall-clock budget per step; returns every item and the steps' durations. */
function settle(e: SandboxEngine, sliceMs = 8, maxSteps = 100_000): { items: Item[]; steps: number[]; last: Update } {
  const items: Item[] = [];
  const steps: number[] = [];
  for (let i = 0; i < maxSteps && e.busy; i++) {
    const t0 = performance.now();
    e.step(t0 + sliceMs, () => performance.now());
    steps.push(performance.now() - t0);
  }
  const last = e.drain();
  items.push(...last.items);
  return { items, steps, last };
}

/** Type a line (or key) and run to the next idle moment. */
function run(e: SandboxEngine, x: Input | string) {
  e.input(typeof x === 'string' ? { kind: 'line', text: x } : x);
  return settle(e);
}

/** A fake clock that advances by `tick` ms at every read: slices of a few events each. */
function fakeClock(tick: number) {
  let t = 0;
  return () => (t += tick);
}

describe('sandbox engine', () => {
  test('boots to the first prompt; a command runs to the next prompt', () => {
    const e = new SandboxEngine('linux-4.4');
    const boot = settle(e);
    expect(text(boot.items)).toBe('[#1#root@lab ~]$');
    expect(boot.last.simNs).toBe(0);
    const r = run(e, 'echo hello');
    expect(text(r.items)).toBe('echo hello\nhello\n[#2#root@lab ~]$');
    expect(r.last).toMatchObject({ busy: false, seq: 1, ended: false, unknown: null });
  });

  test('the same output however finely the run is sliced (the wall clock never reaches the model)', () => {
    const script = ['nc -l 12345', '^Z', 'nc localhost 12345', '^C', 'sleep 61', 'ss -natp -o', 'jobs'];
    const once = (tick: number) => {
      const e = new SandboxEngine('linux-4.4');
      const clock = fakeClock(tick);
      let out = '';
      const drive = () => {
        while (e.busy) e.step(clock() + 1, clock);
        out += text(e.drain().items);
      };
      drive();
      for (const l of script) {
        e.input(/^\^/.test(l) ? { kind: 'key', key: l as '^C' } : { kind: 'line', text: l });
        drive();
      }
      return out;
    };
    const coarse = once(0); // one slice per advance
    const fine = once(0.5); // a slice every two clock reads: a few events each
    expect(fine).toBe(coarse);
    expect(coarse).toContain('[1]+  Stopped                 nc -l 12345');
    expect(coarse).toMatch(/^CLOSE-WAIT +1 +0 /m);
  });

  test('while true; do ss; done: slices stay within the budget, ^C ends the loop and the prompt comes back', () => {
    const e = new SandboxEngine('linux-6.x');
    settle(e);
    e.input({ kind: 'line', text: 'while true; do ss; done' });
    const steps: number[] = [];
    let out = '';
    // let the loop run for a while: it never prompts by itself
    for (let i = 0; i < 60; i++) {
      const t0 = performance.now();
      expect(e.step(t0 + 8, () => performance.now())).toBe(true);
      steps.push(performance.now() - t0);
      out += text(e.drain().items);
    }
    expect(out.match(/^State/gm)?.length ?? 0).toBeGreaterThan(5);
    expect(out).not.toMatch(PROMPT);
    // a slice overruns its budget by at most a few events (generous: the machine is shared)
    expect(Math.max(...steps)).toBeLessThan(40);
    e.input({ kind: 'key', key: '^C' });
    const r = settle(e);
    expect(r.last.busy).toBe(false);
    const after = text(r.items);
    expect(after).toMatch(/\^C\n\[#2#root@lab ~\]\$$/);
    expect(Math.max(...r.steps)).toBeLessThan(40);
    // the loop is over: the next command runs
    expect(text(run(e, 'echo ok').items)).toBe('echo ok\nok\n[#3#root@lab ~]$');
  });

  test('an exception thrown inside the model ends that host: a crash item, a new host, and the next command works', () => {
    const e = new SandboxEngine('linux-4.4');
    settle(e);
    run(e, 'nc -l 12345');
    const r = run(e, { kind: 'fault', message: 'test fault' });
    expect(r.items.map((i) => i.kind)).toEqual(['crash', 'out']);
    expect(r.items[0]).toEqual({ kind: 'crash', message: 'test fault' });
    expect(text(r.items.slice(1))).toBe('[#1#root@lab ~]$');
    expect(r.last.simNs).toBe(0);
    const ss = text(run(e, 'ss -nlt').items);
    expect(ss).not.toMatch(/12345/); // a new host: the old listener is gone
    expect(ss).toMatch(/\[#2#root@lab ~\]\$$/);
  });

  test('exit prints exit and ends the shell; a new shell on the same host prompts again', () => {
    const e = new SandboxEngine('linux-4.4');
    settle(e);
    run(e, 'nc -l 12345');
    run(e, { kind: 'key', key: '^Z' });
    const r = run(e, 'exit');
    expect(text(r.items)).toBe('exit\nexit\n<exit>');
    expect(r.last.ended).toBe(true);
    // input to an ended shell goes nowhere
    expect(text(run(e, 'echo lost').items)).toBe('');
    const n = run(e, { kind: 'new-shell' });
    expect(n.last.ended).toBe(false);
    expect(text(n.items)).toBe('[#1#root@lab ~]$');
    // the same host: the stopped listener is still there
    expect(text(run(e, 'ss -nlt').items)).toMatch(/LISTEN .*:12345/);
  });

  test('^D at an empty prompt exits as bash does', () => {
    const e = new SandboxEngine('linux-4.4');
    settle(e);
    const r = run(e, { kind: 'key', key: '^D' });
    expect(text(r.items)).toBe('exit\n<exit>');
    expect(r.last.ended).toBe(true);
  });

  test('the unknown command is reported cut to 40 characters', () => {
    const e = new SandboxEngine('linux-4.4');
    settle(e);
    expect(run(e, 'frobnicate').last.unknown).toBe('frobnicate');
    expect(run(e, 'echo ok').last.unknown).toBeNull();
    const long = 'x'.repeat(100_000);
    const r = run(e, long);
    expect(r.last.unknown).toBe('x'.repeat(40) + '…');
  });

  test('a flood nobody fetches keeps its tail only', () => {
    const e = new SandboxEngine('linux-4.4');
    settle(e);
    e.input({ kind: 'line', text: 'while true; do echo xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; done' });
    for (let i = 0; i < 100; i++) e.step(performance.now() + 8, () => performance.now());
    const u = e.drain();
    const chars = u.items.reduce((n, i) => n + (i.kind === 'out' ? i.text.length : 0), 0);
    expect(chars).toBeLessThanOrEqual(2 * 256 * 1024);
    e.input({ kind: 'key', key: '^C' });
    expect(text(settle(e).items)).toMatch(/\^C\n\[#2#root@lab ~\]\$$/);
  });

  test('shortName and keepTail', () => {
    expect(shortName('abc', 40)).toBe('abc');
    expect(shortName('a'.repeat(39) + '😀', 40)).toBe('a'.repeat(39) + '…');
    expect(keepTail('one\ntwo\nthree\n', 8)).toBe('three\n');
    expect(keepTail('abcdef', 3)).toBe('def');
  });
});

describe('sandbox driver', () => {
  test('reports while busy and when idle; input between slices reaches the model', async () => {
    const updates: Update[] = [];
    const queue: Array<() => void> = [];
    const d = new SandboxDriver(new SandboxEngine('linux-4.4'), (u) => updates.push(u), () => performance.now(), (fn) => queue.push(fn));
    const spin = (n: number) => {
      for (let i = 0; i < n && queue.length; i++) queue.shift()!();
    };
    spin(1000);
    expect(text(updates.flatMap((u) => u.items))).toBe('[#1#root@lab ~]$');
    d.input({ kind: 'line', text: 'while true; do ss; done' });
    spin(20);
    expect(queue.length).toBe(1); // still running, one slice at a time
    d.input({ kind: 'key', key: '^C' });
    spin(1000);
    expect(queue.length).toBe(0);
    const last = updates.at(-1)!;
    expect(last).toMatchObject({ busy: false, seq: 2 });
    expect(text(updates.flatMap((u) => u.items))).toMatch(/\^C\n\[#2#root@lab ~\]\$$/);
  });
});
