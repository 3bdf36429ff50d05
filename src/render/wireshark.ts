/**
 * A Wireshark-compatible TCP analyser (packet-tcp.c: conversations and stream indexes,
 * port reuse, relative sequence numbers, tcp_analyze_sequence_number(), iRTT, window
 * scaling, expert infos) and two printers:
 *  - renderTsharkSummary(): the `tshark -r FILE` one-line-per-frame layout of tshark 4.0;
 *  - renderFrameDetail(): a packet-details tree in the Wireshark 2.x style quoted by the
 *    seed blog (GUI "copy as text"; 4-space indentation), or a 4.0-flavoured variant.
 *
 * The analysis is a single sequential first pass, as Wireshark does it. Values a GUI shows
 * from the *final* conversation state (iRTT, window scale, base sequence numbers) are kept
 * separately so a renderer can choose the GUI view ('gui') or tshark's one-pass view ('single').
 *
 * Pure: no Node APIs.
 */
import type { CapturedFrame, Segment } from '../model/types.ts';
import { TH_ACK, TH_FIN, TH_PSH, TH_RST, TH_SYN, TH_URG } from '../model/types.ts';
import { ip4str } from '../model/seq.ts';
import { ETH_HLEN, IP_HLEN, encodeOptions, frameLength, get32, realtimeToMicros, tcpHeaderLength, tcpPartialChecksum } from './inet.ts';
import { encodeFrame } from './pcap.ts';

export type WiresharkVersion = '2.x' | '4.0';

/** tcp_acked flags (TCP_A_*), values as in packet-tcp.h. */
export const TCP_A_RETRANSMISSION = 0x0001;
export const TCP_A_LOST_PACKET = 0x0002;
export const TCP_A_ACK_LOST_PACKET = 0x0004;
export const TCP_A_KEEP_ALIVE = 0x0008;
export const TCP_A_DUPLICATE_ACK = 0x0010;
export const TCP_A_ZERO_WINDOW = 0x0020;
export const TCP_A_ZERO_WINDOW_PROBE = 0x0040;
export const TCP_A_ZERO_WINDOW_PROBE_ACK = 0x0080;
export const TCP_A_KEEP_ALIVE_ACK = 0x0100;
export const TCP_A_OUT_OF_ORDER = 0x0200;
export const TCP_A_FAST_RETRANSMISSION = 0x0400;
export const TCP_A_WINDOW_UPDATE = 0x0800;
export const TCP_A_WINDOW_FULL = 0x1000;
export const TCP_A_REUSED_PORTS = 0x2000;
export const TCP_A_SPURIOUS_RETRANSMISSION = 0x4000;

const u32 = (x: number): number => x >>> 0;
const GT_SEQ = (a: number, b: number): boolean => ((a - b) | 0) > 0;
const LT_SEQ = (a: number, b: number): boolean => ((a - b) | 0) < 0;
const LE_SEQ = (a: number, b: number): boolean => ((a - b) | 0) <= 0;

interface Unacked { frame: number; seq: number; nextseq: number; tsUs: number }

/** One direction of a conversation (struct tcp_flow + tcp_analyze_seq_flow_info_t). */
export interface TcpFlow {
  baseSeq: number;
  baseSet: boolean;
  /** -1 unknown, -2 no window scaling used, >= 0 the shift. */
  winScale: number;
  window: number;
  nextseq: number;
  nextseqframe: number;
  nextseqtimeUs: number;
  maxseqtobeacked: number;
  lastack: number;
  lastacktimeUs: number;
  lastnondupack: number;
  dupacknum: number;
  lastsegmentflags: number;
  segments: Unacked[]; // head = most recent
  validBif: boolean;
  pushSetLast: boolean;
  pushBytesSent: number;
  /** is_first_ack: the flow's last segment was its SYN (or SYN-ACK), whose window is never scaled. */
  isFirstAck: boolean;
}

export interface TcpConversation {
  stream: number;
  /** "addr:port" of the endpoint whose packets use flow1. */
  key1: string;
  flow1: TcpFlow;
  flow2: TcpFlow;
  firstFrame: number;
  tsFirstUs: number | null;
  tsPrevUs: number;
  tsMruSynUs: number | null;
  /** Final iRTT (ts_first_rtt) in microseconds; null until known. */
  iRttUs: number | null;
  /** 4.0 conversation completeness bits (1 SYN, 2 SYN-ACK, 4 ACK, 8 DATA, 16 FIN, 32 RST). */
  completeness: number;
  /** Frame number of the first FIN seen in the conversation (0 = none), and its direction. */
  firstFin: number;
  firstFinDir: 0 | 1 | 2;
  /** Frame number of the first FIN from the other direction (0 = none). */
  secondFin: number;
}

export interface TcpFrameAnalysis {
  /** 1-based frame number. */
  frame: number;
  segment: Segment;
  timeUs: number;
  /** Time since the first frame of the file. */
  relTimeUs: number;
  stream: number;
  conv: TcpConversation;
  /** Which flow is "fwd" for this frame (1 or 2). */
  dir: 1 | 2;
  seglen: number;
  hlen: number;
  rawSeq: number;
  rawAck: number;
  /** Relative numbers with the bases as they were when the frame was dissected (first pass). */
  seq: number;
  ack: number;
  /** Next sequence number as 4.0 shows it (SYN/FIN count even without data). */
  nxtseq4: number;
  /** Window scale (fwd) at dissection time; calculated window. */
  winScale: number;
  calcWindow: number;
  /** true when Wireshark created a tcp_acked struct for the frame (shows [SEQ/ACK analysis]). */
  hasTa: boolean;
  flags: number;
  ackedFrame?: number;
  ackRttUs?: number;
  rtoUs?: number;
  rtoFrame?: number;
  dupackNum?: number;
  dupackFrame?: number;
  bytesInFlight?: number;
  pushBytesSent?: number;
  /** iRTT as known right after this frame (tshark one-pass view). */
  iRttUs: number | null;
  tsSinceFirstUs: number;
  tsSincePrevUs: number;
  /** Conversation completeness as tshark's one pass shows it on this frame (before this frame's update). */
  completeness: number;
  /** This frame is the first FIN of its conversation ("initiates the connection closing", 4.0). */
  initiatesClose: boolean;
  /** The first FIN from the other side ("undergoes the connection closing", 4.0). */
  undergoesClose: boolean;
}

