/**
 * packetdrill's matching and timing rules, as pure functions over plain segments:
 *  - verify_time() (run.c): the tolerance is --tolerance_usecs (4 ms by default) or
 *    --tolerance_percent (12.5 %) of the time since the last event, whichever is larger;
 *    ranges a~b widen the window; `*` accepts any time;
 *  - the socket's sequence spaces (run_packet.c): outbound seq/ack/SACK mapped from live to
 *    script values through the ISNs, inbound ack/SACK mapped from script to live, inbound
 *    TS ecr mapped from the script's own outbound TS val to the live one it stood for;
 *  - verify_outbound_live_packet(): header fields in the tool's order and its messages
 *    (`live packet field tcp_syn: expected: 1 (0x1) vs actual: 0 (0x0)`), TCP options
 *    (kinds in order, values; TS val only with --tcp_ts_tick_usecs, ecr never), payload,
 *    then the time.
 *
 * Pure: no Node APIs, no clocks.
 */
import type { TcpOption as ScriptOption, TcpSpec, TimeSpec } from './ast.ts';

import { TH_ACK, TH_CWR, TH_ECE, TH_FIN, TH_PSH, TH_RST, TH_SYN, TH_URG, type TcpOption } from '../model/types.ts';

export { TH_ACK, TH_CWR, TH_ECE, TH_FIN, TH_PSH, TH_RST, TH_SYN, TH_URG };
/** The AE bit (the NS bit of RFC 3540), below CWR in the 12-bit flags field. */
export const TH_AE = 0x100;

/** A TCP option as a live segment carries it (the model's TcpOption plus the kinds it lacks). */
export type LiveOption = TcpOption | { kind: 'sack'; blocks: [number, number][] };

/** What the runner needs of a live outbound segment. */
export interface LiveSegment {
  /** When it left the stack, µs since the script started. */
  usecs: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  urgent: number;
  options: LiveOption[];
  payloadLen: number;
  /** Whether every payload byte is zero (packetdrill's script payloads are zeros). */
  payloadZero: boolean;
  tos: number;
  ttl: number;
}

export interface Tolerance {
  usecs: number;
  percent: number;
}

export const DEFAULT_TOLERANCE: Tolerance = { usecs: 4000, percent: 12.5 };

const secs = (usecs: number): string => (usecs / 1e6).toFixed(6);

/** An event's time after adjust_relative_event_times(): absolute µs since the script start. */
export interface EventTimes {
  type: TimeSpec['kind'];
  usecs: number;
  endUsecs: number;
  /** The base a relative time was added to (for the relative-range message). */
  offsetUsecs: number;
}

/**
 * adjust_relative_event_times(): relative times count from the live time the previous event
 * finished, except that consecutive inbound packets anchor on the previous one's script time
 * (so CPU overheads do not accumulate).
 */
export function adjustTimes(time: TimeSpec, nowUsecs: number, last: { usecs: number; inbound: boolean } | null, inbound: boolean): EventTimes {
  if (time.kind === 'absolute') return { type: 'absolute', usecs: time.usecs, endUsecs: -1, offsetUsecs: 0 };
  if (time.kind === 'absolute-range') return { type: 'absolute-range', usecs: time.usecs, endUsecs: time.endUsecs, offsetUsecs: 0 };
  const offset = last && last.inbound && inbound ? last.usecs : nowUsecs;
  if (time.kind === 'any') return { type: 'any', usecs: offset, endUsecs: -1, offsetUsecs: offset };
  if (time.kind === 'relative') return { type: 'relative', usecs: time.usecs + offset, endUsecs: -1, offsetUsecs: offset };
  return { type: 'relative-range', usecs: time.usecs + offset, endUsecs: time.endUsecs + offset, offsetUsecs: offset };
}

