/**
 * The narrated timeline: one caption per moment of a run, in English and Simplified Chinese,
 * generated from the trace (never written per experiment). "Frame 7: the CLOSE-WAIT child
 * answers the SYN with a challenge ACK (RFC 5961 §4)."
 *
 * Two steps: `narrateFacts()` reads the trace once and lists, per moment, what happened as
 * typed facts (a segment and why it was sent, a state change, a queue change, a timer, a
 * signal); `captionOf()` words a moment's facts in one language. `packetMarks()` is the part
 * the live ladder needs (which segment is a challenge ACK, which a retransmission); it reads the
 * trace alone and carries no text, so the widget bundle can import it without the phrases.
 *
 * Pure: no DOM, no Node APIs. Frame numbers count every segment put on lo from the start of the
 * trace (the ladder's numbering; the captures of the committed experiments start before the first
 * segment, so they are Wireshark's frame numbers too).
 */
import type { Ns, TraceEvent } from '../model/types.ts';
import {
  TH_ACK, TH_FIN, TH_RST, TH_SYN,
  TCP_CLOSE, TCP_CLOSE_WAIT, TCP_ESTABLISHED, TCP_FIN_WAIT2, TCP_LISTEN, TCP_SYN_SENT, TCP_STATE_NAMES,
} from '../model/types.ts';

export type Lang = 'en' | 'zh';

/** What the ladder marks on a segment: an answer the reader should not miss. */
export type PacketMark = 'challenge' | 'retrans' | null;

/**
 * One mark per segment on lo, in trace order (index = frame number − 1): a pure ACK sent by a
 * socket whose last incoming segment was a SYN it discarded with a challenge ACK
 * (tcp_send_challenge_ack(), the rcv verdict `syn-challenge`), and a SYN or SYN-ACK that
 * repeats one the same socket sent before (a retransmission).
 */
export function packetMarks(trace: readonly TraceEvent[]): PacketMark[] {
  const marks: PacketMark[] = [];
  const lastDrop = new Map<number, string | undefined>();
  const sent = new Set<string>();
  for (const e of trace) {
    if (e.type === 'rcv' && e.sock !== null) lastDrop.set(e.sock, e.verdict === 'dropped' ? e.reason : undefined);
    else if (e.type === 'xmit') {
      const f = e.seg.flags;
      let m: PacketMark = null;
      if (f & TH_SYN) {
        const key = `${e.sock}:${f}:${e.seg.seq}`;
        if (sent.has(key)) m = 'retrans';
        sent.add(key);
      } else if (f === TH_ACK && e.sock !== null && lastDrop.get(e.sock) === 'syn-challenge') m = 'challenge';
      if (e.sock !== null) lastDrop.delete(e.sock);
      marks.push(m);
    }
  }
  return marks;
}

/** A socket as a caption names it, in the state it had when the fact happened. */
export interface Who {
  role: 'client' | 'listener' | 'child' | 'accepted' | 'request' | 'timewait' | 'kernel';
  state: number;
  /** local port */
  port: number;
  /** peer port (0: none yet) */
  peer: number;
}

export type Fact =
  | { k: 'socket'; argv: string | null }
  | { k: 'listen'; port: number; backlog: number | null }
  | { k: 'stopped'; comm: string; t: Ns }
  | { k: 'resumed'; comm: string }
  | { k: 'interrupted'; comm: string }
  | { k: 'capture'; start: boolean; t: Ns }
  | { k: 'syn'; frame: number; port: number; dport: number }
  | { k: 'syn-retrans'; frame: number; port: number; afterNs: Ns }
  | { k: 'synack'; frame: number; retrans: boolean }
  | { k: 'request'; peer: number; port: number }
  | { k: 'connected'; port: number }
  | { k: 'hs-ack'; frame: number }
  | { k: 'child'; peer: number; recvq: number | null; backlog: number | null }
  | { k: 'fin'; frame: number; who: Who; interrupted: string | null }
  | { k: 'close-wait'; who: Who }
  | { k: 'ack-fin'; frame: number; who: Who; delayed: boolean }
  | { k: 'ack'; frame: number; who: Who }
  | { k: 'data'; frame: number; who: Who; len: number }
  | { k: 'timewait'; port: number; sub: number; secs: number | null; client: boolean }
  | { k: 'tw-expired'; port: number; sub: number; secs: number }
  | { k: 'syn-hits'; who: Who; synack: boolean }
  | { k: 'challenge'; frame: number; who: Who; synack: boolean }
  | { k: 'bad-ack'; port: number; rearmMs: number | null }
  | { k: 'rst'; frame: number; why: 'bad-ack' | 'no-socket' | 'other'; port: number; rearmMs: number | null }
  | { k: 'rst-sock'; frame: number; who: Who; listenerClosing: boolean }
  | { k: 'reset-queued'; who: Who; recvq: number }
  | { k: 'reset'; who: Who }
  | { k: 'accept'; peer: number; dead: boolean; recvq: number }
  | { k: 'listener-closed'; port: number }
  | { k: 'refused'; port: number; interrupted: string | null }
  | { k: 'overflow'; port: number; syn: boolean; recvq: number | null; backlog: number | null }
  | { k: 'drop'; reason: string }
  | { k: 'state'; who: Who; from: number; to: number }
  | { k: 'timer'; who: Who; timer: string; ms: number }
  | { k: 'freed'; who: Who };