export interface TcpAnalysis {
  version: WiresharkVersion;
  frames: TcpFrameAnalysis[];
  conversations: TcpConversation[];
}

function newFlow(): TcpFlow {
  return {
    baseSeq: 0, baseSet: false, winScale: -1, window: 0, nextseq: 0, nextseqframe: 0, nextseqtimeUs: 0,
    maxseqtobeacked: 0, lastack: 0, lastacktimeUs: 0, lastnondupack: 0, dupacknum: 0, lastsegmentflags: 0,
    segments: [], validBif: true, pushSetLast: false, pushBytesSent: 0, isFirstAck: false,
  };
}

const TCP_MAX_UNACKED_SEGMENTS = 1000;

export interface AnalyzeOptions {
  version: WiresharkVersion;
  /** tcp.relative_sequence_numbers (default true). */
  relative?: boolean;
}

/** Run Wireshark's first-pass TCP analysis over the frames. */
export function analyzeTcp(frames: CapturedFrame[], opts: AnalyzeOptions): TcpAnalysis {
  const version = opts.version;
  const relative = opts.relative ?? true;
  const convs: TcpConversation[] = [];
  const byTuple = new Map<string, TcpConversation>();
  const out: TcpFrameAnalysis[] = [];
  const t0 = frames.length ? realtimeToMicros(frames[0].realtimeNs) : 0;

  frames.forEach((f, idx) => {
    const seg = f.seg;
    const num = idx + 1;
    const now = realtimeToMicros(f.realtimeNs);
    const src = `${u32(seg.saddr)}:${seg.sport}`;
    const dst = `${u32(seg.daddr)}:${seg.dport}`;
    const tuple = src < dst ? `${src}|${dst}` : `${dst}|${src}`;
    const mk = (): TcpConversation => {
      const c: TcpConversation = {
        stream: convs.length, key1: src, flow1: newFlow(), flow2: newFlow(), firstFrame: num,
        tsFirstUs: null, tsPrevUs: 0, tsMruSynUs: null, iRttUs: null, completeness: 0, firstFin: 0, firstFinDir: 0, secondFin: 0,
      };
      convs.push(c);
      byTuple.set(tuple, c);
      return c;
    };
    let conv = byTuple.get(tuple) ?? mk();
    const dirOf = (c: TcpConversation): 1 | 2 => (c.key1 === src ? 1 : 2);
    let dir = dirOf(conv);
    let fwd = dir === 1 ? conv.flow1 : conv.flow2;
    let taFlags = 0;
    let hasTa = false;
    const ta: Partial<TcpFrameAnalysis> = {};
    const flags = seg.flags;

    // Port reuse on a pure SYN with a different ISN: a new conversation.
    if ((flags & (TH_SYN | TH_ACK)) === TH_SYN && fwd.baseSet && u32(seg.seq) !== fwd.baseSeq) {
      conv = mk();
      conv.completeness = 1; // tshark 4.0.17 shows SYN_SENT (1) on the reusing SYN itself
      dir = dirOf(conv);
      fwd = dir === 1 ? conv.flow1 : conv.flow2;
      hasTa = true; taFlags |= TCP_A_REUSED_PORTS;
    }
    // SYN/ACK with a different ISN: flagged, same conversation.
    let resetBase = false;
    if ((flags & (TH_SYN | TH_ACK)) === (TH_SYN | TH_ACK) && fwd.baseSet && u32(seg.seq) !== fwd.baseSeq) {
      hasTa = true; taFlags |= TCP_A_REUSED_PORTS;
      resetBase = version === '4.0';
    }
    const rev = dir === 1 ? conv.flow2 : conv.flow1;

    // tcp_calculate_timestamps
    if (conv.tsFirstUs === null) { conv.tsFirstUs = now; conv.tsPrevUs = now; }
    const tsSinceFirstUs = now - conv.tsFirstUs;
    const tsSincePrevUs = now - conv.tsPrevUs;
    conv.tsPrevUs = now;

    const hlen = tcpHeaderLength(seg);
    const seglen = seg.payload.length;
    const completenessShown = conv.completeness;
    if ((seg.flags & (TH_SYN | TH_ACK)) === TH_SYN) conv.completeness |= 1;
    else if ((seg.flags & (TH_SYN | TH_ACK)) === (TH_SYN | TH_ACK)) conv.completeness |= 2;
    else if (seg.flags & TH_ACK) conv.completeness |= 4;
    if (seglen > 0) conv.completeness |= 8;
    if (seg.flags & TH_FIN) conv.completeness |= 16;
    if (seg.flags & TH_RST) conv.completeness |= 32;
    const initiatesClose = (seg.flags & TH_FIN) !== 0 && conv.firstFin === 0;
    const undergoesClose = (seg.flags & TH_FIN) !== 0 && !initiatesClose && conv.secondFin === 0 && conv.firstFinDir !== dir;
    if (initiatesClose) { conv.firstFin = num; conv.firstFinDir = dir; }
    if (undergoesClose) conv.secondFin = num;
    const seq = u32(seg.seq);
    const ack = u32(seg.ack);
    const window = seg.window;

    // ---- tcp_analyze_sequence_number ----
    if (!fwd.baseSet) {
      fwd.baseSeq = flags & TH_SYN ? seq : u32(seq - 1);
      fwd.baseSet = true;
    } else if (resetBase) {
      fwd.baseSeq = seq; // 4.0: a SYN/ACK of a reused session re-bases the direction
    }
    if (!rev.baseSet && flags & TH_ACK) {
      rev.baseSeq = u32(ack - 1);
      rev.baseSet = true;
    }
    if (flags & TH_ACK) rev.validBif = true;

    const setTa = (fl: number): void => { hasTa = true; taFlags |= fl; };
    let skipToFinished = false;
    if (seglen === 1 && seq === fwd.nextseq && rev.window === 0) {
      setTa(TCP_A_ZERO_WINDOW_PROBE);
      skipToFinished = true;
    }
    if (!skipToFinished) {
      if (window === 0 && (flags & (TH_RST | TH_FIN | TH_SYN)) === 0) setTa(TCP_A_ZERO_WINDOW);
      if (fwd.nextseq && GT_SEQ(seq, fwd.nextseq) && (flags & TH_RST) === 0) {
        setTa(TCP_A_LOST_PACKET);
        fwd.validBif = false;
      }
      if ((seglen === 0 || seglen === 1) && seq === u32(fwd.nextseq - 1) && (flags & (TH_SYN | TH_FIN | TH_RST)) === 0) {
        setTa(TCP_A_KEEP_ALIVE);
      }
      if (seglen === 0 && window && window !== fwd.window && seq === fwd.nextseq && ack === fwd.lastack
        && (flags & (TH_SYN | TH_FIN | TH_RST)) === 0) {
        setTa(TCP_A_WINDOW_UPDATE);
      }
      if (seglen > 0 && rev.winScale !== -1
        && u32(seq + seglen) === u32(rev.lastack + rev.window * 2 ** (rev.isFirstAck || rev.winScale === -2 ? 0 : rev.winScale))
        && (flags & (TH_SYN | TH_FIN | TH_RST)) === 0) {
        setTa(TCP_A_WINDOW_FULL);
      }
      const sameAsLast = seglen === 0 && seq === fwd.nextseq && ack === fwd.lastack && (flags & (TH_SYN | TH_FIN | TH_RST)) === 0;
      if (sameAsLast && window && window === fwd.window && rev.lastsegmentflags & TCP_A_KEEP_ALIVE) {
        setTa(TCP_A_KEEP_ALIVE_ACK);
        skipToFinished = true;
      } else if (sameAsLast && window === 0 && window === fwd.window && rev.lastsegmentflags & TCP_A_ZERO_WINDOW_PROBE) {
        setTa(TCP_A_ZERO_WINDOW_PROBE_ACK);
        skipToFinished = true;
      } else if (sameAsLast && window && window === fwd.window) {
        // -1 (an ACKed unseen segment was reported for this direction) counts as none
        fwd.dupacknum = fwd.dupacknum === -1 ? 1 : fwd.dupacknum + 1;
        setTa(TCP_A_DUPLICATE_ACK);
        ta.dupackNum = fwd.dupacknum;
        ta.dupackFrame = fwd.lastnondupack;
      }
    }
    // finished_fwd:
    if (ack !== fwd.lastack) {
      fwd.lastnondupack = num;
      fwd.dupacknum = 0;
    }
    if (rev.maxseqtobeacked && GT_SEQ(ack, rev.maxseqtobeacked) && flags & TH_ACK) {
      hasTa = true;
      if (LT_SEQ(rev.maxseqtobeacked, rev.nextseq)) {
        // the other direction sent more since: move 'max seq to be acked' up to it
        rev.maxseqtobeacked = rev.nextseq;
        setTa(TCP_A_ACK_LOST_PACKET);
      } else {
        // the other direction stalled with pure ACKs: one message for the same lost segment
        // (its dupacknum -1 until it counts a duplicate ACK)
        if (rev.dupacknum === 0) setTa(TCP_A_ACK_LOST_PACKET);
        rev.dupacknum = -1;
      }
    }
    if (seglen > 0 || flags & (TH_SYN | TH_FIN)) {
      const seqNotAdvanced = fwd.nextseq !== 0 && LT_SEQ(seq, fwd.nextseq);
      retrans: {
        if (taFlags & TCP_A_KEEP_ALIVE) break retrans;
        let t = now - rev.lastacktimeUs;
        if (seqNotAdvanced && rev.dupacknum >= 2 && rev.lastack === seq && t < 20000) {
          setTa(TCP_A_FAST_RETRANSMISSION);
          break retrans;
        }
        t = now - fwd.nextseqtimeUs;
        const oooThres = conv.iRttUs ? conv.iRttUs : 3000;
        if (seqNotAdvanced && t < oooThres && fwd.nextseq !== u32(seq + seglen)) {
          setTa(TCP_A_OUT_OF_ORDER);
          break retrans;
        }
        if (seglen > 0 && rev.lastack && LE_SEQ(u32(seq + seglen), rev.lastack)) {
          setTa(TCP_A_SPURIOUS_RETRANSMISSION);
          break retrans;
        }
        if (seqNotAdvanced) {
          setTa(TCP_A_RETRANSMISSION);
          ta.rtoUs = now - fwd.nextseqtimeUs;
          ta.rtoFrame = fwd.nextseqframe;
        }
      }
    }
    // finished_checking_retransmission_type:
    let nextseq = u32(seq + seglen);
    if ((seglen || flags & (TH_SYN | TH_FIN)) && fwd.segments.length < TCP_MAX_UNACKED_SEGMENTS) {
      if (flags & (TH_SYN | TH_FIN)) nextseq = u32(nextseq + 1);
      fwd.segments.unshift({ frame: num, seq, nextseq, tsUs: now });
    }
    const zwp = (taFlags & TCP_A_ZERO_WINDOW_PROBE) !== 0;
    // 4.0 (checked with tshark 4.0.17): a (re-sent) SYN moves nextseq back to its own, so a
    // SYN re-sent after a RST that jumped ahead does not make the later FIN a "retransmission".
    const synRebase = version === '4.0' && (flags & TH_SYN) !== 0;
    if (GT_SEQ(nextseq, fwd.nextseq) || !fwd.nextseq || synRebase) {
      if (!zwp) {
        fwd.nextseq = nextseq;
        fwd.nextseqframe = num;
        fwd.nextseqtimeUs = now;
      }
    }
    if (seq === fwd.maxseqtobeacked || !fwd.maxseqtobeacked) {
      if (!zwp) fwd.maxseqtobeacked = fwd.nextseq;
    }
    fwd.window = window;
    fwd.isFirstAck = (flags & TH_SYN) !== 0;
    fwd.lastack = ack;
    fwd.lastacktimeUs = now;
    fwd.lastsegmentflags = hasTa ? taFlags : 0;

    // remove all segments this ACKs
    const list = rev.segments;
    for (let i = 0; i < list.length;) {
      const ual = list[i];
      if (ack === ual.nextseq) {
        hasTa = true;
        ta.ackedFrame = ual.frame;
        ta.ackRttUs = now - ual.tsUs;
      } else if (GT_SEQ(ack, ual.seq) && LE_SEQ(ack, ual.nextseq)) {
        ual.seq = ack;
        continue;
      } else if (GT_SEQ(ual.nextseq, ack)) {
        i++;
        continue;
      }
      list.splice(i, 1);
    }

    // bytes in flight (tcp.track_bytes_in_flight, default on)
    if (seglen !== 0 && fwd.segments.length && fwd.validBif) {
      const first = fwd.segments[0];
      let firstSeq = u32(first.seq - fwd.baseSeq);
      let lastSeq = u32(first.nextseq - fwd.baseSeq);
      for (const s of fwd.segments) {
        if (u32(s.nextseq - fwd.baseSeq) > lastSeq) lastSeq = u32(s.nextseq - fwd.baseSeq);
        if (u32(s.seq - fwd.baseSeq) < firstSeq) firstSeq = u32(s.seq - fwd.baseSeq);
      }
      const inFlight = u32(lastSeq - firstSeq);
      if (inFlight > 0 && inFlight < 2000000000) { hasTa = true; ta.bytesInFlight = inFlight; }
      if (flags & TH_PSH && !fwd.pushSetLast) { fwd.pushBytesSent += seglen; fwd.pushSetLast = true; }
      else if (flags & TH_PSH && fwd.pushSetLast) { fwd.pushBytesSent = seglen; fwd.pushSetLast = true; }
      else if (fwd.pushSetLast) { fwd.pushBytesSent = seglen; fwd.pushSetLast = false; }
      else fwd.pushBytesSent += seglen;
      hasTa = true;
      ta.pushBytesSent = fwd.pushBytesSent;
    }
    // ---- end of tcp_analyze_sequence_number ----

    // window scale option (tcp_dissect_options -> pdu_store_window_scale_option): SYNs only
    const relSeq = relative ? u32(seq - fwd.baseSeq) : seq;
    const relAck = relative && flags & TH_ACK ? u32(ack - rev.baseSeq) : ack;
    const winScale = fwd.winScale;
    const calcWindow = !(flags & TH_SYN) && winScale >= 0 ? window * 2 ** winScale : window;

    // ts_mru_syn and iRTT
    if ((flags & (TH_SYN | TH_ACK)) === TH_SYN) conv.tsMruSynUs = now;
    if ((flags & (TH_SYN | TH_ACK)) === TH_ACK && conv.tsMruSynUs !== null && conv.iRttUs === null) {
      conv.iRttUs = now - conv.tsMruSynUs;
      if (conv.iRttUs === 0) conv.iRttUs = null; // nstime_is_zero
    }
    if (flags & TH_SYN) {
      const ws = seg.options.find((o) => o.kind === 'wscale');
      if (ws && ws.kind === 'wscale') fwd.winScale = Math.min(ws.shift, 14);
      // verify_tcp_window_scaling()
      if (fwd.winScale === -1) { fwd.winScale = -2; rev.winScale = -2; }
      else if (flags & TH_ACK && rev.winScale === -2) fwd.winScale = -2;
    }

    out.push({
      frame: num, segment: seg, timeUs: now, relTimeUs: now - t0, stream: conv.stream, conv, dir, seglen, hlen,
      rawSeq: seq, rawAck: ack, seq: relSeq, ack: relAck,
      nxtseq4: u32(relSeq + seglen + (flags & (TH_SYN | TH_FIN) ? 1 : 0)),
      winScale, calcWindow, hasTa, flags: taFlags, ...ta, iRttUs: conv.iRttUs,
      tsSinceFirstUs, tsSincePrevUs, completeness: completenessShown, initiatesClose, undergoesClose,
    });
  });
  return { version, frames: out, conversations: convs };
}

