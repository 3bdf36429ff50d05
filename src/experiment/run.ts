/**
 * Run an experiment (IR) on the model: one shell per terminal, keystrokes at their times,
 * chance inputs pinned where the experiment says so. Produces the trace, each terminal's
 * screen and the rendered blocks. Pure: no Node APIs.
 */
import { createHost } from '../model/index.ts';
import { installUserland, startShell } from '../userland/index.ts';
import { words } from '../userland/bash.ts';
import { LOOPBACK } from '../model/seq.ts';
import type { Kernel } from '../model/kernel.ts';
import type { ProcessTable } from '../model/process.ts';
import type { Ns, ProfileName, SocketTable, TraceEvent } from '../model/types.ts';
import type { BlockBound, BlockDecl, Experiment, Step } from './types.ts';
import { readPcap } from '../render/pcap.ts';
import { renderTcpdumpRead } from '../render/tcpdump.ts';
import { analyzeTcp, renderFrameDetail, BLOG_2X_DETAIL } from '../render/wireshark.ts';

export interface ScreenChunk {
  t: Ns;
  text: string;
}

export interface RunResult {
  exp: Experiment;
  profile: ProfileName;
  k: Kernel;
  procs: ProcessTable;
  trace: TraceEvent[];
  /** Everything each terminal showed, in order, with the time it appeared. */
  screens: Map<string, ScreenChunk[]>;
  blocks: Map<string, string>;
  endNs: Ns;
  /** Socket tables sampled every `sampleNs` (when asked), for conformance checks. */
  tables: SocketTable[];
  /** Trace time of the experiment's t=0. */
  t0: Ns;
  /** With `observe`: the state after every instant at which something happened (for widgets). */
  moments: Moment[];
}

/** One listener's accept queue: every child in FIFO order, including reset ones ss cannot see. */
export interface QueueView {
  listener: number;
  port: number;
  backlog: number;
  slots: { sock: number; state: number; peerPort: number; hashed: boolean }[];
}

export interface Moment {
  /** ns since the experiment's start */
  t: Ns;
  /** trace length after this instant */
  traceLen: number;
  table: SocketTable;
  queues: QueueView[];
}

/** Inputs with a `cost.` prefix override the profile's machine costs (ns). */
function costOverrides(inputs: Record<string, number>): Record<string, number> {
  const c: Record<string, number> = {};
  for (const [k, v] of Object.entries(inputs)) if (k.startsWith('cost.')) c[k.slice(5)] = v;
  return c;
}

export function runExperiment(exp: Experiment, profileName: ProfileName = exp.profile, opts: { tailNs?: Ns; sampleNs?: Ns; observe?: boolean; env?: Partial<ProcessTable['env']> } = {}): RunResult {
  const { k, procs } = createHost({
    profile: profileName,
    seed: exp.seed,
    sysctl: exp.sysctl,
    costs: costOverrides(exp.inputs),
    realtimeBaseNs: exp.inputs.realtimeStart,
    isnSecret: exp.inputs.isnSecret,
  });
  // start the clock at a chance offset within a jiffy (inputs.bootNs): experiments start at t0
  const t0: Ns = exp.inputs.bootNs ?? 10_000_000_000;
  k.sim.runUntil(t0 - 1_000_000);
  installUserland(procs, k.profile, exp.host);
  // inputs.noDns: the machine has no reachable DNS resolver (a bare network namespace)
  if (exp.inputs.noDns) procs.env.dns = false;
  Object.assign(procs.env, opts.env ?? {});
  for (const term of exp.terminals) {
    startShell(procs, k.profile, term.name, { user: exp.host.user, hostname: exp.host.hostname, history: term.history, cols: term.cols });
  }
  for (const step of exp.steps) {
    k.sim.at(t0 + step.at, () => applyStep(k, procs, step));
  }
  const last = exp.steps.length ? exp.steps[exp.steps.length - 1].at : 0;
  const endNs = t0 + last + (opts.tailNs ?? exp.inputs.tailNs ?? 3_000_000_000);
  const tables: SocketTable[] = [];
  if (opts.sampleNs) {
    // observation only: reading the socket table does not change the model
    const sample = () => {
      tables.push(procs.socketTable());
      if (k.now + opts.sampleNs! <= endNs) k.sim.after(opts.sampleNs!, sample);
    };
    k.sim.at(t0, sample);
  }
  const moments: Moment[] = [];
  if (opts.observe) {
    // run instant by instant; after each instant that changed anything, note the socket table
    // and the accept queues (observation only: reading does not change the model)
    // what changes the socket table, the queues or the packets (not process churn of a watch loop)
    const relevant = new Set(['xmit', 'state', 'hash', 'queues', 'acceptq', 'sock-new', 'sock-free', 'timer', 'fd']);
    let seen = k.sim.trace.length;
    for (;;) {
      const t = k.sim.peek();
      if (t > endNs) break;
      k.sim.runUntil(t);
      const tr = k.sim.trace;
      let changed = false;
      for (let i = seen; i < tr.length && !changed; i++) changed = relevant.has(tr[i].type);
      seen = tr.length;
      if (changed && t >= t0) moments.push({ t: t - t0, traceLen: tr.length, table: procs.socketTable(), queues: queueViews(k) });
    }
  }
  k.sim.runUntil(endNs);
  const screens = new Map<string, ScreenChunk[]>();
  for (const term of exp.terminals) screens.set(term.name, []);
  for (const e of k.sim.trace) {
    if (e.type === 'output' && e.tty && screens.has(e.tty)) screens.get(e.tty)!.push({ t: e.t - t0, text: e.text });
  }
  const res: RunResult = { exp, profile: profileName, k, procs, trace: k.sim.trace, screens, blocks: new Map(), endNs: endNs - t0, tables, t0, moments };
  for (const b of exp.blocks) res.blocks.set(b.name, renderBlock(res, b));
  return res;
}

