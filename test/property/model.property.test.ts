/**
 * Random action scripts through the model: processes listening, connecting (also from
 * reused ports), closing, stopping, resuming, being killed, and time passing. Invariants:
 * no exception, only legal TCP state transitions, Recv-Q of every listener equals the
 * children queued on it, and every segment put on lo is accepted or dropped with a reason.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { host, listener, client, ms } from '../helpers/host.ts';
import { TCP_LISTEN, type TraceEvent } from '../../src/model/types.ts';
import type { Task } from '../../src/model/process.ts';

// RFC 793 / Linux transitions (tcp_set_state callers), plus timewait substate changes.
const LEGAL = new Set([
  '7>10', '7>2', '10>7', '2>1', '2>7', '1>4', '1>8', '1>7', '4>5', '4>11', '4>7', '5>7', '5>6', '8>9', '8>7',
  '9>7', '11>7', '11>6', '6>7', '3>1', '3>4', '3>7',
]);

type Action =
  | { a: 'listen'; port: number; backlog: number }
  | { a: 'connect'; port: number; reuse: number }
  | { a: 'stop' | 'cont' | 'int' | 'kill'; who: number }
  | { a: 'wait'; ms: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ a: fc.constant('listen' as const), port: fc.constantFrom(5000, 5001), backlog: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ a: fc.constant('connect' as const), port: fc.constantFrom(5000, 5001, 5002), reuse: fc.integer({ min: -1, max: 5 }) }),
  fc.record({ a: fc.constantFrom('stop' as const, 'cont' as const, 'int' as const, 'kill' as const), who: fc.nat(20) }),
  fc.record({ a: fc.constant('wait' as const), ms: fc.constantFrom(1, 5, 300, 1100, 5000, 61000) }),
);

function runScript(profile: 'linux-4.4' | 'linux-6.x', script: Action[]) {
  const h = host({ profile, sysctl: { 'net.ipv4.tcp_fin_timeout': 5 } });
  const tasks: Task[] = [];
  const ports: number[] = [];
  let n = 0;
  for (const act of script) {
    if (act.a === 'listen') {
      tasks.push(h.start(`l${n++}`, function* () {
        const fd: number = yield* listener(act.port, act.backlog);
        if (fd < 0) return 1;
        for (;;) {
          const c: number = yield { op: 'accept', fd };
          if (c < 0) return 1;
          yield { op: 'read', fd: c };
          yield { op: 'close', fd: c };
        }
      }));
    } else if (act.a === 'connect') {
      const bindPort = act.reuse >= 0 && ports.length ? ports[act.reuse % ports.length] : 0;
      tasks.push(h.start(`c${n++}`, function* () {
        const [fd, r] = yield* client(act.port, bindPort);
        if (r < 0) return 1;
        const row = h.k.inetDiagDump().find((x) => x.dport === act.port && x.state !== TCP_LISTEN);
        if (row) ports.push(row.sport);
        yield { op: 'read', fd };
        return 0;
      }));
    } else if (act.a === 'wait') {
      h.run(h.k.now + ms(act.ms));
    } else if (tasks.length) {
      const t = tasks[act.who % tasks.length];
      const sig = { stop: 'SIGSTOP', cont: 'SIGCONT', int: 'SIGINT', kill: 'SIGKILL' }[act.a] as 'SIGSTOP';
      h.procs.signal(t, sig);
    }
    h.run(h.k.now + ms(0.2));
    checkQueues(h.k);
  }
  h.run(h.k.now + ms(300_000));
  return h;
}

function checkQueues(k: ReturnType<typeof host>['k']): void {
  for (const row of k.inetDiagDump()) {
    if (row.state !== TCP_LISTEN) continue;
    const l = k.socks.get(row.sockId)!;
    expect(row.rqueue).toBe(l.acceptQueue.length);
    for (const c of l.acceptQueue) expect(c.parent).toBe(l);
  }
}

describe('model properties', () => {
  for (const profile of ['linux-4.4', 'linux-6.x'] as const) {
    it(`random scripts keep the invariants (${profile})`, () => {
      let segments = 0;
      let resets = 0;
      fc.assert(
        fc.property(fc.tuple(fc.constantFrom(5000, 5001), fc.array(action, { minLength: 8, maxLength: 30 })).map(([p, a]): Action[] => [{ a: "listen", port: p, backlog: 1 }, ...a]), (script) => {
          const h = runScript(profile, script);
          const trace = h.k.sim.trace;
          for (const e of trace) {
            if (e.type === 'state') expect(LEGAL.has(`${e.from}>${e.to}`), `illegal ${e.from}>${e.to}`).toBe(true);
          }
          const fates = new Map<number, Extract<TraceEvent, { type: 'rcv' }>>();
          for (const e of trace) if (e.type === 'rcv') fates.set(e.segId, e);
          for (const e of trace) {
            if (e.type !== 'xmit') continue;
            segments++;
            if (e.seg.flags & 4) resets++;
            const f = fates.get(e.seg.id);
            expect(f, `segment ${e.seg.id} has no fate`).toBeDefined();
            if (f!.verdict === 'dropped') expect(f!.reason).toBeTruthy();
          }
        }),
        { numRuns: 100, seed: 20161123 },
      );
      // the scripts really exercise the stack: handshakes, closes and resets happen
      expect(segments).toBeGreaterThan(500);
      expect(resets).toBeGreaterThan(5);
    });
  }
});
