/**
 * The sandbox terminal's engine: one simulated host (the model) with a bash on the tty
 * "sandbox", advanced in slices under a wall-clock budget. Pure TypeScript (no DOM, no worker
 * API): the Web Worker (sandbox-worker.ts) runs it, the widget runs the same code on the main
 * thread when no worker can be made, and the unit tests run it in Node with any clock.
 *
 * A command (or key) starts an *advance*: simulated time runs until the shell prompts again with
 * nothing left in the tty's input queue, until only far timers are pending for a foreground job
 * that waits on the network, or for at most MAX_ADVANCE_NS of simulated time. `step()` runs a part
 * of it until a wall-clock deadline (checked every few model events) and returns; input that
 * arrives between two steps is delivered to the model at once (so ^C reaches a runaway loop), as
 * keys reach a real terminal's foreground job. Output is collected from the trace as it is
 * emitted (a listener: nothing is rescanned, and the host keeps no trace, so a loop that runs for
 * minutes holds no growing array).
 *
 * The wall clock is the caller's (`clock`), never the model's: the model stays deterministic, and a
 * run cut into many slices gives the same output as one cut into few.
 */
import { createHost } from '../model/index.ts';
import type { Kernel } from '../model/kernel.ts';
import type { ProcessTable, Tty } from '../model/process.ts';
import type { ProfileName, TraceEvent } from '../model/types.ts';
import { installUserland, startShell } from '../userland/index.ts';

export const TTY = 'sandbox';
/** Simulated time an advance may run without the shell prompting (a watch loop pauses there). */
export const MAX_ADVANCE_NS = 600e9;
/** Simulated time from boot to the first prompt the reader sees (the clock shows time after it). */
export const BOOT_NS = 10e9;
/** Wall-clock budget of one slice, ms. */
export const SLICE_MS = 8;
/** How often a running advance reports its output, ms of wall clock. */
export const REPORT_MS = 40;
/** Output kept while waiting to be reported (a flood keeps its tail), characters. */
export const MAX_PENDING_CHARS = 256 * 1024;
/** Length at which the unknown-command note cuts a name. */
export const NOTE_NAME_CHARS = 40;

/** Longest a key waits for the shell to hand the terminal on (then it goes to the shell). */
const HOLD_KEY_NS = 100e6;

