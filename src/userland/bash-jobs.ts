/**
 * bash 5.2's job control (jobs.c), as far as a lab terminal needs it: the job table with its
 * current (`+`) and previous (`-`) jobs, the status lines (pretty_print_job, printable_job_status),
 * the notices printed before a prompt (notify_of_job_status), starting a pipeline in the
 * foreground or the background (`[1] 4242`), waiting for a foreground job (wait_for) and
 * reaping the others (waitchld).
 *
 * Where it differs from bash: bash reaps children from its SIGCHLD handler whenever they change;
 * here it looks for changes when bash itself would next look at them (before a prompt, after a
 * foreground job, in `jobs`). A child bash has just signalled with `kill` changes only after bash
 * has printed its next prompt (it has to be scheduled first), so such a change waits for the
 * prompt after that, as a person sees it on a real terminal.
 */
import type { FileRef, PipeFds, ProgramCtx, Sys, WaitStatus } from '../model/process.ts';
import type { Profile } from '../model/profiles.ts';
import type { Signal } from '../model/types.ts';
import type { Pipeline } from './cmdline.ts';

/** One process of a job (bash's PROCESS): `status` null while it runs. */
export interface JobProc {
  pid: number;
  /** Its command as bash prints it: the words as typed, one space apart. */
  command: string;
  status: WaitStatus | null;
}

export type JobState = 'running' | 'stopped' | 'dead';

export interface Job {
  /** Slot in the job table: the job is `%(index + 1)`. */
  index: number;
  pgid: number;
  procs: JobProc[];
  state: JobState;
  foreground: boolean;
  /** J_NOTIFIED: its current status has been shown. */
  notified: boolean;
}

/** strsignal() on Linux, for the signals the model delivers. */
export const SIGNAL_TEXT: Record<Signal, string> = {
  SIGHUP: 'Hangup', SIGINT: 'Interrupt', SIGKILL: 'Killed', SIGPIPE: 'Broken pipe', SIGTERM: 'Terminated', SIGCONT: 'Continued',
  SIGSTOP: 'Stopped (signal)', SIGTSTP: 'Stopped', SIGTTIN: 'Stopped (tty input)',
};
/** LONGEST_SIGNAL_DESC: the status column of `jobs` is this wide. */
const STATUS_WIDTH = 24;

/** The job table (jobs[], js.j_current, js.j_previous) and bash's rules for `+` and `-`. */
export class JobTable {
  readonly slots: (Job | null)[] = [];
  current = -1;
  previous = -1;

  get(index: number): Job | null {
    return this.slots[index] ?? null;
  }

  all(): Job[] {
    return this.slots.filter((j): j is Job => j !== null);
  }

  /** stop_pipeline(): dead jobs already shown go, the new job takes the slot after the highest in use. */
  add(pgid: number, procs: JobProc[], async: boolean): Job {
    this.cleanupDead();
    let i = this.slots.length;
    while (i > 0 && !this.slots[i - 1]) i--;
    const job: Job = { index: i, pgid, procs, state: 'running', foreground: !async, notified: false };
    this.slots[i] = job;
    if (async) this.resetCurrent();
    return job;
  }

  /** delete_job() */
  delete(job: Job): void {
    this.slots[job.index] = null;
    while (this.slots.length && !this.slots[this.slots.length - 1]) this.slots.pop();
    if (job.index === this.current || job.index === this.previous) this.resetCurrent();
  }

  /** cleanup_dead_jobs(): jobs that are dead and whose end has been shown. */
  cleanupDead(): void {
    for (const j of this.all()) if (j.state === 'dead' && j.notified) this.delete(j);
  }

  private inState(state: JobState, i: number): boolean {
    return this.slots[i]?.state === state;
  }

  /** most_recent_job_in_state(): the newest job below slot `before` in that state. */
  private lastIn(before: number, state: JobState): number {
    for (let i = before - 1; i >= 0; i--) if (this.inState(state, i)) return i;
    return -1;
  }

