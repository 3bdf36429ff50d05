/**
 * SO_REUSEPORT listeners sharing a port (netcat sets SO_REUSEPORT, so two `nc -l 12345` both
 * bind): a new connection goes to one of them by a hash of its 4-tuple under a boot-time
 * secret (inet_ehashfn). Linux 6.x (net/core/sock_reuseport.c, since ef456144da8e in v4.5):
 * reuseport_select_sock() picks socks[reciprocal_scale(hash, n)] of the group in join order,
 * and a listener that leaves is replaced by the group's last one (__reuseport_detach_sock).
 * Linux 4.4 (__inet_lookup_listener in net/ipv4/inet_hashtables.c): the walk of the listening
 * chain keeps the m-th equal match with chance 1/m (reciprocal_scale(phash, m) == 0).
 */
import { describe, expect, it } from 'vitest';
import { createHost } from '../../src/model/index.ts';
import type { Program } from '../../src/model/process.ts';
import { LOOPBACK } from '../../src/model/seq.ts';

const PROFILES = ['linux-4.4', 'linux-6.x'] as const;

/** n listeners on 12345 (SO_REUSEPORT), then one client from each source port: which listener accepted each. */
function spread(profile: (typeof PROFILES)[number], n: number, ports: number[], seed = 7, closeFirst = false): number[] {
  const { k, procs } = createHost({ profile, seed });
  const got: number[] = [];
  procs.programs.set('listener', function* (ctx) {
    const s: number = yield { op: 'socket' };
    yield { op: 'setsockopt', fd: s, opt: 'SO_REUSEPORT', val: 1 };
    yield { op: 'bind', fd: s, addr: 0, port: 12345 };
    yield { op: 'listen', fd: s, backlog: 128 };
    if (closeFirst && ctx.argv[1] === '0') {
      yield { op: 'nanosleep', ns: 5e6 };
      yield { op: 'close', fd: s };
      return 0;
    }
    for (;;) {
      const c: number = yield { op: 'accept', fd: s };
      if (c < 0) return 1;
      got.push(Number(ctx.argv[1]));
    }
  } as Program);
  procs.programs.set('client', function* (ctx) {
    const s: number = yield { op: 'socket' };
    yield { op: 'bind', fd: s, addr: 0, port: Number(ctx.argv[1]) };
    yield { op: 'connect', fd: s, addr: LOOPBACK, port: 12345 };
    yield { op: 'pause' };
    return 0;
  } as Program);
  for (let i = 0; i < n; i++) {
    procs.spawn('listener', ['listener', String(i)]);
    k.sim.runUntil(k.now + 1e6);
  }
  k.sim.runUntil(k.now + 10e6);
  for (const p of ports) {
    procs.spawn('client', ['client', String(p)]);
    k.sim.runUntil(k.now + 1e6);
  }
  k.sim.runUntil(k.now + 1e9);
  return got;
}

const PORTS = Array.from({ length: 40 }, (_x, i) => 40000 + 2 * i);

describe.each(PROFILES)('SO_REUSEPORT listeners (%s)', (profile) => {
  it('spread new connections over every listener of the port, not to the first one only', () => {
    const got = spread(profile, 2, PORTS);
    expect(got).toHaveLength(PORTS.length);
    const counts = [0, 1].map((l) => got.filter((x) => x === l).length);
    expect(Math.min(...counts)).toBeGreaterThan(5);
    const three = spread(profile, 3, PORTS);
    expect(new Set(three)).toEqual(new Set([0, 1, 2]));
  });
  it('the listener is a function of the 4-tuple and the boot secret: the same port gets the same listener, another boot may not', () => {
    expect(spread(profile, 2, PORTS)).toEqual(spread(profile, 2, PORTS));
    expect(spread(profile, 2, PORTS, 8)).not.toEqual(spread(profile, 2, PORTS, 7));
  });
});

describe('4.4 and 6.x', () => {
  it('with two listeners both pick by the top bit of the hash: the same listener for every connection', () => {
    expect(spread('linux-4.4', 2, PORTS)).toEqual(spread('linux-6.x', 2, PORTS));
  });
  it('6.x: when the first of three listeners closes, the last takes its place in the group (__reuseport_detach_sock)', () => {
    const before = spread('linux-6.x', 3, PORTS);
    const after = spread('linux-6.x', 3, PORTS, 7, true);
    // slot 0 was listener 0, now listener 2; slots 1 and 2 became 1 (reciprocal_scale over 2)
    expect(after.every((l) => l !== 0)).toBe(true);
    const movedTo2 = PORTS.filter((_p, i) => before[i] === 0 && after[i] === 2).length;
    expect(movedTo2).toBeGreaterThan(0);
  });
});
