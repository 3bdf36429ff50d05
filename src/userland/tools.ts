/**
 * Small programs the experiments use besides nc and bash: ss, tcpdump, sleep, grep.
 */
import type { Program, ProgramCtx, Sys } from '../model/process.ts';
import type { Profile } from '../model/profiles.ts';
import { TH_SYN, type SocketTable, type Segment } from '../model/types.ts';
import { parseSsArgs, renderSs } from '../render/ss.ts';
import { writePcap } from '../render/pcap.ts';
import { tcpdumpListeningBanner, tcpdumpStopSummary } from '../render/tcpdump.ts';
import { capturedFrames, type CaptureTap } from '../model/kernel.ts';

/** ss: a /proc fd scan plus a netlink dump; the rows are taken when the dump runs (at the end). */
export function ss(profile: Profile): Program {
  return function* (ctx: ProgramCtx) {
    const parsed = parseSsArgs(ctx.argv.slice(1));
    if (!parsed.ok) {
      yield { op: 'write', fd: 2, data: parsed.message };
      return 1;
    }
    yield { op: 'cpu', ns: profile.costs.ssRunNs };
    const table: SocketTable = yield { op: 'inet_diag' };
    const out = ctx.procs.tasks.get(ctx.pid)!.fds.get(1);
    const columns = out?.kind === 'tty' ? out.tty.cols : null;
    const text = renderSs(table, parsed.opts, { iproute2: profile.tools.iproute2, columns });
    yield { op: 'write', fd: 1, data: text };
    return 0;
  };
}

/** sleep N: nanosleep(N s). */
export const sleep: Program = function* (ctx) {
  const n = Number(ctx.argv[1]);
  if (!Number.isFinite(n) || n < 0) {
    yield { op: 'write', fd: 2, data: `sleep: invalid time interval '${ctx.argv[1] ?? ''}'\nTry 'sleep --help' for more information.\n` };
    return 1;
  }
  yield { op: 'nanosleep', ns: Math.round(n * 1e9) };
  return 0;
};

/** grep PATTERN: lines of stdin containing a match (basic regular expressions, -E, -v). */
export const grep: Program = function* (ctx) {
  const args = ctx.argv.slice(1);
  let invert = false;
  const pats: string[] = [];
  for (const a of args) {
    if (a === '-v') invert = true;
    else if (a === '-E') continue;
    else pats.push(a);
  }
  if (!pats.length) {
    yield { op: 'write', fd: 2, data: "Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.\n" };
    return 2;
  }
  const re = new RegExp(pats[0]);
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

/** A BPF-like filter: `tcp port N`, `port N`, `tcp`, or nothing. */
export function parseFilter(words: string[]): ((s: Segment) => boolean) | string {
  const w = words.join(' ').trim();
  if (!w || w === 'tcp') return () => true;
  const m = /^(?:tcp\s+)?port\s+(\d+)$/.exec(w);
  if (m) {
    const p = Number(m[1]);
    return (s) => s.sport === p || s.dport === p;
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