// ---------------------------------------------------------------------------------------
// Printing helpers

function flagNames(flags: number, version: WiresharkVersion): string {
  const names = version === '2.x'
    ? ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECN', 'CWR', 'NS']
    : ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR', 'AE'];
  const out = names.filter((_, i) => flags & (1 << i));
  return out.length ? out.join(', ') : '<None>';
}

/** Info-column option summary (tcp_info_append_uint etc.). */
function infoOptions(seg: Segment, version: WiresharkVersion): string {
  const parts: string[] = [];
  for (const o of seg.options) {
    switch (o.kind) {
      case 'mss': parts.push(`MSS=${o.value}`); break;
      case 'sackOK': parts.push(version === '2.x' ? 'SACK_PERM=1' : 'SACK_PERM'); break;
      case 'ts': parts.push(`TSval=${o.val}`, `TSecr=${o.ecr}`); break;
      case 'wscale': parts.push(`WS=${2 ** Math.min(o.shift, 14)}`); break;
      default: break;
    }
  }
  return parts.map((p) => ` ${p}`).join('');
}

/** The analysis tags prepended to the Info column, in Wireshark's final order. */
function infoPrefix(a: TcpFrameAnalysis): string {
  if (!a.hasTa || !a.flags) return '';
  const f = a.flags;
  const tags: string[] = []; // in call order; each call prepends
  if (f & TCP_A_REUSED_PORTS) tags.push('[TCP Port numbers reused] ');
  if (f & TCP_A_RETRANSMISSION) tags.push('[TCP Retransmission] ');
  if (f & TCP_A_FAST_RETRANSMISSION) tags.push('[TCP Fast Retransmission] ');
  if (f & TCP_A_SPURIOUS_RETRANSMISSION) tags.push('[TCP Spurious Retransmission] ');
  if (f & TCP_A_OUT_OF_ORDER) tags.push('[TCP Out-Of-Order] ');
  if (f & TCP_A_LOST_PACKET) tags.push('[TCP Previous segment not captured] ');
  if (f & TCP_A_ACK_LOST_PACKET) tags.push('[TCP ACKed unseen segment] ');
  if (f & TCP_A_WINDOW_UPDATE) tags.push('[TCP Window Update] ');
  if (f & TCP_A_WINDOW_FULL) tags.push('[TCP Window Full] ');
  if (f & TCP_A_KEEP_ALIVE) tags.push('[TCP Keep-Alive] ');
  if (f & TCP_A_KEEP_ALIVE_ACK) tags.push('[TCP Keep-Alive ACK] ');
  if (a.dupackNum && f & TCP_A_DUPLICATE_ACK) tags.push(`[TCP Dup ACK ${a.dupackFrame}#${a.dupackNum}] `);
  if (f & TCP_A_ZERO_WINDOW_PROBE) tags.push('[TCP ZeroWindowProbe] ');
  if (f & TCP_A_ZERO_WINDOW) tags.push('[TCP ZeroWindow] ');
  if (f & TCP_A_ZERO_WINDOW_PROBE_ACK) tags.push('[TCP ZeroWindowProbeAck] ');
  return tags.reverse().join('');
}

