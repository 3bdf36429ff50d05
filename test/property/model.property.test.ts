/**
 * Random action scripts through the whole model: processes listening, connecting (also from
 * reused ports), binding on ports in use, writing, closing, shutting down, stopping, resuming,
 * being killed; an interactive bash typed into (nc, ss, grep, sleep, loops, job control, ^C ^Z
 * ^D, kill of pids and jobs); time passing; sysctls varied within their valid ranges.
 *
 * Invariants: no exception; only legal TCP state transitions; Recv-Q of every listener equals
 * the children queued on it; every segment put on lo is accepted or dropped with a reason; every
 * syscall returns a non-negative value or -1 with an errno name; and the socket table folded from the
 * trace alone (sock-new, state, hash, sock-free) equals the live inet_diag dump after every
 * action (states, which sockets are visible, and their ports where the trace carries them), as a
 * reader scrubbing a replayed trace would see it.
 *
 * The seed is random each run and printed; replay a run with TCPLAB_PROPERTY_SEED=<seed>
 * (fast-check also prints the counterexample's path on failure).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { host, listener, client, ms, LO } from '../helpers/host.ts';
import { TCP_LISTEN, type TraceEvent } from '../../src/model/index.ts';
import type { Task } from '../../src/model/process.ts';
import { installUserland, startShell } from '../../src/userland/index.ts';

const ENV_SEED = process.env.TCPLAB_PROPERTY_SEED;
const SEED = ENV_SEED !== undefined && ENV_SEED !== '' ? Number(ENV_SEED) : (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) | 0;
const NUM_RUNS = Number(process.env.TCPLAB_PROPERTY_RUNS ?? 100);
console.log(`model property test: seed ${SEED} (replay: TCPLAB_PROPERTY_SEED=${SEED} npx vitest run test/property/model.property.test.ts)`);

// RFC 793 / Linux transitions (tcp_set_state callers), plus timewait substate changes.
const LEGAL = new Set([
  '7>10', '7>2', '10>7', '2>1', '2>7', '1>4', '1>8', '1>7', '4>5', '4>11', '4>7', '5>7', '5>6', '8>9', '8>7',
  '9>7', '11>7', '11>6', '6>7', '3>1', '3>4', '3>7',
]);

const PORTS = [5000, 5001, 5002] as const;

type End = 'hold' | 'close' | 'write-close' | 'shut-wr' | 'shut-rd' | 'shut-rdwr';

type Action =
  | { a: 'listen'; port: number; backlog: number; child: End }
  | { a: 'connect'; port: number; reuse: number; end: End }
  | { a: 'bind'; port: number; reuseaddr: boolean; then: 'listen' | 'connect' | 'close' }
  | { a: 'stop' | 'cont' | 'int' | 'kill' | 'term'; who: number }
  | { a: 'type'; line: string }
  | { a: 'key'; key: '^C' | '^Z' | '^D' | '^\\' }
  | { a: 'wait'; ms: number };

const end: fc.Arbitrary<End> = fc.constantFrom('hold', 'close', 'write-close', 'shut-wr', 'shut-rd', 'shut-rdwr');

/** What a user types into the shell: the grammar's programs, lists, loops and job control. */
const LINES = [
  'nc -l 5000', 'nc -l 5001', 'nc -v -l 5002', 'nc -k -l 5001', 'nc localhost 5000', 'nc -v localhost 5001', 'nc 127.0.0.1 5002',
  'nc -p 40000 localhost 5000', 'nc -v -p 40001 localhost 5001', 'ss -nat', 'ss -natp', 'ss -natpo', 'ss -nltp', 'ss -nat state listening',
  'ss -natp | grep 500', 'ss -nat | grep -v LISTEN', 'ss -nat | grep -E "ESTAB|TIME-WAIT"', 'sleep 1', 'sleep 0.2', 'echo hello', 'echo x | grep x',
  'true', 'jobs', 'fg', 'bg', 'fg %1', 'bg %2', 'kill %1', 'kill -9 %1', 'kill -STOP %1', 'kill -CONT %2', 'kill -TERM %%', 'kill 1',
  'while true; do ss -nat | grep 500; sleep 1; done', 'while true; do echo x; sleep 0.5; done', 'ss -nat; sleep 1; ss -nat',
  'tcpdump -i lo -w p.pcap', 'tcpdump -i lo -nn tcp port 5000', 'unknown-command', 'nc -q 1 localhost 5000', 'echo $(id)', '',
];

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ a: fc.constant('listen' as const), port: fc.constantFrom(...PORTS), backlog: fc.integer({ min: 0, max: 3 }), child: end }) },
  { weight: 4, arbitrary: fc.record({ a: fc.constant('connect' as const), port: fc.constantFrom(...PORTS), reuse: fc.integer({ min: -1, max: 5 }), end }) },
  { weight: 2, arbitrary: fc.record({ a: fc.constant('bind' as const), port: fc.constantFrom(5000, 5001, 40000, 40001, 40002), reuseaddr: fc.boolean(), then: fc.constantFrom('listen' as const, 'connect' as const, 'close' as const) }) },
  { weight: 3, arbitrary: fc.record({ a: fc.constantFrom('stop' as const, 'cont' as const, 'int' as const, 'kill' as const, 'term' as const), who: fc.nat(40) }) },
  { weight: 4, arbitrary: fc.record({ a: fc.constant('type' as const), line: fc.constantFrom(...LINES) }) },
  { weight: 2, arbitrary: fc.record({ a: fc.constant('key' as const), key: fc.constantFrom('^C' as const, '^Z' as const, '^Z' as const, '^C' as const, '^D' as const, '^\\' as const) }) },
  { weight: 3, arbitrary: fc.record({ a: fc.constant('wait' as const), ms: fc.constantFrom(1, 5, 300, 1100, 5000, 61000) }) },
);