/** The tolerance verify_time() applies: usecs, or percent of the time since the last event. */
export function toleranceFor(tol: Tolerance, scriptUsecs: number, lastEventUsecs: number | null): number {
  let t = tol.usecs;
  if (lastEventUsecs !== null) {
    const dynamic = Math.trunc((tol.percent / 100) * (scriptUsecs - lastEventUsecs));
    if (dynamic > t) t = dynamic;
  }
  return t;
}

/**
 * verify_time(): null when `actualUsecs` is acceptable for the event, else the tool's message.
 * `description` is "outbound packet", "inbound packet", "system call start", "system call return".
 */
export function verifyTime(tol: Tolerance, ev: EventTimes, actualUsecs: number, lastEventUsecs: number | null, description: string): string | null {
  if (ev.type === 'any') return null;
  const t = toleranceFor(tol, ev.usecs, lastEventUsecs);
  if (ev.type === 'absolute-range' || ev.type === 'relative-range') {
    if (actualUsecs >= ev.usecs - t && actualUsecs <= ev.endUsecs + t) return null;
    if (ev.type === 'absolute-range')
      return `timing error: expected ${description} in time range ${secs(ev.usecs)}~${secs(ev.endUsecs)} sec but happened at ${secs(actualUsecs)} sec`;
    const o = ev.offsetUsecs;
    const signed = (u: number) => (u >= 0 ? '+' : '') + secs(u);
    return `timing error: expected ${description} in relative time range +${secs(ev.usecs - o)}~+${secs(ev.endUsecs - o)} sec but happened at ${signed(actualUsecs - o)} sec`;
  }
  if (actualUsecs >= ev.usecs - t && actualUsecs <= ev.usecs + t) return null;
  return `timing error: expected ${description} at ${secs(ev.usecs)} sec but happened at ${secs(actualUsecs)} sec; tolerance ${secs(t)} sec`;
}

/** The sequence spaces of the socket under test (struct socket's script/live ISNs, TS map). */
export interface SeqState {
  scriptLocalIsn: number;
  liveLocalIsn: number;
  scriptRemoteIsn: number;
  liveRemoteIsn: number;
  /** script TS val -> live TS val, from matched outbound packets (set_outbound_ts_val_mapping). */
  tsVal: Map<number, number>;
  firstTs: { script: number; actual: number } | null;
}

export function newSeqState(): SeqState {
  return { scriptLocalIsn: 0, liveLocalIsn: 0, scriptRemoteIsn: 0, liveRemoteIsn: 0, tsVal: new Map(), firstTs: null };
}

const u32 = (x: number): number => x >>> 0;

/**
 * socket.h's offsets between script and live sequence space. packetdrill picks the remote side's
 * live ISN (the script's SYN seq), so a remote SYN's seq is taken as written and every later remote
 * seq is relative to that ISN: `< S 3000000000:3000000000(0)` then `< . 1:1(0)`. The kernel picks
 * the local ISN, so a local SYN's seq is shifted by (live - script) ISN and later local seqs are
 * relative to the live ISN.
 */
function remoteSeqScriptToLiveOffset(st: SeqState, isSyn: boolean): number {
  return isSyn ? 0 : st.liveRemoteIsn;
}
export function localSeqScriptToLiveOffset(st: SeqState, isSyn: boolean): number {
  return isSyn ? st.liveLocalIsn - st.scriptLocalIsn : st.liveLocalIsn;
}

/** Flags as bits, from a script's flag letters (new_tcp_packet()). */
export function scriptFlagBits(flags: string): number {
  let f = 0;
  const has = (c: string) => flags.includes(c);
  if (has('F')) f |= TH_FIN;
  if (has('S')) f |= TH_SYN;
  if (has('R')) f |= TH_RST;
  if (has('P')) f |= TH_PSH;
  if (has('.')) f |= TH_ACK;
  if (has('U')) f |= TH_URG;
  const ace = /[0-7]/.exec(flags);
  if (ace) {
    const n = Number(ace[0]);
    if (n & 1) f |= TH_ECE;
    if (n & 2) f |= TH_CWR;
    if (n & 4) f |= TH_AE;
  } else {
    if (has('E')) f |= TH_ECE;
    if (has('W')) f |= TH_CWR;
    if (has('A')) f |= TH_AE;
  }
  return f;
}

