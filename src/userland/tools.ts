/**
 * Small programs the experiments use besides nc and bash: ss, tcpdump, sleep, grep (yes is in
 * coreutils.ts, iptables in iptables.ts).
 */
import { KTIME_MAX_NS, type Program, type ProgramCtx, type Sys } from '../model/process.ts';
import type { Profile } from '../model/profiles.ts';
import { TH_SYN, type SocketTable, type Segment } from '../model/types.ts';
import { parseSsArgs, renderSs } from '../render/ss.ts';
import { writePcap } from '../render/pcap.ts';
import { tcpdumpListeningBanner, tcpdumpStopSummary } from '../render/tcpdump.ts';
import { capturedFrames, type CaptureTap } from '../model/kernel.ts';
import { GrepRegex, RegexError, type RegexOptions } from './regex.ts';

/** ss: a /proc fd scan plus a netlink dump; the rows are taken when the dump runs (at the end). */
export function ss(profile: Profile): Program {
  return function* (ctx: ProgramCtx) {
    const parsed = parseSsArgs(ctx.argv.slice(1));
    if (!parsed.ok) {
      yield { op: 'write', fd: 2, data: parsed.message };
      return 1;
    }
    yield { op: 'cpu', ns: profile.costs.ssRunNs };
    const table: SocketTable = yield { op: 'inet_diag', info: parsed.opts.info };
    const out = ctx.procs.tasks.get(ctx.pid)!.fds.get(1);
    const columns = out?.kind === 'tty' ? out.tty.cols : null;
    const text = renderSs(table, parsed.opts, { iproute2: profile.tools.iproute2, columns });
    yield { op: 'write', fd: 1, data: text };
    return 0;
  };
}

/**
 * coreutils sleep's operand: a floating-point number (cl_strtod: decimal or hex, `inf`,
 * `infinity`) with an optional suffix s, m, h or d; NaN and negative values are invalid.
 */
export function sleepSeconds(arg: string): number | null {
  const m = /^\s*\+?((?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?\d+)?|inf(?:inity)?)([smhd]?)$/i.exec(arg);
  if (!m) return null;
  let n: number;
  const num = m[1];
  if (/^inf/i.test(num)) n = Infinity;
  else if (/^0x/i.test(num)) {
    const h = /^0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)(?:[pP]([+-]?\d+))?$/.exec(num)!;
    n = (parseInt(h[1] || '0', 16) + (h[2] ? parseInt(h[2], 16) / 16 ** h[2].length : 0)) * 2 ** Number(h[3] ?? 0);
  } else n = Number(num);
  const mult = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  n *= mult;
  return Number.isNaN(n) || n < 0 ? null : n;
}

/**
 * sleep NUMBER[SUFFIX]...: nanosleep for their sum. A sleep longer than the kernel can time
 * (`sleep inf`, `sleep 1e300`) simply never ends: the model schedules no wake-up for it.
 */
export const sleep: Program = function* (ctx) {
  const args = ctx.argv.slice(1);
  if (!args.length) {
    yield { op: 'write', fd: 2, data: "sleep: missing operand\nTry 'sleep --help' for more information.\n" };
    return 1;
  }
  let total = 0;
  let bad = false;
  for (const a of args) {
    const n = sleepSeconds(a);
    if (n === null) {
      yield { op: 'write', fd: 2, data: `sleep: invalid time interval '${a}'\n` };
      bad = true;
    } else total += n;
  }
  if (bad) {
    yield { op: 'write', fd: 2, data: "Try 'sleep --help' for more information.\n" };
    return 1;
  }
  const ns = total * 1e9;
  yield { op: 'nanosleep', ns: ns <= KTIME_MAX_NS ? Math.round(ns) : Infinity };
  return 0;
};

const GREP_USAGE = "Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.\n";

/**
 * grep [-E|-F|-G] [-v] [-i] [-w] [-x] [-e PATTERNS] PATTERNS: the lines of stdin that contain a
 * match, on a linear-time engine (src/userland/regex.ts) with GNU grep 3.8's syntax, messages
 * and exit statuses (0 a line selected, 1 none, 2 trouble). Options are taken anywhere on the
 * line, as getopt permutes them; a file operand names no file of the model (there are none).
 */