function queueViews(k: Kernel): QueueView[] {
  const out: QueueView[] = [];
  for (const arr of k.listening.values())
    for (const l of arr)
      out.push({
        listener: l.id,
        port: l.sport,
        backlog: l.maxAckBacklog,
        slots: l.acceptQueue.map((c) => ({ sock: c.id, state: c.state, peerPort: c.dport, hashed: c.hashed })),
      });
  return out;
}

function applyStep(k: Kernel, procs: ProcessTable, step: Step): void {
  const tty = procs.tty(step.terminal);
  if (step.action.kind === 'key') {
    procs.ttyKey(tty, step.action.key);
    return;
  }
  const line = step.action.line;
  if (step.pins.pid !== undefined) procs.pidPins.set(step.terminal, [step.pins.pid]);
  if (step.pins.startupNs !== undefined) procs.startupPins.set(step.terminal, [step.pins.startupNs]);
  if (step.pins.isnLeadNs !== undefined) k.isnLeadOnce = step.pins.isnLeadNs;
  if (step.pins.ephemeralPort !== undefined) {
    const w = words(line);
    const dport = Number(w[w.length - 1]);
    k.pinEphemeralPort(step.pins.ephemeralPort, LOOPBACK, LOOPBACK, dport);
  }
  procs.ttyType(tty, line + '\n');
}

function boundTime(res: RunResult, b: BlockBound, terminal: string | null, isEnd: boolean): Ns {
  const steps = res.exp.steps;
  switch (b.kind) {
    case 'start':
      return -Infinity;
    case 'end':
      return Infinity;
    case 'time':
      return b.at;
    case 'before': {
      const s = steps.find((x) => x.label === b.label)!;
      return s.at;
    }
    case 'after': {
      const i = steps.findIndex((x) => x.label === b.label);
      const s = steps[i];
      const term = terminal ?? s.terminal;
      const next = steps.slice(i + 1).find((x) => x.terminal === term);
      return next ? next.at : isEnd ? Infinity : s.at;
    }
  }
}

/** The text a terminal showed in [from, to), widened to whole lines at the start. */
export function screenWindow(chunks: ScreenChunk[], from: Ns, to: Ns): string {
  let before = '';
  let inside = '';
  for (const c of chunks) {
    if (c.t < from) before += c.text;
    else if (c.t < to) inside += c.text;
  }
  const nl = before.lastIndexOf('\n');
  return before.slice(nl + 1) + inside;
}

function renderBlock(res: RunResult, b: BlockDecl): string {
  if (b.kind === 'terminal') {
    const chunks = res.screens.get(b.terminal) ?? [];
    return screenWindow(chunks, boundTime(res, b.from, b.terminal, false), boundTime(res, b.to, b.terminal, true));
  }
  const file = res.procs.vfs.get(b.capture);
  if (!file) throw new Error(`${b.loc.file}:${b.loc.line}:${b.loc.col}: block ${b.name}: no capture file ${b.capture} was written by the experiment`);
  const frames = readPcap(file);
  if (b.kind === 'tcpdump') return renderTcpdumpRead(frames, { version: res.k.profile.tools.tcpdump, numeric: true, tz: 'UTC' });
  const version = res.k.profile.tools.wireshark;
  const analysis = analyzeTcp(frames, { version });
  const out: string[] = [];
  // 2.x: the GUI's packet details (subtrees of Flags and Expert Info collapsed), as the blog copied them
  const detail = version === '2.x' ? BLOG_2X_DETAIL : { version };
  for (let i = b.frames[0]; i <= b.frames[1] && i <= frames.length; i++) out.push(renderFrameDetail(frames[i - 1], analysis, detail));
  return out.join('\n');
}