/** The Info column of one TCP frame. */
export function tsharkInfo(frame: CapturedFrame, a: TcpFrameAnalysis, version: WiresharkVersion = '4.0'): string {
  const seg = frame.seg;
  let s = `${infoPrefix(a)}${seg.sport} → ${seg.dport} [${flagNames(seg.flags, version)}] Seq=${a.seq}`;
  if (seg.flags & TH_ACK) s += ` Ack=${a.ack}`;
  s += ` Win=${a.calcWindow}`;
  if (seg.flags & TH_URG) s += ` Urg=${seg.urgent}`;
  s += ` Len=${a.seglen}`;
  s += infoOptions(seg, version);
  return s;
}

function secs6(us: number): string {
  const neg = us < 0;
  const v = Math.abs(us);
  return `${neg ? '-' : ''}${Math.floor(v / 1e6)}.${String(v % 1e6).padStart(6, '0')}`;
}

function secs9(us: number): string {
  return `${secs6(us)}000`;
}

/** `tshark -r FILE` (4.0 default columns: No., Time, Source, Destination, Protocol, Length, Info). */
export function renderTsharkSummary(frames: CapturedFrame[], analysis: TcpAnalysis): string {
  return frames.map((f, i) => {
    const a = analysis.frames[i];
    const no = String(a.frame).padStart(5);
    const time = secs6(a.relTimeUs).padStart(10);
    const src = ip4str(f.seg.saddr).padStart(12);
    const dst = ip4str(f.seg.daddr).padEnd(12);
    return `${no} ${time} ${src} → ${dst} TCP ${frameLength(f.seg)} ${tsharkInfo(f, a, analysis.version)}\n`;
  }).join('');
}

