/**
 * Simulator-vs-kernel conformance: compare a run of the model with a recording made by
 * `npm run record` on a real kernel, after redacting what a run leaves to chance (ports, pids,
 * ISNs, absolute times). Pure: takes the parsed recording and the model's trace.
 *
 * Checks:
 *  - packets: same count; each packet's direction, flags, relative seq/ack, window, length
 *    and option kinds; the gap to the previous packet of the same connection (when the kernel,
 *    not the user, set it) within 5 ms plus the timer wheel's granule at that delay;
 *  - socket states: every distinct `ss` snapshot the recording saw (state, Recv-Q, Send-Q,
 *    endpoints by role, timer kind) appears, in order, among the model's snapshots;
 *  - processes: each process's output (redacted) and how it ended.
 */
import type { TraceEvent, Segment, SocketTable } from '../model/types.ts';
import { ip4str } from '../model/seq.ts';

export interface RecordedPacket { t: number; src: string; sport: number; dst: string; dport: number; flags: string; seq: number; ack: number; win: number; len: number; options: string }
export interface RecordingData {
  experiment: string;
  kernel: string;
  steps: { label: string | null; terminal: string; action: string; plannedNs: number; actualNs: number }[];
  processes: { terminal: string; pid: number; cmd: string; exit: { code: number | null; signal: string | null } | null; killedAtEnd?: boolean; output: { t: number; text: string }[] }[];
  samples: { t: number; text: string }[];
  packets: RecordedPacket[];
}

export interface Check {
  kind: 'packet' | 'gap' | 'state' | 'output' | 'exit' | 'count';
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

function redact(text: string, ports: Set<number>): string {
  return text.replace(/\d+/g, (d) => (ports.has(Number(d)) ? d : /^\d{3,}$/.test(d) ? '#' : d));
}

export interface SimSide {
  trace: TraceEvent[];
  /** Socket tables sampled during the run (distinct consecutive snapshots suffice). */
  tables: SocketTable[];
  /** Experiment-relative start of the run, to align times (ns of the trace at experiment t=0). */
  t0: number;
  processes: { cmd: string; terminal: string; output: string; exit: number | null }[];
}

/** The connection of a normalised packet: its two endpoints, in either direction. */
const flowOf = (p: NormPacket): string => p.dir.split('>').sort().join('|');

/** Index of the last packet before i on the same connection, or -1. */
function prevOfFlow(pk: NormPacket[], i: number): number {
  const f = flowOf(pk[i]);
  for (let j = i - 1; j >= 0; j--) if (flowOf(pk[j]) === f) return j;
  return -1;
}

export function conformance(rec: RecordingData, sim: SimSide, keepPorts: number[]): Check[] {
  const keep = new Set(keepPorts);
  const checks: Check[] = [];
  // ── packets ──
  const recPk = normalise(rec.packets.map((p) => ({ ...p, flags: tsharkFlags(p.flags), opts: optionKinds(p.options), t: Math.round(p.t * 1e6) })), keep);
  const simSegs = sim.trace.flatMap((e) => (e.type === 'xmit' ? [{ t: e.t, seg: e.seg }] : []));
  const simPk = normalise(simSegs.map(({ t, seg }) => ({ t: Math.floor(t / 1000), src: ip4str(seg.saddr), sport: seg.sport, dst: ip4str(seg.daddr), dport: seg.dport, flags: seg.flags, seq: seg.seq, ack: seg.ack, win: seg.window, len: seg.payload.length, opts: segKinds(seg) })), keep);
  checks.push({ kind: 'count', name: 'packet count', ok: recPk.length === simPk.length, expected: String(recPk.length), actual: String(simPk.length), ref: 'recording.json packets' });
  const n = Math.min(recPk.length, simPk.length);
  for (let i = 0; i < n; i++) {
    const r = recPk[i];
    const s = simPk[i];
    const show = (p: NormPacket) => `${p.dir} [${p.flags}] seq ${p.seq} ack ${p.ack} win ${p.win} len ${p.len} <${p.opts}>`;
    checks.push({ kind: 'packet', name: `packet ${i + 1}`, ok: show(r) === show(s), expected: show(r), actual: show(s), ref: `recording.json packets[${i}]` });
    // the gap to the previous packet of the same connection (between two connections, a gap is
    // set by when their programs started, which is chance: start-up latency, timer-wheel phase)
    const jr = prevOfFlow(recPk, i);
    const js = prevOfFlow(simPk, i);
    if (jr >= 0 && jr === js) {
      const gr = r.t - recPk[jr].t;
      const gs = s.t - simPk[js].t;
      // only gaps the kernel decides (timers, replies) — user-paced gaps (> 1.5 s) are inputs
      if (gr < 1_500_000 && gs < 1_500_000 && (gr > 2_000 || gs > 2_000)) {
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
  for (const s of rec.samples) {
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
  // ── processes ──
  const ports = new Set(keepPorts);
  const used = new Set<number>();
  rec.processes.forEach((p, i) => {
    const k = sim.processes.findIndex((q, idx) => !used.has(idx) && q.terminal === p.terminal && q.cmd.split(' ')[0] === p.cmd.split(' ')[0]);
    if (k < 0) {
      checks.push({ kind: 'output', name: `process ${i + 1} (${p.cmd})`, ok: false, expected: 'a matching process', actual: 'none in the model', ref: `recording.json processes[${i}]` });
      return;
    }
    used.add(k);
    const q = sim.processes[k];
    const ro = redact(p.output.map((o) => o.text).join(''), ports);
    const so = redact(q.output, ports);
    checks.push({ kind: 'output', name: `output of \`${p.cmd}\``, ok: ro === so, expected: JSON.stringify(ro), actual: JSON.stringify(so), ref: `recording.json processes[${i}].output` });
    const re = p.killedAtEnd || !p.exit ? 'running' : p.exit.signal ? `signal ${p.exit.signal}` : `exit ${p.exit.code}`;
    const se = q.exit === null ? 'running' : q.exit > 128 ? `signal ${({ 2: 'SIGINT', 9: 'SIGKILL', 15: 'SIGTERM' } as Record<number, string>)[q.exit - 128] ?? q.exit - 128}` : `exit ${q.exit}`;
    // recordings made before `killedAtEnd` existed: a TERM/KILL at the end means "running"
    const ok = re === se || (se === 'running' && /SIGTERM|SIGKILL/.test(re));
    checks.push({ kind: 'exit', name: `end of \`${p.cmd}\``, ok, expected: re, actual: se, ref: `recording.json processes[${i}].exit` });
  });
  return checks;
}
