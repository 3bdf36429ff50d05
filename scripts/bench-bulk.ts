/**
 * The bulk-transfer scenarios of npm run bench (issue 17): data moved over lo between sockets,
 * with the trace off (as the connection scenarios run), on the same model code every transcript
 * runs (no bench mode).
 *   - one connection: 1 GB written in 4 MB writes by one process and read in 4 MB reads by
 *     another (blocking calls, sk_sndbuf and tcp_rmem's defaults: the window opens and closes as
 *     the reader keeps up);
 *   - 1,000 connections in parallel, 1 MB each (1,000 writers, 1,000 readers each listening on a
 *     port of its own).
 * The bytes are real: a write hands the model a 4 MB buffer (which the write queue references, as
 * every write's data), and a read copies what it returns into the reader's buffer (read(2) into
 * `buf`); the 1,000 readers share one 1 MB buffer, as they drop what they read.
 * Each runs on two kinds of lo:
 *   - lo as Linux sets it up (MTU 65536, GSO and TSO on): a segment put on lo is a GSO packet of
 *     up to 64 KB (one MSS of 65483 bytes with timestamps), so 1 GB is ~16,400 data segments and
 *     the rate says more about bytes than about segments;
 *   - lo with `ip link set lo mtu 1500` and `ethtool -K lo gso off tso off`: every GSO packet is
 *     cut into segments of one MSS (1448 bytes) before lo (validate_xmit_skb()), and each goes
 *     through tcp_v4_rcv() alone, as on the wire: 1 GB is ~741,000 data segments, so this rate
 *     is the model's cost per segment.
 * A "segment" is one packet put on lo (Kernel.stats.xmit: data, ACKs, window updates and the
 * handshakes), as tcpdump -i lo would count them. The target (1,000,000 segments per
 * second) is a cost per segment, so the summary judges it on the MTU 1500 runs only, where a
 * segment is one MSS; on lo with GSO a segment carries up to 64 KB that read() copies, its rate
 * is bound by bytes, and the summary gives MB/s there instead of a verdict. Figures: segments per second of wall time,
 * MB/s, the simulated time the transfer took, and the peak heapUsed (sampled every 20,000
 * events, from a collected heap when a GC can be forced: it counts garbage too, and grows from
 * pass to pass as V8 lets the heap grow); then, in untimed runs, the live heap (the largest left
 * by a full GC forced every 100,000 events).
 * The scenarios run PASSES times (3 by default), alternating the profiles and scenarios, after
 * one untimed warm-up run of each at a quarter of its size (V8 compiles the hot paths and sizes
 * its young generation during the first run of a process: that run was up to twice as slow as
 * the next), and the summary gives the median and the range of each (the machine is shared:
 * single runs vary by a third). Each rate is given per second of wall time and per second
 * of the process's CPU time (every thread, the collector's included): on a loaded machine a run
 * gets a fraction of a core (wall 3-4x the CPU time was seen with load average 10 on 2 cores),
 * and the CPU rate is what the simulator does with a core of its own; the verdict names both,
 * with the load average over the run. The summary names node's GC flags (a larger young
 * generation, --max-semi-space-size=32, helped in some runs and not in others).
 * Usage: node scripts/bench.ts bulk [MB] [connections] [passes]
 */
import { cpus, loadavg } from 'node:os';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createHost } from '../src/model/index.ts';
import type { Sys } from '../src/model/process.ts';
import { devSetMtu, ethtoolSetGso } from '../src/model/route.ts';

export const LO = 0x7f000001;
/** The issues' target, in segments per second (the SYN flood and the bulk transfers). */
export const TARGET = 1_000_000;

/** global.gc() when a GC can be forced (node:v8 --expose-gc), else null. */
export let gc: (() => void) | null = null;
try {
  setFlagsFromString('--expose-gc');
  gc = runInNewContext('gc') as () => void;
} catch {
  gc = null;
}

