/**
 * tcpdump text output: `tcpdump -nn -r FILE` lines (print-tcp.c, 4.7.4 and 4.99.3 print the
 * same TCP line), tcpdump's per-process relative-sequence hash, and the stderr banners and
 * stop summary of tcpdump.c.
 *
 * Pure: no Node APIs, no clock (the timezone is an explicit offset).
 */
import type { CapturedFrame, Segment } from '../model/types.ts';
import { TH_ACK, TH_FIN, TH_RST, TH_SYN } from '../model/types.ts';
import { ip4str } from '../model/seq.ts';
import { encodeOptions, get32, realtimeToTimeval, tcpHeaderLength } from './inet.ts';

export type TcpdumpVersion = '4.7' | '4.99';

export interface TcpdumpOptions {
  version: TcpdumpVersion;
  /** -nn: numeric hosts and ports (the only mode implemented; may be omitted). */
  numeric?: true;
  /** Local time offset from UTC in seconds (e.g. 28800 for UTC+8); 'UTC' or undefined = 0. */
  tz?: 'UTC' | number;
  /** -S: absolute sequence numbers. */
  absolute?: boolean;
}

interface SeqEntry { seq: number; ack: number }

/** tcpdump's tcp_seq_hash: one entry per unordered 4-tuple, kept for the process lifetime. */
export interface TcpdumpState {
  hash: Map<string, SeqEntry>;
}

export function newTcpdumpState(): TcpdumpState {
  return { hash: new Map() };
}

const FLAG_CHARS: Array<[number, string]> = [
  [0x01, 'F'], [0x02, 'S'], [0x04, 'R'], [0x08, 'P'], [0x10, '.'], [0x20, 'U'], [0x40, 'E'], [0x80, 'W'],
];

/** bittok2str_nosep(tcp_flag_values, "none", flags) */
export function tcpdumpFlags(flags: number): string {
  const s = FLAG_CHARS.filter(([b]) => flags & b).map(([, c]) => c).join('');
  return s === '' ? 'none' : s;
}

const pad = (n: number, w: number): string => String(n).padStart(w, '0');

/** HH:MM:SS.uuuuuu of a CLOCK_REALTIME value in the given UTC offset (seconds). */
export function tcpdumpTime(realtimeNs: number, tz: 'UTC' | number | undefined): string {
  const off = typeof tz === 'number' ? tz : 0;
  const { sec, usec } = realtimeToTimeval(realtimeNs);
  const day = (((sec + off) % 86400) + 86400) % 86400;
  return `${pad(Math.floor(day / 3600), 2)}:${pad(Math.floor(day / 60) % 60, 2)}:${pad(day % 60, 2)}.${pad(usec, 6)}`;
}

/** The options text as print-tcp.c prints it, from the encoded (padded) option bytes. */
export function tcpdumpOptions(seg: Segment): string {
  const b = encodeOptions(seg.options);
  const parts: string[] = [];
  let p = 0;
  while (p < b.length) {
    const opt = b[p];
    if (opt === 0) { parts.push('eol'); break; }
    if (opt === 1) { parts.push('nop'); p++; continue; }
    const len = b[p + 1];
    switch (opt) {
      case 2: parts.push(`mss ${(b[p + 2] << 8) | b[p + 3]}`); break;
      case 3: parts.push(`wscale ${b[p + 2]}`); break;
      case 4: parts.push('sackOK'); break;
      case 8: parts.push(`TS val ${get32(b, p + 2)} ecr ${get32(b, p + 6)}`); break;
      default: parts.push(`unknown-${opt}`);
    }
    p += len;
  }
  return parts.join(',');
}

/**
 * The relative seq/ack tcpdump prints for this segment, updating the hash as print-tcp.c does:
 * only ACK-bearing segments consult the hash; an entry is (over)written by an ACK-bearing
 * segment that has SYN or finds no entry, and that segment prints absolute numbers.
 */
