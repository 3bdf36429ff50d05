/**
 * Run an experiment (IR) on the model: one shell per terminal, keystrokes at their times,
 * chance inputs pinned where the experiment says so. Produces the trace, each terminal's
 * screen and the rendered blocks. Pure: no Node APIs.
 */
import { createHost } from '../model/index.ts';
import { SysctlError } from '../model/profiles.ts';
import { installUserland, startShell } from '../userland/index.ts';
import { ncConnectPort } from '../userland/cmdline.ts';
import { LOOPBACK } from '../model/seq.ts';
import type { Kernel } from '../model/kernel.ts';
import type { ProcessTable, Task } from '../model/process.ts';
import type { Ns, ProfileName, SocketTable, TraceEvent } from '../model/types.ts';
import type { BlockBound, BlockDecl, Experiment, Loc, Step } from './types.ts';
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

/**
 * Per-run limits: a run that reaches one stops with a RunLimitError located at the step applied
 * last. The defaults are far above what the committed experiments use (at most 10,000 events,
 * 80 KB of terminal output and 323 s of simulated time, in seed-collision and seed-recvq).
 */
export interface RunLimits {
  /** Events the scheduler runs (each syscall, segment delivery, timer ...). */
  maxEvents: number;
  /** Processes started (each stage of a pipeline, each pass of a loop: the costly part of a run). */
  maxProcesses: number;
  /** Bytes written to terminals plus bytes in files (captures). */
  maxOutputBytes: number;
  /** Simulated time from the experiment's start to its end (last step + tail), ns. */
  maxSimNs: Ns;
}

export const DEFAULT_LIMITS: Readonly<RunLimits> = Object.freeze({
  maxEvents: 250_000,
  maxProcesses: 8_000,
  maxOutputBytes: 4 * 1024 * 1024,
  maxSimNs: 24 * 3600 * 1_000_000_000,
});

/** Events run between two checks of the limits (the check is off the scheduler's hot path). */
const LIMIT_CHUNK = 10_000;

/** An error of a run, located (`file:line:col: message`, like the parser's errors). */
export class RunError extends Error {
  readonly loc: Loc;
  constructor(loc: Loc, message: string, options?: { cause?: unknown }) {
    super(`${loc.file}:${loc.line}:${loc.col}: ${message}`, options);
    this.loc = loc;
    this.name = 'RunError';
  }
}

/** The run reached one of its limits (RunLimits) and was stopped. */
export class RunLimitError extends RunError {
  readonly limit: 'events' | 'processes' | 'output' | 'time';
  constructor(loc: Loc, limit: 'events' | 'processes' | 'output' | 'time', message: string) {
    super(loc, message);
    this.limit = limit;
    this.name = 'RunLimitError';
  }
}

/** The experiment's inputs cannot be run (a value no real run could have). */
export class RunInputError extends RunError {
  constructor(loc: Loc, message: string) {
    super(loc, message);
    this.name = 'RunInputError';
  }
}