/** Flag letters as packetdrill prints them. */
export function flagLetters(f: number): string {
  let s = '';
  if (f & TH_FIN) s += 'F';
  if (f & TH_SYN) s += 'S';
  if (f & TH_RST) s += 'R';
  if (f & TH_PSH) s += 'P';
  if (f & TH_URG) s += 'U';
  if (f & TH_ECE) s += 'E';
  if (f & TH_CWR) s += 'W';
  if (f & TH_AE) s += 'A';
  if (f & TH_ACK) s += '.';
  return s || '-';
}

/** On-the-wire bytes of a list of live options, padded to 4 as the kernel pads. */
export function liveOptionsLength(opts: LiveOption[]): number {
  let n = 0;
  for (const o of opts) n += o.kind === 'nop' || o.kind === 'eol' ? 1 : o.kind === 'mss' ? 4 : o.kind === 'wscale' ? 3 : o.kind === 'sackOK' ? 2 : o.kind === 'ts' ? 10 : 2 + 8 * o.blocks.length;
  return (n + 3) & ~3;
}

function scriptOptionsLength(opts: ScriptOption[]): number {
  let n = 0;
  for (const o of opts) {
    switch (o.kind) {
      case 'nop':
      case 'eol':
        n += 1;
        break;
      case 'mss':
        n += 4;
        break;
      case 'wscale':
        n += 3;
        break;
      case 'sackOK':
        n += 2;
        break;
      case 'ts':
        n += 10;
        break;
      case 'sack':
        n += 2 + 8 * o.blocks.length;
        break;
      case 'md5':
        n += 2 + o.digest.length / 2;
        break;
      case 'fo':
        n += 2 + o.cookie.length / 2;
        break;
      case 'foexp':
        n += 4 + o.cookie.length / 2;
        break;
      case 'accecn':
        n += 2 + 3 * o.fields.length;
        break;
    }
  }
  return n;
}

/** A script option as packetdrill prints it. */
export function optionText(o: ScriptOption | LiveOption): string {
  switch (o.kind) {
    case 'mss':
      return `mss ${o.value}`;
    case 'wscale':
      return `wscale ${o.shift}`;
    case 'ts':
      return `TS val ${o.val} ecr ${o.ecr}`;
    case 'sack':
      return `sack ${o.blocks.map(([a, b]) => `${a}:${b}`).join(' ')}`;
    case 'md5':
      return `md5 ${o.digest}`;
    case 'fo':
      return `FO ${o.cookie}`.trimEnd();
    case 'foexp':
      return `FOEXP ${o.cookie}`.trimEnd();
    case 'accecn':
      return `ECN ${o.fields.map((f) => `${f.name} ${f.value}`).join(' ')}`;
    default:
      return o.kind;
  }
}

/** A live segment (already in script space) in packetdrill's short form. */
export function liveText(s: { flags: number; seq: number; payloadLen: number; ack: number; window: number; options: LiveOption[] }): string {
  const end = u32(s.seq + s.payloadLen);
  let t = `${flagLetters(s.flags)} ${s.seq}:${end}(${s.payloadLen})`;
  if (s.flags & TH_ACK) t += ` ack ${s.ack}`;
  t += ` win ${s.window}`;
  if (s.options.length) t += ` <${s.options.map(optionText).join(',')}>`;
  return t;
}

/** A script TCP line's packet part. */
export function scriptText(t: TcpSpec): string {
  let s = `${t.flags || '-'} ${t.seq}:${t.end}(${t.len})`;
  if (t.flags.includes('.') || t.ack) s += ` ack ${t.ack}`;
  if (t.win !== null) s += ` win ${t.win}`;
  if (t.options === null) s += ' <...>';
  else if (t.options.length) s += ` <${t.options.map(optionText).join(',')}>`;
  return s;
}