  /** set_current_job() */
  setCurrent(job: number): void {
    if (this.current !== job) {
      this.previous = this.current;
      this.current = job;
    }
    if (this.previous !== this.current && this.previous >= 0 && this.inState('stopped', this.previous)) return;
    if (this.inState('stopped', this.current)) {
      const c = this.lastIn(this.current, 'stopped');
      if (c >= 0) {
        this.previous = c;
        return;
      }
    }
    const c = this.inState('running', this.current) ? this.lastIn(this.current, 'running') : this.lastIn(this.slots.length, 'running');
    this.previous = c >= 0 ? c : this.current;
  }

  /** reset_current() */
  resetCurrent(): void {
    let c = -1;
    if (this.current >= 0 && this.inState('stopped', this.current)) c = this.current;
    else {
      if (this.previous >= 0 && this.inState('stopped', this.previous)) c = this.previous;
      if (c < 0) c = this.lastIn(this.slots.length, 'stopped');
      if (c < 0) c = this.lastIn(this.slots.length, 'running');
    }
    if (c >= 0) this.setCurrent(c);
    else this.current = this.previous = -1;
  }

  /** A job spec as bash reads it: `%N`, `%%`, `%+`, `%` (current), `%-` (previous), `N` (fg and bg). */
  find(spec: string | undefined): Job | null {
    if (spec === undefined || spec === '%' || spec === '%%' || spec === '%+') return this.current >= 0 ? this.get(this.current) : null;
    if (spec === '%-') return this.previous >= 0 ? this.get(this.previous) : null;
    const n = Number(spec.replace(/^%/, ''));
    return Number.isInteger(n) && n >= 1 ? this.get(n - 1) : null;
  }

  /** The job a pid belongs to. */
  ofPid(pid: number): Job | null {
    return this.all().find((j) => j.procs.some((p) => p.pid === pid)) ?? null;
  }

  /**
   * A process changed (waitchld → set_job_status_and_cleanup): the job's state follows its
   * processes. Returns whether the current job must be chosen again.
   */
  update(job: Job, pid: number, st: WaitStatus): boolean {
    const p = job.procs.find((x) => x.pid === pid);
    if (p) p.status = st;
    job.notified = false;
    const running = job.procs.some((x) => x.status === null);
    const stopped = job.procs.some((x) => x.status?.kind === 'stopped');
    if (running && job.state !== 'stopped') return false;
    if (stopped) {
      job.state = 'stopped';
      job.foreground = false;
      return true;
    }
    if (running) {
      job.state = 'running';
      return true;
    }
    job.state = 'dead';
    return false;
  }

  /** A stopped job continued by fg, bg or kill -CONT (set_job_running). */
  setRunning(job: Job): void {
    for (const p of job.procs) if (p.status?.kind === 'stopped') p.status = null;
    job.state = 'running';
  }

  /** The job's command: its processes' commands joined by ` | `, with ` &` while it runs in the background. */
  commandText(job: Job, withAmp = true): string {
    const cmd = job.procs.map((p) => p.command).join(' | ');
    return withAmp && job.state === 'running' && !job.foreground ? `${cmd} &` : cmd;
  }

  /** printable_job_status() for JLIST_STANDARD. */
  statusText(job: Job): string {
    if (job.state === 'stopped') return 'Stopped';
    if (job.state === 'running') return 'Running';
    const st = job.procs[job.procs.length - 1].status;
    if (st?.kind === 'signaled') return SIGNAL_TEXT[st.sig] ?? `Signal ${st.sig}`;
    if (st?.kind === 'exited') return st.status === 0 ? 'Done' : `Exit ${st.status}`;
    return 'Done';
  }

  /** The `+`, `-` or ` ` after `[N]`. */
  mark(job: Job): string {
    return job.index === this.current ? '+' : job.index === this.previous ? '-' : ' ';
  }

  /** pretty_print_job(JLIST_STANDARD): `[1]+  Stopped                 nc -l 12345`; marks it shown. */
  line(job: Job): string {
    job.notified = true;
    return `[${job.index + 1}]${this.mark(job)}  ${this.statusText(job).padEnd(STATUS_WIDTH)}${this.commandText(job)}\n`;
  }