/** A bug of the model: an exception inside the run, located at the step applied last. */
export class RunInternalError extends RunError {
  constructor(loc: Loc, cause: unknown) {
    super(loc, `internal error: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'RunInternalError';
  }
}

function fmtBytes(n: number): string {
  return n >= 1024 * 1024 ? `${+(n / 1024 / 1024).toFixed(1)} MB` : n >= 1024 ? `${+(n / 1024).toFixed(1)} KB` : `${n} bytes`;
}

function fmtSeconds(ns: number): string {
  return `${+(ns / 1e9).toPrecision(6)} s`;
}

/** The largest pid Linux can allocate (PID_MAX_LIMIT on 64-bit, include/linux/threads.h). */
export const PID_MAX_LIMIT = 4 * 1024 * 1024;

/**
 * Inputs the model cannot run, reported where they are written. (The parser refuses most of
 * them first; this keeps the model safe for any caller, a fuzzer or the sandbox included.)
 */
function checkInputs(exp: Experiment, t0: Ns, endNs: Ns, limits: RunLimits): void {
  const front: Loc = { file: exp.file, line: 1, col: 1 };
  const last = exp.steps.length ? exp.steps[exp.steps.length - 1] : null;
  if (!Number.isSafeInteger(t0) || t0 < 0) throw new RunInputError(front, `inputs.bootNs must be a whole number of ns from 0, got ${t0}`);
  for (const s of exp.steps) {
    if (s.at > limits.maxSimNs)
      throw new RunLimitError(s.loc, 'time', `the run stopped: this step is at ${fmtSeconds(s.at)} of simulated time (limit ${fmtSeconds(limits.maxSimNs)})`);
    if (!Number.isSafeInteger(s.at) || s.at < 0) throw new RunInputError(s.loc, `the step's time must be a whole number of ns from 0, got ${s.at}`);
    const p = s.pins;
    if (p.pid !== undefined && (!Number.isSafeInteger(p.pid) || p.pid < 1 || p.pid >= PID_MAX_LIMIT))
      throw new RunInputError(s.loc, `pid ${p.pid} cannot be allocated: Linux pids are 1 to ${PID_MAX_LIMIT - 1} (PID_MAX_LIMIT)`);
    if (p.ephemeralPort !== undefined && (!Number.isSafeInteger(p.ephemeralPort) || p.ephemeralPort < 1 || p.ephemeralPort > 65535))
      throw new RunInputError(s.loc, `port ${p.ephemeralPort} is not a port number (1 to 65535)`);
    for (const [name, v] of [['startup', p.startupNs], ['isnLead', p.isnLeadNs]] as const)
      if (v !== undefined && (!Number.isSafeInteger(v) || v < 0 || v > limits.maxSimNs)) throw new RunInputError(s.loc, `${name} must be a whole number of ns from 0 to ${limits.maxSimNs}, got ${v}`);
  }
  const tail = endNs - t0 - (last?.at ?? 0);
  if (!Number.isSafeInteger(endNs) || tail < 0) throw new RunInputError(last?.loc ?? front, `the tail after the last step (inputs.tailNs) must be a whole number of ns from 0, got ${tail}`);
  if (endNs - t0 > limits.maxSimNs)
    throw new RunLimitError(last?.loc ?? front, 'time', `the run stopped: it would last ${fmtSeconds(endNs - t0)} of simulated time with its tail (inputs.tailNs), limit ${fmtSeconds(limits.maxSimNs)}`);
}

export interface RunOptions {
  tailNs?: Ns;
  sampleNs?: Ns;
  observe?: boolean;
  env?: Partial<ProcessTable['env']>;
  /** Limits of this run (each defaults to DEFAULT_LIMITS). */
  limits?: Partial<RunLimits>;
}

/**
 * Run an experiment and render its blocks (terminal windows, tcpdump text, Wireshark details):
 * what the transcript pipeline, the build and the tests use.
 */
export function runExperiment(exp: Experiment, profileName: ProfileName = exp.profile, opts: RunOptions = {}): RunResult {
  const res = simulate(exp, profileName, opts);
  for (const b of exp.blocks) res.blocks.set(b.name, locate(b.loc, () => renderBlock(res, b)));
  return res;
}

/** f(), with an exception that is not a RunError reported as a model bug at loc. */
function locate<T>(loc: Loc, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof RunError) throw e;
    throw new RunInternalError(loc, e);
  }
}

/**
 * Run an experiment on the model without rendering its blocks (`blocks` stays empty): the live
 * timeline's run (src/widgets/sim-run.ts, in the widgets' worker), whose bundle so keeps neither
 * the tcpdump nor the Wireshark renderer.
 */