const USER = 'root';
const HOSTNAME = 'lab';
const PROMPT_RE = /^\[#\d+#root@lab ~\]\$$/;
const NOT_FOUND_HEAD = 'bash: ';
const NOT_FOUND_TAIL = ': command not found\n';

export type Key = '^C' | '^Z' | '^D' | '^\\';
export type Input = { kind: 'line'; text: string } | { kind: 'key'; key: Key } | { kind: 'new-shell' } | { kind: 'fault'; message: string; hang?: boolean };

/** What the screen gets, in order: output, a crash (then the new host's output), the shell's end. */
export type Item = { kind: 'out'; text: string } | { kind: 'crash'; message: string } | { kind: 'exit' };

export interface Update {
  items: Item[];
  /** An advance is still running. */
  busy: boolean;
  /** Inputs delivered so far (the widget compares it with what it sent). */
  seq: number;
  /** Simulated ns since the first prompt. */
  simNs: number;
  /** The shell has exited (or was killed): the widget offers a new one. */
  ended: boolean;
  /** The unknown command of the last input, cut to NOTE_NAME_CHARS (…), or null. */
  unknown: string | null;
}

/** `name` cut to `max` UTF-16 units (never inside a surrogate pair), with … when cut. */
export function shortName(name: string, max = NOTE_NAME_CHARS): string {
  if (name.length <= max) return name;
  let end = max;
  const c = name.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return name.slice(0, end) + '…';
}

/** Keep the tail of `text` within `max` characters, cut after a newline when there is one. */
export function keepTail(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.length - max;
  const nl = text.indexOf('\n', cut);
  return nl >= 0 && nl < text.length - 1 ? text.slice(nl + 1) : text.slice(cut);
}

export type Clock = () => number;

interface Advance {
  /** 'start': let the command start (50 ms); 'run': until a prompt; 'tail': 5 ms more (or the boot). */
  stage: 'start' | 'run' | 'tail';
  /** Target time of the 'start' and 'tail' stages. */
  until: number;
  /** Simulated time the 'run' stage began. */
  from: number;
}

export class SandboxEngine {
  readonly profile: ProfileName;
  private k!: Kernel;
  private procs!: ProcessTable;
  private tty!: Tty;
  private shellPid = 0;
  private bootNs = 0;
  private shellEnded = false;
  /** A prompt was printed with the tty's input queue empty since the last input. */
  private prompted = false;
  private advance: Advance | null = null;
  private items: Item[] = [];
  private pendingChars = 0;
  private unknown: string | null = null;
  private seq = 0;
  /** A key that waits for the shell to give the terminal to a job (see shellBetweenJobs). */
  private held: Key | null = null;
  private heldAt = 0;
  /** Events run (the clock is read every 8th). */
  private ran = 0;

  constructor(profile: ProfileName) {
    this.profile = profile;
    this.boot();
  }

  get busy(): boolean {
    return this.advance !== null;
  }

  get simNs(): number {
    return this.k.now - this.bootNs;
  }

  /** A new host: boot, a shell on the sandbox tty, and BOOT_NS of simulated time (run by step()). */
  private boot(): void {
    const { k, procs } = createHost({ profile: this.profile, seed: 4 });
    this.k = k;
    this.procs = procs;
    // Nothing reads the trace back: output is taken as it is emitted.
    k.sim.keepTrace = false;
    k.sim.onTrace((e) => this.onEvent(e));
    installUserland(procs, k.profile, { user: USER, hostname: HOSTNAME });
    this.startShell();
    this.bootNs = k.now + BOOT_NS;
    this.advance = { stage: 'tail', until: this.bootNs, from: k.now };
  }

  private startShell(): void {
    const task = startShell(this.procs, this.k.profile, TTY, { user: USER, hostname: HOSTNAME, history: 1 });
    this.tty = this.procs.tty(TTY);
    this.shellPid = task?.pid ?? 0;
    this.shellEnded = !task;
    this.prompted = false;
    this.held = null;
  }

  private onEvent(e: TraceEvent): void {
    if (e.type === 'output') {
      if (e.tty !== TTY) return;
      this.out(e.text);
      if (PROMPT_RE.test(e.text) && this.tty.input.length === 0) this.prompted = true;
      else if (e.stream === 'stderr' && e.text.startsWith(NOT_FOUND_HEAD) && e.text.endsWith(NOT_FOUND_TAIL))
        this.unknown = shortName(e.text.slice(NOT_FOUND_HEAD.length, e.text.length - NOT_FOUND_TAIL.length));
    } else if (e.type === 'proc' && e.action === 'exit' && e.pid === this.shellPid && !this.shellEnded) {
      this.shellEnded = true;
    }
  }

  private out(text: string): void {
    const last = this.items.at(-1);
    if (last?.kind === 'out') last.text += text;
    else this.items.push({ kind: 'out', text });
    this.pendingChars += text.length;
    if (this.pendingChars > 2 * MAX_PENDING_CHARS) this.trimPending();
  }

  /** A flood nobody has fetched yet: keep its last MAX_PENDING_CHARS characters. */
  private trimPending(): void {
    let keep = MAX_PENDING_CHARS;
    const kept: Item[] = [];
    for (let i = this.items.length - 1; i >= 0; i--) {
      const it = this.items[i];
      if (it.kind !== 'out') kept.push(it);
      else if (keep > 0) {
        const t = keepTail(it.text, keep);
        keep -= t.length;
        kept.push({ kind: 'out', text: t });
      }
    }
    this.items = kept.reverse();
    this.pendingChars = MAX_PENDING_CHARS - keep;
  }

  /** Deliver typed input or a key to the model now, and (re)start an advance. */
  input(x: Input): void {
    this.seq++;
    try {
      this.deliver(x);
    } catch (err) {
      this.crashed(err);
    }
  }

  private deliver(x: Input): void {
    if (x.kind === 'fault') {
      // For tests: an exception thrown from inside the model's event loop, as a model bug would,
      // or a model step that never returns (which only the widget's watchdog can end).
      const { message, hang } = x;
      this.k.sim.after(0, () => {
        while (hang);
        throw new Error(message);
      });
    } else if (x.kind === 'new-shell') {
      if (!this.shellEnded) return;
      this.startShell();
    } else {
      if (this.shellEnded) return;
      if (x.kind === 'line') this.procs.ttyType(this.tty, x.text + '\n');
      else if (x.key !== '^D' && this.shellBetweenJobs()) {
        this.held = x.key;
        this.heldAt = this.k.now;
      } else this.procs.ttyKey(this.tty, x.key);
    }
    this.unknown = null;
    this.prompted = false;
    this.advance = { stage: 'start', until: this.k.now + 50e6, from: this.k.now };
  }

  /**
   * Run the current advance until it ends or the clock reaches `deadline`. Returns whether an
   * advance is still running. Never throws: an exception from the model ends that host (a crash
   * item) and boots a new one.
   */
  step(deadline: number, clock: Clock): boolean {
    try {
      this.run(deadline, clock);
    } catch (err) {
      this.crashed(err);
    }
    return this.busy;
  }

  private crashed(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.items.push({ kind: 'crash', message: shortName(message.split('\n')[0], 200) });
    this.unknown = null;
    this.advance = null;
    try {
      this.boot();
    } catch (again) {
      // A host that cannot even boot: nothing more to run.
      this.advance = null;
      this.shellEnded = true;
      this.items.push({ kind: 'crash', message: String(again instanceof Error ? again.message : again) });
    }
  }

  private run(deadline: number, clock: Clock): void {
    const k = this.k;
    for (;;) {
      const a = this.advance;
      if (!a) return;
      if (a.stage === 'start') {
        if (!this.runTo(a.until, deadline, clock)) return;
        a.stage = 'run';
        a.from = k.now;
        continue;
      }
      if (a.stage === 'run') {
        // until the shell prompts again, or nothing more can happen soon
        while (!this.prompted && !this.shellEnded && k.now - a.from < MAX_ADVANCE_NS) {
          const next = k.sim.peek();
          if (next === Infinity) break;
          // a foreground job waiting on the network with only far timers pending: stop and show it
          if (next - k.now > 2e9 && !this.sleeping()) break;
          if (!this.runTo(next, deadline, clock)) return;
        }
        a.stage = 'tail';
        a.until = k.now + 5e6;
        continue;
      }
      if (!this.runTo(a.until, deadline, clock)) return;
      this.advance = null;
      return;
    }
  }

  /**
   * sim.runUntil(t) in pieces: the events due at or before t, one at a time, looking at the clock
   * every few; false when the deadline came first (the rest runs in the next step).
   */
  private runTo(t: number, deadline: number, clock: Clock): boolean {
    const sim = this.k.sim;
    while (sim.peek() <= t) {
      if ((++this.ran & 7) === 0 && clock() >= deadline) return false;
      sim.runAll(1);
      if (this.held && (!this.shellBetweenJobs() || this.k.now - this.heldAt > HOLD_KEY_NS)) {
        const key = this.held;
        this.held = null;
        this.procs.ttyKey(this.tty, key);
      }
    }
    sim.runUntil(t);
    return true;
  }

  /**
   * Would a key reach nobody but a shell that lets it pass? That is, no live process of the
   * terminal's foreground group but the shell, and the shell not reading the terminal: between
   * two jobs of a loop or a `;` list, or just after a job ended and before the shell took the
   * terminal back. After a job ended the foreground group is dead, so a key landing there would
   * reach nobody (the window is microseconds on a real machine, but a model step is often all
   * the reader's key can land on). A key pressed then is handed to the terminal when the next
   * job has it or the shell reads again (a few simulated microseconds later): the reader sees
   * the loop end, as with real bash. (A ^C that does reach the shell between two jobs ends the
   * loop in the model's bash itself, since waitJob keeps an interrupted wait.)
   */
  private shellBetweenJobs(): boolean {
    const shell = this.procs.tasks.get(this.shellPid);
    if (!shell || shell.state === 'zombie') return false;
    const fg = this.tty.fgPgid;
    if (fg === shell.pgid) return this.tty.waiters.size === 0;
    for (const t of this.procs.tasks.values()) if (t.pgid === fg && t.pid !== shell.pid && t.state !== 'zombie') return false;
    return true;
  }

  /** Is a `sleep` running (which should simply let time pass)? */
  private sleeping(): boolean {
    for (const t of this.procs.tasks.values()) if (t.comm === 'sleep' && t.state !== 'zombie') return true;
    return false;
  }

  /** Everything since the last call. */
  drain(): Update {
    const items = this.items;
    this.items = [];
    this.pendingChars = 0;
    const ended = this.shellEnded && !this.busy;
    if (ended && !this.reportedEnd) {
      items.push({ kind: 'exit' });
      this.reportedEnd = true;
    }
    if (!this.shellEnded) this.reportedEnd = false;
    return { items, busy: this.busy, seq: this.seq, simNs: this.simNs, ended, unknown: this.unknown };
  }
  private reportedEnd = false;
}

/**
 * Runs an engine: a slice of SLICE_MS whenever it is busy, then back to the event loop (`yield_`)
 * so input gets through; an update at least every REPORT_MS while busy and when it goes idle.
 * The worker and the widget's main-thread fallback both use it.
 */
export class SandboxDriver {
  private scheduled = false;
  private lastReport = -Infinity;
  readonly engine: SandboxEngine;
  private readonly report: (u: Update) => void;
  private readonly clock: Clock;
  private readonly yield_: (fn: () => void) => void;
  private readonly sliceMs: number;

  constructor(engine: SandboxEngine, report: (u: Update) => void, clock: Clock, yield_: (fn: () => void) => void, sliceMs = SLICE_MS) {
    this.engine = engine;
    this.report = report;
    this.clock = clock;
    this.yield_ = yield_;
    this.sliceMs = sliceMs;
    this.kick();
  }

  input(x: Input): void {
    this.engine.input(x);
    this.kick();
  }

  private kick(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.yield_(() => this.pump());
  }

  private pump(): void {
    this.scheduled = false;
    const start = this.clock();
    const busy = this.engine.step(start + this.sliceMs, this.clock);
    const now = this.clock();
    if (!busy || now - this.lastReport >= REPORT_MS) {
      this.lastReport = now;
      this.report(this.engine.drain());
    }
    if (busy) this.kick();
  }
}

/** Messages from the widget to the sandbox worker. */
export type ToWorker = { type: 'boot'; profile: ProfileName } | { type: 'input'; input: Input };
/** Messages from the sandbox worker to the widget. */
export type FromWorker = { type: 'update'; update: Update };