  /**
   * notify_of_job_status(): what bash prints about jobs whose status it has not shown: a
   * stopped job after a newline, a background job that ended, the signal that ended a
   * foreground job (not SIGINT). Marks them shown.
   */
  notices(): string {
    let out = '';
    for (const job of this.all()) {
      if (job.notified) continue;
      if (job.state === 'stopped') out += '\n' + this.line(job);
      else if (job.state === 'dead') {
        if (job.foreground) {
          const st = job.procs[job.procs.length - 1].status;
          // DONT_REPORT_SIGPIPE is on in bash's default config-top.h
          if (st?.kind === 'signaled' && st.sig !== 'SIGINT' && st.sig !== 'SIGPIPE') out += `${SIGNAL_TEXT[st.sig]}\n`;
          job.notified = true;
        } else out += this.line(job);
      }
    }
    return out;
  }
}

/** What job control needs from the shell that runs it. */
export interface JobShell {
  ctx: ProgramCtx;
  profile: Profile;
  jobs: JobTable;
  /** Programs that exist (the rest are "command not found"). */
  commands: Set<string>;
  /** Children bash signalled itself since it last waited: their change is not seen before the next prompt. */
  unseen: Set<number>;
}

/** Builtins that run as a pipeline stage in a forked subshell (a program here). */
export const SUBSHELL_BUILTINS = new Set(['echo', 'true']);
/** The program a pipeline's subshell runs for them (installed by src/userland/index.ts). */
export const BUILTIN_PROGRAM = 'bash-builtin';

/** A stage's command as bash prints it in job lines. */
function stageCommand(p: Pipeline, i: number): string {
  return p.stages[i].words.map((w) => w.raw ?? w.text).join(' ');
}

/**
 * Fork the stages of a pipeline into one process group (the first stage's pid), with pipes
 * between them, and enter it in the job table.
 */
export function* forkPipeline(sh: JobShell, p: Pipeline, async: boolean): Generator<Sys, Job, any> {
  const { ctx } = sh;
  const me = ctx.procs.tasks.get(ctx.pid)!;
  const procs: JobProc[] = [];
  let prevRead: FileRef | undefined;
  // the previous pipe's read end stays open in bash until the next stage is forked
  // (execute_pipeline() closes `prev` after make_child()), so the pipe always has a reader
  let prevReadFd = -1;
  let pgid = 0;
  for (let i = 0; i < p.stages.length; i++) {
    const argv = p.stages[i].words.map((w) => w.text);
    let stdout: FileRef | undefined;
    let pipe: PipeFds | null = null;
    if (i < p.stages.length - 1) {
      pipe = yield { op: 'pipe' };
      stdout = me.fds.get(pipe!.write);
    }
    const program = SUBSHELL_BUILTINS.has(argv[0]) && !sh.commands.has(argv[0]) ? BUILTIN_PROGRAM : argv[0];
    const pid: number = yield { op: 'spawn', program, argv, stdin: prevRead, stdout, pgid: pgid || undefined, startupNs: sh.profile.costs.forkExecNs };
    if (!pgid) pgid = pid;
    const child = ctx.procs.tasks.get(pid);
    if (child && child.pgid !== pgid) child.pgid = pgid;
    procs.push({ pid, command: stageCommand(p, i), status: null });
    if (prevReadFd >= 0) yield { op: 'close', fd: prevReadFd };
    prevReadFd = -1;
    if (pipe) {
      prevRead = me.fds.get(pipe.read);
      prevReadFd = pipe.read;
      yield { op: 'close', fd: pipe.write };
    }
  }
  return sh.jobs.add(pgid, procs, async);
}

/**
 * waitpid(pid, WNOHANG|WUNTRACED): a status change the child has reported, or null. (The
 * model's waitpid blocks, so bash looks for a reported change first; then the call returns at
 * once.)
 */
function* waitNoHang(sh: JobShell, pid: number): Generator<Sys, WaitStatus | null, any> {
  const t = sh.ctx.procs.tasks.get(pid);
  if (t && !t.reports.length) return null;
  const st: WaitStatus | number = yield { op: 'waitpid', pid };
  return typeof st === 'number' ? null : st;
}

