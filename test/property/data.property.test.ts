/**
 * Random conversations between two sockets over lo (issue 17): each side writes chunks of a
 * byte stream of its own (non-blocking writes that return what the send buffer took), reads
 * with random counts, sleeps (a reader that stops), may set TCP_NODELAY, shuts down its
 * sending side early or late, and at the end finishes its writes, shuts down and reads to
 * EOF. Buffers are varied (tcp_rmem/tcp_wmem from a few KB, where windows close and writes
 * fill the send buffer all the time, to the defaults), on both profiles.
 *
 * Invariants: each side receives exactly the other's stream (no byte lost, repeated or out of
 * order); at every step Recv-Q (rcv_nxt - copied_seq) and Send-Q (write_seq - snd_una) are
 * never negative, sk_wmem_queued is the sum of the write queue and never above what was
 * written; at the end everything is acked (snd_una = write_seq, bytes_acked = bytes + FIN),
 * the write queue is empty and nothing is left to read.
 *
 * The seed is random each run and printed; replay with TCPLAB_PROPERTY_SEED=<seed>.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { host, listener, client, ms } from '../helpers/host.ts';
import type { TcpSock } from '../../src/model/sock.ts';
import { tcpSkbHeadTruesize } from '../../src/model/tcp_output.ts';

const ENV_SEED = process.env.TCPLAB_PROPERTY_SEED;
const SEED = ENV_SEED !== undefined && ENV_SEED !== '' ? Number(ENV_SEED) : (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) | 0;
const NUM_RUNS = Number(process.env.TCPLAB_PROPERTY_RUNS ?? 30);
console.log(`data property test: seed ${SEED} (replay: TCPLAB_PROPERTY_SEED=${SEED} npx vitest run test/property/data.property.test.ts)`);

const O_NONBLOCK = 0o4000;
const EAGAIN = 11;

type Op = { w: number } | { r: number } | { sleep: number } | { nodelay: true } | { shut: true };

/** Byte i of side `salt`'s stream: printable ASCII (a read returns text). */
const byteAt = (salt: number, i: number) => 33 + ((i * 31 + salt * 7 + (i >> 9)) % 90);
const STREAMS = [1, 2].map((salt) => Uint8Array.from({ length: 12 * 150_000 + 1 }, (_, i) => byteAt(salt, i)));
const stream = (salt: number, from: number, n: number) => STREAMS[salt - 1].subarray(from, from + n);

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 1, max: 150_000 }).map((w) => ({ w })) },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 100_000 }).map((r) => ({ r })) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 600 }).map((sleep) => ({ sleep })) },
  { weight: 1, arbitrary: fc.constant({ nodelay: true as const }) },
  { weight: 1, arbitrary: fc.constant({ shut: true as const }) },
);
const bufArb = fc.oneof(
  fc.constant<[number, number, number] | null>(null),
  fc.integer({ min: 8192, max: 65536 }).map((n): [number, number, number] => [n, n, n]),
);

interface Side {
  sent: number;
  got: string[];
  shut: boolean;
}