// ---------------------------------------------------------------------------------------
// Packet details

/** conversation_completeness_fill() of 4.0. */
export function completenessText(v: number): string {
  switch (v) {
    case 1: return `Incomplete, SYN_SENT (${v})`;
    case 3: return `Incomplete, CLIENT_ESTABLISHED (${v})`;
    case 7: return `Incomplete, ESTABLISHED (${v})`;
    case 15: return `Incomplete, DATA (${v})`;
    case 31: case 47: case 63: return `Complete, WITH_DATA (${v})`;
    case 23: case 39: case 55: return `Complete, NO_DATA (${v})`;
    default: return `Incomplete (${v})`;
  }
}

interface Node { text: string; kids: Node[]; kind?: 'flags' | 'expert' | 'options' | 'option' | 'seqack' | 'timestamps' }

const node = (text: string, kids: Node[] = [], kind?: Node['kind']): Node => ({ text, kids, kind });

type Severity = 'Chat' | 'Note' | 'Warning' | 'Error';
const expert = (sev: Severity, msg: string, group = 'Sequence'): Node =>
  node(`[Expert Info (${sev}/${group}): ${msg}]`, [node(`[${msg}]`), node(`[Severity level: ${sev}]`), node(`[Group: ${group}]`)], 'expert');

export type DetailSection = 'flags' | 'expert' | 'options' | 'option' | 'seqack' | 'timestamps';

export interface FrameDetailOptions {
  version: WiresharkVersion;
  /**
   * 'gui': values a GUI shows after loading the whole file (final iRTT, window scale, bases);
   * 'single': tshark's one-pass values. Default: 'gui' for 2.x, 'single' for 4.0.
   */
  view?: 'gui' | 'single';
  /** Subtrees shown collapsed (the node line without its children). */
  collapse?: DetailSection[];
  /** [Timestamps] subtree (tcp.calculate_timestamps): default off for 2.x, on for 4.0. */
  timestamps?: boolean;
  /** Indentation per level (default 4 spaces). */
  indent?: string;
}

/** The seed blog's style: Wireshark 2.x GUI copy with the Flags and expert-info subtrees collapsed. */
export const BLOG_2X_DETAIL: FrameDetailOptions = { version: '2.x', view: 'gui', collapse: ['flags', 'expert'], timestamps: false };

