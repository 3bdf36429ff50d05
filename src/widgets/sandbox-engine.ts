/**
 * The sandbox's engine: one simulated host (the model) with a bash on each of its terminals
 * (ttys pts/0 … pts/3), whose simulated time follows the wall clock at the chosen speed (1×, 10×),
 * or jumps to the next event the host has scheduled (Skip). Pure TypeScript (no DOM, no worker
 * API): the Web Worker (sandbox-worker.ts) runs it, and the unit tests run it in Node with any
 * clock.
 *
 * `step(deadline)` runs the events due by now (the wall clock's target) until a wall-clock
 * deadline, checked every few model events, and returns; input that arrives between two steps is
 * delivered to the model at once, after the clock has caught up to the moment it arrived (so ^C
 * reaches a runaway loop, and a watch loop prints a line a second at 1×). A host that cannot keep
 * up drops the lag instead of piling it up: its time then runs slower than the chosen speed
 * (`behind`). Output is collected from the trace as it is emitted (a listener: nothing is
 * rescanned, and the host keeps no trace).
 *
 * The engine also runs the lab: the goals (predicates over the socket table, sandbox-lab.ts),
 * re-checked after every instant that changed a socket, queue or process; the live view (the same
 * `ss -natp -o` table, accept queue and packet ladder as the timeline widget, rendered here so
 * the page only inserts them); `help`, `clear` and `reset` typed at a prompt; Tab completion.
 *
 * The wall clock is the caller's (`clock`), never the model's: the model stays deterministic, and
 * the same inputs arriving at the same wall-clock times give the same output however finely the
 * run is sliced.
 */
import { createHost } from '../model/index.ts';
import type { Kernel } from '../model/kernel.ts';
import type { ProcessTable, Tty } from '../model/process.ts';
import type { ProfileName, Segment, TraceEvent } from '../model/types.ts';
import type { QueueView } from '../experiment/run.ts';
import { COMMANDS, installUserland, startShell } from '../userland/index.ts';
import { checkSupport, isCmdlineError, parseCommandLine } from '../userland/cmdline.ts';
import { renderSs } from '../render/ss.ts';
import { renderLadder } from '../render/svg-ladder.ts';
import { renderQueue } from '../render/svg-queue.ts';
import { strings, type Strings } from './strings.ts';
import { complete, goalSet, helpText, isZh, labText, type GoalDef, type LabText, type World } from './sandbox-lab.ts';
import { keepTail, MAX_TERMINALS, shortName, type Goal, type Input, type Item, type Key, type Live, type Speed, type TtyState, type Update } from './sandbox-protocol.ts';

/** Simulated time from boot to the first prompt the reader sees (the clock shows time after it). */
export const BOOT_NS = 10e9;
/** Wall-clock budget of one slice, ms. */
export const SLICE_MS = 8;
/** How often a running host reports its output, ms of wall clock. */
export const REPORT_MS = 40;
/** How often an idle host reports its clock, ms of wall clock. */
export const TICK_MS = 250;
/** The live view is rendered at most this often, ms of wall clock. */
export const LIVE_MS = 200;
/** Output kept while waiting to be reported (a flood keeps its tail), characters. */
export const MAX_PENDING_CHARS = 256 * 1024;
/** Packets the live ladder shows (the last ones). */
export const LADDER_PACKETS = 16;
/** While a job prints, its output is summarised for the live region at most this often, ms. */
export const SAY_RUNNING_MS = 10_000;
/** A command's output up to this many lines is read out whole; more is summarised. */
const SAY_LINES = 4;
/** Events run between two looks at the clock. */
const CHUNK = 8;
/**
 * Longest a key waits for the shell to hand the terminal on (then it goes to the shell): longer
 * than a fork and exec (1–1.5 ms in the profiles), short enough not to be felt at 1×.
 */
const HOLD_KEY_NS = 5e6;

