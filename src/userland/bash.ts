/**
 * An interactive bash 5.2, reduced to what a lab session needs: the prompt `[#\#\u@\h \W]$`
 * (history number, user, host), command lines parsed by the shared grammar (src/userland/
 * cmdline.ts: pipelines, `;` lists, `cmd &`, the `while true; do …; done` watch loop), job control
 * (src/userland/bash-jobs.ts: ^Z, `[1] 4242`, notices before the prompt) and the builtins
 * (src/userland/bash-builtins.ts), with bash's own messages.
 */
import { SIGNUM, type Program, type ProgramCtx, type Sys } from '../model/process.ts';
import type { Profile } from '../model/profiles.ts';
import { isCmdlineError, parseCommandLine, type Pipeline } from './cmdline.ts';
import { BUILTIN_PROGRAM, forkPipeline, JobTable, notifyAndCleanup, SUBSHELL_BUILTINS, waitForeground } from './bash-jobs.ts';
import { builtinProgram, eofAtPrompt, FREE_BUILTINS, isBuiltin, runBuiltin, type BuiltinResult, type BuiltinShell } from './bash-builtins.ts';

export { BUILTIN_PROGRAM, builtinProgram };

export interface ShellOptions {
  user: string;
  hostname: string;
  history: number;
  /** Programs that exist (the rest are "command not found"). */
  commands: Set<string>;
}

/**
 * CPU time of a builtin that makes no system call (`true`, and the loop's condition): bash
 * spends well under a microsecond on one. It keeps `while true; do true; done` advancing the
 * clock, so a run always reaches its end.
 */
const BUILTIN_NS = 100;

interface Shell extends BuiltinShell {
  o: ShellOptions;
}

/**
 * A builtin costs the shell CPU time like any work (so a loop of builtins advances the clock),
 * and bash checks for a ^C after it: SIGINT at the shell aborts the command line (bash's
 * throw_to_top_level), `false` here.
 */
function* builtinDone(sh: Shell, costNs = BUILTIN_NS): Generator<Sys, boolean, any> {
  if (costNs) yield { op: 'cpu', ns: costNs };
  if (!sh.ctx.pendingSignals.includes('SIGINT')) return true;
  sh.ctx.pendingSignals = [];
  yield { op: 'write', fd: 1, data: '\n' };
  return false;
}

/** Run one pipeline, in the foreground or as a background job. */
function* runPipeline(sh: Shell, p: Pipeline): Generator<Sys, BuiltinResult, any> {
  const argv0 = p.stages[0].words.map((w) => w.text);
  if (p.stages.length === 1 && !p.background && isBuiltin(argv0[0])) {
    const r = yield* runBuiltin(sh, argv0);
    sh.lastBuiltin = argv0[0];
    // echo and the job-control builtins paid for their work in write/kill/wait calls
    if (!(yield* builtinDone(sh, FREE_BUILTINS.has(argv0[0]) ? BUILTIN_NS : 0))) return { status: 130, abandon: true };
    return r;
  }
  sh.lastBuiltin = null;
  for (const st of p.stages) {
    const name = st.words[0].text;
    // in a pipeline or in the background, bash runs echo and true in a forked subshell
    if (!sh.commands.has(name) && !SUBSHELL_BUILTINS.has(name)) {
      yield { op: 'write', fd: 2, data: `bash: ${name}: command not found\n` };
      return (yield* builtinDone(sh)) ? { status: 127 } : { status: 130, abandon: true };
    }
  }
  const job = yield* forkPipeline(sh, p, !!p.background);
  if (p.background) {
    yield { op: 'write', fd: 2, data: `[${job.index + 1}] ${job.procs[job.procs.length - 1].pid}\n` };
    return { status: 0 };
  }
  const ok = yield* waitForeground(sh, job);
  const last = job.procs[job.procs.length - 1].status;
  const status = last?.kind === 'exited' ? last.status : last ? 128 + SIGNUM[last.sig] : 0;
  return ok ? { status } : { status, abandon: true };
}

/** Run a line the grammar parsed: a list, or the watch loop until ^C or ^Z. */
function* runLine(sh: Shell, text: string): Generator<Sys, number | null, any> {
  const cl = parseCommandLine(text);
  if (isCmdlineError(cl)) {
    // real syntax errors in bash's words; constructs the model does not implement, said so
    yield { op: 'write', fd: 2, data: cl.message.startsWith('syntax error') ? `bash: ${cl.message}\n` : `bash: ${cl.message} (tcp-lab's simulated bash)\n` };
    sh.lastStatus = 2;
    return null;
  }
  if (cl.kind === 'loop') {
    // the condition is the `true` builtin, run before every pass
    while (yield* builtinDone(sh)) {
      let stop = false;
      for (const p of cl.body) {
        const r = yield* runPipeline(sh, p);
        sh.lastStatus = r.status;
        if ((stop = !!r.abandon)) break;
      }
      if (stop) break;
    }
    return null;
  }
  for (const p of cl.items) {
    const r = yield* runPipeline(sh, p);
    sh.lastStatus = r.status;
    if (r.exit !== undefined) return r.exit;
    if (r.abandon) break;
  }
  return null;
}

export function bash(profile: Profile, o: ShellOptions): Program {
  return function* (ctx: ProgramCtx) {
    ctx.catches = new Set(['SIGINT']);
    ctx.ignores = new Set(['SIGTSTP', 'SIGTERM']);
    const sh: Shell = { ctx, profile, o, jobs: new JobTable(), commands: o.commands, unseen: new Set(), lastBuiltin: null, lastStatus: 0 };
    let hist = o.history;
    yield { op: 'tcsetpgrp', pgid: ctx.pid };
    for (;;) {
      yield* notifyAndCleanup(sh);
      yield { op: 'write', fd: 1, data: `[#${hist}#${o.user}@${o.hostname} ~]$` };
      // what bash signalled before this prompt has been scheduled by the time a line comes in
      sh.unseen.clear();
      const line = yield { op: 'read', fd: 0 };
      if (line === -4) {
        // ^C at the prompt: readline drops the line
        ctx.pendingSignals = [];
        yield { op: 'write', fd: 1, data: '\n' };
        continue;
      }
      if (line === '') {
        const r = yield* eofAtPrompt(sh);
        if (r.exit !== undefined) return r.exit;
        sh.lastBuiltin = 'exit';
        continue;
      }
      const text = String(line).replace(/\n$/, '').trim();
      if (!text) continue;
      hist++;
      const exit = yield* runLine(sh, text);
      if (exit !== null) return exit;
    }
  };
}