/** Sysctls within the ranges both profiles' proc handlers accept, chosen to reach edge cases. */
const sysctls = fc.record(
  {
    'net.ipv4.tcp_fin_timeout': fc.constantFrom(1, 5, 60),
    'net.ipv4.tcp_syn_retries': fc.constantFrom(1, 2, 6),
    'net.ipv4.tcp_synack_retries': fc.constantFrom(0, 1, 5),
    'net.core.somaxconn': fc.constantFrom(0, 1, 4, 4096),
    'net.ipv4.tcp_max_syn_backlog': fc.constantFrom(1, 2, 128),
    'net.ipv4.tcp_abort_on_overflow': fc.constantFrom(0, 1),
    'net.ipv4.tcp_tw_reuse': fc.constantFrom(0, 1, 2),
    'net.ipv4.tcp_timestamps': fc.constantFrom(0, 1),
    'net.ipv4.tcp_sack': fc.constantFrom(0, 1),
    'net.ipv4.tcp_window_scaling': fc.constantFrom(0, 1),
    'net.ipv4.tcp_rfc1337': fc.constantFrom(0, 1),
    'net.ipv4.tcp_syncookies': fc.constantFrom(0, 1, 2),
    'net.ipv4.tcp_challenge_ack_limit': fc.constantFrom(1, 2, 1000),
    'net.ipv4.tcp_invalid_ratelimit': fc.constantFrom(0, 500),
    // a range of two ports exhausts quickly (EADDRNOTAVAIL); 40000.. collides with `nc -p` and bind actions
    'net.ipv4.ip_local_port_range': fc.constantFrom([40000, 40001], [40000, 40009], [32768, 60999]),
  },
  { requiredKeys: [] },
);