/** One side's program: the random ops, then finish writing, shut down, read to EOF. */
function* side(fd: number, salt: number, ops: Op[], total: (s: Side) => number, me: Side): Generator<any, void, any> {
  yield { op: 'fcntl', fd, cmd: 'F_SETFL', arg: O_NONBLOCK };
  let eof = false;
  const drain = function* (count: number): Generator<any, void, any> {
    const r = yield count ? { op: 'read', fd, count } : { op: 'read', fd };
    if (typeof r === 'string') {
      if (r.length === 0) eof = true;
      me.got.push(r);
    } else if (r !== -EAGAIN) throw new Error(`read: ${r}`);
  };
  const write = function* (n: number): Generator<any, void, any> {
    const r = yield { op: 'write', fd, data: stream(salt, me.sent, n) };
    if (r > 0) me.sent += r;
    else if (r !== -EAGAIN) throw new Error(`write: ${r}`);
  };
  for (const o of ops) {
    if ('w' in o) {
      if (!me.shut) yield* write(o.w);
    } else if ('r' in o) {
      if (!eof) yield* drain(o.r);
    } else if ('sleep' in o) yield { op: 'nanosleep', ns: ms(o.sleep) };
    else if ('nodelay' in o) yield { op: 'setsockopt', fd, opt: 'TCP_NODELAY', val: 1 };
    else if (!me.shut) {
      expect(yield { op: 'shutdown', fd, how: 1 }).toBe(0);
      me.shut = true;
    }
  }
  // finish: whatever was planned but not taken, reading meanwhile (the peer may be writing too)
  while (!me.shut && me.sent < total(me)) {
    yield* write(total(me) - me.sent);
    if (!eof) yield* drain(0);
    yield { op: 'nanosleep', ns: ms(1) };
  }
  if (!me.shut) {
    expect(yield { op: 'shutdown', fd, how: 1 }).toBe(0);
    me.shut = true;
  }
  while (!eof) {
    yield* drain(0);
    if (!eof) yield { op: 'nanosleep', ns: ms(2) };
  }
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

describe('data transfer between two sockets over lo (random conversations)', () => {
  it('never loses, repeats or reorders a byte; queues never negative; counters consistent at the end', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<'linux-4.4' | 'linux-6.x'>('linux-4.4', 'linux-6.x'),
        bufArb,
        bufArb,
        fc.array(opArb, { maxLength: 12 }),
        fc.array(opArb, { maxLength: 12 }),
        (profile, rmem, wmem, cliOps, srvOps) => {
          const sysctl: Record<string, unknown> = {};
          if (rmem) sysctl['net.ipv4.tcp_rmem'] = rmem;
          if (wmem) sysctl['net.ipv4.tcp_wmem'] = wmem;
          const h = host({ profile, sysctl: sysctl as never });
          const planned = (ops: Op[]) => ops.reduce((n, o) => n + ('w' in o ? o.w : 0), 0);
          const cli: Side = { sent: 0, got: [], shut: false };
          const srv: Side = { sent: 0, got: [], shut: false };
          let done = 0;
          h.start('srv', function* () {
            const l: number = yield* listener(5000, 5);
            const fd: number = yield { op: 'accept', fd: l };
            yield* side(fd, 2, srvOps, () => planned(srvOps), srv);
            done++;
            yield { op: 'pause' };
            return 0;
          });
          h.run(ms(1));
          h.start('cli', function* () {
            const [fd, r] = yield* client(5000);
            expect(r).toBe(0);
            yield* side(fd, 1, cliOps, () => planned(cliOps), cli);
            done++;
            yield { op: 'pause' };
            return 0;
          });
          h.run(ms(5));
          const socks = [...h.k.socks.values()].filter((s): s is TcpSock => s.kind === 'full' && s.state !== 10);
          const cs = socks.find((s) => s.dport === 5000)!;
          const ss = socks.find((s) => s.sport === 5000)!;
          for (let t = 5; done < 2 && t < 60_000; t += 20) {
            h.run(ms(t));
            checkSock(cs, cli.sent, tcpSkbHeadTruesize(h.k));
            checkSock(ss, srv.sent, tcpSkbHeadTruesize(h.k));
          }
          if (process.env.TCPLAB_DATA_DEBUG) console.log(profile, rmem, wmem, cli.sent, srv.sent, (h.k.now / 1e9).toFixed(1), h.k.stats.xmit);
          expect(done).toBe(2);
          // every byte, once, in order
          expect(Buffer.from(cli.got.join(''), 'latin1').equals(Buffer.from(stream(2, 0, srv.sent)))).toBe(true);
          expect(Buffer.from(srv.got.join(''), 'latin1').equals(Buffer.from(stream(1, 0, cli.sent)))).toBe(true);
          h.run(h.k.now + ms(50));
          for (const [sk, me] of [[cs, cli], [ss, srv]] as const) {
            expect(sk.sndUna).toBe(sk.writeSeq);
            expect(sk.bytesAcked).toBe(me.sent + 1); // the data and the FIN
            expect(sk.writeQueue.length).toBe(0);
            expect(sk.wmemQueued).toBe(0);
            expect(sk.rcvNxt).toBe(sk.copiedSeq);
          }
        },
      ),
      { seed: SEED, numRuns: NUM_RUNS },
    );
  });
});
