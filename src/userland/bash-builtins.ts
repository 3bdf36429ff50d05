/**
 * bash 5.2's builtins that a lab session uses: echo, true, :, cd, jobs, fg, bg, kill and exit,
 * with bash's messages (builtins/*.def and jobs.c's kill_pid()). Each returns its exit status,
 * or asks the shell to stop the command line or to exit.
 */
import type { Program, Sys } from '../model/process.ts';
import type { Signal } from '../model/types.ts';
import { KILL_SIGNALS } from './cmdline.ts';
import { notifyAndCleanup, reapJobs, startJob, type Job, type JobShell } from './bash-jobs.ts';

export interface BuiltinShell extends JobShell {
  /** The builtin the previous simple command ran (`exit` twice in a row leaves stopped jobs). */
  lastBuiltin: string | null;
  /** $? */
  lastStatus: number;
}

export interface BuiltinResult {
  status: number;
  /** The rest of the command line is abandoned (a job stopped or was interrupted). */
  abandon?: boolean;
  /** bash exits with this status. */
  exit?: number;
}

/** bash's echo without options: the words, one space apart, and a newline. */
export function echoText(argv: string[]): string {
  return argv.slice(1).join(' ') + '\n';
}

/** A forked subshell running echo or true (a pipeline stage or a background job). */
export const builtinProgram: Program = function* (ctx) {
  if (ctx.argv[0] === 'echo') yield { op: 'write', fd: 1, data: echoText(ctx.argv) };
  return 0;
};

/** Builtins that may make no system call at all (the others always write, kill or wait). */
export const FREE_BUILTINS = new Set(['true', ':', 'cd', 'jobs']);
const BUILTIN_NAMES = new Set(['true', ':', 'cd', 'echo', 'jobs', 'fg', 'bg', 'kill', 'exit']);

export const isBuiltin = (name: string) => BUILTIN_NAMES.has(name);

const err = (data: string): Sys => ({ op: 'write', fd: 2, data });

/** Run a builtin alone on its line (or in a list) in the shell itself. */
export function* runBuiltin(sh: BuiltinShell, argv: string[]): Generator<Sys, BuiltinResult, any> {
  switch (argv[0]) {
    case 'echo':
      yield { op: 'write', fd: 1, data: echoText(argv) };
      return { status: 0 };
    case 'jobs':
      yield* reapJobs(sh);
      for (const j of sh.jobs.all()) yield { op: 'write', fd: 1, data: sh.jobs.line(j) };
      sh.jobs.cleanupDead();
      return { status: 0 };
    case 'fg':
    case 'bg':
      return yield* fgBg(sh, argv);
    case 'kill':
      return yield* kill(sh, argv);
    case 'exit':
      return yield* exit(sh, argv);
    default:
      return { status: 0 };
  }
}

function* fgBg(sh: BuiltinShell, argv: string[]): Generator<Sys, BuiltinResult, any> {
  const name = argv[0];
  const job = sh.jobs.find(argv[1]);
  if (!job || job.state === 'dead') {
    yield err(`bash: ${name}: ${argv[1] ?? 'current'}: no such job\n`);
    return { status: 1 };
  }
  if (name === 'bg' && job.state === 'running') {
    yield err(`bash: bg: job ${job.index + 1} already in background\n`);
    return { status: 0 };
  }
  const ok = yield* startJob(sh, job, name === 'fg');
  return ok ? { status: 0 } : { status: 1, abandon: true };
}

/** kill [-SIG] %JOB|PID ...: kill_pid() with its SIGCONT for a stopped job sent SIGTERM or SIGHUP. */
function* kill(sh: BuiltinShell, argv: string[]): Generator<Sys, BuiltinResult, any> {
  let sig: Signal = 'SIGTERM';
  let i = 1;
  if (argv[1]?.startsWith('-') && argv[1] !== '-' && argv[1] !== '--') {
    const s = argv[1].slice(1).toUpperCase();
    const m = (KILL_SIGNALS[s] ?? KILL_SIGNALS[s.replace(/^SIG/, '')]) as Signal | undefined;
    if (!m) {
      yield err(`bash: kill: ${argv[1].slice(1)}: invalid signal specification\n`);
      return { status: 1 };
    }
    sig = m;
    i = 2;
  } else if (argv[1] === '--') i = 2;
  const targets = argv.slice(i);
  if (!targets.length) {
    yield err('kill: usage: kill [-s sigspec | -n signum | -sigspec] pid | jobspec ... or kill -l [sigspec]\n');
    return { status: 2 };
  }
  let status = 0;
  for (const t of targets) {
    if (t.startsWith('%')) {
      const job = sh.jobs.find(t);
      if (!job || job.state === 'dead') {
        yield err(`bash: kill: ${t}: no such job\n`);
        status = 1;
        continue;
      }
      yield* killJob(sh, job, sig);
    } else if (/^[0-9]+$/.test(t) && Number(t) <= 2 ** 31 - 1) {
      const r: number = yield { op: 'kill', pid: Number(t), sig };
      if (r < 0) {
        yield err(`bash: kill: (${t}) - No such process\n`);
        status = 1;
      } else sh.unseen.add(Number(t));
    } else {
      yield err(`bash: kill: ${t}: arguments must be process or job IDs\n`);
      status = 1;
    }
  }
  return { status };
}

function* killJob(sh: BuiltinShell, job: Job, sig: Signal): Generator<Sys, void, any> {
  // "You don't know about the state of this job": its status is shown again
  job.notified = false;
  const alive = job.procs.filter((p) => p.status === null || p.status.kind === 'stopped');
  for (const p of alive) {
    yield { op: 'kill', pid: p.pid, sig };
    sh.unseen.add(p.pid);
  }
  if (job.state === 'stopped' && (sig === 'SIGTERM' || sig === 'SIGHUP')) for (const p of alive) yield { op: 'kill', pid: p.pid, sig: 'SIGCONT' };
  // continuing a stopped job with kill is bg without the message
  if (job.state === 'stopped' && sig === 'SIGCONT') {
    sh.jobs.setRunning(job);
    job.foreground = false;
    job.notified = true;
  }
}

/** exit [N]: "exit", and with stopped jobs "There are stopped jobs." unless exit (or jobs) came just before. */
function* exit(sh: BuiltinShell, argv: string[]): Generator<Sys, BuiltinResult, any> {
  yield err('exit\n');
  if (sh.lastBuiltin !== 'exit' && sh.lastBuiltin !== 'jobs' && sh.jobs.all().some((j) => j.state === 'stopped')) {
    yield err('There are stopped jobs.\n');
    return { status: 1 };
  }
  const n = argv[1] !== undefined ? Number(argv[1]) : sh.lastStatus;
  return { status: 0, exit: (Number.isInteger(n) ? n : 2) & 255 };
}

/** ^D at the prompt: bash prints "exit" and leaves as `exit` does. */
export function* eofAtPrompt(sh: BuiltinShell): Generator<Sys, BuiltinResult, any> {
  yield* notifyAndCleanup(sh);
  return yield* exit(sh, ['exit']);
}