function* finish(fd: number, how: End, data: string): Generator<any, number, any> {
  if (how === 'hold') {
    for (;;) {
      // read() gives the bytes as a string, '' at end of file, or -errno
      const r: string | number = yield { op: 'read', fd };
      if (typeof r !== 'string' || r === '') return 0;
    }
  }
  if (how === 'write-close') yield { op: 'write', fd, data };
  if (how.startsWith('shut')) {
    yield { op: 'shutdown', fd, how: how === 'shut-rd' ? 0 : how === 'shut-wr' ? 1 : 2 };
    yield { op: 'read', fd };
    yield { op: 'write', fd, data };
  }
  yield { op: 'close', fd };
  return 0;
}

interface Row {
  state: number;
  hashed: boolean;
  sport: number;
  dport: number;
}

/** The events of one socket up to trace index `upto`, for failure messages. */
function history(trace: TraceEvent[], sock: number, upto: number): string {
  const out: string[] = [];
  for (let i = 0; i <= upto; i++) {
    const e = trace[i];
    if ('sock' in e && e.sock === sock && e.type !== 'xmit' && e.type !== 'rcv') out.push(`${e.type}@${e.t}${e.type === 'state' ? ` ${e.from}>${e.to}` : e.type === 'hash' ? ` ${e.hashed}` : ''}`);
  }
  if (process.env.TCPLAB_PROPERTY_DEBUG) for (const e of trace) if (Math.abs(e.t - trace[upto].t) < 5000) out.push(JSON.stringify(e).slice(0, 200));
  return out.join(', ');
}

/**
 * The socket table folded from the trace's events (what a replay of the trace knows), an instant
 * at a time: within one instant the model may announce a request sock's hashing just before the
 * sock itself (tcp_conn_request hashes it, then the sock-new event is emitted), so a `hash` of a
 * socket not yet announced waits for its `sock-new` of the same instant.
 */
function fold(table: Map<number, Row>, trace: TraceEvent[], from: number): void {
  const early = new Map<number, { hashed: boolean; t: number }>();
  for (let i = from; i < trace.length; i++) {
    const e = trace[i];
    if (e.type === 'sock-new') {
      const h = early.get(e.sock);
      if (h) expect(h.t, `socket ${e.sock} hashed at ${h.t} before it was created at ${e.t}`).toBe(e.t);
      early.delete(e.sock);
      table.set(e.sock, { state: e.state, hashed: h?.hashed ?? false, sport: e.sport, dport: e.dport });
    } else if (e.type === 'state') {
      const r = table.get(e.sock);
      expect(r, `state change of unknown socket ${e.sock}: ${history(trace, e.sock, i)}`).toBeDefined();
      expect(r!.state, `socket ${e.sock}: from ${e.from} but it was ${r!.state}`).toBe(e.from);
      r!.state = e.to;
    } else if (e.type === 'hash') {
      const r = table.get(e.sock);
      if (r) r.hashed = e.hashed;
      else early.set(e.sock, { hashed: e.hashed, t: e.t });
    } else if (e.type === 'sock-free') table.delete(e.sock);
  }
  expect([...early.keys()].map((s) => `hash of unknown socket ${s}: ${history(trace, s, trace.length - 1)}`)).toEqual([]);
}

