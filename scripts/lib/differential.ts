/**
 * Differential scripts (npm run differential): random sequences of non-blocking writes, reads,
 * shutdown(SHUT_WR), TCP_NODELAY and close() on the two ends of a connection over lo, each call
 * followed by a settle time, after which both sockets' SIOCINQ, SIOCOUTQ and tcpi_state are
 * taken. The same scripts run on this machine's kernel (scripts/differential-real.py, recorded
 * by `npm run differential:record` into test/differential/recorded/) and on the model (here);
 * test/differential/differential.test.ts compares them step by step.
 */
import { createHost } from '../../src/model/index.ts';
import type { ProfileName as Profile } from '../../src/model/types.ts';
import { ERRNO_NAMES } from '../../src/model/errno.ts';
import type { ProgramCtx, Sys } from '../../src/model/process.ts';

export type DiffOp = ['w' | 'r', 0 | 1, number] | ['shut' | 'nodelay' | 'close', 0 | 1];
export interface DiffScript {
  ops: DiffOp[];
  /** Seconds after each call before the snapshot. */
  settle: number;
  /** Per-namespace sysctls set before the connection (tcp_rmem, tcp_wmem), or none for the defaults. */
  sysctl?: { 'net.ipv4.tcp_rmem'?: [number, number, number]; 'net.ipv4.tcp_wmem'?: [number, number, number] };
}
/** [inq, outq, tcpi_state], or null once the fd is closed. */
export type Snapshot = [number, number, number] | null;
/** What a call returned (a count, 0, "E<ERRNO>" or "closed"), then the client's and the server's snapshot. */
export type Step = [number | string, Snapshot, Snapshot];

const LO = 0x7f000001;
const SIZES = [1, 100, 1448, 20000, 65536, 100000, 200000, 300000];