export const grep: Program = function* (ctx) {
  const args = ctx.argv.slice(1);
  const opts: RegexOptions = {};
  let invert = false;
  let matcher: 'G' | 'E' | 'F' | null = null;
  const ePatterns: string[] = [];
  const operands: string[] = [];
  const fail = function* (msg: string): Generator<Sys, number, any> {
    yield { op: 'write', fd: 2, data: msg };
    return 2;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      operands.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) return yield* fail(`grep: unrecognized option '${a}'\n${GREP_USAGE}`);
    if (!a.startsWith('-') || a === '-') {
      operands.push(a);
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const o = a[j];
      if (o === 'v') invert = true;
      else if (o === 'i' || o === 'y') opts.ignoreCase = true;
      else if (o === 'w') opts.words = true;
      else if (o === 'x') opts.lines = true;
      else if (o === 'E' || o === 'F' || o === 'G') {
        if (matcher !== null && matcher !== o) return yield* fail('grep: conflicting matchers specified\n');
        matcher = o;
      } else if (o === 'e') {
        const v = j + 1 < a.length ? a.slice(j + 1) : args[++i];
        if (v === undefined) return yield* fail(`grep: option requires an argument -- 'e'\n${GREP_USAGE}`);
        ePatterns.push(v);
        break;
      } else return yield* fail(`grep: invalid option -- '${o}'\n${GREP_USAGE}`);
    }
  }
  const pattern = ePatterns.length ? ePatterns.join('\n') : operands.shift();
  if (pattern === undefined) return yield* fail(GREP_USAGE);
  opts.extended = matcher === 'E';
  opts.fixed = matcher === 'F';
  let re: GrepRegex;
  try {
    re = new GrepRegex(pattern, opts);
  } catch (e) {
    if (e instanceof RegexError) return yield* fail(`grep: ${e.message}\n`);
    throw e;
  }
  for (const w of re.warnings) yield { op: 'write', fd: 2, data: `grep: warning: ${w}\n` };
  const files = operands.filter((f) => f !== '-');
  if (files.length) {
    // the model has no file system to read from
    for (const f of files) yield { op: 'write', fd: 2, data: `grep: ${f}: No such file or directory\n` };
    return 2;
  }
  let buf = '';
  let matched = false;
  for (;;) {
    const d = yield { op: 'read', fd: 0 };
    if (typeof d !== 'string' || d === '') break;
    buf += d;
  }
  const lines = buf.split('\n');
  if (lines.at(-1) === '') lines.pop();
  let out = '';
  for (const l of lines) {
    if (re.test(l) !== invert) {
      out += l + '\n';
      matched = true;
    }
  }
  if (out) yield { op: 'write', fd: 1, data: out };
  return matched ? 0 : 1;
};

/** A BPF-like filter: `tcp port N`, `port N`, `tcp portrange A-B`, `portrange A-B`, `tcp`, or nothing. */
export function parseFilter(words: string[]): ((s: Segment) => boolean) | string {
  const w = words.join(' ').trim();
  if (!w || w === 'tcp') return () => true;
  const m = /^(?:tcp\s+)?port\s+(\d+)$/.exec(w);
  if (m) {
    const p = Number(m[1]);
    return (s) => s.sport === p || s.dport === p;
  }
  const r = /^(?:tcp\s+)?portrange\s+(\d+)-(\d+)$/.exec(w);
  if (r) {
    // libpcap's gen_portrange(): the ends in either order, inclusive
    const lo = Math.min(Number(r[1]), Number(r[2]));
    const hi = Math.max(Number(r[1]), Number(r[2]));
    return (s) => (s.sport >= lo && s.sport <= hi) || (s.dport >= lo && s.dport <= hi);
  }
  return `tcpdump: syntax error in filter expression: ${w}`;
}

/** tcpdump -i lo [-nn] [-s N] [-w FILE] [filter]: captures until SIGINT/SIGTERM. */
export function tcpdump(profile: Profile): Program {
  return function* (ctx: ProgramCtx) {
    ctx.catches = new Set(['SIGINT', 'SIGTERM']);
    const args = ctx.argv.slice(1);
    let iface = 'lo';
    let file: string | null = null;
    const filterWords: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a === '-i') iface = args[++i];
      else if (a === '-w') file = args[++i];
      else if (a === '-s') i++;
      else if (a === '-n' || a === '-nn' || a === '-U') continue;
      else if (a.startsWith('-')) {
        yield { op: 'write', fd: 2, data: `tcpdump: invalid option -- '${a.slice(1)}'\n` };
        return 1;
      } else filterWords.push(a);
    }
    const filter = parseFilter(filterWords);
    if (typeof filter === 'string') {
      yield { op: 'write', fd: 2, data: filter + '\n' };
      return 1;
    }
    yield { op: 'cpu', ns: 5_000_000 };
    const tap: CaptureTap = yield { op: 'pcap_open', filter };
    yield { op: 'write', fd: 2, data: tcpdumpListeningBanner({ version: profile.tools.tcpdump, iface, withW: file !== null }) };
    yield { op: 'pause' };
    tap.active = false;
    // what tcpdump had read when the signal came: the ring's blocks retired so far
    const frames = capturedFrames(tap, ctx.k.now);
    if (file) yield { op: 'vfs_write', path: file, data: writePcap(frames) };
    yield { op: 'write', fd: 2, data: tcpdumpStopSummary({ captured: frames.length, receivedByFilter: tap.receivedByFilter, droppedByKernel: 0 }) };
    return 0;
  };
}

export type { Sys };
export { TH_SYN };