export interface NarrateMoment {
  /** trace length after this moment (Moment.traceLen) */
  traceLen: number;
  /** accept queues at this moment (Moment.queues), for Recv-Q and the backlog */
  queues?: readonly { listener: number; port: number; backlog: number; slots: readonly unknown[] }[];
}

interface SockInfo {
  kind: 'full' | 'request' | 'timewait';
  parent?: number;
  state: number;
  port: number;
  peer: number;
  listened: boolean;
  connected: boolean;
  acked: boolean;
  accepted: boolean;
  born: Ns;
}

/** Programs a caption never names as "the program that made a socket" (the watch loop's tools, the shell). */
const QUIET = new Set(['bash', 'ss', 'grep', 'sleep', 'echo', 'watch']);

/** Per moment, the facts of the trace events since the previous moment. */
export function narrateFacts(trace: readonly TraceEvent[], moments: readonly NarrateMoment[], t0: Ns = 0): Fact[][] {
  const marks = packetMarks(trace);
  const socks = new Map<number, SockInfo>();
  const comms = new Map<number, string>();
  const acceptq = new Map<number, number[]>();
  const lastSyn = new Map<number, Ns>();
  const lastArm = new Map<number, { t: Ns; fireAt: Ns }>();
  let lastExec: string | null = null;
  let rstReason: { why: 'bad-ack' | 'no-socket'; port: number; rearmMs: number | null } | null = null;
  let frame = 0;
  const segFlags = new Map<number, number>();
  let challengedSynack = false;
  const out: Fact[][] = [];
  let j = 0;

  const who = (id: number | null): Who => {
    const s = id === null ? undefined : socks.get(id);
    if (!s) return { role: 'kernel', state: 0, port: 0, peer: 0 };
    const role: Who['role'] =
      s.kind === 'request' ? 'request' : s.kind === 'timewait' ? 'timewait' : s.listened ? 'listener' : s.accepted ? 'accepted' : s.parent !== undefined ? 'child' : 'client';
    return { role, state: s.state, port: s.port, peer: s.peer };
  };
  const queueOf = (m: NarrateMoment, listener: number | undefined) => m.queues?.find((q) => q.listener === listener);
  const queuedIn = (id: number): number | undefined => {
    for (const [l, q] of acceptq) if (q.includes(id)) return l;
    return undefined;
  };

  for (const m of moments) {
    const facts: Fact[] = [];
    let sigint: string | null = null;
    let delackFired = new Set<number>();
    const closingListeners = new Set<number>();
    const start = j;
    const freed: Who[] = [];
    // listeners that close in this moment (their queued children are reset, not "accepted")
    for (let i = start; i < m.traceLen && i < trace.length; i++) {
      const e = trace[i];
      if (e.type === 'state' && e.from === TCP_LISTEN) closingListeners.add(e.sock);
    }
    for (; j < m.traceLen && j < trace.length; j++) {
      const e = trace[j];
      switch (e.type) {
        case 'proc': {
          if (e.action === 'exec') {
            comms.set(e.pid, e.comm);
            if (e.comm === 'tcpdump') facts.push({ k: 'capture', start: true, t: e.t - t0 });
            else if (!QUIET.has(e.comm)) lastExec = (e.argv ?? [e.comm]).join(' ');
          } else if (e.action === 'stop' && !QUIET.has(e.comm)) facts.push({ k: 'stopped', comm: e.comm, t: e.t - t0 });
          else if (e.action === 'cont' && !QUIET.has(e.comm)) facts.push({ k: 'resumed', comm: e.comm });
          else if (e.action === 'exit' && e.comm === 'tcpdump') {
            facts.push({ k: 'capture', start: false, t: e.t - t0 });
            if (sigint === 'tcpdump') sigint = null;
          }
          break;
        }
        case 'signal':
          if (e.sig === 'SIGINT' && !QUIET.has(comms.get(e.pid) ?? '')) sigint = comms.get(e.pid) ?? 'nc';
          break;
        case 'sock-new': {
          socks.set(e.sock, { kind: e.kind, parent: e.parent, state: e.state, port: e.sport, peer: e.dport, listened: false, connected: false, acked: false, accepted: false, born: e.t });
          if (e.kind === 'full' && e.parent === undefined) facts.push({ k: 'socket', argv: lastExec });
          else if (e.kind === 'request') facts.push({ k: 'request', peer: e.dport, port: e.sport });
          else if (e.kind === 'full') facts.push({ k: 'child', peer: e.dport, recvq: null, backlog: null });
          else {
            // the full socket this mini-socket replaces: same ports, still in the table
            let client = true;
            for (const o of socks.values()) if (o.kind === 'full' && o.port === e.sport && o.peer === e.dport) client = !o.listened && !o.accepted && o.parent === undefined;
            facts.push({ k: 'timewait', port: e.sport, sub: e.state, secs: null, client });
          }
          break;
        }
        case 'timer': {
          const s = socks.get(e.sock);
          if (e.action === 'armed' && e.fireAt !== undefined) {
            lastArm.set(e.sock, { t: e.t, fireAt: e.fireAt });
            const tw = facts.findLast((f) => f.k === 'timewait');
            if (s?.kind === 'timewait' && tw?.k === 'timewait' && tw.secs === null) tw.secs = Math.round((e.fireAt - e.t) / 1e9);
          } else if (e.action === 'fired') {
            if (e.timer === 'delack') delackFired.add(e.sock);
            if (e.timer === 'timewait' && s) facts.push({ k: 'tw-expired', port: s.port, sub: s.state, secs: Math.round((e.t - s.born) / 1e9) });
          }
          break;
        }
        case 'state': {
          const s = socks.get(e.sock);
          const before = who(e.sock);
          if (s) s.state = e.to;
          if (e.to === TCP_LISTEN) {
            const port = s?.port || (queueOf(m, e.sock)?.port ?? 0);
            if (s) Object.assign(s, { listened: true, port });
            facts.push({ k: 'listen', port, backlog: queueOf(m, e.sock)?.backlog ?? null });
          } else if (e.from === TCP_SYN_SENT && e.to === TCP_ESTABLISHED) {
            if (s) s.connected = true;
            facts.push({ k: 'connected', port: s?.port ?? 0 });
          } else if (e.to === TCP_CLOSE_WAIT) facts.push({ k: 'close-wait', who: who(e.sock) });
          else if (e.to === TCP_CLOSE) {
            if (e.from === TCP_LISTEN) facts.push({ k: 'listener-closed', port: s?.port ?? 0 });
            else if (e.from === TCP_SYN_SENT) {
              facts.push({ k: 'refused', port: s?.port ?? 0, interrupted: sigint });
              sigint = null;
            }
            else if (e.from !== TCP_FIN_WAIT2 && before.role === 'child' && queuedIn(e.sock) !== undefined) {
              const l = queuedIn(e.sock)!;
              if (!closingListeners.has(l)) facts.push({ k: 'reset-queued', who: before, recvq: acceptq.get(l)!.length });
            } else if ((e.from === TCP_CLOSE_WAIT || e.from === TCP_ESTABLISHED) && !(before.role === 'child' && closingListeners.size)) facts.push({ k: 'reset', who: before });
          } else if (!(e.from === 7 && e.to === TCP_SYN_SENT) && e.to !== TCP_FIN_WAIT2 && !(e.from === TCP_ESTABLISHED && e.to === 4) && !(e.from === TCP_CLOSE_WAIT && e.to === 9))
            facts.push({ k: 'state', who: before, from: e.from, to: e.to });
          break;
        }
        case 'acceptq': {
          const prev = acceptq.get(e.listener) ?? [];
          acceptq.set(e.listener, e.queue);
          if (closingListeners.has(e.listener)) break;
          const added = e.queue.filter((x) => !prev.includes(x));
          const child = facts.findLast((f) => f.k === 'child');
          if (added.length && child?.k === 'child') {
            child.recvq = e.queue.length;
            child.backlog = queueOf(m, e.listener)?.backlog ?? null;
          }
          for (const gone of prev.filter((x) => !e.queue.includes(x))) {
            const s = socks.get(gone);
            if (s) s.accepted = true;
            facts.push({ k: 'accept', peer: s?.peer ?? 0, dead: s ? s.state === TCP_CLOSE : false, recvq: e.queue.length });
          }
          break;
        }
        case 'rcv': {
          if (e.verdict !== 'dropped') break;
          const w = who(e.sock);
          if (e.reason === 'syn-challenge') {
            challengedSynack = ((segFlags.get(e.segId) ?? 0) & TH_ACK) !== 0;
            facts.push({ k: 'syn-hits', who: w, synack: challengedSynack });
          }
          else if (e.reason === 'bad-ack') {
            const arm = e.sock === null ? undefined : lastArm.get(e.sock);
            const rearmMs = arm && arm.t === e.t ? Math.round((arm.fireAt - e.t) / 1e6) : null;
            rstReason = { why: 'bad-ack', port: w.port, rearmMs };
            facts.push({ k: 'bad-ack', port: w.port, rearmMs });
          } else if (e.reason === 'no-socket') rstReason = { why: 'no-socket', port: 0, rearmMs: null };
          else if (e.reason === 'listen-overflow') {
            const rs = e.sock === null ? undefined : socks.get(e.sock);
            const l = (rs?.kind === 'request' ? rs.parent : e.sock) ?? -1;
            const q = queueOf(m, l);
            facts.push({ k: 'overflow', port: w.port, syn: ((segFlags.get(e.segId) ?? 0) & TH_ACK) === 0, recvq: acceptq.get(l)?.length ?? null, backlog: q?.backlog ?? null });
          }
          else if (e.reason) facts.push({ k: 'drop', reason: e.reason });
          break;
        }
        case 'xmit': {
          frame++;
          const seg = e.seg;
          segFlags.set(seg.id, seg.flags);
          const f = seg.flags;
          const mark = marks[frame - 1];
          const s = e.sock === null ? undefined : socks.get(e.sock);
          if (s && !s.peer) s.peer = seg.dport;
          if (s && !s.port) s.port = seg.sport;
          const w = who(e.sock);
          if (f & TH_RST) {
            if (e.sock === null) {
              const r = rstReason;
              // the bad-ack fact of this moment is told by the RST's sentence
              const i = facts.findIndex((x) => x.k === 'bad-ack');
              if (i >= 0) facts.splice(i, 1);
              facts.push({ k: 'rst', frame, why: r?.why ?? 'other', port: r?.port || seg.sport, rearmMs: i >= 0 ? r?.rearmMs ?? null : null });
              rstReason = null;
            } else facts.push({ k: 'rst-sock', frame, who: w, listenerClosing: closingListeners.size > 0 });
          } else if (f & TH_SYN && f & TH_ACK) facts.push({ k: 'synack', frame, retrans: mark === 'retrans' });
          else if (f & TH_SYN) {
            const id = e.sock ?? -1;
            if (mark === 'retrans') facts.push({ k: 'syn-retrans', frame, port: seg.sport, afterNs: e.t - (lastSyn.get(id) ?? e.t) });
            else facts.push({ k: 'syn', frame, port: seg.sport, dport: seg.dport });
            lastSyn.set(id, e.t);
          } else if (f & TH_FIN) {
            facts.push({ k: 'fin', frame, who: w, interrupted: sigint });
            sigint = null;
          } else if (seg.payload.length) facts.push({ k: 'data', frame, who: w, len: seg.payload.length });
          else if (mark === 'challenge') {
            const i = facts.findIndex((x) => x.k === 'syn-hits');
            if (i >= 0) facts.splice(i, 1);
            facts.push({ k: 'challenge', frame, who: w, synack: challengedSynack });
          } else if (s && w.role === 'client' && s.connected && !s.acked) {
            s.acked = true;
            facts.push({ k: 'hs-ack', frame });
          } else if (w.state === TCP_CLOSE_WAIT) facts.push({ k: 'ack-fin', frame, who: w, delayed: e.sock !== null && delackFired.has(e.sock) });
          else facts.push({ k: 'ack', frame, who: w });
          break;
        }
        case 'sock-free':
          freed.push(who(e.sock));
          break;
      }
    }
    if (sigint) facts.push({ k: 'interrupted', comm: sigint });
    delackFired = new Set();
    if (!facts.length) {
      // only timers moved: say which
      for (let i = start; i < j; i++) {
        const e = trace[i];
        if (e.type === 'timer' && e.action === 'armed' && e.fireAt !== undefined) facts.push({ k: 'timer', who: who(e.sock), timer: e.timer, ms: Math.round((e.fireAt - e.t) / 1e6) });
      }
      // or only the last references went
      if (!facts.length) for (const w of freed) facts.push({ k: 'freed', who: w });
    }
    out.push(facts);
  }
  return out;
}

