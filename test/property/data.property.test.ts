/**
 * Random conversations between two sockets over lo (issue 17): each side writes chunks of a
 * byte stream of its own (non-blocking writes that return what the send buffer took), reads
 * with random counts, sleeps (a reader that stops), may set TCP_NODELAY, shuts down its
 * sending side, or closes its socket early (with or without unread data), and at the end
 * finishes its writes, shuts down, reads to EOF and closes. A third process sends signals to
 * the two sides at random moments: SIGSTOP and SIGCONT (a stopped reader and writer: the
 * kernel keeps acking and closing windows), SIGTERM and SIGKILL (exit closes the socket: a
 * FIN after the queued data, or a RST when data was left unread, tcp_close()); a side that
 * writes after a RST gets ECONNRESET, then EPIPE with SIGPIPE, which kills it (sk_stream_error()).
 * Buffers are varied (tcp_rmem/tcp_wmem from a few KB, where windows close and writes fill the
 * send buffer all the time, to the defaults), on both profiles.
 *
 * Invariants:
 *  - what each side reads is a prefix of what the other side's writes returned (no byte lost
 *    in the middle, repeated or out of order); a side that read EOF (a read returning 0
 *    before any error: the peer's FIN, which follows all its data) read exactly all of it;
 *  - a connection where nobody closed with unread data, was killed or stopped reading early
 *    ends in EOF on both sides, with no RST sent (TCPAbortOn* counters stay 0);
 *  - at every step Recv-Q (rcv_nxt - copied_seq) and Send-Q (write_seq - snd_una) are never
 *    negative, sk_wmem_queued is the write queue's truesize and never above what was written;
 *  - at the end the kernel's counters agree with the programs': write_seq advanced by what the
 *    writes returned (plus a FIN), copied_seq by what the reads returned (plus the FIN read),
 *    bytes_received is between what was read and what was written, nothing was acked that
 *    was not received; a side that ended cleanly has everything acked, its write queue
 *    empty and nothing left to read; every socket is gone or in TIME_WAIT 3 minutes later.
 *
 * Half the conversations place one side's ISN a few bytes to 200 KB short of 2^32, so that its
 * stream (and the other side's acks, SACK blocks and copied_seq) wraps around mid-conversation:
 * the host's wall clock is moved, which moves every ISN (secure_tcp_seq()'s seq_scale() adds
 * ktime_get_real_ns() >> 6), after a first run of the same handshake tells the ISN it gives.
 *
 * The seed is random each run and printed; replay with TCPLAB_PROPERTY_SEED=<seed> (and a failure's
 * TCPLAB_PROPERTY_PATH=<path> for its shrunk counterexample alone).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { host, listener, client, ms } from '../helpers/host.ts';
import type { TcpSock } from '../../src/model/sock.ts';
import type { ProgramCtx, Task } from '../../src/model/process.ts';
import { tcpSkbHeadTruesize } from '../../src/model/tcp_output.ts';
import { EAGAIN, ECONNRESET, ENOTCONN, EPIPE } from '../../src/model/errno.ts';

const ENV_SEED = process.env.TCPLAB_PROPERTY_SEED;
const SEED = ENV_SEED !== undefined && ENV_SEED !== '' ? Number(ENV_SEED) : (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) | 0;
const NUM_RUNS = Number(process.env.TCPLAB_PROPERTY_RUNS ?? 100);
console.log(`data property test: seed ${SEED} (replay: TCPLAB_PROPERTY_SEED=${SEED} npx vitest run test/property/data.property.test.ts)`);

const O_NONBLOCK = 0o4000;
const POLLIN = 0x1;
const POLLOUT = 0x4;
const TCP_CLOSE = 7;
const TCP_TIME_WAIT = 6;

type Op = { w: number } | { r: number } | { sleep: number } | { poll: number } | { nodelay: true } | { shut: true } | { close: true };
/** The signal sender's ops: sleep, or send a signal to one side (0 the client, 1 the server). */
type SigOp = { sleep: number } | { to: 0 | 1; sig: 'SIGSTOP' | 'SIGCONT' | 'SIGTERM' | 'SIGKILL' };