function runScript(profile: 'linux-4.4' | 'linux-6.x', sysctl: Record<string, number | number[]>, script: Action[]) {
  const h = host({ profile, sysctl, maxEvents: 1_000_000 });
  installUserland(h.procs, h.k.profile, { user: 'root', hostname: 'lab' });
  const sh = startShell(h.procs, h.k.profile, 'sh', { user: 'root', hostname: 'lab', history: 1 })!;
  const tty = h.procs.tty('sh');
  const tasks: Task[] = [sh];
  const ports: number[] = [];
  const replayed = new Map<number, Row>();
  let folded = 0;
  let n = 0;
  for (const act of script) {
    if (act.a === 'listen') {
      tasks.push(h.start(`l${n++}`, function* () {
        const fd: number = yield* listener(act.port, act.backlog);
        if (fd < 0) return 1;
        for (;;) {
          const c: number = yield { op: 'accept', fd };
          if (c < 0) return 1;
          if (act.child === 'hold') continue;
          yield { op: 'read', fd: c };
          yield* finish(c, act.child, 'bye\n');
        }
      }));
    } else if (act.a === 'connect') {
      const bindPort = act.reuse >= 0 && ports.length ? ports[act.reuse % ports.length] : 0;
      tasks.push(h.start(`c${n++}`, function* () {
        const [fd, r] = yield* client(act.port, bindPort);
        if (r < 0) return 1;
        const row = h.k.inetDiagDump().find((x) => x.dport === act.port && x.state !== TCP_LISTEN);
        if (row) ports.push(row.sport);
        return yield* finish(fd, act.end, 'hello\n');
      }));
    } else if (act.a === 'bind') {
      tasks.push(h.start(`b${n++}`, function* () {
        const fd: number = yield { op: 'socket' };
        if (act.reuseaddr) yield { op: 'setsockopt', fd, opt: 'SO_REUSEADDR', val: 1 };
        const b: number = yield { op: 'bind', fd, addr: 0, port: act.port };
        if (b === 0 && act.then === 'listen') {
          const l: number = yield { op: 'listen', fd, backlog: 1 };
          if (l === 0) yield { op: 'accept', fd };
        } else if (act.then === 'connect') {
          const r: number = yield { op: 'connect', fd, addr: LO, port: 5000 };
          if (r === 0) yield { op: 'read', fd };
        }
        yield { op: 'close', fd };
        return 0;
      }));
    } else if (act.a === 'type') {
      h.procs.ttyType(tty, act.line + '\n');
    } else if (act.a === 'key') {
      h.procs.ttyKey(tty, act.key);
    } else if (act.a === 'wait') {
      h.run(h.k.now + ms(act.ms));
    } else {
      // a signal to one of our programs, the shell, or whatever the shell started (by pid)
      const all = [...h.procs.tasks.values()];
      const t = act.who % 2 ? tasks[act.who % tasks.length] : all[act.who % all.length];
      const sig = ({ stop: 'SIGSTOP', cont: 'SIGCONT', int: 'SIGINT', kill: 'SIGKILL', term: 'SIGTERM' } as const)[act.a];
      if (t && t.state !== 'zombie') h.procs.signal(t, sig);
    }
    h.run(h.k.now + ms(0.2));
    checkQueues(h.k);
    fold(replayed, h.k.sim.trace, folded);
    folded = h.k.sim.trace.length;
    checkReplay(h.k, replayed);
  }
  h.run(h.k.now + ms(300_000));
  fold(replayed, h.k.sim.trace, folded);
  checkReplay(h.k, replayed);
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

/** Every dumped socket is hashed in the replay with the same state and ports, and vice versa. */
function checkReplay(k: ReturnType<typeof host>['k'], replayed: Map<number, Row>): void {
  const live = new Map(k.inetDiagDump().map((r) => [r.sockId, r]));
  for (const [id, r] of live) {
    const x = replayed.get(id);
    expect(x, `dumped socket ${id} unknown to the trace`).toBeDefined();
    // a socket made by socket() is announced before bind()/connect() give it its ports: the
    // trace knows the ports of children, request and timewait socks only
    const ports = x!.sport ? { sport: r.sport, dport: r.dport } : { sport: 0, dport: 0 };
    expect({ id, state: x!.state, hashed: x!.hashed, sport: x!.sport, dport: x!.dport }).toEqual({ id, state: r.state, hashed: true, ...ports });
  }
  for (const [id, x] of replayed) if (x.hashed) expect(live.has(id), `socket ${id} hashed in the trace but not dumped`).toBe(true);
}

/**
 * Counterexamples found by earlier runs, run first every time. 1: a client half-closed by
 * shutdown(SHUT_RD) whose listener is killed ends in a FIN-WAIT-2 timewait socket with rcv_nxt past
 * 2^31; the RST that follows is at rcv_nxt, but a signed/unsigned comparison in tcp_in_window()
 * took it for out of window, and with tcp_invalid_ratelimit 0 its ACK and the RST it drew
 * answered each other forever (probes/tcp_timewait_state_process-finwait2-rst-high-seq.pkt).
 */
const EXAMPLES: [Record<string, number | number[]>, Action[]][] = [
  [{ 'net.ipv4.tcp_invalid_ratelimit': 0 }, [
    { a: 'listen', port: 5000, backlog: 1, child: 'close' }, { a: 'listen', port: 5001, backlog: 0, child: 'hold' },
    { a: 'connect', port: 5001, reuse: 0, end: 'shut-rd' }, { a: 'wait', ms: 300 }, { a: 'kill', who: 14 },
    { a: 'bind', port: 5000, reuseaddr: false, then: 'listen' }, { a: 'connect', port: 5000, reuse: 0, end: 'hold' },
    { a: 'type', line: 'nc -l 5000' }, { a: 'connect', port: 5000, reuse: 0, end: 'hold' }, { a: 'type', line: 'nc -l 5000' },
    { a: 'wait', ms: 1 }, { a: 'type', line: 'nc -l 5000' },
  ]],
];

describe('model properties', () => {
  for (const profile of ['linux-4.4', 'linux-6.x'] as const) {
    it(`random scripts keep the invariants (${profile})`, () => {
      let segments = 0;
      let resets = 0;
      let shellOutput = 0;
      const errnos = new Set<string>();
      const calls = new Set<string>();
      const extra = profile === 'linux-6.x' ? { 'net.ipv4.tcp_syn_linear_timeouts': fc.constantFrom(0, 4) } : {};
      const sysctlArb = fc.tuple(sysctls, fc.record(extra, { requiredKeys: [] })).map(([a, b]) => ({ ...a, ...b }) as Record<string, number | number[]>);
      const scriptArb = fc.tuple(fc.constantFrom(...PORTS), fc.array(action, { minLength: 8, maxLength: 30 })).map(([p, a]): Action[] => [{ a: 'listen', port: p, backlog: 1, child: 'close' }, ...a]);
      fc.assert(
        fc.property(sysctlArb, scriptArb, (sysctl, script) => {
          const t0 = performance.now();
          const h = runScript(profile, sysctl, script);
          if (process.env.TCPLAB_PROPERTY_DEBUG && performance.now() - t0 > 200) console.log(`${(performance.now() - t0).toFixed(0)} ms, ${h.k.sim.trace.length} events: ${JSON.stringify(sysctl)} ${JSON.stringify(script)}`);
          const trace = h.k.sim.trace;
          for (const e of trace) {
            if (e.type === 'state') expect(LEGAL.has(`${e.from}>${e.to}`), `illegal ${e.from}>${e.to}`).toBe(true);
            if (e.type === 'syscall') {
              calls.add(e.call);
              expect(Number.isInteger(e.ret) && e.ret >= -1, `${e.call} returned ${e.ret}`).toBe(true);
              if (e.ret < 0) {
                expect(e.errno ?? '', `${e.call}: errno ${e.errno}`).toMatch(/^E[A-Z0-9]+$/);
                errnos.add(`${e.call}:${e.errno}`);
              }
            }
            if (e.type === 'output' && e.tty === 'sh') shellOutput += e.text.length;
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
        { numRuns: NUM_RUNS, seed: SEED, examples: profile === 'linux-6.x' ? EXAMPLES : [] },
      );
      // the scripts really exercise the stack and the shell: handshakes, closes, resets, bind
      // conflicts, shutdowns, and command lines typed into bash
      expect(segments).toBeGreaterThan(300);
      expect(resets).toBeGreaterThan(5);
      expect(shellOutput).toBeGreaterThan(1000);
      expect(calls).toContain('shutdown');
      expect([...errnos].some((x) => x.startsWith('bind:EADDRINUSE')), [...errnos].join(' ')).toBe(true);
    });
  }
});
