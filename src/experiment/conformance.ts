/**
 * Simulator-vs-kernel conformance: compare a run of the model with a recording made by
 * `npm run record` on a real kernel, after redacting what a run leaves to chance (ports, pids,
 * ISNs, absolute times). Pure: takes the parsed recording and the model's trace.
 *
 * Checks:
 *  - packets: same count; each packet's direction, flags, relative seq/ack, window, length
 *    and option kinds (two packets of different connections within CONCURRENT_NS of each other
 *    may come in either order); the gap to the previous packet of the same connection when the
 *    kernel, not the user, set it (no step between the two packets) within 5 ms plus the timer
 *    wheel's granule at that delay;
 *  - socket states: every distinct `ss` snapshot the recording saw (but one whose dump
 *    overlapped a packet, which may mix before and after) (state, Recv-Q, Send-Q,
 *    endpoints by role, timer kind) appears, in order, among the model's snapshots;
 *  - processes: how each program a command line started ended — its exit code or the signal
 *    that killed it, or still running at the end — and when, counted from the later of its start
 *    and the last step before it ended (what it reacted to): within END_SLACK_NS (200 ms: start-up,
 *    scheduling, the recorder's own latency, and tcpdump, which takes 18-36 ms to exit after ^C on
 *    an idle machine and 110 ms was measured under load) plus the timer wheel's granule at the time since
 *    the last step before it ended (a program that ends on a timer — nc -w, connect() giving up —
 *    ends when the wheel lets it; HZ=250: 4 ms below 252 ms, 32 ms below 2.016 s, 256 ms below
 *    16.128 s, 2.048 s below 129 s, 16.384 s beyond). Programs of a watch loop are left out (their
 *    number depends on when the loop is stopped);
 *  - terminals: what each terminal showed until the experiment's end (the recording's last step
 *    plus the experiment's tail), with what a run leaves to chance redacted as in the expected
 *    blocks (src/experiment/redact.ts); terminals that run `ss` are left to the socket-state check
 *    (row order follows the kernel's hash of random ports).
 */
import type { TraceEvent, Segment, SocketTable } from '../model/types.ts';
import { ip4str } from '../model/seq.ts';
import { redactText } from './redact.ts';

export interface RecordedPacket { t: number; src: string; sport: number; dst: string; dport: number; flags: string; seq: number; ack: number; win: number; len: number; options: string }
export interface RecordingData {
  experiment: string;
  kernel: string;
  steps: { label: string | null; terminal: string; action: string; plannedNs: number; actualNs: number }[];
  processes: { terminal: string; pid: number; cmd: string; startNs?: number; endNs?: number | null; exit: { code: number | null; signal: string | null } | null; killedAtEnd?: boolean }[];
  /** Each terminal's screen (recordings by a real bash in a pty). */
  terminals?: Record<string, { t: number; text: string }[]>;
  samples: { t: number; end?: number; text: string }[];
  /** CLOCK_REALTIME at t=0 (ns since the epoch): places the packets on the samples' clock. */
  epochT0Ns?: number;
  packets: RecordedPacket[];
}

export interface Check {
  kind: 'packet' | 'gap' | 'state' | 'screen' | 'exit' | 'end' | 'count';
  name: string;
  ok: boolean;
  expected: string;
  actual: string;
  /** Where in the recording (e.g. "recording.json packets[5]", "samples.txt t=3.469"). */
  ref: string;
}

interface NormPacket { dir: string; flags: string; seq: string; ack: string; win: number; len: number; opts: string; t: number }

const FLAG_ORDER = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG'];
const flagNames = (f: number): string => FLAG_ORDER.filter((_, i) => f & (1 << i)).join(',');
/** tshark's tcp.flags.str: 12 positions, "··········S·" style; decode the low 6 bits. */
function tsharkFlags(s: string): number {
  const chars = [...s];
  const pos: Record<string, number> = { F: 0x01, S: 0x02, R: 0x04, P: 0x08, A: 0x10, U: 0x20 };
  let f = 0;
  for (const c of chars) if (pos[c]) f |= pos[c];
  return f;
}
/** Option kinds from tshark's tcp.options hex string. */
function optionKinds(hex: string): string {
  const b = hex.match(/../g)?.map((x) => parseInt(x, 16)) ?? [];
  const names: Record<number, string> = { 0: 'eol', 1: 'nop', 2: 'mss', 3: 'wscale', 4: 'sackOK', 5: 'sack', 8: 'ts' };
  const out: string[] = [];
  for (let i = 0; i < b.length; ) {
    const k = b[i];
    out.push(names[k] ?? `opt${k}`);
    if (k === 0 || k === 1) i++;
    else i += Math.max(2, b[i + 1] ?? 2);
  }
  return out.join(',');
}
const segKinds = (s: Segment): string => s.options.map((o) => o.kind).join(',');