/** Byte i of side `salt`'s stream: printable ASCII (a read returns text). */
const byteAt = (salt: number, i: number) => 33 + ((i * 31 + salt * 7 + (i >> 9)) % 90);
const STREAMS = [1, 2].map((salt) => Uint8Array.from({ length: 12 * 150_000 + 1 }, (_, i) => byteAt(salt, i)));
const stream = (salt: number, from: number, n: number) => STREAMS[salt - 1].subarray(from, from + n);

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 10, arbitrary: fc.integer({ min: 1, max: 150_000 }).map((w) => ({ w })) },
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 100_000 }).map((r) => ({ r })) },
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 600 }).map((sleep) => ({ sleep })) },
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 300 }).map((poll) => ({ poll })) },
  { weight: 2, arbitrary: fc.constant({ nodelay: true as const }) },
  { weight: 2, arbitrary: fc.constant({ shut: true as const }) },
  { weight: 1, arbitrary: fc.constant({ close: true as const }) },
);
const sigOpArb: fc.Arbitrary<SigOp> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 800 }).map((sleep) => ({ sleep })) },
  { weight: 3, arbitrary: fc.constantFrom<0 | 1>(0, 1).map((to) => ({ to, sig: 'SIGSTOP' as const })) },
  { weight: 3, arbitrary: fc.constantFrom<0 | 1>(0, 1).map((to) => ({ to, sig: 'SIGCONT' as const })) },
  { weight: 1, arbitrary: fc.constantFrom<0 | 1>(0, 1).map((to) => ({ to, sig: 'SIGTERM' as const })) },
  { weight: 1, arbitrary: fc.constantFrom<0 | 1>(0, 1).map((to) => ({ to, sig: 'SIGKILL' as const })) },
);
/** Which side's stream wraps, and how many of its bytes come before 2^32 (null: the default clock). */
const wrapArb = fc.option(fc.record({ side: fc.constantFrom<0 | 1>(0, 1), before: fc.integer({ min: 0, max: 200_000 }) }), { freq: 2 });
/** The Kernel's default wall clock at boot, in µs (HostOptions.realtimeBaseNs / 1000). */
const BASE_US = 1_462_000_000_000_000;

/** Each side's socket, taken from its fd table (it stays readable after close). */
function sockOf(ctx: ProgramCtx, fd: number): TcpSock {
  const f = ctx.procs.tasks.get(ctx.pid)!.fds.get(fd)!;
  if (f.kind !== 'sock') throw new Error('not a socket');
  return f.sk;
}

/**
 * The server and client start of every conversation: a listener on 5000 and, 1 ms later, a
 * client. Returns both sockets once they exist (the run is deterministic: a second host started
 * the same way gets the same ports, times and ISNs).
 */
type Body = (fd: number, sk: TcpSock) => Generator<any, number, any>;
function handshake(h: ReturnType<typeof host>, srvBody: Body, cliBody: Body) {
  const socks: { cs: TcpSock | null; ss: TcpSock | null } = { cs: null, ss: null };
  const srvTask = h.start('srv', function* (_log, ctx) {
    const l: number = yield* listener(5000, 5);
    const fd: number = yield { op: 'accept', fd: l };
    socks.ss = sockOf(ctx, fd);
    yield { op: 'close', fd: l };
    return yield* srvBody(fd, socks.ss);
  });
  h.run(ms(1));
  const cliTask = h.start('cli', function* (_log, ctx) {
    const [fd, r] = yield* client(5000);
    expect(r).toBe(0);
    socks.cs = sockOf(ctx, fd);
    return yield* cliBody(fd, socks.cs);
  });
  for (let t = 1; (!socks.cs || !socks.ss) && t < 50; t++) h.run(ms(t));
  if (!socks.cs || !socks.ss) throw new Error('no connection');
  return { cs: socks.cs as TcpSock, ss: socks.ss as TcpSock, cliTask, srvTask };
}