const USER = 'root';
const HOSTNAME = 'lab';
/** A prompt line (the prompt and the command typed after it): not read out again. */
const PROMPT_LINE = /^\[#\d+#root@lab ~\]\$/;
const NOT_FOUND_HEAD = 'bash: ';
const NOT_FOUND_TAIL = ': command not found\n';
const NATPO = { numeric: true, processes: true, timers: true, states: 'all' as const };
/** Trace events that can change the socket table, the accept queues or what a goal looks at. */
const TABLE_EVENTS = new Set(['state', 'hash', 'queues', 'acceptq', 'sock-new', 'sock-free', 'fd', 'proc']);

export type Clock = () => number;

export interface EngineOptions {
  profile: ProfileName;
  /** The page's language (help text, goals, the live view's labels). */
  lang?: string;
  /** The goal set (an experiment id, sandbox-lab.ts). */
  goals?: string;
}

/** One terminal: a tty with a shell, and the inputs waiting for it. */
interface Term {
  tty: Tty;
  shellPid: number;
  ended: boolean;
  unknown: string | null;
  refused: string | null;
  /** Inputs not yet delivered, in order (they wait behind a held key). */
  queue: Input[];
  /** A key that waits for the shell to give the terminal to a job (see betweenJobs). */
  held: Key | null;
  heldAt: number;
  /** Output not yet read out (its tail), its complete lines, and when it was last read out (wall ms). */
  heard: string;
  heardLines: number;
  saidAt: number;
}

/** Every listener's accept queue, children in FIFO order (reset ones included). */
function queueViews(k: Kernel): QueueView[] {
  const out: QueueView[] = [];
  for (const arr of k.listening.values())
    for (const l of arr) out.push({ listener: l.id, port: l.sport, backlog: l.maxAckBacklog, slots: l.acceptQueue.map((c) => ({ sock: c.id, state: c.state, peerPort: c.dport, hashed: c.hashed })) });
  return out;
}

export class SandboxEngine {
  readonly profile: ProfileName;
  readonly lang: string;
  private readonly clock: Clock;
  private readonly s: Strings;
  private readonly text: LabText;
  private readonly goalDefs: GoalDef[];
  private k!: Kernel;
  private procs!: ProcessTable;
  private terms: Term[] = [];
  private byTty = new Map<string, Term>();
  /** Simulated time of the first prompt. */
  private bootNs = 0;
  private items: Item[] = [];
  private pendingChars = 0;
  private seq = 0;

  // time
  private speed: Speed = 1;
  private anchorSim = 0;
  private anchorWall = 0;
  /** Run as fast as possible up to this simulated time (the boot), then follow the clock. */
  private ffUntil = 0;
  private skipping = false;
  private behind = false;

  // the lab
  private done: boolean[] = [];
  /** Goals reached and not yet read out. */
  private reached: string[] = [];
  private goalsChanged = true;
  private tableDirty = true;
  private liveOn = false;
  /** The live view's width, px: its queue and ladder are laid out for it (text never scaled below 12 px). */
  private liveWidth = 640;
  /** The element is on screen (the clock is worth reporting, the live view worth rendering). */
  seen = true;
  private liveDirty = true;
  private lastLive = -Infinity;
  private sentLive: Live = { ss: '', queue: '', ladder: '', packets: 0 };
  private packets: { t: number; seg: Segment }[] = [];
  private packetCount = 0;
  private completion: Update['completion'] = undefined;

  constructor(o: EngineOptions, clock: Clock) {
    this.profile = o.profile;
    this.lang = o.lang ?? 'en';
    this.clock = clock;
    this.s = strings(this.lang);
    this.text = labText(this.lang);
    this.goalDefs = goalSet(o.goals ?? '');
    this.boot(1);
  }

  /** Simulated ns since the first prompt (0 during the boot). */
  get simNs(): number {
    return Math.max(0, this.k.now - this.bootNs);
  }

  /** The host is catching up (booting, skipping, or behind the clock): step again at once. */
  get busy(): boolean {
    return this.behind || this.skipping || this.ffUntil > 0;
  }

  /** A new host with `n` terminals: boot, a shell on each, BOOT_NS of simulated time at full speed. */
  private boot(n: number): void {
    const { k, procs } = createHost({ profile: this.profile, seed: 4 });
    this.k = k;
    this.procs = procs;
    // Nothing reads the trace back: output is taken as it is emitted.
    k.sim.keepTrace = false;
    k.sim.onTrace((e) => this.k === k && this.onEvent(e));
    installUserland(procs, k.profile, { user: USER, hostname: HOSTNAME });
    this.terms = [];
    this.byTty.clear();
    for (let i = 0; i < n; i++) this.addTerm();
    this.bootNs = k.now + BOOT_NS;
    this.ffUntil = this.bootNs;
    this.anchor(0);
    this.skipping = false;
    this.done = this.goalDefs.map(() => false);
    this.goalsChanged = this.tableDirty = this.liveDirty = true;
    this.reached = [];
    this.packets = [];
    this.packetCount = 0;
    this.sentLive = { ss: '', queue: '', ladder: '', packets: 0 };
  }

  private addTerm(): void {
    const tty = this.procs.tty(`pts/${this.terms.length}`);
    const t: Term = { tty, shellPid: 0, ended: true, unknown: null, refused: null, queue: [], held: null, heldAt: 0, heard: '', heardLines: 0, saidAt: 0 };
    this.terms.push(t);
    this.byTty.set(tty.name, t);
    this.startShell(t);
  }

  private startShell(t: Term): void {
    const task = startShell(this.procs, this.k.profile, t.tty.name, { user: USER, hostname: HOSTNAME, history: 1 });
    t.shellPid = task?.pid ?? 0;
    t.ended = !task;
    t.held = null;
    t.queue = [];
  }

  private onEvent(e: TraceEvent): void {
    if (e.type === 'output') {
      const t = e.tty === null ? undefined : this.byTty.get(e.tty);
      if (!t) return;
      this.out(this.terms.indexOf(t), e.text);
      t.heard = keepTail(t.heard + e.text, 4096);
      for (let i = e.text.indexOf('\n'); i >= 0; i = e.text.indexOf('\n', i + 1)) t.heardLines++;
      if (e.stream === 'stderr' && e.text.startsWith(NOT_FOUND_HEAD) && e.text.endsWith(NOT_FOUND_TAIL))
        t.unknown = shortName(e.text.slice(NOT_FOUND_HEAD.length, e.text.length - NOT_FOUND_TAIL.length));
      return;
    }
    if (e.type === 'xmit') {
      this.packets.push({ t: e.t, seg: e.seg });
      if (this.packets.length > LADDER_PACKETS) this.packets.shift();
      this.packetCount++;
      this.liveDirty = true;
      return;
    }
    if (TABLE_EVENTS.has(e.type)) this.tableDirty = this.liveDirty = true;
    if (e.type === 'proc' && e.action === 'exit') for (const t of this.terms) if (t.shellPid === e.pid) t.ended = true;
  }

  private out(tty: number, text: string): void {
    const last = this.items.at(-1);
    if (last?.kind === 'out' && last.tty === tty) last.text += text;
    else this.items.push({ kind: 'out', tty, text });
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
        kept.push({ kind: 'out', tty: it.tty, text: t });
      }
    }
    this.items = kept.reverse();
    this.pendingChars = MAX_PENDING_CHARS - keep;
  }

  // ───────────────────────────── time ─────────────────────────────

  /** Simulated time now by the wall clock (an integer number of ns). */
  private target(): number {
    return Math.max(this.ffUntil, Math.floor(this.anchorSim + (this.clock() - this.anchorWall) * this.speed * 1e6));
  }

  private anchor(simNs: number): void {
    this.anchorSim = simNs;
    this.anchorWall = this.clock();
  }

  /** Wall-clock ms until the next scheduled event is due (0: step again now; Infinity: nothing is scheduled). */
  nextWakeMs(): number {
    if (this.busy) return 0;
    const t = this.k.sim.peek();
    return t === Infinity ? Infinity : Math.max(0, (t - this.target()) / (this.speed * 1e6));
  }

  /**
   * Run what is due by the wall clock until it is done or the clock reaches `deadline`. Returns
   * whether the host is still catching up. Never throws: an exception from the model ends that
   * host (a crash item) and boots a new one.
   */
  step(deadline: number): boolean {
    try {
      this.run(deadline);
    } catch (err) {
      this.crashed(err);
    }
    return this.busy;
  }

  private run(deadline: number): void {
    const k = this.k;
    const sim = k.sim;
    if (this.skipping && !this.ffUntil) {
      this.skipping = false;
      this.skip();
    }
    const target = this.target();
    for (;;) {
      this.release();
      if (this.k !== k) return; // `reset` typed at a prompt: a new host
      const t = sim.peek();
      if (t > target) break;
      if (this.clock() >= deadline) {
        // the host cannot keep up: drop the lag (its time runs slower than the chosen speed)
        this.behind = true;
        if (!this.ffUntil) this.anchor(this.k.now);
        return;
      }
      sim.runUntilAtMost(t, CHUNK);
      if (sim.peek() > t) this.instantDone();
    }
    sim.runUntil(target);
    this.behind = false;
    if (this.ffUntil) {
      this.ffUntil = 0;
      this.anchor(this.k.now);
    }
  }

  /**
   * Skip: when nothing is due now, jump to the next event the host has scheduled (a timer, a
   * sleep's end) and follow the clock from there. Cancelled events (a timer deleted before it
   * fired) are passed over.
   */
  private skip(): void {
    const sim = this.k.sim;
    if (sim.peek() <= this.target()) return;
    for (let t = sim.peek(); t !== Infinity; t = sim.peek()) {
      const ran = sim.runUntilAtMost(t, CHUNK);
      if (ran > 0 || sim.peek() === t) {
        if (sim.peek() > t) this.instantDone();
        this.anchor(t);
        return;
      }
    }
  }

  /** After an instant: re-check the unmet goals if a socket, queue or process changed. */
  private instantDone(): void {
    if (!this.tableDirty) return;
    this.tableDirty = false;
    if (this.done.every(Boolean)) return;
    const w = this.world();
    this.goalDefs.forEach((g, i) => {
      if (!this.done[i] && g.test(w)) {
        this.done[i] = true;
        this.goalsChanged = true;
        this.reached.push(isZh(this.lang) ? g.zh : g.en);
      }
    });
  }

  private world(): World {
    const procs = this.procs;
    return { table: procs.socketTable(), queues: queueViews(this.k), stopped: (pid) => procs.tasks.get(pid)?.state === 'stopped' };
  }

  // ───────────────────────────── input ─────────────────────────────

  /** Deliver input: the clock first catches up to now, then the model gets it. */
  input(x: Input): void {
    this.seq++;
    try {
      if (!this.ffUntil) this.run(this.clock() + SLICE_MS);
      this.accept(x);
    } catch (err) {
      this.crashed(err);
    }
  }

  private accept(x: Input): void {
    switch (x.kind) {
      case 'fault': {
        // For tests: an exception thrown from inside the model's event loop, as a model bug would,
        // or a model step that never returns (which only the element's watchdog can end).
        const { message, hang } = x;
        this.k.sim.after(0, () => {
          while (hang);
          throw new Error(message);
        });
        return;
      }
      case 'speed':
        this.anchor(this.target());
        this.speed = x.speed === 10 ? 10 : 1;
        return;
      case 'skip':
        this.skipping = true;
        return;
      case 'reset':
        this.items = [{ kind: 'reset' }];
        this.pendingChars = 0;
        this.boot(this.terms.length);
        return;
      case 'open':
        if (this.terms.length < MAX_TERMINALS) this.addTerm();
        return;
      case 'live':
        this.liveOn = x.on;
        if (x.width && x.width > 0) this.liveWidth = Math.round(x.width);
        this.liveDirty = true;
        return;
      case 'seen':
        this.seen = x.on;
        this.liveDirty = true;
        return;
      case 'complete':
        this.completion = { id: x.id, tty: x.tty, ...complete(x.text, COMMANDS) };
        return;
    }
    const t = this.terms[x.tty];
    if (!t) return;
    if (x.kind === 'new-shell') {
      if (t.ended) this.startShell(t);
      return;
    }
    if (t.ended) return;
    t.queue.push(x);
    this.release();
  }

  /** Hand each terminal its waiting inputs, in order; a held key goes once a job has the terminal. */
  private release(): void {
    for (const t of this.terms) {
      if (t.held) {
        if (this.betweenJobs(t) && this.k.now - t.heldAt <= HOLD_KEY_NS) continue;
        this.procs.ttyKey(t.tty, t.held);
        t.held = null;
      }
      while (t.queue.length && !t.held) {
        const x = t.queue.shift()!;
        if (x.kind === 'line') {
          const k = this.k;
          this.typeLine(t, x.text);
          if (this.k !== k) return; // `reset`: a new host
        }
        else if (x.kind === 'key' && x.key !== '^D' && this.betweenJobs(t)) {
          t.held = x.key;
          t.heldAt = this.k.now;
        } else if (x.kind === 'key') this.procs.ttyKey(t.tty, x.key);
      }
    }
  }

  /** A line typed on `t`: at the prompt, `help`, `clear` and `reset` are the lab's; the rest goes to the terminal. */
  private typeLine(t: Term, text: string): void {
    t.unknown = null;
    t.refused = null;
    t.saidAt = this.clock();
    if (this.atPrompt(t)) {
      const word = text.trim();
      if (word === 'reset') return this.accept({ kind: 'reset' });
      if (word === 'help' || word === 'clear') {
        const i = this.terms.indexOf(t);
        if (word === 'help') this.out(i, `${text}\n${helpText(this.lang, COMMANDS)}`);
        else this.items.push({ kind: 'clear', tty: i });
        // the shell reads a no-op (not echoed) and prompts again, its history number one up
        t.tty.input.push(':\n');
        for (const w of [...t.tty.waiters]) w.wake();
        return;
      }
      // what the model refuses of the line (an option it does not implement, a filter expression):
      // said beside the screen, which shows what the simulated programs print
      const cl = parseCommandLine(word);
      const e = isCmdlineError(cl) ? null : checkSupport(cl);
      if (e && !e.message.startsWith('unknown command')) t.refused = e.message;
    }
    this.procs.ttyType(t.tty, text + '\n');
  }

  /** Is the shell waiting at its prompt, with nothing typed ahead? */
  private atPrompt(t: Term): boolean {
    const shell = this.procs.tasks.get(t.shellPid);
    return !t.ended && !!shell && shell.state === 'blocked' && t.tty.waiters.has(shell) && t.tty.fgPgid === shell.pgid && t.tty.input.length === 0 && !t.queue.length && !t.held;
  }

  /**
   * Would a key reach nobody, or only a shell about to hand the terminal to a job it has just
   * started? That is, after a job ended and before the shell took the terminal back (the
   * foreground group is dead: a key landing there reaches nobody), or between a fork and the
   * job's tcsetpgrp (the shell has the terminal, is not reading it, and has a child running:
   * the ^C would end the loop only once that job is done). The window is microseconds on a real
   * machine, but a model step is often all the reader's key can land on. A key pressed then is
   * handed to the terminal when the job has it or the shell reads again (a few simulated
   * microseconds later): the reader sees the job and the loop end at once, as with real bash.
   * A loop of builtins (no child) gets the key at once: bash checks for it after each builtin.
   */
  private betweenJobs(t: Term): boolean {
    const shell = this.procs.tasks.get(t.shellPid);
    if (!shell || shell.state === 'zombie') return false;
    const fg = t.tty.fgPgid;
    const tasks = this.procs.tasks.values();
    if (fg === shell.pgid) {
      if (t.tty.waiters.size) return false;
      for (const task of tasks) if (task.parent === shell && task.state !== 'zombie' && task.state !== 'stopped') return true;
      return false;
    }
    for (const task of tasks) if (task.pgid === fg && task.pid !== shell.pid && task.state !== 'zombie') return false;
    return true;
  }

  private crashed(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.items.push({ kind: 'crash', message: shortName(message.split('\n')[0], 200) });
    try {
      this.boot(Math.max(1, this.terms.length));
    } catch (again) {
      // A host that cannot even boot: nothing more to run.
      this.ffUntil = 0;
      for (const t of this.terms) t.ended = true;
      this.items.push({ kind: 'crash', message: String(again instanceof Error ? again.message : again) });
    }
  }

  // ───────────────────────────── reports ─────────────────────────────

  /** Output or answers are waiting to be reported. */
  get hasNews(): boolean {
    return this.items.length > 0 || this.completion !== undefined || this.goalsChanged;
  }

  /** Everything since the last call. */
  drain(): Update {
    const items = this.items;
    this.items = [];
    this.pendingChars = 0;
    const u: Update = {
      items,
      seq: this.seq,
      simNs: this.simNs,
      speed: this.speed,
      behind: this.behind && !this.ffUntil,
      ttys: this.terms.map((t) => this.ttyState(t)),
    };
    if (this.reached.length) {
      u.say = this.reached.map((g) => this.text.goalReached(g.replace(/`/g, ''))).join(' ');
      this.reached = [];
    }
    if (this.goalsChanged) {
      u.goals = this.goals();
      this.goalsChanged = false;
    }
    if (this.completion) {
      u.completion = this.completion;
      this.completion = undefined;
    }
    const now = this.clock();
    if (this.liveOn && this.seen && !this.ffUntil && now - this.lastLive >= LIVE_MS && (this.liveDirty || this.sentLive.ss.includes('timer:('))) {
      this.lastLive = now;
      this.liveDirty = false;
      const live = this.live();
      const changed: Partial<Live> = {};
      for (const key of ['ss', 'queue', 'ladder', 'packets'] as const) if (live[key] !== this.sentLive[key]) (changed as Record<string, unknown>)[key] = live[key];
      this.sentLive = live;
      if (Object.keys(changed).length) u.live = changed as Live;
    }
    return u;
  }

  private ttyState(t: Term): TtyState {
    const x = this.text;
    const prompt = this.atPrompt(t);
    const note = t.ended ? x.shellExited : t.unknown !== null ? x.unknownCommand(t.unknown, COMMANDS.join(', ')) : t.refused ? x.refused(t.refused) : '';
    const st: TtyState = { ended: t.ended, prompt, unknown: t.unknown, refused: t.refused, note };
    // read out what a command printed once the prompt is back, or now and then while a job prints
    const now = this.clock();
    const cut = t.heard.lastIndexOf('\n') + 1;
    if (cut && (prompt || t.ended || now - t.saidAt > SAY_RUNNING_MS)) {
      // complete lines (the unfinished last one, a prompt, waits for the command typed after it)
      const all = t.heard.slice(0, cut).split('\n');
      const lines = all.filter((l) => l && !PROMPT_LINE.test(l));
      const n = t.heardLines - all.filter((l) => PROMPT_LINE.test(l)).length;
      t.heard = t.heard.slice(cut);
      t.heardLines = 0;
      t.saidAt = now;
      if (lines.length) st.say = n <= SAY_LINES ? lines.join('\n') : x.linesOut(n, lines.at(-1)!);
    }
    return st;
  }

  goals(): Goal[] {
    const zh = isZh(this.lang);
    return this.goalDefs.map((g, i) => ({ id: g.id, text: zh ? g.zh : g.en, done: this.done[i] }));
  }

  /** The live view: ss -natp -o, the accept queue on 12345 (or the first), the last packets. */
  live(): Live {
    const s = this.s;
    const table = this.procs.socketTable();
    const queues = queueViews(this.k);
    const q = queues.find((x) => x.port === 12345) ?? queues[0] ?? null;
    const from = this.bootNs;
    return {
      ss: renderSs(table, NATPO, { iproute2: this.k.profile.tools.iproute2, columns: null }),
      queue: renderQueue(q, { title: s.queue, empty: s.queueEmpty, reset: s.queueReset, recvq: s.recvq }, { width: this.liveWidth }),
      ladder: this.packets.length ? renderLadder(this.packets.map((p) => ({ t: p.t - from, seg: p.seg })), { title: s.ladder, description: s.ladderDesc, highlight: this.packets.length - 1, width: this.liveWidth }) : '',
      packets: this.packetCount,
    };
  }
}

/**
 * Runs an engine: a slice of SLICE_MS whenever it is catching up, else a wake-up when its next
 * event is due (or at the clock's next tick); an update at once when it has taken an input, at
 * least every REPORT_MS while output flows, and every TICK_MS otherwise (the clock) while the
 * element is seen; an unseen host with nothing scheduled sleeps until an input comes. The worker
 * uses it, and so does the worker's script when it runs on the page's thread.
 */
export class SandboxDriver {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private soon = false;
  private lastReport = -Infinity;
  private inputs = 0;
  private reported = 0;
  readonly engine: SandboxEngine;
  private readonly report: (u: Update) => void;
  private readonly clock: Clock;
  private readonly yieldNow: (fn: () => void) => void;
  private readonly sliceMs: number;

  /** `yieldNow(fn)` runs fn as soon as the event loop has handled what is waiting (a message, a key). */
  constructor(engine: SandboxEngine, report: (u: Update) => void, clock: Clock, yieldNow: (fn: () => void) => void, sliceMs = SLICE_MS) {
    this.engine = engine;
    this.report = report;
    this.clock = clock;
    this.yieldNow = yieldNow;
    this.sliceMs = sliceMs;
    this.kick();
  }

  input(x: Input): void {
    this.engine.input(x);
    this.inputs++;
    this.kick();
  }

  /** Step again as soon as the event loop lets us. */
  private kick(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.soon) return;
    this.soon = true;
    this.yieldNow(() => this.pump());
  }

  /** No more steps (the element let this host go). */
  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
  }
  private stopped = false;

  private pump(): void {
    this.soon = false;
    if (this.stopped) return;
    const e = this.engine;
    const busy = e.step(this.clock() + this.sliceMs);
    const since = this.clock() - this.lastReport;
    if (this.inputs !== this.reported || (e.seen && since >= TICK_MS) || (e.hasNews && since >= REPORT_MS)) {
      this.lastReport = this.clock();
      this.reported = this.inputs;
      this.report(e.drain());
    }
    if (busy) return this.kick();
    const gone = this.clock() - this.lastReport;
    const wait = Math.min(e.nextWakeMs(), e.seen ? TICK_MS - gone : Infinity, e.hasNews ? REPORT_MS - gone : Infinity);
    // nothing scheduled and nobody looking: sleep until an input comes
    if (wait === Infinity) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.kick();
    }, Math.max(1, Math.min(2 ** 31 - 1, Math.ceil(wait))));
  }
}