const field = (name: string, expected: number, actual: number): string | null =>
  expected === actual ? null : `live packet field ${name}: expected: ${expected} (0x${expected.toString(16)}) vs actual: ${actual} (0x${actual.toString(16)})`;

export interface OutboundCheck {
  /** The live packet mapped into script space (for messages). */
  actual: LiveSegment;
  error: string | null;
}

/**
 * map_outbound_live_packet() + verify_outbound_live_packet() for a TCP line, except the time
 * (checked by the caller with verifyTime, after these). Updates the socket's TS val mapping
 * as packetdrill does, even when a later check fails.
 */
export function verifyOutbound(spec: TcpSpec, live: LiveSegment, st: SeqState, o: { tsTickUsecs: number; tol: Tolerance; eventUsecs: number }): OutboundCheck {
  // live -> script sequence space
  // tcp_convert_seq_number(): is_syn is the packet's SYN bit (a SYN-ACK too); the ack is mapped
  // only when the ACK bit is set
  const isSyn = !!(live.flags & TH_SYN);
  const ackOff = remoteSeqScriptToLiveOffset(st, isSyn);
  const actual: LiveSegment = {
    ...live,
    seq: u32(live.seq - localSeqScriptToLiveOffset(st, isSyn)),
    ack: live.flags & TH_ACK ? u32(live.ack - ackOff) : live.ack,
    options: live.options.map((x) =>
      x.kind === 'sack' ? { kind: 'sack', blocks: x.blocks.map(([a, b]) => [u32(a - ackOff), u32(b - ackOff)] as [number, number]) } : x,
    ),
  };
  const sTs = spec.options?.find((x) => x.kind === 'ts') as Extract<ScriptOption, { kind: 'ts' }> | undefined;
  const aTsIdx = actual.options.findIndex((x) => x.kind === 'ts');
  if (sTs && aTsIdx >= 0) {
    const aTs = actual.options[aTsIdx] as Extract<LiveOption, { kind: 'ts' }>;
    st.tsVal.set(sTs.val, aTs.val);
    if (!st.firstTs) st.firstTs = { script: sTs.val, actual: aTs.val };
    const opts = actual.options.slice();
    opts[aTsIdx] = { kind: 'ts', val: u32(st.firstTs.script + aTs.val - st.firstTs.actual), ecr: aTs.ecr };
    actual.options = opts;
  }
  const err = (e: string | null): OutboundCheck => ({ actual, error: e });
  const unchecked = spec.options === null;
  const aOptLen = liveOptionsLength(actual.options);
  const sOptLen = unchecked ? aOptLen : scriptOptionsLength(spec.options!);
  // IPv4 total length: headers, options and payload
  const e0 = field('ipv4_total_length', 40 + sOptLen + spec.len, 40 + aOptLen + actual.payloadLen);
  if (e0) return err(e0);
  const sf = scriptFlagBits(spec.flags);
  const af = actual.flags;
  const ace = /[0-7]/.test(spec.flags);
  const bit = (f: number, b: number) => (f & b ? 1 : 0);
  const checks: [string, number, number][] = [
    ['tcp_data_offset', 5 + sOptLen / 4, 5 + aOptLen / 4],
    ['tcp_fin', bit(sf, TH_FIN), bit(af, TH_FIN)],
    ['tcp_syn', bit(sf, TH_SYN), bit(af, TH_SYN)],
    ['tcp_rst', bit(sf, TH_RST), bit(af, TH_RST)],
    ['tcp_psh', bit(sf, TH_PSH), bit(af, TH_PSH)],
    ['tcp_ack', bit(sf, TH_ACK), bit(af, TH_ACK)],
    ['tcp_urg', bit(sf, TH_URG), bit(af, TH_URG)],
  ];
  if (ace) {
    const aceOf = (f: number) => (f & TH_AE ? 4 : 0) | (f & TH_CWR ? 2 : 0) | (f & TH_ECE ? 1 : 0);
    checks.push(['tcp_ace', aceOf(sf), aceOf(af)]);
  } else checks.push(['tcp_ece', bit(sf, TH_ECE), bit(af, TH_ECE)], ['tcp_cwr', bit(sf, TH_CWR), bit(af, TH_CWR)], ['tcp_ae', bit(sf, TH_AE), bit(af, TH_AE)]);
  checks.push(['tcp_seq', spec.seq, actual.seq], ['tcp_ack_seq', spec.ack, actual.ack]);
  if (spec.win !== null) checks.push(['tcp_window', spec.win, actual.window]);
  checks.push(['tcp_urg_ptr', spec.urg, actual.urgent]);
  for (const [name, e, a] of checks) {
    const m = field(name, e, a);
    if (m) return err(m);
  }
  if (!unchecked) {
    const so = spec.options!;
    const ao = actual.options;
    for (let i = 0; i < Math.max(so.length, ao.length); i++) {
      const s = so[i];
      const a = ao[i];
      if (!s || !a || s.kind !== a.kind) return err('bad outbound TCP options');
      if (s.kind === 'ts' && a.kind === 'ts') {
        if (o.tsTickUsecs) {
          const tol = toleranceFor(o.tol, o.eventUsecs, 0);
          if (Math.abs(((a.val - s.val) << 0) * o.tsTickUsecs) > tol) return err(`bad outbound TCP timestamp value, tolerance ${tol}`);
        }
        continue;
      }
      if (s.kind === 'nop' || s.kind === 'eol') continue;
      const st2 = optionText(s);
      const at = optionText(a);
      if (st2 !== at) {
        const kind = { mss: 2, wscale: 3, sackOK: 4, sack: 5, ts: 8 }[s.kind as 'mss'] ?? 0;
        const lenS = scriptOptionsLength([s]);
        const lenA = scriptOptionsLength([a as ScriptOption]);
        return err(`${lenS !== lenA ? 'bad length' : 'bad value'} in outbound TCP option (kind=${kind}): expected: ${st2} actual: ${at}`);
      }
    }
  }
  if (!actual.payloadZero) return err('incorrect outbound data payload');
  return err(null);
}