/** The wall clock (ns) that puts `side`'s ISN `before` bytes (within 16) short of 2^32: ISN + 1 + before = 2^32. */
function clockForWrap(profile: 'linux-4.4' | 'linux-6.x', sysctl: Record<string, unknown>, wrap: { side: 0 | 1; before: number }): number {
  const idle = function* (): Generator<any, number, any> { return 0; };
  const { cs, ss } = handshake(host({ profile, sysctl: sysctl as never }), idle, idle);
  const isn = (wrap.side === 0 ? cs : ss).isn >>> 0;
  const delta = (2 ** 32 - 1 - wrap.before - isn + 2 ** 33) % 2 ** 32; // seq units, 64 ns each
  return (BASE_US + Math.round((delta * 64) / 1000)) * 1000;
}

const bufArb = fc.oneof(
  fc.constant<[number, number, number] | null>(null),
  fc.integer({ min: 8192, max: 65536 }).map((n): [number, number, number] => [n, n, n]),
);

interface Side {
  /** Bytes the writes returned, and the reads' results in order. */
  sent: number;
  got: string[];
  /** shutdown(SHUT_WR) done; read 0 before any error; a read or write failed (the first error); the fd closed. */
  shut: boolean;
  eof: boolean;
  err: number;
  closed: boolean;
  /** Closed the socket, or stopped reading, before EOF (a RST may follow: the peer's data is not all read). */
  early: boolean;
  /** The program ran to its end (it was not killed). */
  finished: boolean;
  /** Its close() found data unread and sent a RST. */
  abortedOnClose: boolean;
  /** The size of a write whose result has not come back (a program killed meanwhile never learns what it took). */
  inflight: number;
  /** Its socket, and the kernel's MIB counters. */
  sock: { sk: TcpSock; mib: Record<string, number> } | null;
}
const newSide = (): Side => ({ sent: 0, got: [], shut: false, eof: false, err: 0, closed: false, early: false, finished: false, abortedOnClose: false, inflight: 0, sock: null });
const gotLen = (s: Side) => s.got.reduce((n, g) => n + g.length, 0);

