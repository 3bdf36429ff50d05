/**
 * The bulk-transfer scenarios of npm run bench (issue 17): data moved over lo between sockets,
 * with the trace off (as the connection scenarios run).
 *   - one connection: 1 GB written in 4 MB writes by one process and read in 4 MB reads by
 *     another (blocking calls, sk_sndbuf 2.6 MB and tcp_rmem's 128 KB buffer: the window
 *     opens and closes as the reader keeps up);
 *   - 1,000 connections in parallel, 1 MB each (1,000 writers, 1,000 readers each listening on a port of its own).
 * Figures: segments put on lo (data, ACKs and the handshakes) per second of wall time, the
 * simulated time the transfer took, and the peak heapUsed (sampled every 20,000 events).
 * Segments on lo carry up to two MSS (65482 bytes, GSO), so 1 GB is ~16,400 data segments:
 * here wall time is mostly copying bytes (tcp_sendmsg's copy into the write queue and the
 * read's out of it), as on Linux.
 * Usage: node scripts/bench.ts bulk (these lines only) [MB] [connections]
 */
import { createHost } from '../src/model/index.ts';
import type { Sys } from '../src/model/process.ts';

const LO = 0x7f000001;

interface BulkResult {
  segs: number;
  secs: number;
  simSecs: number;
  bytes: number;
  peakMiB: number;
}

function bulk(profile: 'linux-4.4' | 'linux-6.x', conns: number, bytesEach: number, chunk: number): BulkResult {
  const { k, procs } = createHost({ profile, seed: 1, sysctl: { 'net.ipv4.ip_local_port_range': [1024, 65535] } });
  k.sim.traceDetail = false;
  k.sim.keepTrace = false;
  const buf = new Uint8Array(Math.min(chunk, bytesEach)).fill(120);
  let received = 0;
  let lastByteAt = 0;
  // a reader per connection, each listening on a port of its own (5000 + i)
  const reader = (port: number) =>
    function* (): Generator<Sys, number, any> {
      const l: number = yield { op: 'socket' };
      yield { op: 'bind', fd: l, addr: 0, port };
      yield { op: 'listen', fd: l, backlog: 1 };
      const fd: number = yield { op: 'accept', fd: l };
      for (;;) {
        const d: Uint8Array = yield { op: 'read', fd, count: chunk, bytes: true };
        if (!(d instanceof Uint8Array) || d.length === 0) break;
        received += d.length;
      }
      lastByteAt = Math.max(lastByteAt, k.now);
      yield { op: 'close', fd };
      yield { op: 'close', fd: l };
      return 0;
    };
  const writer = (port: number) =>
    function* (): Generator<Sys, number, any> {
      const fd: number = yield { op: 'socket' };
      yield { op: 'connect', fd, addr: LO, port };
      for (let sent = 0; sent < bytesEach; sent += buf.length) yield { op: 'write', fd, data: buf.subarray(0, Math.min(buf.length, bytesEach - sent)) };
      yield { op: 'close', fd };
      return 0;
    };
  for (let i = 0; i < conns; i++) {
    procs.programs.set(`r${i}`, reader(5000 + i));
    procs.programs.set(`w${i}`, writer(5000 + i));
    procs.spawn(`r${i}`, ['reader']);
  }
  k.sim.runUntil(1_000_000);
  const t0 = process.hrtime.bigint();
  const sim0 = k.now;
  for (let i = 0; i < conns; i++) procs.spawn(`w${i}`, ['writer']);
  let peak = process.memoryUsage().heapUsed;
  while (received < conns * bytesEach && k.sim.peek() !== Infinity) {
    k.sim.runAll(20_000);
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  if (received !== conns * bytesEach) throw new Error(`bulk: ${received} of ${conns * bytesEach} bytes arrived`);
  return { segs: k.stats.xmit, secs, simSecs: (lastByteAt - sim0) / 1e9, bytes: received, peakMiB: peak / 2 ** 20 };
}

export function benchBulk(mb = 1024, conns = 1000): string[] {
  const out: string[] = [];
  const fmt = (n: number): string => Math.round(n).toLocaleString('en');
  for (const profile of ['linux-4.4', 'linux-6.x'] as const) {
    for (const [label, c, each, chunk] of [[`${fmt(mb)} MB over one connection`, 1, mb * 2 ** 20, 4 << 20], [`${fmt(conns)} connections x 1 MB`, conns, 2 ** 20, 1 << 20]] as const) {
      const r = bulk(profile, c, each, chunk);
      out.push(`${profile} bulk (${label}): ${fmt(r.segs)} segments in ${r.secs.toFixed(2)} s → ${fmt(r.segs / r.secs)} segments/s, ${fmt(r.bytes / 2 ** 20 / r.secs)} MB/s; simulated ${r.simSecs.toFixed(3)} s; peak heap ${r.peakMiB.toFixed(0)} MiB`);
    }
  }
  return out;
}