interface BulkResult {
  segs: number;
  /** Of them, segments with data. */
  dataSegs: number;
  secs: number;
  /** CPU time of the process (every thread: the collector's too) over the same stretch. */
  cpuSecs: number;
  simSecs: number;
  bytes: number;
  peakMiB: number;
  /** With `liveEvery`: the largest heap left after a forced full GC, every liveEvery events. */
  liveMiB: number;
}

type Lo = 'lo' | 'lo1500';

export function bulk(profile: 'linux-4.4' | 'linux-6.x', lo: Lo, conns: number, bytesEach: number, chunk: number, liveEvery = 0): BulkResult {
  const { k, procs } = createHost({ profile, seed: 1, sysctl: { 'net.ipv4.ip_local_port_range': [1024, 65535] } });
  k.sim.traceDetail = false;
  k.sim.keepTrace = false;
  if (lo === 'lo1500') {
    devSetMtu(k, 'lo', 1500);
    ethtoolSetGso(k, 'lo', false);
  }
  const buf = new Uint8Array(Math.min(chunk, bytesEach)).fill(120);
  const rbuf = new Uint8Array(Math.min(chunk, bytesEach));
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
        const n: number = yield { op: 'read', fd, buf: rbuf };
        if (!(n > 0)) break;
        received += n;
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
  gc?.();
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const sim0 = k.now;
  const segs0 = k.stats.xmit;
  const data0 = k.stats.xmitData;
  for (let i = 0; i < conns; i++) procs.spawn(`w${i}`, ['writer']);
  // heapUsed as v8 reports it (getHeapStatistics() costs ~8 µs, process.memoryUsage() ~50: it reads the RSS too)
  let peak = getHeapStatistics().used_heap_size;
  let live = 0;
  let events = 0;
  while (received < conns * bytesEach && k.sim.peek() !== Infinity) {
    k.sim.runAll(20_000);
    peak = Math.max(peak, getHeapStatistics().used_heap_size);
    if (liveEvery && gc && ((events += 20_000) >= liveEvery || live === 0)) {
      events = 0;
      gc();
      live = Math.max(live, getHeapStatistics().used_heap_size);
    }
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const cpuSecs = (cpu.user + cpu.system) / 1e6;
  if (received !== conns * bytesEach) throw new Error(`bulk: ${received} of ${conns * bytesEach} bytes arrived`);
  return { segs: k.stats.xmit - segs0, dataSegs: k.stats.xmitData - data0, secs, cpuSecs, simSecs: (lastByteAt - sim0) / 1e9, bytes: received, peakMiB: peak / 2 ** 20, liveMiB: live / 2 ** 20 };
}

export const fmt = (n: number): string => Math.round(n).toLocaleString('en');
export const median = (xs: number[]): number => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};