/** One side's program: the random ops, then finish writing, shut down, read to EOF, close. */
function* side(fd: number, salt: number, ops: Op[], planned: number, me: Side): Generator<any, void, any> {
  yield { op: 'fcntl', fd, cmd: 'F_SETFL', arg: O_NONBLOCK };
  const fail = (what: string, r: number) => {
    // what a peer's RST, or an orphan's RST to data after close, gives: once ECONNRESET, then EPIPE (write) or 0 (read)
    if (r !== -ECONNRESET && r !== -EPIPE && !(what === 'shutdown' && r === -ENOTCONN)) throw new Error(`${what}: ${r}`);
    if (!me.err) me.err = -r;
  };
  const drain = function* (count: number): Generator<any, void, any> {
    const r = yield count ? { op: 'read', fd, count } : { op: 'read', fd };
    if (typeof r === 'string') {
      if (r.length === 0 && !me.err) me.eof = true;
      me.got.push(r);
    } else if (r !== -EAGAIN) fail('read', r);
  };
  const done = () => me.eof || me.err !== 0 || (me.got.length > 0 && me.got[me.got.length - 1] === '');
  const write = function* (n: number): Generator<any, void, any> {
    // a signal that kills the program while the call returns loses its result: the kernel took up to n bytes
    me.inflight = n;
    const r = yield { op: 'write', fd, data: stream(salt, me.sent, n) };
    me.inflight = 0;
    if (r > 0) me.sent += r;
    else if (r !== -EAGAIN) fail('write', r);
  };
  const shutWr = function* (): Generator<any, void, any> {
    if (me.shut) return;
    const r = yield { op: 'shutdown', fd, how: 1 };
    if (r !== 0) fail('shutdown', r);
    me.shut = true;
  };
  const close = function* (): Generator<any, void, any> {
    if (!done()) me.early = true;
    // tcp_close(): data left unread (the FIN not counted) is dropped and answered with a RST (TCPAbortOnClose)
    const { sk, mib } = me.sock!;
    const unread = ((sk.rcvNxt - sk.copiedSeq) | 0) - (sk.finQueued ? 1 : 0);
    const aborts = mib.TCPAbortOnClose ?? 0;
    expect(yield { op: 'close', fd }).toBe(0);
    if (unread > 0) {
      expect({ aborts: (mib.TCPAbortOnClose ?? 0) - aborts, state: sk.state }).toEqual({ aborts: 1, state: TCP_CLOSE });
      me.abortedOnClose = true;
    }
    me.closed = true;
  };
  for (const o of ops) {
    if ('w' in o) {
      if (!me.shut && !me.err) yield* write(o.w);
    } else if ('r' in o) {
      if (!done()) yield* drain(o.r);
    } else if ('sleep' in o) yield { op: 'nanosleep', ns: ms(o.sleep) };
    else if ('poll' in o) {
      // as netcat does: poll() for input and for room to write, then read and write what it reported.
      // tcp_poll() and the calls agree: POLLIN means a read will not say EAGAIN, POLLOUT (sk_stream_is_writeable():
      // free space >= half of sk_wmem_queued) that a write takes at least a byte (sk_stream_memory_free())
      const wantOut = !me.shut && !me.err && me.sent < planned;
      const p = yield { op: 'poll', fds: [{ fd, events: POLLIN | (wantOut ? POLLOUT : 0) }], timeoutMs: o.poll };
      const rev: number = p.revents[0];
      if (rev & POLLIN && !done()) {
        const n = me.got.length;
        yield* drain(0);
        if (me.got.length === n && !me.err) expect('read after POLLIN').toBe('not EAGAIN');
      }
      if (rev & POLLOUT && wantOut && !me.err) {
        const n = me.sent;
        yield* write(planned - me.sent);
        if (me.sent === n && !me.err) expect('write after POLLOUT').toBe('not EAGAIN');
      }
    } else if ('nodelay' in o) yield { op: 'setsockopt', fd, opt: 'TCP_NODELAY', val: 1 };
    else if ('close' in o) {
      yield* close();
      me.finished = true;
      return;
    } else yield* shutWr();
  }
  // finish: whatever was planned but not taken, reading meanwhile (the peer may be writing too)
  while (!me.shut && !me.err && me.sent < planned) {
    yield* write(planned - me.sent);
    if (!done()) yield* drain(0);
    yield { op: 'nanosleep', ns: ms(1) };
  }
  yield* shutWr();
  while (!done()) {
    yield* drain(0);
    if (!done()) yield { op: 'nanosleep', ns: ms(2) };
  }
  yield* close();
  me.finished = true;
}

/** sk_wmem_queued is the write queue's truesize: each skb's payload plus its head (tcpSkbHeadTruesize(): 832 on 6.x, 0 on 4.4). */
function checkSock(sk: TcpSock, written: number, head: number): void {
  const rq = (sk.rcvNxt - sk.copiedSeq) | 0;
  const wq = (sk.writeSeq - sk.sndUna) | 0;
  let queued = 0;
  for (const s of sk.writeQueue) queued += s.data.length + head;
  // (plain checks: expect() on every step of every run costs more than the model)
  if (rq < 0 || wq < 0 || sk.wmemQueued !== queued || sk.wmemQueued - head * sk.writeQueue.length > written || sk.sendHead > sk.writeQueue.length)
    expect({ rq, wq, wmemQueued: sk.wmemQueued, queued, written, sendHead: sk.sendHead, len: sk.writeQueue.length }).toBe('consistent');
}

/** What a side read is a prefix of what the other side wrote; all of it when it read EOF. */
function checkStream(reader: Side, writer: Side, salt: number): void {
  const got = Buffer.from(reader.got.join(''), 'latin1');
  expect(got.length).toBeLessThanOrEqual(writer.sent + writer.inflight);
  expect(got.equals(Buffer.from(stream(salt, 0, got.length)))).toBe(true);
  if (reader.eof) expect(got.length).toBeGreaterThanOrEqual(writer.sent);
}