export function simulate(exp: Experiment, profileName: ProfileName = exp.profile, opts: RunOptions = {}): RunResult {
  const limits: RunLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  // start the clock at a chance offset within a jiffy (inputs.bootNs): experiments start at t0
  const t0: Ns = exp.inputs.bootNs ?? 10_000_000_000;
  const last = exp.steps.length ? exp.steps[exp.steps.length - 1].at : 0;
  const endNs = t0 + last + (opts.tailNs ?? exp.inputs.tailNs ?? 3_000_000_000);
  checkInputs(exp, t0, endNs, limits);
  // the step applied last: where an error of the run is reported
  let current: Loc = { file: exp.file, line: 1, col: 1 };
  const guard = <T>(f: () => T): T => locate(current, f);
  const { k, procs } = guard(() => {
    try {
      return createHost({
        profile: profileName,
        seed: exp.seed,
        sysctl: exp.sysctl,
        costs: costOverrides(exp.inputs),
        realtimeBaseNs: exp.inputs.realtimeStart,
        isnSecret: exp.inputs.isnSecret,
      });
    } catch (e) {
      // a sysctl the kernel refuses (-EINVAL, -ENOENT) or a cost the profile cannot take
      if (e instanceof SysctlError) throw new RunInputError(current, `${e.message} (${profileName})`);
      throw e;
    }
  });
  // the limits, checked every LIMIT_CHUNK events (off the scheduler's hot path)
  let events = 0;
  let outputBytes = 0;
  let processes = 0;
  let scanned = 0;
  const run = (until: Ns): void => {
    for (;;) {
      const n = guard(() => k.sim.runUntilAtMost(until, LIMIT_CHUNK));
      events += n;
      const tr = k.sim.trace;
      for (let i = scanned; i < tr.length; i++) {
        const e = tr[i];
        if (e.type === 'output') outputBytes += e.text.length;
        else if (e.type === 'proc' && e.action === 'exec') processes++;
      }
      scanned = tr.length;
      let files = 0;
      for (const f of procs.vfs.values()) files += f.length;
      if (outputBytes + files > limits.maxOutputBytes)
        throw new RunLimitError(current, 'output', `the run stopped: ${fmtBytes(outputBytes + files)} of terminal output and files (limit ${fmtBytes(limits.maxOutputBytes)}); the command at this step never ends?`);
      if (processes > limits.maxProcesses)
        throw new RunLimitError(current, 'processes', `the run stopped: ${processes.toLocaleString('en-US')} processes started by ${fmtSeconds(k.now - t0)} of simulated time (limit ${limits.maxProcesses.toLocaleString('en-US')}); the command at this step never ends?`);
      if (events > limits.maxEvents)
        throw new RunLimitError(current, 'events', `the run stopped: ${events.toLocaleString('en-US')} events at ${fmtSeconds(k.now - t0)} of simulated time (limit ${limits.maxEvents.toLocaleString('en-US')}); the command at this step never ends?`);
      if (n < LIMIT_CHUNK) return;
    }
  };
  run(t0 - 1_000_000);
  guard(() => {
    installUserland(procs, k.profile, exp.host);
    // inputs.noDns: the machine has no reachable DNS resolver (a bare network namespace)
    if (exp.inputs.noDns) procs.env.dns = false;
    Object.assign(procs.env, opts.env ?? {});
    const shells = new Map<string, Task | null>();
    for (const term of exp.terminals) {
      shells.set(term.name, startShell(procs, k.profile, term.name, { user: exp.host.user, hostname: exp.host.hostname, history: term.history, cols: term.cols }));
    }
    for (const step of exp.steps) {
      k.sim.at(t0 + step.at, () => {
        current = step.loc;
        // a terminal whose shell died (`kill -9` of its pid) has closed: it shows nothing more
        const sh = shells.get(step.terminal);
        if (sh && sh.state === 'zombie') return;
        applyStep(k, procs, step);
      });
    }
  });
  const tables: SocketTable[] = [];
  if (opts.sampleNs) {
    if (!Number.isSafeInteger(opts.sampleNs) || opts.sampleNs <= 0) throw new RangeError(`sampleNs must be a positive integer, got ${opts.sampleNs}`);
    // observation only: reading the socket table does not change the model
    const sample = () => {
      tables.push(procs.socketTable());
      if (k.now + opts.sampleNs! <= endNs) k.sim.after(opts.sampleNs!, sample);
    };
    k.sim.at(t0, sample);
  }
  const moments: Moment[] = opts.observe ? observeMoments(k, procs, t0, endNs, run, guard) : [];
  run(endNs);
  const screens = new Map<string, ScreenChunk[]>();
  for (const term of exp.terminals) screens.set(term.name, []);
  for (const e of k.sim.trace) {
    if (e.type === 'output' && e.tty && screens.has(e.tty)) screens.get(e.tty)!.push({ t: e.t - t0, text: e.text });
  }
  return { exp, profile: profileName, k, procs, trace: k.sim.trace, screens, blocks: new Map(), endNs: endNs - t0, tables, t0, moments };
}

/**
 * Run instant by instant; after each instant that changed the socket table, the queues or the
 * packets (not process churn of a watch loop), note the socket table and the accept queues
 * (observation only: reading does not change the model).
 */
function observeMoments(k: Kernel, procs: ProcessTable, t0: Ns, endNs: Ns, run: (until: Ns) => void, guard: <T>(f: () => T) => T): Moment[] {
  const moments: Moment[] = [];
  const relevant = new Set(['xmit', 'state', 'hash', 'queues', 'acceptq', 'sock-new', 'sock-free', 'timer', 'fd']);
  let seen = k.sim.trace.length;
  for (;;) {
    const t = k.sim.peek();
    if (t > endNs) break;
    run(t);
    const tr = k.sim.trace;
    let changed = false;
    for (let i = seen; i < tr.length && !changed; i++) changed = relevant.has(tr[i].type);
    seen = tr.length;
    if (changed && t >= t0) moments.push(guard(() => ({ t: t - t0, traceLen: tr.length, table: procs.socketTable(), queues: queueViews(k) })));
  }
  return moments;
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
    const dport = ncConnectPort(line);
    if (dport !== null) k.pinEphemeralPort(step.pins.ephemeralPort, LOOPBACK, LOOPBACK, dport);
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
  if (!file) throw new RunInputError(b.loc, `block ${b.name}: no capture file ${b.capture} was written by the experiment`);
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