// ---- wording ---------------------------------------------------------------------------------

const stateName = (s: number): string => (TCP_STATE_NAMES[s] ?? String(s)).replace('_', '-').replace('FIN-WAIT1', 'FIN-WAIT-1').replace('FIN-WAIT2', 'FIN-WAIT-2').replace('ESTABLISHED', 'ESTAB');

function secs(ns: Ns, lang: Lang): string {
  const s = ns / 1e9;
  const v = s >= 0.1 ? `${s.toFixed(4).replace(/0+$/, '').replace(/\.$/, '')} s` : `${Math.round(s * 1000)} ms`;
  return lang === 'zh' ? v.replace(' s', ' 秒') : v;
}

function whoEn(w: Who): string {
  switch (w.role) {
    case 'client':
      return `the client (:${w.port})`;
    case 'listener':
      return `the listener (:${w.port})`;
    case 'child':
      return `the ${stateName(w.state)} child`;
    case 'accepted':
      return `the accepted connection (:${w.peer})`;
    case 'request':
      return 'the request sock';
    case 'timewait':
      return `the ${stateName(w.state)} mini-socket (:${w.port})`;
    default:
      return 'the kernel';
  }
}

function whoZh(w: Who): string {
  switch (w.role) {
    case 'client':
      return `客户端（:${w.port}）`;
    case 'listener':
      return `监听套接字（:${w.port}）`;
    case 'child':
      return `${stateName(w.state)} 状态的子连接`;
    case 'accepted':
      return `已 accept 的连接（:${w.peer}）`;
    case 'request':
      return '请求套接字';
    case 'timewait':
      return `${stateName(w.state)} 迷你套接字（:${w.port}）`;
    default:
      return '内核';
  }
}