const bits12 = (flags: number, bit: number, name: string): string => {
  // 12-bit field shown as "xxx. .... ...." groups
  const chars: string[] = [];
  for (let i = 11; i >= 0; i--) {
    const inField = bit === -1 ? i >= 9 : i === bit;
    chars.push(inField ? (bit === -1 ? '0' : (flags >> i) & 1 ? '1' : '0') : '.');
  }
  const s = `${chars.slice(0, 3).join('')}${chars[3]} ${chars.slice(4, 8).join('')} ${chars.slice(8, 12).join('')}`;
  const set = bit === -1 ? 'Not set' : (flags >> bit) & 1 ? 'Set' : 'Not set';
  return `${s} = ${name}: ${set}`;
};

function flagLetters(flags: number): string {
  const letters = ['F', 'S', 'R', 'P', 'A', 'U', 'E', 'C', 'N', 'R', 'R', 'R'];
  let s = '';
  for (let i = 11; i >= 0; i--) s += (flags >> i) & 1 ? letters[i] : '·';
  return s;
}

function optionNodes(seg: Segment): { title: string; kids: Node[] } {
  const names: string[] = [];
  const kids: Node[] = [];
  const b = encodeOptions(seg.options); // padding bytes are zeros: Wireshark shows each as EOL
  for (let p = 0; p < b.length;) {
    const kind = b[p];
    if (kind === 0) {
      names.push('End of Option List (EOL)');
      kids.push(node('TCP Option - End of Option List (EOL)', [node('Kind: End of Option List (0)')], 'option'));
      p += 1;
      continue;
    }
    if (kind === 1) {
      names.push('No-Operation (NOP)');
      kids.push(node('TCP Option - No-Operation (NOP)', [node('Kind: No-Operation (1)')], 'option'));
      p += 1;
      continue;
    }
    const len = b[p + 1];
    if (kind === 2) {
      const v = (b[p + 2] << 8) | b[p + 3];
      names.push('Maximum segment size');
      kids.push(node(`TCP Option - Maximum segment size: ${v} bytes`, [
        node('Kind: Maximum Segment Size (2)'), node('Length: 4'), node(`MSS Value: ${v}`)], 'option'));
    } else if (kind === 4) {
      names.push('SACK permitted');
      kids.push(node('TCP Option - SACK permitted', [node('Kind: SACK Permitted (4)'), node('Length: 2')], 'option'));
    } else if (kind === 8) {
      const val = get32(b, p + 2), ecr = get32(b, p + 6);
      names.push('Timestamps');
      kids.push(node(`TCP Option - Timestamps: TSval ${val}, TSecr ${ecr}`, [
        node('Kind: Time Stamp Option (8)'), node('Length: 10'),
        node(`Timestamp value: ${val}`), node(`Timestamp echo reply: ${ecr}`)], 'option'));
    } else if (kind === 3) {
      const shift = b[p + 2];
      const m = 2 ** Math.min(shift, 14);
      names.push('Window scale');
      kids.push(node(`TCP Option - Window scale: ${shift} (multiply by ${m})`, [
        node('Kind: Window Scale (3)'), node('Length: 3'), node(`Shift count: ${shift}`), node(`[Multiplier: ${m}]`)], 'option'));
    }
    p += len;
  }
  return { title: names.join(', '), kids };
}

function seqAckNode(a: TcpFrameAnalysis, iRttUs: number | null, version: WiresharkVersion): Node | null {
  if (!a.hasTa) return null;
  const kids: Node[] = [];
  if (a.ackedFrame) {
    kids.push(node(`[This is an ACK to the segment in frame: ${a.ackedFrame}]`));
    if (a.ackRttUs) kids.push(node(`[The RTT to ACK the segment was: ${secs9(a.ackRttUs)} seconds]`));
  }
  if (iRttUs) kids.push(node(`[iRTT: ${secs9(iRttUs)} seconds]`));
  if (a.bytesInFlight) {
    kids.push(node(`[Bytes in flight: ${a.bytesInFlight}]`));
    kids.push(node(`[Bytes sent since last PSH flag: ${a.pushBytesSent ?? 0}]`));
  }
  const f = a.flags;
  if (f) {
    const fk: Node[] = [];
    if (f & TCP_A_REUSED_PORTS) fk.push(expert('Note', 'A new tcp session is started with the same ports as an earlier session in this trace'));
    if (f & TCP_A_RETRANSMISSION) {
      fk.push(expert('Note', 'This frame is a (suspected) retransmission'));
      if (a.rtoUs) {
        fk.push(node(`[The RTO for this segment was: ${secs9(a.rtoUs)} seconds]`));
        fk.push(node(`[RTO based on delta from frame: ${a.rtoFrame}]`));
      }
    }
    if (f & TCP_A_FAST_RETRANSMISSION) {
      fk.push(expert('Note', 'This frame is a (suspected) fast retransmission'));
      fk.push(expert('Note', 'This frame is a (suspected) retransmission'));
    }
    if (f & TCP_A_SPURIOUS_RETRANSMISSION) {
      fk.push(expert('Note', 'This frame is a (suspected) spurious retransmission'));
      fk.push(expert('Note', 'This frame is a (suspected) retransmission'));
    }
    if (f & TCP_A_OUT_OF_ORDER) fk.push(expert('Warning', 'This frame is a (suspected) out-of-order segment'));
    if (f & TCP_A_LOST_PACKET) {
      fk.push(expert('Warning', version === '2.x'
        ? 'Previous segment not captured (common at capture start)'
        : 'Previous segment(s) not captured (common at capture start)'));
    }
    if (f & TCP_A_ACK_LOST_PACKET) fk.push(expert('Warning', 'ACKed segment that wasn\'t captured (common at capture start)'));
    if (f & TCP_A_WINDOW_UPDATE) fk.push(expert('Chat', 'TCP window update'));
    if (f & TCP_A_WINDOW_FULL) fk.push(expert('Warning', 'TCP window specified by the receiver is now completely full'));
    if (f & TCP_A_KEEP_ALIVE) fk.push(expert('Note', 'TCP keep-alive segment'));
    if (f & TCP_A_KEEP_ALIVE_ACK) fk.push(expert('Note', 'ACK to a TCP keep-alive segment'));
    const dupKids: Node[] = [];
    if (a.dupackNum) {
      if (f & TCP_A_DUPLICATE_ACK) fk.push(node('[This is a TCP duplicate ack]'));
      dupKids.push(node(`[Duplicate ACK #: ${a.dupackNum}]`));
      dupKids.push(node(`[Duplicate to the ACK in frame: ${a.dupackFrame}]`, [expert('Note', `Duplicate ACK (#${a.dupackNum})`)]));
    }
    // 4.0.17 writes "Zero Window Probe" (checked with tshark); the 2.x wording is kept as it was
    const zwp = version === '2.x' ? 'Zero-Window Probe' : 'Zero Window Probe';
    if (f & TCP_A_ZERO_WINDOW_PROBE) fk.push(expert('Note', `TCP ${zwp}`));
    if (f & TCP_A_ZERO_WINDOW) fk.push(expert('Warning', 'TCP Zero Window segment'));
    if (f & TCP_A_ZERO_WINDOW_PROBE_ACK) fk.push(expert('Note', `ACK to a TCP ${zwp}`));
    kids.push(node('[TCP Analysis Flags]', fk));
    kids.push(...dupKids);
  }
  return node('[SEQ/ACK analysis]', kids, 'seqack');
}