/**
 * Normalise a packet list: ports become roles (in order of first appearance; `keep` ports stay
 * literal), seq/ack become offsets from the nearest ISN seen in that direction.
 */
function normalise(pkts: { t: number; src: string; sport: number; dst: string; dport: number; flags: number; seq: number; ack: number; win: number; len: number; opts: string }[], keep: Set<number>): NormPacket[] {
  const roles = new Map<number, string>();
  const role = (p: number) => {
    if (keep.has(p)) return String(p);
    if (!roles.has(p)) roles.set(p, `P${roles.size + 1}`);
    return roles.get(p)!;
  };
  const bases = new Map<string, number[]>();
  const rel = (dirKey: string, v: number): string => {
    const bs = bases.get(dirKey);
    if (!bs?.length) return 'abs';
    let best = Infinity;
    for (const b of bs) best = Math.min(best, (v - b) >>> 0);
    return best < 1_000_000 ? String(best) : 'far';
  };
  return pkts.map((p) => {
    const fwd = `${p.src}:${p.sport}>${p.dst}:${p.dport}`;
    const rev = `${p.dst}:${p.dport}>${p.src}:${p.sport}`;
    if (p.flags & 0x02) {
      const arr = bases.get(fwd) ?? [];
      if (!arr.includes(p.seq)) arr.push(p.seq);
      bases.set(fwd, arr);
    }
    return {
      dir: `${role(p.sport)}>${role(p.dport)}`,
      flags: flagNames(p.flags),
      seq: p.seq === 0 && p.flags & 0x04 ? '0' : rel(fwd, p.seq),
      ack: p.flags & 0x10 ? rel(rev, p.ack) : '-',
      win: p.win,
      len: p.len,
      opts: p.opts,
      t: p.t,
    };
  });
}

interface NormRow { state: string; rq: number; wq: number; l: string; p: string; timer: string }

/** Parse `ss -natp -o` rows (either layout) into normalised rows. */
export function parseSsRows(text: string): { state: string; rq: number; wq: number; local: string; lport: string; peer: string; pport: string; timer: string }[] {
  const rows = [];
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+(\d+)\s+(\d+)\s+(\S+):(\S+)\s+(\S+):(\S+)(.*)$/.exec(line);
    if (!m || m[1] === 'State') continue;
    const t = /timer:\((\w+),/.exec(m[8]);
    rows.push({ state: m[1], rq: +m[2], wq: +m[3], local: m[4], lport: m[5], peer: m[6], pport: m[7], timer: t ? t[1] : '' });
  }
  return rows;
}

function snapshotKey(rows: ReturnType<typeof parseSsRows>, role: (p: string) => string): string {
  return rows
    .map((r): NormRow => ({ state: r.state, rq: r.rq, wq: r.wq, l: role(r.lport), p: role(r.pport), timer: r.timer }))
    .map((r) => `${r.state} ${r.rq} ${r.wq} ${r.l}>${r.p}${r.timer ? ` timer:${r.timer}` : ''}`)
    .sort()
    .join(' | ');
}

const STATE_NAME: Record<number, string> = { 1: 'ESTAB', 2: 'SYN-SENT', 3: 'SYN-RECV', 4: 'FIN-WAIT-1', 5: 'FIN-WAIT-2', 6: 'TIME-WAIT', 8: 'CLOSE-WAIT', 9: 'LAST-ACK', 10: 'LISTEN', 11: 'CLOSING' };
const TIMER_NAME = ['', 'on', 'keepalive', 'timewait', 'persist'];

export interface SimSide {
  trace: TraceEvent[];
  /** Socket tables sampled during the run (distinct consecutive snapshots suffice). */
  tables: SocketTable[];
  /** Experiment-relative start of the run, to align times (ns of the trace at experiment t=0). */
  t0: number;
  /** Programs started on a terminal: argv joined, exec and exit times (ns since the experiment's
   * start) and bash's status ($?: the exit code, or 128 + the signal's number). */
  processes: { cmd: string; terminal: string; startNs: number; endNs: number | null; exit: number | null }[];
  /** Each terminal's screen. */
  screens: Map<string, { t: number; text: string }[]>;
  /** Where the experiment ends (its last step plus its tail), ns since the start. */
  endNs: number;
  /** Terminals whose screen is not compared (they run `ss`). */
  unscreened: Set<string>;
  /** Terminals and times of the steps that run a watch loop: the programs they start are left out. */
  loops: { terminal: string; from: number; to: number }[];
}