/** mulberry32: the scripts of a seed are the same on every machine. */
function rng(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `n` scripts of 4 to 11 calls: 40 % writes, 40 % reads (sizes from one byte to 300 KB), then
 * shutdown, TCP_NODELAY, close. `smallBuffers`: each script sets tcp_rmem and tcp_wmem to one
 * size from 8 KB to 64 KB (min, default and max alike), where windows close and writes fill
 * the send buffer all the time.
 */
export function generateScripts(seed: number, n: number, settle = 0.2, smallBuffers = false): DiffScript[] {
  const r = rng(seed);
  const pick = (k: number) => Math.floor(r() * k);
  const out: DiffScript[] = [];
  for (let i = 0; i < n; i++) {
    const ops: DiffOp[] = [];
    const len = 4 + pick(8);
    for (let j = 0; j < len; j++) {
      const x = r();
      const side = pick(2) as 0 | 1;
      if (x < 0.4) ops.push(['w', side, SIZES[pick(SIZES.length)]]);
      else if (x < 0.8) ops.push(['r', side, SIZES[pick(SIZES.length)]]);
      else if (x < 0.88) ops.push(['shut', side]);
      else if (x < 0.94) ops.push(['nodelay', side]);
      else ops.push(['close', side]);
    }
    if (smallBuffers) {
      const rmem = [8192, 16384, 32768, 65536][pick(4)];
      const wmem = [8192, 16384, 32768, 65536][pick(4)];
      out.push({ ops, settle, sysctl: { 'net.ipv4.tcp_rmem': [rmem, rmem, rmem], 'net.ipv4.tcp_wmem': [wmem, wmem, wmem] } });
    } else out.push({ ops, settle });
  }
  return out;
}

/** Run script `index` on the model, as differential-real.py runs it on Linux (port 20000 + index). */
export function runOnModel(profile: Profile, script: DiffScript, index: number): Step[] {
  const { k, procs } = createHost({ profile, seed: 1, sysctl: script.sysctl });
  const steps: Step[] = [];
  const maxW = Math.max(1, ...script.ops.map((o) => (o[0] === 'w' ? o[2] : 0)));
  const data = new Uint8Array(maxW).fill(120);
  const rbuf = new Uint8Array(Math.max(1, ...script.ops.map((o) => (o[0] === 'r' ? o[2] : 0))));
  const result = (r: number) => (r < 0 ? `E${ERRNO_NAMES[-r] ?? -r}` : r);
  const port = 20000 + index;
  procs.programs.set('differential', function* (ctx: ProgramCtx): Generator<Sys, number, any> {
    ctx.ignores = new Set(['SIGPIPE']);
    const l: number = yield { op: 'socket' };
    yield { op: 'setsockopt', fd: l, opt: 'SO_REUSEADDR', val: 1 };
    yield { op: 'bind', fd: l, addr: LO, port };
    yield { op: 'listen', fd: l, backlog: 1 };
    const c: number = yield { op: 'socket' };
    yield { op: 'connect', fd: c, addr: LO, port };
    const s: number = yield { op: 'accept', fd: l };
    yield { op: 'close', fd: l };
    const fds: (number | null)[] = [c, s];
    for (const fd of [c, s]) yield { op: 'fcntl', fd, cmd: 'F_SETFL', arg: 0o4000 };
    const snap = function* (fd: number | null): Generator<Sys, Snapshot, any> {
      if (fd === null) return null;
      const inq: number = yield { op: 'ioctl', fd, req: 'SIOCINQ' };
      const outq: number = yield { op: 'ioctl', fd, req: 'SIOCOUTQ' };
      const info: { tcpi_state: number } = yield { op: 'getsockopt', fd, opt: 'TCP_INFO' };
      return [inq, outq, info.tcpi_state];
    };
    for (const op of script.ops) {
      const fd = fds[op[1]];
      let r: number | string;
      if (fd === null) r = 'closed';
      else if (op[0] === 'w') r = result(yield { op: 'write', fd, data: data.subarray(0, op[2]) });
      else if (op[0] === 'r') r = result(yield { op: 'read', fd, buf: rbuf.subarray(0, op[2]) });
      else if (op[0] === 'shut') r = result(yield { op: 'shutdown', fd, how: 1 });
      else if (op[0] === 'nodelay') r = result(yield { op: 'setsockopt', fd, opt: 'TCP_NODELAY', val: 1 });
      else {
        r = result(yield { op: 'close', fd });
        fds[op[1]] = null;
      }
      yield { op: 'nanosleep', ns: Math.round(script.settle * 1e9) };
      steps.push([r, yield* snap(fds[0]), yield* snap(fds[1])]);
    }
    for (const fd of fds) if (fd !== null) yield { op: 'close', fd };
    return 0;
  });
  procs.spawn('differential', ['differential']);
  k.sim.runUntil(k.now + Math.round((script.ops.length * script.settle + 5) * 1e9));
  return steps;
}

/** A recording: the scripts, and what each real run gave (several runs: steps where they differ are timing, not compared). */
export interface DiffRecording {
  /** How the scripts were made: generateScripts(seed, scripts.length, settle, smallBuffers). */
  variant: 'default' | 'small-buffers';
  kernel: string;
  date: string;
  seed: number;
  congestionControl: string;
  scripts: DiffScript[];
  runs: Step[][][];
}

export interface ScriptVerdict {
  index: number;
  /** Steps compared (the real runs agreed on them) and of those the ones the model matches. */
  compared: number;
  agree: number;
  /** Steps where the real runs differ among themselves. */
  unstable: number;
  /** The first step the model gets wrong: its number, the op, Linux's and the model's step. */
  first: { step: number; op: DiffOp; real: Step; model: Step } | null;
}

export function compareScript(rec: DiffRecording, index: number, profile: Profile): ScriptVerdict {
  const script = rec.scripts[index];
  const model = runOnModel(profile, script, index);
  const v: ScriptVerdict = { index, compared: 0, agree: 0, unstable: 0, first: null };
  script.ops.forEach((op, j) => {
    const reals = rec.runs.map((run) => JSON.stringify(run[index][j]));
    if (reals.some((x) => x !== reals[0])) {
      v.unstable++;
      return;
    }
    v.compared++;
    if (JSON.stringify(model[j]) === reals[0]) v.agree++;
    else if (!v.first) v.first = { step: j, op, real: rec.runs[0][index][j], model: model[j] };
  });
  return v;
}