describe('data transfer between two sockets over lo (random conversations with close and signals)', () => {
  it('never loses, repeats or reorders a byte; queues never negative; counters consistent at the end', () => {
    let clean = 0;
    let aborted = 0;
    let killed = 0;
    let abortsOnClose = 0;
    let sigpipes = 0;
    let wrapped = 0;
    fc.assert(
      fc.property(
        fc.constantFrom<'linux-4.4' | 'linux-6.x'>('linux-4.4', 'linux-6.x'),
        bufArb,
        bufArb,
        fc.array(opArb, { maxLength: 12 }),
        fc.array(opArb, { maxLength: 12 }),
        fc.array(sigOpArb, { maxLength: 8 }),
        wrapArb,
        (profile, rmem, wmem, cliOps, srvOps, sigOps, wrap) => {
          const sysctl: Record<string, unknown> = {};
          if (rmem) sysctl['net.ipv4.tcp_rmem'] = rmem;
          if (wmem) sysctl['net.ipv4.tcp_wmem'] = wmem;
          const realtimeBaseNs = wrap ? clockForWrap(profile, sysctl, wrap) : undefined;
          const h = host({ profile, sysctl: sysctl as never, maxEvents: 1_000_000, realtimeBaseNs });
          const planned = (ops: Op[]) => ops.reduce((n, o) => n + ('w' in o ? o.w : 0), 0);
          const cli = newSide();
          const srv = newSide();
          // the signals start once both ends have their socket (a client killed in connect() would leave the server in accept())
          const { cs, ss, cliTask, srvTask } = handshake(
            h,
            function* (fd, sk) {
              srv.sock = { sk, mib: h.k.mib };
              yield* side(fd, 2, srvOps, planned(srvOps), srv);
              return 0;
            },
            function* (fd, sk) {
              cli.sock = { sk, mib: h.k.mib };
              yield* side(fd, 1, cliOps, planned(cliOps), cli);
              return 0;
            },
          );
          if (wrap) {
            // the clock put the chosen side's ISN where the test wanted it
            const end = ((wrap.side === 0 ? cs : ss).isn + 1 + wrap.before) >>> 0;
            expect(Math.min(end, 2 ** 32 - end)).toBeLessThanOrEqual(16);
          }
          const tasks: Task[] = [cliTask, srvTask];
          h.start('kill', function* () {
            for (const o of sigOps) {
              if ('sleep' in o) yield { op: 'nanosleep', ns: ms(o.sleep) };
              else yield { op: 'kill', pid: tasks[o.to].pid, sig: o.sig };
            }
            // no side stays stopped: both finish
            for (const t of tasks) yield { op: 'kill', pid: t.pid, sig: 'SIGCONT' };
            return 0;
          });
          const over = () => tasks.every((t) => t.state === 'zombie');
          for (let t = h.k.now / ms(1) + 1; !over() && t < 60_000; t += 20) {
            h.run(ms(t));
            checkSock(cs, cli.sent + cli.inflight, tcpSkbHeadTruesize(h.k));
            checkSock(ss, srv.sent + srv.inflight, tcpSkbHeadTruesize(h.k));
          }
          if (process.env.TCPLAB_DATA_DEBUG)
            console.log(
              profile, rmem, wmem, JSON.stringify({ cliOps, srvOps, sigOps }),
              ...[cli, srv].map(({ got, sock, ...me }, i) => ({ ...me, got: gotLen({ got } as Side), state: sock?.sk.state, task: tasks[i].state, exit: tasks[i].exitStatus })),
              (h.k.now / 1e9).toFixed(1), h.k.mib,
            );
          expect(over()).toBe(true);
          const [csk, ssk]: [TcpSock, TcpSock] = [cs, ss];
          // a killed side is one that did not finish its program
          for (const [t, me] of [[cliTask, cli], [srvTask, srv]] as const) expect(me.finished).toBe(t.exitStatus?.kind === 'exited');
          checkStream(cli, srv, 2);
          checkStream(srv, cli, 1);
          const rsts = (h.k.mib.TCPAbortOnClose ?? 0) + (h.k.mib.TCPAbortOnData ?? 0) + (h.k.mib.TCPAbortOnLinger ?? 0);
          if (cli.finished && srv.finished && !cli.early && !srv.early) {
            // nobody left data unread: an orderly conversation, each side read all the other wrote
            clean++;
            expect({ cliEof: cli.eof, srvEof: srv.eof, rsts }).toEqual({ cliEof: true, srvEof: true, rsts: 0 });
          } else if (rsts) aborted++;
          if (!cli.finished || !srv.finished) killed++;
          if (cli.abortedOnClose || srv.abortedOnClose) abortsOnClose++;
          if (tasks.some((t) => t.exitStatus?.kind === 'signaled' && t.exitStatus.sig === 'SIGPIPE')) sigpipes++;
          h.run(h.k.now + ms(50));
          // a stream that passed 2^32: write_seq (u32) is now below the ISN
          if ([cs, ss].some((sk) => sk.writeSeq >>> 0 < sk.isn >>> 0)) wrapped++;
          for (const [sk, me, peer, peerSk] of [[csk, cli, srv, ssk], [ssk, srv, cli, csk]] as const) {
            // the kernel's counters and the programs' (every counter is int32 sequence arithmetic from the ISNs)
            // (a program killed as a call returned never saw its result: its write took up to `inflight` more
            // bytes, its read consumed data, or the FIN, it never got)
            const written = (sk.writeSeq - sk.isn - 1) | 0;
            expect(written - me.sent).toBeGreaterThanOrEqual(0);
            expect(written - me.sent).toBeLessThanOrEqual(1 + me.inflight); // the FIN
            const copied = (sk.copiedSeq - peerSk.isn - 1) | 0;
            if (me.finished) expect(copied - gotLen(me)).toBe(me.eof ? 1 : 0); // read() moves copied_seq past the FIN it reports
            else expect(copied - gotLen(me)).toBeGreaterThanOrEqual(me.eof ? 1 : 0);
            expect(sk.bytesReceived).toBeGreaterThanOrEqual(gotLen(me));
            expect(sk.bytesReceived).toBeLessThanOrEqual(peer.sent + peer.inflight + 1); // tcp_rcv_nxt_update() counts the FIN too
            // nothing acked that was not received, but a FIN a FIN_WAIT2 mini-socket acked after the full socket was gone
            // (tcp_close() of an orphan in FIN_WAIT2: tcp_time_wait(sk, TCP_FIN_WAIT2, tmo); tcp_timewait_state_process())
            if (peerSk.bytesAcked > sk.bytesReceived) expect({ over: peerSk.bytesAcked - sk.bytesReceived, state: sk.state }).toEqual({ over: 1, state: TCP_CLOSE });
            if (me.finished && peer.finished && !me.early && !peer.early) {
              expect(sk.sndUna).toBe(sk.writeSeq);
              expect(sk.bytesAcked).toBe(me.sent + 1); // the data and the FIN
              expect(sk.writeQueue.length).toBe(0);
              expect(sk.wmemQueued).toBe(0);
              expect(sk.rcvNxt).toBe(sk.copiedSeq);
            }
          }
          // FIN_WAIT2's 60 s, TIME_WAIT's 60 s, an orphan's retransmissions or probes (tcp_orphan_retries): all over in 3 minutes
          h.run(h.k.now + 180_000 * ms(1));
          for (const sk of [csk, ssk]) expect([TCP_CLOSE, TCP_TIME_WAIT]).toContain(sk.state);
          expect([...h.k.socks.values()].filter((s) => s.kind === 'full' && s.state !== TCP_CLOSE).length).toBe(0);
        },
      ),
      { seed: SEED, numRuns: NUM_RUNS, ...(process.env.TCPLAB_PROPERTY_PATH ? { path: process.env.TCPLAB_PROPERTY_PATH } : {}) },
    );
    console.log(`data property test: ${NUM_RUNS} runs, ${clean} orderly, ${aborted} with a RST (${abortsOnClose} from a close() with data unread), ${killed} with a side killed (${sigpipes} by SIGPIPE), ${wrapped} with a stream past 2^32`);
    if (NUM_RUNS >= 50) expect(wrapped).toBeGreaterThan(0);
  });
});