/** 200 ms: what a real run adds to when a program ends (start-up, scheduling, the recorder, tcpdump's exit). */
export const END_SLACK_NS = 200_000_000;
/** The timer wheel's granule (HZ=250) at a delay: 4 ms << 3 per level, level n below 63 granules. */
export function wheelGranuleNs(delayNs: number): number {
  let g = 4_000_000;
  while (delayNs >= 63 * g && g < 16_384_000_000) g *= 8;
  return g;
}

const SIGNAL_NAMES: Record<number, string> = { 1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 6: 'SIGABRT', 9: 'SIGKILL', 13: 'SIGPIPE', 14: 'SIGALRM', 15: 'SIGTERM', 18: 'SIGCONT', 19: 'SIGSTOP', 20: 'SIGTSTP', 21: 'SIGTTIN', 22: 'SIGTTOU' };

/** The connection of a normalised packet: its two endpoints, in either direction. */
const flowOf = (p: NormPacket): string => p.dir.split('>').sort().join('|');

/** Index of the last packet before i on the same connection, or -1. */
function prevOfFlow(pk: NormPacket[], i: number): number {
  const f = flowOf(pk[i]);
  for (let j = i - 1; j >= 0; j--) if (flowOf(pk[j]) === f) return j;
  return -1;
}

const packetKey = (p: NormPacket) => `${p.dir} [${p.flags}] seq ${p.seq} ack ${p.ack} win ${p.win} len ${p.len} <${p.opts}>`;

/**
 * Packets of different connections sent within CONCURRENT_NS of each other come in either order
 * (which timer or program goes first is chance): where the model's order differs from the
 * recording's only by such a pair, the model's packets are taken in the recording's order. Gives
 * the order of the model's packets (indices); roles are then assigned again in that order.
 */
export const CONCURRENT_NS = 20_000_000;
function alignConcurrent(rec: NormPacket[], sim: NormPacket[]): number[] {
  // the packet without its endpoints' roles (which follow the order being decided)
  const loose = (p: NormPacket) => packetKey({ ...p, dir: '' });
  const order = sim.map((_, i) => i);
  for (let i = 0; i < Math.min(rec.length, sim.length); i++) {
    const at = (k: number) => sim[order[k]];
    if (loose(rec[i]) === loose(at(i))) continue;
    for (let j = i + 1; j < Math.min(sim.length, i + 4); j++) {
      if (loose(at(j)) !== loose(rec[i]) || (at(j).t - at(i).t) * 1000 > CONCURRENT_NS) continue;
      if (order.slice(i, j).some((k) => flowOf(sim[k]) === flowOf(at(j)))) break;
      order.splice(i, 0, ...order.splice(j, 1));
      break;
    }
  }
  return order;
}

/** How far a step's recorded time may lag the packets it caused on the samples' clock. */
const STEP_CLOCK_SLACK_NS = 3e6;

