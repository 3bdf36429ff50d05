/** Test helpers: drive the model with small syscall scripts, as a C test program would. */
import { createHost, type HostOptions } from '../../src/model/index.ts';
import type { ProgramCtx, Sys } from '../../src/model/process.ts';
import { TH_ACK, TH_FIN, TH_RST, TH_SYN, type Segment } from '../../src/model/types.ts';
import type { TcpSock } from '../../src/model/sock.ts';

export const LO = 0x7f000001;
export const ms = (x: number): number => Math.round(x * 1e6);
export const sec = (x: number): number => Math.round(x * 1e9);

/**
 * A host for a test. `maxEvents` bounds the events all of its run() calls may take together: a
 * model that keeps answering itself (an ACK/RST loop, say) then fails the test at once, saying
 * when, instead of running until the test times out.
 */
export function host(o: Partial<HostOptions> & { profile: HostOptions['profile']; maxEvents?: number }) {
  const { maxEvents = Infinity, ...opts } = o;
  const h = createHost({ seed: 7, ...opts });
  const { k, procs } = h;
  const results = new Map<string, unknown>();
  /** Start a scripted program; `log(name, value)` records results for assertions. */
  function start(name: string, body: (log: (key: string, v: unknown) => void, ctx: ProgramCtx) => Generator<Sys, number, any>, pid?: number) {
    procs.programs.set(name, (ctx) => body((key, v) => results.set(key, v), ctx));
    return procs.spawn(name, [name], { pid })!;
  }
  const segs = (): Segment[] => k.sim.trace.flatMap((e) => (e.type === 'xmit' ? [e.seg] : []));
  const xmits = () => k.sim.trace.flatMap((e) => (e.type === 'xmit' ? [{ t: e.t, seg: e.seg }] : []));
  let ran = 0;
  const run = (until: number): void => {
    if (maxEvents === Infinity) return k.sim.runUntil(until);
    ran += k.sim.runUntilAtMost(until, maxEvents - ran + 1);
    if (ran > maxEvents) throw new Error(`the model ran more than ${maxEvents.toLocaleString('en-US')} events by t=${(k.now / 1e9).toFixed(6)} s: something answers itself forever (last: ${JSON.stringify(k.sim.trace.at(-1))})`);
  };
  return { ...h, start, results, segs, xmits, run };
}

export function flagStr(f: number): string {
  let s = '';
  if (f & TH_FIN) s += 'F';
  if (f & TH_SYN) s += 'S';
  if (f & TH_RST) s += 'R';
  if (f & TH_ACK) s += '.';
  return s;
}

/** A listening socket with SO_REUSEADDR and SO_REUSEPORT, as netcat-openbsd sets up. */
export function* listener(port: number, backlog: number): Generator<Sys, number, any> {
  const fd: number = yield { op: 'socket' };
  yield { op: 'setsockopt', fd, opt: 'SO_REUSEADDR', val: 1 };
  yield { op: 'setsockopt', fd, opt: 'SO_REUSEPORT', val: 1 };
  const b: number = yield { op: 'bind', fd, addr: 0, port };
  if (b < 0) return b;
  const l: number = yield { op: 'listen', fd, backlog };
  return l < 0 ? l : fd;
}

/** A server that accepts one connection on `port` and then waits (pause()) with it open. */
export function* acceptOne(port: number): Generator<Sys, number, any> {
  const l: number = yield* listener(port, 1);
  yield { op: 'accept', fd: l };
  yield { op: 'pause' };
  return 0;
}

/** socket(), optional bind(port), connect(): returns [fd, connect result]. */
export function* client(port: number, bindPort = 0): Generator<Sys, [number, number], any> {
  const fd: number = yield { op: 'socket' };
  if (bindPort) {
    const b: number = yield { op: 'bind', fd, addr: 0, port: bindPort };
    if (b < 0) return [fd, b];
  }
  const r: number = yield { op: 'connect', fd, addr: LO, port };
  return [fd, r];
}

/**
 * A listener on 12345 that never accepts (a stopped nc) and a client writing `writes` bytes,
 * each after `gapMs`, optionally with TCP_NODELAY; run for `untilMs`. Returns the accepted-to-be
 * child (the receiver), the receiver's replies without payload (the SYN-ACK first) and the
 * client's data segments.
 */
export function writesToStoppedListener(o: { profile: HostOptions['profile']; writes: number[]; gapMs: number; untilMs?: number; sysctl?: HostOptions['sysctl']; nodelay?: boolean }) {
  const h = host({ profile: o.profile, sysctl: o.sysctl });
  h.start('srv', function* () {
    yield* listener(12345, 1);
    yield { op: 'pause' };
    return 0;
  });
  h.run(ms(1));
  h.start('cli', function* () {
    const [fd] = yield* client(12345);
    if (o.nodelay) yield { op: 'setsockopt', fd, opt: 'TCP_NODELAY', val: 1 };
    for (const n of o.writes) {
      yield { op: 'nanosleep', ns: ms(o.gapMs) };
      yield { op: 'write', fd, data: new Uint8Array(n).fill(121) };
    }
    yield { op: 'pause' };
    return 0;
  });
  h.run(ms(o.untilMs ?? 1000));
  const rcv = [...h.k.socks.values()].find((s): s is TcpSock => s.kind === 'full' && s.sport === 12345 && s.state === 1)!;
  const acks = h.xmits().filter((x) => x.seg.sport === 12345 && x.seg.payload.length === 0 && x.seg.ack !== 0);
  const data = h.xmits().filter((x) => x.seg.dport === 12345 && x.seg.payload.length > 0);
  return { h, rcv, acks, data };
}
