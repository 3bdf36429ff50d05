/**
 * The model's fast paths must not change what it computes. Two of them matter for large
 * scenarios (npm run bench): programs written as hand-written iterators instead of
 * generators, and SYNs recycled after kfree_skb() while nobody can hold a segment.
 */
import { describe, expect, it } from 'vitest';
import { createHost } from '../../src/model/index.ts';
import { ECONNREFUSED, ETIMEDOUT } from '../../src/model/kernel.ts';
import type { Sys } from '../../src/model/process.ts';
import type { ProfileName } from '../../src/model/types.ts';

const LO = 0x7f000001;

function* listener(backlog: number): Generator<Sys, number, any> {
  const fd: number = yield { op: 'socket' };
  yield { op: 'bind', fd, addr: 0, port: 12345 };
  yield { op: 'listen', fd, backlog };
  yield { op: 'pause' };
  return 0;
}

/** socket(); r = connect(127.0.0.1:port); exit(-r) — as a state machine. */
class Connector implements Iterator<Sys, number, any> {
  private pc = 0;
  private port: number;
  private results: number[];
  constructor(port: number, results: number[]) {
    this.port = port;
    this.results = results;
  }
  next(ret?: any): IteratorResult<Sys, number> {
    switch (this.pc++) {
      case 0:
        return { done: false, value: { op: 'socket' } };
      case 1:
        return { done: false, value: { op: 'connect', fd: ret as number, addr: LO, port: this.port } };
      default:
        this.results.push(ret as number);
        return { done: true, value: -(ret as number) };
    }
  }
}

function* connectorGen(port: number, results: number[]): Generator<Sys, number, any> {
  const fd: number = yield { op: 'socket' };
  const r: number = yield { op: 'connect', fd, addr: LO, port };
  results.push(r);
  return -r;
}

describe('programs as iterators (ProgramGen is any Iterator<Sys>)', () => {
  for (const profile of ['linux-4.4', 'linux-6.x'] as const) {
    it(`${profile}: a hand-written state machine gets the same syscall results and the same trace as the generator it replaces (tcp_v4_send_reset → ECONNREFUSED)`, () => {
      const traces: string[] = [];
      const results: number[][] = [];
      for (const kind of ['machine', 'generator'] as const) {
        const { k, procs } = createHost({ profile, seed: 3 });
        const res: number[] = [];
        procs.programs.set('c', () => (kind === 'machine' ? new Connector(9, res) : connectorGen(9, res)));
        procs.spawn('c', ['c']);
        k.sim.runUntil(1e9);
        traces.push(JSON.stringify(k.sim.trace));
        results.push(res);
      }
      expect(results[0]).toEqual([-ECONNREFUSED]);
      expect(results[1]).toEqual(results[0]);
      expect(traces[0]).toBe(traces[1]);
    });
  }
});

/**
 * A SYN flood against a listener that never accepts: the dropped SYNs are recycled only
 * when the run is unobserved. Observed and unobserved runs must end identically.
 */
function flood(profile: ProfileName, observed: boolean, clients: number) {
  const { k, procs } = createHost({ profile, seed: 7, sysctl: { 'net.ipv4.ip_local_port_range': [1024, 65535] } });
  k.sim.keepTrace = observed;
  k.sim.traceDetail = observed;
  const results: number[] = [];
  procs.programs.set('l', () => listener(4));
  procs.programs.set('c', () => new Connector(12345, results));
  procs.spawn('l', ['l']);
  k.sim.runUntil(1_000_000);
  const tables: string[] = [];
  for (let i = 0; i < clients; i++) {
    procs.spawn('c', ['c']);
    k.sim.runUntil(k.now + 1_000_000);
  }
  for (const t of [3e9, 20e9, 70e9]) {
    k.sim.runUntil(t);
    tables.push(JSON.stringify(procs.socketTable()));
  }
  k.sim.runUntil(300e9);
  return { stats: { ...k.stats }, mib: { ...k.mib }, tables, results };
}

describe('kfree_skb: recycled SYNs (only when nobody observes)', () => {
  for (const profile of ['linux-4.4', 'linux-6.x'] as const) {
    it(`${profile}: tcp_conn_request drops SYNs on a full accept queue (ListenOverflows); reusing those segments for the next SYNs leaves counters, socket tables and connect() results unchanged`, () => {
      const seen = flood(profile, true, 60);
      const fast = flood(profile, false, 60);
      // the pool is off while a trace is kept, and in use without one
      expect(seen.stats.skbRecycled).toBe(0);
      expect(fast.stats.skbRecycled).toBeGreaterThan(100);
      expect(fast.mib.ListenOverflows).toBeGreaterThan(100);
      expect({ ...fast.stats, skbRecycled: 0 }).toEqual(seen.stats);
      expect(fast.mib).toEqual(seen.mib);
      expect(fast.tables).toEqual(seen.tables);
      expect(fast.results).toEqual(seen.results);
      if (profile === 'linux-4.4') {
        // 4.4 answers SYNs while at most one request is young: every connect() succeeds
        // (the final ACK is what gets dropped), the rest of the SYNs overflow
        expect(fast.results).toEqual(Array(60).fill(0));
      } else {
        // 6.x drops SYNs on a full queue: 5 clients get in (backlog 4 holds 5), others time out
        expect(fast.results.filter((r) => r === 0)).toHaveLength(5);
        expect(fast.results.filter((r) => r === -ETIMEDOUT)).toHaveLength(55);
      }
    });
  }
});

describe('file descriptor table', () => {
  it('__alloc_fd: socket() returns the lowest free fd, so a closed fd is reused first; exit closes the rest', () => {
    const { k, procs } = createHost({ profile: 'linux-6.x', seed: 1 });
    const got: number[] = [];
    procs.programs.set('p', function* (): Generator<Sys, number, any> {
      for (let i = 0; i < 3; i++) got.push(yield { op: 'socket' });
      got.push(yield { op: 'close', fd: 1 });
      got.push(yield { op: 'close', fd: 1 }); // already closed
      got.push(yield { op: 'socket' });
      got.push(yield { op: 'socket' });
      return 0;
    });
    // no terminal: fds 0, 1, 2 are free, as for a daemon
    const t = procs.spawn('p', ['p'])!;
    k.sim.runUntil(1e9);
    expect(got).toEqual([0, 1, 2, 0, -9 /* EBADF */, 1, 3]);
    expect(t.state).toBe('zombie');
    expect([...t.fds.keys()]).toEqual([]);
  });
});