const REARM_EN = (ms: number) => `, and re-arms its SYN timer to ${ms} ms (Linux ≥ 5.6, 9603d47bad46)`;
const REARM_ZH = (ms: number) => `，并把 SYN 重传定时器改为 ${ms} ms（Linux ≥ 5.6，9603d47bad46）`;

/** One fact as a sentence without its final stop; frame facts start lower-case after "Frame N: ". */
function sentenceEn(f: Fact): string {
  switch (f.k) {
    case 'socket':
      return f.argv ? `${f.argv} starts and creates a socket` : 'A program creates a socket';
    case 'listen':
      return f.backlog === null
        ? `The socket listens on :${f.port}`
        : `listen() with backlog ${f.backlog}: the socket listens on :${f.port} and its accept queue holds ${f.backlog + 1} children (it is full only above the backlog)`;
    case 'stopped':
      return `At ${secs(f.t, 'en')} ${f.comm} was stopped (Ctrl-Z): nobody will call accept()`;
    case 'resumed':
      return `${f.comm} resumes (fg) and goes back to accept()`;
    case 'interrupted':
      return `Ctrl-C interrupts ${f.comm}`;
    case 'capture':
      return `At ${secs(f.t, 'en')} tcpdump ${f.start ? 'starts capturing on lo' : 'stops (Ctrl-C) and writes its capture file'}`;
    case 'syn':
      return `the client picks port ${f.port} and sends a SYN to :${f.dport} (connect())`;
    case 'syn-retrans':
      return `the client (:${f.port}) retransmits its SYN ${secs(f.afterNs, 'en')} after the previous one`;
    case 'synack':
      return f.retrans ? 'the request sock re-sends its SYN-ACK' : 'the listener answers with a SYN-ACK; the connection waits as a request sock (SYN-RECV)';
    case 'request':
      return `The SYN reaches the listener (:${f.port}): it creates a request sock for :${f.peer} (SYN-RECV)`;
    case 'connected':
      return `The SYN-ACK arrives: the client (:${f.port}) is ESTABLISHED`;
    case 'hs-ack':
      return 'the client acknowledges the SYN-ACK: the three-way handshake is complete';
    case 'child':
      return f.recvq === null
        ? `The final ACK turns the request sock into a child socket for :${f.peer}`
        : `The final ACK turns the request sock into an ESTAB child for :${f.peer}, queued on the listener: Recv-Q ${f.recvq}${f.backlog === null ? '' : ` (backlog ${f.backlog})`}, though no process has accepted it`;
    case 'fin':
      return f.interrupted
        ? `Ctrl-C kills ${f.interrupted}; closing its socket, ${whoEn(f.who)} sends a FIN`
        : `${whoEn(f.who)} sends a FIN: it closes its end`;
    case 'close-wait':
      return 'The FIN reaches the child: it is now CLOSE-WAIT and stays so until a process accepts and closes it';
    case 'ack-fin':
      return `${whoEn(f.who)} acknowledges the FIN${f.delayed ? ' (a delayed ACK)' : ''}`;
    case 'ack':
      return `${whoEn(f.who)} sends an ACK`;
    case 'data':
      return `${whoEn(f.who)} sends ${f.len} bytes`;
    case 'timewait':
      return `${f.client ? "The client's socket" : `The server's end (:${f.port})`}, orphaned, becomes a ${stateName(f.sub)} mini-socket${f.client ? ` (:${f.port})` : ''}${f.secs === null ? '' : ` for ${f.secs} s${f.sub === TCP_FIN_WAIT2 ? ' (tcp_fin_timeout)' : ''}`}`;
    case 'tw-expired':
      return `The ${stateName(f.sub)} mini-socket (:${f.port}) expires after ${f.secs} s and leaves the tables: port ${f.port} is free again`;
    case 'syn-hits':
      return `The ${f.synack ? 'SYN-ACK' : 'SYN'} matches ${whoEn(f.who)} (the same 4-tuple)${f.synack ? '' : ', not the listener'}`;
    case 'challenge':
      return `${whoEn(f.who)} answers the ${f.synack ? 'SYN-ACK' : 'SYN'} with a challenge ACK (RFC 5961 §4)${f.synack ? '' : ': its own seq and ack, from the old connection'}`;
    case 'bad-ack':
      return `The client (:${f.port}, SYN-SENT) receives an ACK for data it never sent${f.rearmMs === null ? '' : REARM_EN(f.rearmMs)}`;
    case 'rst':
      if (f.why === 'bad-ack')
        return `the client (:${f.port}) answers that ACK with a RST whose seq is the ACK number (RFC 793 §3.9, tcp_rcv_synsent_state_process())${f.rearmMs === null ? '' : REARM_EN(f.rearmMs)}`;
      if (f.why === 'no-socket') return `no socket owns :${f.port}, so the kernel answers with a RST (tcp_v4_send_reset())`;
      return 'the kernel sends a RST';
    case 'rst-sock':
      return f.listenerClosing ? `the listener resets the child for :${f.who.peer} still in its queue (inet_csk_listen_stop())` : `${whoEn(f.who)} sends a RST`;
    case 'reset-queued':
      return `The RST kills ${whoEn(f.who)}: it leaves the tables ss reads, yet keeps its slot in the accept queue (Recv-Q still ${f.recvq})`;
    case 'reset':
      return `The RST kills ${whoEn(f.who)}`;
    case 'accept':
      return `accept() takes the oldest child off the queue (:${f.peer}${f.dead ? ', the dead one' : ''}): Recv-Q ${f.recvq}`;
    case 'listener-closed':
      return `The listener (:${f.port}) closes`;
    case 'refused':
      return f.interrupted ? `Ctrl-C interrupts ${f.interrupted} in connect(): the client's socket (:${f.port}) is closed` : `connect() fails: the client's socket (:${f.port}) is closed`;
    case 'overflow':
      return `The accept queue of :${f.port} is full${f.recvq !== null && f.backlog !== null ? ` (Recv-Q ${f.recvq} > backlog ${f.backlog})` : ''}: the listener drops the ${f.syn ? 'SYN' : 'final ACK and the request stays SYN-RECV'} (ListenOverflows)`;
    case 'drop':
      return `A segment is dropped (${f.reason})`;
    case 'state':
      return `${whoEn(f.who)} goes from ${stateName(f.from)} to ${stateName(f.to)}`;
    case 'timer':
      return `${whoEn(f.who)} arms its ${f.timer} timer (${f.ms} ms)`;
    case 'freed':
      return `The kernel frees ${whoEn(f.who)}: its last reference is gone`;
  }
}