/** waitchld() without blocking: collect every change bash can see now; `+`/`-` follow. */
export function* reapJobs(sh: JobShell): Generator<Sys, void, any> {
  let lastStopped = -1;
  let reset = false;
  for (const job of sh.jobs.all()) {
    if (job.state === 'dead') continue;
    for (const p of job.procs) {
      if (p.status !== null && p.status.kind !== 'stopped') continue;
      if (sh.unseen.has(p.pid)) continue;
      const st = yield* waitNoHang(sh, p.pid);
      if (!st) continue;
      if (sh.jobs.update(job, p.pid, st)) reset = true;
      if (job.state === 'stopped') lastStopped = job.index;
    }
  }
  if (lastStopped >= 0) sh.jobs.setCurrent(lastStopped);
  else if (reset) sh.jobs.resetCurrent();
}

/** notify_and_cleanup(): reap, print the notices, forget the dead jobs that were shown. */
export function* notifyAndCleanup(sh: JobShell): Generator<Sys, void, any> {
  yield* reapJobs(sh);
  const text = sh.jobs.notices();
  if (text) yield { op: 'write', fd: 2, data: text };
  sh.jobs.cleanupDead();
}

/**
 * wait_for(): give the terminal to a foreground job and wait until it ends or stops; then take
 * the terminal back and print what changed. Returns false when the job was stopped or
 * interrupted (the rest of the command line is abandoned).
 */
export function* waitForeground(sh: JobShell, job: Job): Generator<Sys, boolean, any> {
  const { ctx } = sh;
  sh.unseen.clear();
  yield { op: 'tcsetpgrp', pgid: job.pgid };
  let interrupted = false;
  for (;;) {
    const p = [...job.procs].reverse().find((x) => x.status === null);
    if (!p) break;
    const st: WaitStatus | number = yield { op: 'waitpid', pid: p.pid };
    if (typeof st === 'number') {
      if (st === -4) {
        // a ^C that reached the shell itself (the terminal still had the shell's process group,
        // between a fork and the job's tcsetpgrp): it ends the command line once the job is done
        ctx.pendingSignals = [];
        interrupted = true;
        continue;
      }
      p.status = { kind: 'exited', status: 0 };
      continue;
    }
    sh.jobs.update(job, p.pid, st);
    if (job.state === 'stopped') break;
  }
  if (job.state !== 'stopped') {
    job.state = 'dead';
    const last = job.procs[job.procs.length - 1];
    if (interrupted && last.status?.kind !== 'signaled') last.status = { kind: 'signaled', sig: 'SIGINT' };
  } else sh.jobs.setCurrent(job.index);
  yield { op: 'tcsetpgrp', pgid: ctx.pid };
  const last = job.procs[job.procs.length - 1].status;
  const sigint = job.state === 'dead' && last?.kind === 'signaled' && last.sig === 'SIGINT';
  // wait_for(): a foreground job killed by SIGINT leaves the cursor on a new line
  if (sigint) yield { op: 'write', fd: 1, data: '\n' };
  yield* notifyAndCleanup(sh);
  return job.state === 'dead' && !sigint;
}

/** start_job(): continue a stopped job (or take a running one) in the foreground or background. */
export function* startJob(sh: JobShell, job: Job, foreground: boolean): Generator<Sys, boolean, any> {
  const wasRunning = job.state === 'running';
  job.notified = false;
  if (foreground) {
    sh.jobs.setCurrent(job.index);
    job.foreground = true;
  }
  yield { op: 'write', fd: 1, data: foreground ? `${sh.jobs.commandText(job, false)}\n` : `[${job.index + 1}]${sh.jobs.mark(job)} ${sh.jobs.commandText(job, false)} &\n` };
  // the terminal first, then SIGCONT: a job that reads it must not wake up in the background
  if (foreground) yield { op: 'tcsetpgrp', pgid: job.pgid };
  if (!wasRunning) {
    sh.jobs.setRunning(job);
    job.notified = true;
    for (const p of job.procs) if (p.status === null) yield { op: 'kill', pid: p.pid, sig: 'SIGCONT' };
  }
  if (foreground) return yield* waitForeground(sh, job);
  sh.jobs.resetCurrent();
  return true;
}