function render(n: Node, depth: number, indent: string, collapse: Set<string>, out: string[]): void {
  out.push(indent.repeat(depth) + n.text);
  if (n.kind && collapse.has(n.kind)) return;
  for (const k of n.kids) render(k, depth + 1, indent, collapse, out);
}

/**
 * The packet-details text of one frame (Frame / Ethernet / IPv4 summary lines, then the full
 * TCP tree), newline-terminated lines.
 */
export function renderFrameDetail(frame: CapturedFrame, analysis: TcpAnalysis | TcpFrameAnalysis, opts: FrameDetailOptions): string {
  const a = 'frames' in analysis ? findFrame(analysis, frame) : analysis;
  const version = opts.version;
  const view = opts.view ?? (version === '2.x' ? 'gui' : 'single');
  const seg = frame.seg;
  const conv = a.conv;
  const fwd = a.dir === 1 ? conv.flow1 : conv.flow2;
  const rev = a.dir === 1 ? conv.flow2 : conv.flow1;
  // GUI view: bases and scale from the final conversation state.
  const seq = view === 'gui' ? u32(a.rawSeq - fwd.baseSeq) : a.seq;
  const ack = seg.flags & TH_ACK ? (view === 'gui' ? u32(a.rawAck - rev.baseSeq) : a.ack) : a.rawAck;
  const winScale = view === 'gui' ? fwd.winScale : a.winScale;
  const calcWindow = !(seg.flags & TH_SYN) && winScale >= 0 ? seg.window * 2 ** winScale : seg.window;
  const iRtt = view === 'gui' ? conv.iRttUs : a.iRttUs;
  const len = frameLength(seg);
  const lines: string[] = [];
  lines.push(`Frame ${a.frame}: ${len} bytes on wire (${len * 8} bits), ${len} bytes captured (${len * 8} bits)`);
  lines.push('Ethernet II, Src: 00:00:00_00:00:00 (00:00:00:00:00:00), Dst: 00:00:00_00:00:00 (00:00:00:00:00:00)');
  lines.push(`Internet Protocol Version 4, Src: ${ip4str(seg.saddr)}, Dst: ${ip4str(seg.daddr)}`);
  let title = `Transmission Control Protocol, Src Port: ${seg.sport}, Dst Port: ${seg.dport}, Seq: ${seq}`;
  if (seg.flags & TH_ACK) title += `, Ack: ${ack}`;
  title += `, Len: ${a.seglen}`;
  const k: Node[] = [];
  k.push(node(`Source Port: ${seg.sport}`), node(`Destination Port: ${seg.dport}`), node(`[Stream index: ${a.stream}]`));
  const v2 = version === '2.x';
  if (!v2) k.push(node(`[Conversation completeness: ${completenessText(a.completeness)}]`));
  k.push(node(`[TCP Segment Len: ${a.seglen}]`));
  k.push(node(`Sequence ${v2 ? 'number' : 'Number'}: ${seq}    (relative sequence number)`));
  if (!v2) k.push(node(`Sequence Number (raw): ${a.rawSeq}`));
  const nxt2 = u32(seq + a.seglen + ((seg.flags & (TH_SYN | TH_FIN)) && a.seglen > 0 ? 1 : 0));
  if (v2) {
    if (nxt2 !== seq) k.push(node(`[Next sequence number: ${nxt2}    (relative sequence number)]`));
  } else {
    k.push(node(`[Next Sequence Number: ${u32(seq + a.seglen + (seg.flags & (TH_SYN | TH_FIN) ? 1 : 0))}    (relative sequence number)]`));
  }
  const ackLabel = v2 ? 'Acknowledgment number' : 'Acknowledgment Number';
  k.push(node(seg.flags & TH_ACK ? `${ackLabel}: ${ack}    (relative ack number)` : `${ackLabel}: ${a.rawAck}`));
  if (!v2) k.push(node(`Acknowledgment number (raw): ${a.rawAck}`));
  const hl = a.hlen;
  k.push(node(`${(hl >> 2).toString(2).padStart(4, '0')} .... = Header Length: ${hl} bytes (${hl >> 2})`));
  const fl = seg.flags;
  const fkids: Node[] = [];
  fkids.push(node(bits12(fl, -1, 'Reserved')));
  fkids.push(node(bits12(fl, 8, v2 ? 'Nonce' : 'Accurate ECN')));
  fkids.push(node(bits12(fl, 7, v2 ? 'Congestion Window Reduced (CWR)' : 'Congestion Window Reduced')));
  fkids.push(node(bits12(fl, 6, 'ECN-Echo')));
  fkids.push(node(bits12(fl, 5, 'Urgent')));
  fkids.push(node(bits12(fl, 4, 'Acknowledgment')));
  fkids.push(node(bits12(fl, 3, 'Push')));
  fkids.push(node(bits12(fl, 2, 'Reset'), fl & TH_RST ? [expert('Warning', 'Connection reset (RST)')] : []));
  fkids.push(node(bits12(fl, 1, 'Syn'), fl & TH_SYN ? [fl & TH_ACK
    ? expert('Chat', `Connection establish acknowledge (SYN+ACK): server port ${seg.sport}`)
    : expert('Chat', `Connection establish request (SYN): server port ${seg.dport}`)] : []));
  fkids.push(node(bits12(fl, 0, 'Fin'), fl & TH_FIN ? [expert('Chat', 'Connection finish (FIN)')] : []));
  fkids.push(node(`[TCP Flags: ${flagLetters(fl)}]`, v2 ? [] : a.initiatesClose
    ? [expert('Note', 'This frame initiates the connection closing')]
    : a.undergoesClose ? [expert('Note', 'This frame undergoes the connection closing')] : []));
  k.push(node(`Flags: 0x${fl.toString(16).padStart(3, '0')} (${flagNames(fl, version)})`, fkids, 'flags'));
  k.push(node(`${v2 ? 'Window size value' : 'Window'}: ${seg.window}`));
  k.push(node(`[Calculated window size: ${calcWindow}]`));
  if (!(seg.flags & TH_SYN)) {
    const sf = winScale === -1 ? '-1 (unknown)' : winScale === -2 ? '-2 (no window scaling used)' : String(2 ** winScale);
    k.push(node(`[Window size scaling factor: ${sf}]`));
  }
  const wireCsum = csumOf(frame);
  k.push(node(`Checksum: 0x${wireCsum.toString(16).padStart(4, '0')} [unverified]`));
  k.push(node('[Checksum Status: Unverified]'));
  k.push(node(`Urgent ${v2 ? 'pointer' : 'Pointer'}: ${seg.urgent}`));
  const opt = hl > 20 ? optionNodes(seg) : null;
  const optNode = opt ? node(`Options: (${hl - 20} bytes), ${opt.title}`, opt.kids, 'options') : null;
  const sa = seqAckNode(a, iRtt, version);
  const tsOn = opts.timestamps ?? !v2;
  const ts = tsOn ? node('[Timestamps]', [
    node(`[Time since first frame in this TCP stream: ${secs9(a.tsSinceFirstUs)} seconds]`),
    node(`[Time since previous frame in this TCP stream: ${secs9(a.tsSincePrevUs)} seconds]`)], 'timestamps') : null;
  if (v2) {
    // 2.x: options item, then SEQ/ACK analysis, then timestamps
    if (optNode) k.push(optNode);
    if (sa) k.push(sa);
    if (ts) k.push(ts);
  } else {
    if (optNode) k.push(optNode);
    if (ts) k.push(ts);
    if (sa) k.push(sa);
  }
  const plural = a.seglen === 1 ? '' : 's';
  if (a.seglen > 0) k.push(node(`TCP payload (${a.seglen} byte${plural})`));
  // decode_tcp_ports() with tcp_no_subdissector_on_error: a (plain) retransmission's payload is
  // shown as such instead of dissected
  if (a.seglen > 0 && a.flags & TCP_A_RETRANSMISSION) k.push(node(`Retransmitted TCP segment data (${a.seglen} byte${plural})`));
  const collapse = new Set<string>(opts.collapse ?? []);
  const indent = opts.indent ?? '    ';
  const out: string[] = [...lines];
  render(node(title, k), 0, indent, collapse, out);
  // No application dissector is assumed for the port: the payload goes to "Data" (collapsed).
  // tcp_no_subdissector_on_error (default on): a retransmitted or out-of-order payload is not
  // handed to a dissector, so no Data tree (tshark 4.0.17: retransmissions, spurious ones and
  // out-of-order segments; a fast retransmission keeps it)
  const noSub = a.flags & (TCP_A_RETRANSMISSION | TCP_A_SPURIOUS_RETRANSMISSION | TCP_A_OUT_OF_ORDER);
  if (a.seglen > 0 && !noSub) out.push(`Data (${a.seglen} byte${plural})`);
  return out.map((l) => `${l}\n`).join('');
}

/** `tshark -V` style output for all frames (each frame's tree followed by a blank line). */
export function renderTsharkVerbose(frames: CapturedFrame[], analysis: TcpAnalysis, opts: FrameDetailOptions = { version: '4.0' }): string {
  return frames.map((f) => `${renderFrameDetail(f, analysis, opts)}\n`).join('');
}

function findFrame(analysis: TcpAnalysis, frame: CapturedFrame): TcpFrameAnalysis {
  const hit = analysis.frames.find((x) => x.segment === frame.seg)
    ?? analysis.frames.find((x) => x.segment.id === frame.seg.id);
  if (!hit) throw new Error(`renderFrameDetail: segment ${frame.seg.id} is not in the analysis`);
  return hit;
}

/** The TCP checksum as it sits in the frame (CHECKSUM_PARTIAL or full). */
function csumOf(frame: CapturedFrame): number {
  const seg = frame.seg;
  if (seg.csum === 'partial') return tcpPartialChecksum(seg.saddr, seg.daddr, tcpHeaderLength(seg) + seg.payload.length);
  const b = encodeFrame(seg);
  return (b[ETH_HLEN + IP_HLEN + 16] << 8) | b[ETH_HLEN + IP_HLEN + 17];
}
