/**
 * Inputs no committed experiment uses, which the model must run without throwing (issue 13,
 * "Hostile input"): each as the kernel behaves, citing the function and version.
 */
import { describe, expect, it } from 'vitest';
import { createHost } from '../../src/model/index.ts';
import { KTIME_MAX_NS, PID_MAX_LIMIT, type Program, type Sys } from '../../src/model/process.ts';
import { sleepSeconds } from '../../src/userland/tools.ts';
import { LOOPBACK } from '../../src/model/seq.ts';

const PROFILES = ['linux-4.4', 'linux-6.x'] as const;

function host(profile: (typeof PROFILES)[number]) {
  const { k, procs } = createHost({ profile, seed: 1 });
  return { k, procs };
}

describe.each(PROFILES)('model robustness (%s)', (profile) => {
  it('kill(getpid(), SIGKILL) does not return: the caller dies (kernel/signal.c, Linux 4.4 and 6.18)', () => {
    const { k, procs } = host(profile);
    const seen: unknown[] = [];
    const suicide: Program = function* (ctx) {
      const r = yield { op: 'kill', pid: ctx.pid, sig: 'SIGKILL' };
      seen.push(r); // never reached
      yield { op: 'write', fd: 1, data: 'still here\n' };
      return 0;
    };
    procs.programs.set('suicide', suicide);
    const t = procs.spawn('suicide', ['suicide'])!;
    k.sim.runUntil(k.now + 1_000_000_000);
    expect(seen).toEqual([]);
    expect(t.state).toBe('zombie');
    expect(t.exitStatus).toEqual({ kind: 'signaled', sig: 'SIGKILL' });
    expect(k.sim.trace.some((e) => e.type === 'output')).toBe(false);
  });

  it('alloc_pid() gives the next free pid and wraps to RESERVED_PIDS at pid_max (kernel/pid.c, idr_alloc_cyclic, Linux 4.4 and 6.18)', () => {
    const { procs } = host(profile);
    const idle: Program = function* () {
      yield { op: 'pause' };
      return 0;
    };
    procs.programs.set('idle', idle);
    expect(procs.spawn('idle', ['idle'])!.pid).toBe(301);
    // a pinned pid taken already (a chance input no real run could have): the next free pid
    expect(procs.spawn('idle', ['idle'], { pid: 301 })!.pid).toBe(302);
    expect(procs.spawn('idle', ['idle'], { pid: PID_MAX_LIMIT - 1 })!.pid).toBe(PID_MAX_LIMIT - 1);
    // past the last pid, allocation starts again at 300, skipping pids in use
    expect(procs.spawn('idle', ['idle'])!.pid).toBe(300);
    expect(procs.spawn('idle', ['idle'])!.pid).toBe(303);
    // pids beyond PID_MAX_LIMIT, or not integers, cannot be pinned
    expect(procs.spawn('idle', ['idle'], { pid: 2 ** 32 })!.pid).toBe(304);
    expect(procs.spawn('idle', ['idle'], { pid: 1.5 })!.pid).toBe(305);
    expect([...procs.tasks.keys()]).toEqual([300, 301, 302, 303, 304, 305, PID_MAX_LIMIT - 1]);
  });

  it('a sleep past KTIME_MAX never ends, and a signal still ends it (hrtimer_nanosleep, kernel/time/hrtimer.c)', () => {
    const { k, procs } = host(profile);
    const sleeper = (ns: number): Program =>
      function* () {
        yield { op: 'nanosleep', ns } as Sys;
        return 0;
      };
    const tasks = [Infinity, NaN, 1e300 * 1e9, KTIME_MAX_NS * 2].map((ns, i) => {
      procs.programs.set(`s${i}`, sleeper(ns));
      return procs.spawn(`s${i}`, ['sleep'])!;
    });
    k.sim.runUntil(k.now + 1_000_000_000_000);
    for (const t of tasks) expect(t.state).toBe('blocked');
    expect(k.sim.peek()).toBe(Infinity); // nothing scheduled
    procs.signal(tasks[0], 'SIGINT');
    expect(tasks[0].exitStatus).toEqual({ kind: 'signaled', sig: 'SIGINT' });
  });

  it('__inet_hash_connect() with a port range no kernel accepts finds no port: EADDRNOTAVAIL, not an exception (net/ipv4/inet_hashtables.c)', () => {
    const { k, procs } = host(profile);
    (k.sysctl as unknown as Record<string, unknown>)['net.ipv4.ip_local_port_range'] = [-5, 10];
    const results: unknown[] = [];
    const client: Program = function* () {
      const fd: number = yield { op: 'socket' };
      results.push(yield { op: 'connect', fd, addr: LOOPBACK, port: 12345 });
      return 0;
    };
    procs.programs.set('client', client);
    procs.spawn('client', ['client']);
    k.sim.runUntil(k.now + 1_000_000_000);
    expect(results).toEqual([-99]); // EADDRNOTAVAIL
  });
});

describe('coreutils sleep operands', () => {
  it('parses as cl_strtod does, with suffixes', () => {
    expect(sleepSeconds('1')).toBe(1);
    expect(sleepSeconds('0.5')).toBe(0.5);
    expect(sleepSeconds('.5s')).toBe(0.5);
    expect(sleepSeconds('2m')).toBe(120);
    expect(sleepSeconds('1d')).toBe(86400);
    expect(sleepSeconds('1e300')).toBe(1e300);
    expect(sleepSeconds('inf')).toBe(Infinity);
    expect(sleepSeconds('Infinity')).toBe(Infinity);
    expect(sleepSeconds('0x1p-3')).toBe(0.125);
    for (const bad of ['', '-1', 'nan', 'abc', '1x', '1 2', '--1']) expect(sleepSeconds(bad), bad).toBeNull();
  });
});