export function conformance(rec: RecordingData, sim: SimSide, keepPorts: number[]): Check[] {
  const keep = new Set(keepPorts);
  const checks: Check[] = [];
  // ── packets ──
  const recPk = normalise(rec.packets.map((p) => ({ ...p, flags: tsharkFlags(p.flags), opts: optionKinds(p.options), t: Math.round(p.t * 1e6) })), keep);
  const simSegs = sim.trace.flatMap((e) => (e.type === 'xmit' ? [{ t: e.t, seg: e.seg }] : []));
  const simRaw = simSegs.map(({ t, seg }) => ({ t: Math.floor(t / 1000), src: ip4str(seg.saddr), sport: seg.sport, dst: ip4str(seg.daddr), dport: seg.dport, flags: seg.flags, seq: seg.seq, ack: seg.ack, win: seg.window, len: seg.payload.length, opts: segKinds(seg) }));
  const simPk = normalise(alignConcurrent(recPk, normalise(simRaw, keep)).map((k) => simRaw[k]), keep);
  checks.push({ kind: 'count', name: 'packet count', ok: recPk.length === simPk.length, expected: String(recPk.length), actual: String(simPk.length), ref: 'recording.json packets' });
  const n = Math.min(recPk.length, simPk.length);
  const stepsNs = rec.steps.map((x) => x.actualNs);
  for (let i = 0; i < n; i++) {
    const r = recPk[i];
    const s = simPk[i];
    checks.push({ kind: 'packet', name: `packet ${i + 1}`, ok: packetKey(r) === packetKey(s), expected: packetKey(r), actual: packetKey(s), ref: `recording.json packets[${i}]` });
    // the gap to the previous packet of the same connection (between two connections, a gap is
    // set by when their programs started, which is chance: start-up latency, timer-wheel phase)
    const jr = prevOfFlow(recPk, i);
    const js = prevOfFlow(simPk, i);
    if (jr >= 0 && jr === js) {
      const gr = r.t - recPk[jr].t;
      const gs = s.t - simPk[js].t;
      // only gaps the kernel decides (timers, replies): not one with a step between the two
      // packets (a typed line, a key: the user's pace), nor, for recordings that cannot place
      // their packets on the steps' clock, one over 1.5 s
      // (the packets are placed on that clock to ±1 ms on an idle machine, and a step's packet
      // follows it within one; under a load average of 4, close-unread's typed line was stamped
      // 1.25 ms after the packet it caused, so a step counts up to STEP_CLOCK_SLACK_NS after)
      const paced = rec.epochT0Ns !== undefined ? stepsNs.some((t) => t > recPk[jr].t * 1000 - rec.epochT0Ns! + STEP_CLOCK_SLACK_NS && t <= r.t * 1000 - rec.epochT0Ns! + STEP_CLOCK_SLACK_NS) : gr >= 1_500_000;
      if (!paced && gs < 1_500_000 && (gr > 2_000 || gs > 2_000)) {
        // one jiffy of scheduling plus the timer wheel's granule at that delay (HZ=250:
        // 4 ms below 252 ms, 32 ms below 2 s, 256 ms below 16 s), plus 1 ms of softirq latency
        const g = Math.max(gr, gs);
        const tol = 5_000 + (g < 252_000 ? 4_000 : g < 2_016_000 ? 32_000 : 256_000);
        checks.push({ kind: 'gap', name: `gap before packet ${i + 1} (since packet ${jr + 1})`, ok: Math.abs(gr - gs) <= tol, expected: `${(gr / 1000).toFixed(3)} ms`, actual: `${(gs / 1000).toFixed(3)} ms`, ref: `recording.json packets[${i}].t` });
      }
    }
  }
  // ── socket states ──
  const roles = new Map<string, string>();
  const role = (p: string) => {
    if (p === '*' || keep.has(Number(p))) return p;
    if (!roles.has(p)) roles.set(p, `P${roles.size + 1}`);
    return roles.get(p)!;
  };
  const recSeq: { key: string; t: number }[] = [];
  // a dump that overlapped a packet may show sockets from before and after it, which no instant
  // of a run had: left out (±2 ms: the clocks are matched to a millisecond)
  const pktNs = rec.epochT0Ns !== undefined ? rec.packets.map((p) => p.t * 1e9 - rec.epochT0Ns!) : [];
  const torn = (s: { t: number; end?: number }) => s.end !== undefined && pktNs.some((t) => t >= s.t - 2e6 && t <= s.end! + 2e6);
  for (const s of rec.samples) {
    if (torn(s)) continue;
    const key = snapshotKey(parseSsRows(s.text), role);
    if (!recSeq.length || recSeq[recSeq.length - 1].key !== key) recSeq.push({ key, t: s.t });
  }
  const roles2 = new Map<string, string>();
  const role2 = (p: string) => {
    if (p === '*' || keep.has(Number(p))) return p;
    if (!roles2.has(p)) roles2.set(p, `P${roles2.size + 1}`);
    return roles2.get(p)!;
  };
  const simSeq: string[] = [];
  for (const tb of sim.tables) {
    const rows = tb.rows.map((r) => ({ state: STATE_NAME[r.state] ?? String(r.state), rq: r.rqueue, wq: r.wqueue, local: ip4str(r.saddr), lport: r.sport ? String(r.sport) : '*', peer: ip4str(r.daddr), pport: r.dport ? String(r.dport) : '*', timer: TIMER_NAME[r.timer] ?? '' }));
    const key = snapshotKey(rows, role2);
    if (simSeq[simSeq.length - 1] !== key) simSeq.push(key);
  }
  let j = 0;
  for (const r of recSeq) {
    let found = -1;
    for (let k = j; k < simSeq.length; k++) if (simSeq[k] === r.key) { found = k; break; }
    checks.push({ kind: 'state', name: `ss snapshot at t=${(r.t / 1e9).toFixed(3)}`, ok: found >= 0, expected: r.key || '(no sockets)', actual: found >= 0 ? simSeq[found] || '(no sockets)' : `not among the model's snapshots after #${j}`, ref: `samples.txt t=${(r.t / 1e9).toFixed(3)}` });
    if (found >= 0) j = found;
  }
  // ── processes: how and when each program ended ──
  const inLoop = (p: { terminal: string; startNs?: number }) => sim.loops.some((l) => l.terminal === p.terminal && (p.startNs ?? 0) >= l.from && (p.startNs ?? 0) < l.to);
  const stepTimes = rec.steps.map((s) => s.actualNs).sort((x, y) => x - y);
  const used = new Set<number>();
  rec.processes.forEach((p, i) => {
    if (p.startNs === undefined || inLoop(p)) return;
    const k = sim.processes.findIndex((q, idx) => !used.has(idx) && q.terminal === p.terminal && q.cmd === p.cmd && !inLoop(q));
    if (k < 0) {
      checks.push({ kind: 'exit', name: `\`${p.cmd}\` on ${p.terminal}`, ok: false, expected: 'this program started', actual: 'none in the model', ref: `recording.json processes[${i}]` });
      return;
    }
    used.add(k);
    const q = sim.processes[k];
    const re = p.killedAtEnd || !p.exit ? 'running' : p.exit.signal ? `signal ${p.exit.signal}` : `exit ${p.exit.code}`;
    const se = q.exit === null ? 'running' : q.exit > 128 ? `signal ${SIGNAL_NAMES[q.exit - 128] ?? q.exit - 128}` : `exit ${q.exit}`;
    checks.push({ kind: 'exit', name: `how \`${p.cmd}\` on ${p.terminal} ended`, ok: re === se, expected: re, actual: se, ref: `recording.json processes[${i}].exit` });
    if (re === 'running' || se === 'running' || p.endNs == null || q.endNs === null) return;
    // measured from the later of the program's own start (a real exec may lag its step when the
    // machine is busy) and the last step before it ended (the key or command it reacted to)
    const lastStep = stepTimes.filter((t) => t <= p.endNs!).at(-1) ?? 0;
    const rd = p.endNs - Math.max(lastStep, p.startNs);
    const sd = q.endNs - Math.max(lastStep, q.startNs);
    const tol = END_SLACK_NS + wheelGranuleNs(Math.max(rd, sd));
    const since = lastStep > p.startNs ? 'the step before' : 'its start';
    const s3 = (x: number) => `${(x / 1e9).toFixed(3)} s`;
    checks.push({ kind: 'end', name: `when \`${p.cmd}\` on ${p.terminal} ended`, ok: Math.abs(rd - sd) <= tol, expected: `${s3(p.endNs)}, ${s3(rd)} after ${since} (±${(tol / 1e6).toFixed(0)} ms)`, actual: `${s3(q.endNs)}, ${s3(sd)} after ${since}`, ref: `recording.json processes[${i}].endNs` });
  });
  // ── terminals ──
  for (const [name, chunks] of Object.entries(rec.terminals ?? {})) {
    if (sim.unscreened.has(name)) continue;
    const upTo = (cs: { t: number; text: string }[]) => cs.filter((c) => c.t < sim.endNs).map((c) => c.text).join('');
    const r = redactText(upTo(chunks), 'terminal', { keepPorts }).split('\n');
    const m = redactText(upTo(sim.screens.get(name) ?? []), 'terminal', { keepPorts }).split('\n');
    const at = r.findIndex((l, i) => l !== m[i]);
    const diff = at < 0 && m.length > r.length ? r.length : at;
    checks.push({
      kind: 'screen', name: `terminal ${name}`, ok: diff < 0,
      expected: diff < 0 ? `${r.length} lines` : `line ${diff + 1}: ${JSON.stringify(r[diff] ?? '(end)')}`,
      actual: diff < 0 ? `${m.length} lines` : `line ${diff + 1}: ${JSON.stringify(m[diff] ?? '(end)')}`,
      ref: `terminal-${name}.txt line ${diff + 1}`,
    });
  }
  return checks;
}