function sentenceZh(f: Fact): string {
  switch (f.k) {
    case 'socket':
      return f.argv ? `${f.argv} 启动并创建套接字` : '一个程序创建了套接字';
    case 'listen':
      return f.backlog === null
        ? `套接字在 :${f.port} 上监听`
        : `listen() 的 backlog 为 ${f.backlog}：套接字在 :${f.port} 上监听，accept 队列能放 ${f.backlog + 1} 个子连接（超过 backlog 才算满）`;
    case 'stopped':
      return `${secs(f.t, 'zh')}时 ${f.comm} 被挂起（Ctrl-Z）：没有进程会调用 accept()`;
    case 'resumed':
      return `${f.comm} 恢复运行（fg），回到 accept()`;
    case 'interrupted':
      return `Ctrl-C 中断了 ${f.comm}`;
    case 'capture':
      return `${secs(f.t, 'zh')}时 tcpdump ${f.start ? '开始在 lo 上抓包' : '停止（Ctrl-C）并写出抓包文件'}`;
    case 'syn':
      return `客户端选用端口 ${f.port}，向 :${f.dport} 发送 SYN（connect()）`;
    case 'syn-retrans':
      return `客户端（:${f.port}）在上一个 SYN 之后 ${secs(f.afterNs, 'zh')}重传 SYN`;
    case 'synack':
      return f.retrans ? '请求套接字重发 SYN-ACK' : '监听套接字回复 SYN-ACK；连接以请求套接字（SYN-RECV）的形式等待';
    case 'request':
      return `SYN 到达监听套接字（:${f.port}）：它为 :${f.peer} 创建请求套接字（SYN-RECV）`;
    case 'connected':
      return `SYN-ACK 到达：客户端（:${f.port}）进入 ESTABLISHED`;
    case 'hs-ack':
      return '客户端确认 SYN-ACK：三次握手完成';
    case 'child':
      return f.recvq === null
        ? `最后的 ACK 把请求套接字变成 :${f.peer} 的子连接`
        : `最后的 ACK 把请求套接字变成 :${f.peer} 的 ESTAB 子连接，放进监听套接字的队列：Recv-Q ${f.recvq}${f.backlog === null ? '' : `（backlog ${f.backlog}）`}，尽管没有进程 accept 它`;
    case 'fin':
      return f.interrupted ? `Ctrl-C 杀死 ${f.interrupted}；关闭套接字时，${whoZh(f.who)}发出 FIN` : `${whoZh(f.who)}发出 FIN，关闭自己这一端`;
    case 'close-wait':
      return 'FIN 到达子连接：它进入 CLOSE-WAIT，并一直停在那里，直到有进程 accept 并关闭它';
    case 'ack-fin':
      return `${whoZh(f.who)}确认 FIN${f.delayed ? '（延迟 ACK）' : ''}`;
    case 'ack':
      return `${whoZh(f.who)}发出 ACK`;
    case 'data':
      return `${whoZh(f.who)}发出 ${f.len} 字节数据`;
    case 'timewait':
      return `${f.client ? '客户端的套接字' : `服务端这一端（:${f.port}）`}成了孤儿，变为 ${stateName(f.sub)} 迷你套接字${f.client ? `（:${f.port}）` : ''}${f.secs === null ? '' : `，存活 ${f.secs} 秒${f.sub === TCP_FIN_WAIT2 ? '（tcp_fin_timeout）' : ''}`}`;
    case 'tw-expired':
      return `${stateName(f.sub)} 迷你套接字（:${f.port}）在 ${f.secs} 秒后到期，离开套接字表：端口 ${f.port} 又空闲了`;
    case 'syn-hits':
      return `${f.synack ? 'SYN-ACK' : 'SYN'} 匹配到的是${whoZh(f.who)}（四元组相同）${f.synack ? '' : '，而不是监听套接字'}`;
    case 'challenge':
      return `${whoZh(f.who)}用 challenge ACK 回应这个 ${f.synack ? 'SYN-ACK' : 'SYN'}（RFC 5961 §4）${f.synack ? '' : '：带的是旧连接自己的 seq 和 ack'}`;
    case 'bad-ack':
      return `客户端（:${f.port}，SYN-SENT）收到一个确认了它从未发送的数据的 ACK${f.rearmMs === null ? '' : REARM_ZH(f.rearmMs)}`;
    case 'rst':
      if (f.why === 'bad-ack')
        return `客户端（:${f.port}）用 RST 回应那个 ACK，RST 的序号就是那个确认号（RFC 793 §3.9，tcp_rcv_synsent_state_process()）${f.rearmMs === null ? '' : REARM_ZH(f.rearmMs)}`;
      if (f.why === 'no-socket') return `:${f.port} 上没有套接字，内核回复 RST（tcp_v4_send_reset()）`;
      return '内核发出 RST';
    case 'rst-sock':
      return f.listenerClosing ? `监听套接字重置仍在队列中的 :${f.who.peer} 子连接（inet_csk_listen_stop()）` : `${whoZh(f.who)}发出 RST`;
    case 'reset-queued':
      return `RST 杀死了${whoZh(f.who)}：它离开了 ss 读取的套接字表，却仍占着 accept 队列里的位置（Recv-Q 仍为 ${f.recvq}）`;
    case 'reset':
      return `RST 杀死了${whoZh(f.who)}`;
    case 'accept':
      return `accept() 从队列取走最早的子连接（:${f.peer}${f.dead ? '，已经死掉的那个' : ''}）：Recv-Q ${f.recvq}`;
    case 'listener-closed':
      return `监听套接字（:${f.port}）关闭`;
    case 'refused':
      return f.interrupted ? `Ctrl-C 在 connect() 中打断了 ${f.interrupted}：客户端的套接字（:${f.port}）被关闭` : `connect() 失败：客户端的套接字（:${f.port}）被关闭`;
    case 'overflow':
      return `:${f.port} 的 accept 队列已满${f.recvq !== null && f.backlog !== null ? `（Recv-Q ${f.recvq} > backlog ${f.backlog}）` : ''}：监听套接字丢弃${f.syn ? ' SYN' : '最后的 ACK，请求仍停在 SYN-RECV'}（ListenOverflows）`;
    case 'drop':
      return `一个报文段被丢弃（${f.reason}）`;
    case 'state':
      return `${whoZh(f.who)}从 ${stateName(f.from)} 变为 ${stateName(f.to)}`;
    case 'timer':
      return `${whoZh(f.who)}启动 ${f.timer} 定时器（${f.ms} ms）`;
    case 'freed':
      return `内核释放${whoZh(f.who)}：最后一个引用已经放下`;
  }
}

const frameOf = (f: Fact): number | null => ('frame' in f ? f.frame : null);

/** A moment's caption: its facts as sentences, each segment's introduced by its frame number. */
export function captionOf(facts: readonly Fact[], lang: Lang): string {
  const parts = facts.map((f) => {
    const n = frameOf(f);
    if (lang === 'zh') return `${n === null ? '' : `第 ${n} 帧：`}${sentenceZh(f)}。`;
    return `${n === null ? '' : `Frame ${n}: `}${sentenceEn(f)}.`;
  });
  // zh: a space between Chinese and Latin text or numbers, as the chapters write it
  return lang === 'zh' ? parts.join('').replace(/([\u4e00-\u9fff])([A-Za-z0-9])/g, '$1 $2').replace(/([A-Za-z0-9)])([\u4e00-\u9fff])/g, '$1 $2') : parts.join(' ');
}

/** Every moment's caption in one language. */
export function narrate(trace: readonly TraceEvent[], moments: readonly NarrateMoment[], t0: Ns, lang: Lang): string[] {
  return narrateFacts(trace, moments, t0).map((f) => captionOf(f, lang));
}