export function tcpdumpSeqAck(seg: Segment, state: TcpdumpState, absolute = false): { seq: number; ack: number } {
  let seq = seg.seq >>> 0;
  let ack = seg.ack >>> 0;
  if (absolute || !(seg.flags & TH_ACK)) return { seq, ack };
  let rev = false;
  if (seg.sport > seg.dport) rev = true;
  else if (seg.sport === seg.dport && (seg.saddr >>> 0) > (seg.daddr >>> 0)) rev = true;
  const key = rev
    ? `${seg.daddr >>> 0}/${seg.saddr >>> 0}/${seg.dport}/${seg.sport}`
    : `${seg.saddr >>> 0}/${seg.daddr >>> 0}/${seg.sport}/${seg.dport}`;
  const th = state.hash.get(key);
  if (!th || seg.flags & TH_SYN) {
    state.hash.set(key, rev ? { ack: seq, seq: (ack - 1) >>> 0 } : { seq, ack: (ack - 1) >>> 0 });
  } else if (rev) {
    seq = (seq - th.ack) >>> 0; ack = (ack - th.seq) >>> 0;
  } else {
    seq = (seq - th.seq) >>> 0; ack = (ack - th.ack) >>> 0;
  }
  return { seq, ack };
}

/** One `tcpdump -nn` line (no trailing newline) for an IPv4/TCP frame. */
export function tcpdumpLine(frame: CapturedFrame, state: TcpdumpState, opts: TcpdumpOptions): string {
  const seg = frame.seg;
  const length = seg.payload.length;
  const hlen = tcpHeaderLength(seg);
  const { seq, ack } = tcpdumpSeqAck(seg, state, opts.absolute);
  let s = `${tcpdumpTime(frame.realtimeNs, opts.tz)} IP ${ip4str(seg.saddr)}.${seg.sport} > ${ip4str(seg.daddr)}.${seg.dport}: `;
  s += `Flags [${tcpdumpFlags(seg.flags)}]`;
  if (length > 0 || seg.flags & (TH_SYN | TH_FIN | TH_RST)) {
    s += `, seq ${seq}`;
    if (length > 0) s += `:${(seq + length) >>> 0}`;
  }
  if (seg.flags & TH_ACK) s += `, ack ${ack}`;
  s += `, win ${seg.window}`;
  if (seg.flags & 0x20) s += `, urg ${seg.urgent}`;
  if (hlen > 20) s += `, options [${tcpdumpOptions(seg)}]`;
  s += `, length ${length}`;
  return s;
}

/** `tcpdump -nn -r FILE` stdout for the frames (one line each, newline-terminated). */
export function renderTcpdumpRead(frames: CapturedFrame[], opts: TcpdumpOptions, state = newTcpdumpState()): string {
  return frames.map((f) => tcpdumpLine(f, state, opts) + '\n').join('');
}

const SNAPLEN = 262144;

/**
 * stderr of a live capture start. Without -w (and without -v) tcpdump first prints the
 * "verbose output suppressed" hint; with -w the single line is prefixed by "tcpdump: ".
 */
export function tcpdumpListeningBanner(o: { version: TcpdumpVersion; iface: string; withW: boolean; verbose?: boolean; snaplen?: number }): string {
  const snap = o.snaplen ?? SNAPLEN;
  const size = o.version === '4.7' ? `capture size ${snap} bytes` : `snapshot length ${snap} bytes`;
  const listening = `listening on ${o.iface}, link-type EN10MB (Ethernet), ${size}`;
  if (o.withW || o.verbose) return `tcpdump: ${listening}\n`;
  const hint = o.version === '4.7' ? 'use -v or -vv for full protocol decode' : 'use -v[v]... for full protocol decode';
  return `tcpdump: verbose output suppressed, ${hint}\n${listening}\n`;
}

/** stderr of `tcpdump -r FILE`. */
export function tcpdumpReadingBanner(o: { version: TcpdumpVersion; file: string; snaplen?: number }): string {
  const base = `reading from file ${o.file}, link-type EN10MB (Ethernet)`;
  return o.version === '4.7' ? `${base}\n` : `${base}, snapshot length ${o.snaplen ?? SNAPLEN}\n`;
}

const PLURAL_SUFFIX = (n: number): string => (n === 1 ? '' : 's');

/** The stop summary (tcpdump.c info(1)); the "dropped by interface" line only when non-zero. */
export function tcpdumpStopSummary(o: { captured: number; receivedByFilter: number; droppedByKernel: number; droppedByInterface?: number }): string {
  let s = `${o.captured} packet${PLURAL_SUFFIX(o.captured)} captured\n`;
  s += `${o.receivedByFilter} packet${PLURAL_SUFFIX(o.receivedByFilter)} received by filter\n`;
  s += `${o.droppedByKernel} packet${PLURAL_SUFFIX(o.droppedByKernel)} dropped by kernel\n`;
  if (o.droppedByInterface) s += `${o.droppedByInterface} packet${PLURAL_SUFFIX(o.droppedByInterface)} dropped by interface\n`;
  return s;
}