/** Every run's line, then per scenario the median and range of the passes. */
export function benchBulk(mb = 1024, conns = 1000, passes = 3): string[] {
  const out: string[] = [];
  const scenarios = [
    { label: `${fmt(mb)} MB over one connection`, conns: 1, each: mb * 2 ** 20, chunk: 4 << 20 },
    { label: `${fmt(conns)} connections x 1 MB`, conns, each: 2 ** 20, chunk: 1 << 20 },
  ];
  const los: { lo: Lo; name: string }[] = [
    { lo: 'lo', name: 'lo, MTU 65536, GSO: a segment is a GSO packet of up to 64 KB (65483 bytes of payload), so its rate is bound by the bytes read() copies (the target, a cost per segment, is judged on MTU 1500 below)' },
    { lo: 'lo1500', name: 'lo, MTU 1500, GSO off: a segment is one MSS (1448 bytes) or an ACK; the target applies here' },
  ];
  const runs = new Map<string, BulkResult[]>();
  // untimed warm-up: each scenario once at a quarter of its size (JIT compilation, heap sizing)
  for (const { lo } of los)
    for (const profile of ['linux-4.4', 'linux-6.x'] as const)
      for (const s of scenarios) bulk(profile, lo, Math.max(1, s.conns >> 2), s.conns === 1 ? Math.max(s.each >> 2, s.chunk) : s.each, s.chunk);
  const load0 = loadavg()[0];
  for (let pass = 1; pass <= passes; pass++)
    for (const { lo } of los)
      for (const profile of ['linux-4.4', 'linux-6.x'] as const)
        for (const s of scenarios) {
          const r = bulk(profile, lo, s.conns, s.each, s.chunk);
          const key = `${profile} bulk on ${lo} (${s.label})`;
          runs.set(key, [...(runs.get(key) ?? []), r]);
          out.push(`${key}, pass ${pass}/${passes}: ${fmt(r.segs)} segments (${fmt(r.dataSegs)} with data) in ${r.secs.toFixed(2)} s → ${fmt(r.segs / r.secs)} segments/s (CPU ${r.cpuSecs.toFixed(2)} s: ${fmt(r.segs / r.cpuSecs)} per CPU-second), ${fmt(r.bytes / 2 ** 20 / r.secs)} MB/s; simulated ${r.simSecs.toFixed(3)} s; peak heap ${r.peakMiB.toFixed(0)} MiB`);
        }
  const flags = process.execArgv.filter((a) => a.startsWith('--max-semi') || a.startsWith('--max-old') || a.includes('gc')).join(' ') || 'default GC settings';
  const load = `load average ${load0.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end, on ${cpus().length} CPUs`;
  out.push('', `bulk transfers, median of ${passes} passes (range) after a warm-up, node ${process.version} (${flags}), ${load}; a segment is a packet put on lo (data or ACK), target ${fmt(TARGET)} segments/s:`);
  for (const { lo, name } of los) {
    out.push(`${name}:`);
    for (const profile of ['linux-4.4', 'linux-6.x'] as const)
      for (const s of scenarios) {
        const rs = runs.get(`${profile} bulk on ${lo} (${s.label})`)!;
        const rates = rs.map((r) => r.segs / r.secs);
        const m = median(rates);
        const cpuRates = rs.map((r) => r.segs / r.cpuSecs);
        const mbs = rs.map((r) => r.bytes / 2 ** 20 / r.secs);
        const heap = rs.map((r) => r.peakMiB);
        const mc = median(cpuRates);
        const verdict = (rate: number): string => (rate >= TARGET ? 'met' : `not met (${((100 * rate) / TARGET).toFixed(0)}%)`);
        out.push(
          `  ${profile} ${s.label}: ${fmt(rs[0].segs)} segments (${fmt(rs[0].dataSegs)} with data), median ${fmt(m)} segments/s (${fmt(Math.min(...rates))} - ${fmt(Math.max(...rates))}), ` +
            `per CPU-second ${fmt(mc)} (${fmt(Math.min(...cpuRates))} - ${fmt(Math.max(...cpuRates))}), ${fmt(median(mbs))} MB/s; peak heap ${Math.min(...heap).toFixed(0)}-${Math.max(...heap).toFixed(0)} MiB; ` +
            (lo === 'lo' ? 'bytes-bound: no verdict' : `target per CPU-second ${verdict(mc)}, per wall-second ${verdict(m)}`),
        );
      }
  }
  // memory on its own: the live heap (a full GC every 100,000 events, so these runs are not timed)
  if (gc) {
    out.push('live heap (the largest left after a forced full GC every 100,000 events; the sampled peaks above include garbage not yet collected):');
    for (const { lo } of los)
      for (const s of scenarios) {
        const r = bulk('linux-6.x', lo, s.conns, s.each, s.chunk, 100_000);
        out.push(`  linux-6.x on ${lo}, ${s.label}: ${r.liveMiB.toFixed(0)} MiB`);
      }
  }
  return out;
}
