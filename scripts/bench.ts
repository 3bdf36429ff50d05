/**
 * npm run bench: simulated segments per second and peak memory for a 10,000-client
 * accept-queue overflow (backlog 128, a listener that never accepts), per profile.
 *
 * Method. Each run builds a fresh host (seed 1, ports 1024-65535, trace off: no trace kept,
 * no detail events), starts the listener, then spawns one client every 100 µs of simulated
 * time (spawn, then runUntil the next 100 µs) and finally runs the simulation until no event
 * is left (every SYN retransmitted and timed out). The wall clock covers both phases, so the
 * figures include the process layer (spawn, syscalls) and not just the TCP code.
 *   - segments/s overall = segments put on lo / wall time of both phases;
 *   - connect phase = the spawning loop; retransmission phase = the rest (its own rate);
 *   - peak heap = the highest V8 heapUsed sampled during the run (every 1,000 clients and
 *     every 50,000 events), after a full GC before the run when the runtime allows it, so a
 *     run is not charged with the garbage of the previous one. heapUsed includes garbage not
 *     collected yet, so this is an upper bound of what the run needs.
 * Each profile runs twice, in the order 4.4, 6.x, 4.4, 6.x: the first run of a profile is
 * "cold" (the JIT has not compiled the model yet), the second "warm"; both are printed.
 * Usage: node scripts/bench.ts [clients]
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createHost } from '../src/model/index.ts';
import type { Sys } from '../src/model/process.ts';

const CLIENTS = Number(process.argv[2] ?? 10_000);
const LO = 0x7f000001;

let gc: (() => void) | null = null;
try {
  setFlagsFromString('--expose-gc');
  gc = runInNewContext('gc') as () => void;
} catch {
  gc = null;
}

function* listener(): Generator<Sys, number, any> {
  const fd: number = yield { op: 'socket' };
  yield { op: 'setsockopt', fd, opt: 'SO_REUSEADDR', val: 1 };
  yield { op: 'bind', fd, addr: 0, port: 12345 };
  yield { op: 'listen', fd, backlog: 128 };
  yield { op: 'pause' };
  return 0;
}
function* client(): Generator<Sys, number, any> {
  const fd: number = yield { op: 'socket' };
  yield { op: 'connect', fd, addr: LO, port: 12345 };
  yield { op: 'pause' };
  return 0;
}

const seen = new Set<string>();
for (const profile of ['linux-4.4', 'linux-6.x', 'linux-4.4', 'linux-6.x'] as const) {
  const run = seen.has(profile) ? 'warm' : 'cold';
  seen.add(profile);
  gc?.();
  const { k, procs } = createHost({ profile, seed: 1, sysctl: { 'net.ipv4.ip_local_port_range': [1024, 65535] } });
  k.sim.traceDetail = false;
  k.sim.keepTrace = false;
  procs.programs.set('l', listener);
  procs.programs.set('c', client);
  procs.spawn('l', ['l']);
  k.sim.runUntil(1_000_000);
  let peak = process.memoryUsage().heapUsed;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < CLIENTS; i++) {
    procs.spawn('c', ['c']);
    k.sim.runUntil(k.now + 100_000); // a client every 100 µs
    if (i % 1000 === 999) peak = Math.max(peak, process.memoryUsage().heapUsed);
  }
  const spawnSecs = Number(process.hrtime.bigint() - t0) / 1e9;
  const spawnSegs = k.stats.xmit;
  let events = 0;
  while (k.sim.peek() !== Infinity && k.now < 300e9) {
    events += k.sim.runAll(50_000);
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const segs = k.stats.xmit;
  const rate = segs / (secs || 1e-9);
  const drain = (segs - spawnSegs) / (secs - spawnSecs);
  console.log(`${profile} (${run}): ${CLIENTS} clients, ${segs} segments in ${secs.toFixed(2)} s → ${Math.round(rate).toLocaleString('en')} segments/s overall (connect phase ${spawnSecs.toFixed(2)} s for ${spawnSegs} segments; retransmission phase ${Math.round(drain).toLocaleString('en')} segments/s); peak heap ${(peak / 2 ** 20).toFixed(0)} MiB; ListenOverflows ${k.mib.ListenOverflows ?? 0}`);
}