/**
 * Script -> live for an inbound TCP line (map_inbound_packet()): seq through the remote ISN, ack and
 * SACK through the local ISNs, TS ecr through the TS val map.
 */
export function mapInbound(spec: TcpSpec, st: SeqState): { seq: number; ack: number; options: LiveOption[] } | { error: string } {
  const isSyn = spec.flags.includes('S');
  const off = localSeqScriptToLiveOffset(st, isSyn);
  const seq = u32(spec.seq + remoteSeqScriptToLiveOffset(st, isSyn));
  const ack = spec.flags.includes('.') ? u32(spec.ack + off) : u32(spec.ack);
  const options: LiveOption[] = [];
  for (const x of spec.options ?? []) {
    if (x.kind === 'sack') options.push({ kind: 'sack', blocks: x.blocks.map(([a, b]) => [u32(a + off), u32(b + off)] as [number, number]) });
    else if (x.kind === 'ts') {
      let ecr = x.ecr;
      if (spec.flags.includes('.')) {
        const live = st.tsVal.get(x.ecr);
        if (live === undefined) return { error: `unable to infer live TS ecr for script TS ecr ${x.ecr};  no matching or preceding outbound TS val` };
        ecr = live;
      }
      options.push({ kind: 'ts', val: x.val, ecr });
    } else if (x.kind === 'mss' || x.kind === 'wscale' || x.kind === 'sackOK' || x.kind === 'nop' || x.kind === 'eol') options.push(x);
    else return { error: `inbound option ${optionText(x)} is not modelled` };
  }
  return { seq, ack, options };
}
