/**
 * An interactive bash, reduced to what a lab session needs: the prompt
 * `[#\#\u@\h \W]$` (history number, user, host), foreground jobs with job control
 * (^Z → "[1]+  Stopped ...", fg, kill), pipelines, `;` lists, the `while true; do ...; done`
 * watch loop, the builtins echo/true/fg/bg/jobs/kill/sleep-less cd, and bash's own messages.
 */
import type { FileRef, PipeFds, Program, ProgramCtx, Sys, WaitStatus } from '../model/process.ts';
import type { Profile } from '../model/profiles.ts';
import type { Signal } from '../model/types.ts';
import { isCmdlineError, KILL_SIGNALS, parseCommandLine, type Pipeline } from './cmdline.ts';

export interface ShellOptions {
  user: string;
  hostname: string;
  history: number;
  /** Programs that exist (the rest are "command not found"). */
  commands: Set<string>;
}

interface Job {
  n: number;
  pgid: number;
  pids: number[];
  cmd: string;
  state: 'running' | 'stopped' | 'done';
}

/**
 * CPU time of a builtin that makes no system call (`true`, and the loop's condition): bash
 * spends well under a microsecond on one. It keeps `while true; do true; done` advancing the
 * clock, so a run always reaches its end.
 */
const BUILTIN_NS = 100;
/** Builtins that may make no system call at all (the others always write, kill or wait). */
const FREE_BUILTINS = new Set(['true', ':', 'cd', 'jobs']);

/** Builtins that can run as a pipeline stage (in a subshell): `echo hello | nc localhost 12345`. */
const SUBSHELL_BUILTINS = new Set(['echo', 'true']);
/** The program a pipeline's subshell runs for them (installed by src/userland/index.ts). */
export const BUILTIN_PROGRAM = 'bash-builtin';

/** bash's echo without options: the words, one space apart, and a newline. */
function echoText(w: string[]): string {
  return w.slice(1).join(' ') + '\n';
}

/** A forked subshell running echo or true. */
export const builtinProgram: Program = function* (ctx) {
  if (ctx.argv[0] === 'echo') yield { op: 'write', fd: 1, data: echoText(ctx.argv) };
  return 0;
};

const STATUS_WORD: Partial<Record<Signal, string>> = { SIGTERM: 'Terminated', SIGKILL: 'Killed', SIGHUP: 'Hangup' };

export function bash(profile: Profile, o: ShellOptions): Program {
  return function* (ctx: ProgramCtx) {
    ctx.catches = new Set(['SIGINT']);
    ctx.ignores = new Set(['SIGTSTP', 'SIGTERM']);
    let hist = o.history;
    const jobs: Job[] = [];
    const self = () => ctx.procs.tasks.get(ctx.pid)!;
    const out = (data: string): Sys => ({ op: 'write', fd: 1, data });
    const err = (data: string): Sys => ({ op: 'write', fd: 2, data });
    yield { op: 'tcsetpgrp', pgid: ctx.pid };

    function jobLine(j: Job, status: string, cur = true): string {
      return `[${j.n}]${cur ? '+' : '-'}  ${status.padEnd(24)}${j.cmd}\n`;
    }

    /** Wait for a foreground job; returns its status ("stopped" leaves it in the job table). */
    function* waitJob(j: Job): Generator<Sys, WaitStatus | null, any> {
      let last: WaitStatus | null = null;
      let interrupted = false;
      const remaining = new Set(j.pids);
      while (remaining.size) {
        const pid = [...remaining][remaining.size - 1];
        const st: WaitStatus | number = yield { op: 'waitpid', pid };
        if (typeof st === 'number') {
          if (st === -4) {
            // a ^C that reached the shell itself (the terminal still had the shell's process
            // group, between a fork and the job's tcsetpgrp): it ends the command line once the
            // job is done, as the job's own ^C would
            ctx.pendingSignals = [];
            interrupted = true;
            continue;
          }
          remaining.delete(pid);
          continue;
        }
        if (st.kind === 'stopped') {
          j.state = 'stopped';
          yield { op: 'tcsetpgrp', pgid: ctx.pid };
          yield out(`\n${jobLine(j, 'Stopped')}`);
          return st;
        }
        remaining.delete(pid);
        if (pid === j.pids.at(-1)) last = st;
        for (const p of [...remaining]) {
          // the earlier stages of a pipeline are reaped too
          void p;
        }
      }
      j.state = 'done';
      const idx = jobs.indexOf(j);
      if (idx >= 0) jobs.splice(idx, 1);
      yield { op: 'tcsetpgrp', pgid: ctx.pid };
      if (interrupted && last?.kind !== 'signaled') last = { kind: 'signaled', sig: 'SIGINT' } as WaitStatus;
      if (last?.kind === 'signaled') {
        if (last.sig === 'SIGINT') yield out('\n');
        else if (STATUS_WORD[last.sig]) yield out(`${STATUS_WORD[last.sig]}\n`);
      }
      return last;
    }

    /**
     * A builtin costs the shell CPU time like any work (so a loop of builtins advances the
     * clock), and bash checks for a ^C after it: SIGINT at the shell aborts the command line
     * (bash's throw_to_top_level), `false` here.
     */
    function* builtinDone(costNs = BUILTIN_NS): Generator<Sys, boolean, any> {
      if (costNs) yield { op: 'cpu', ns: costNs };
      if (!ctx.pendingSignals.includes('SIGINT')) return true;
      ctx.pendingSignals = [];
      yield out('\n');
      return false;
    }

    /** Run one pipeline in the foreground. Returns false when it was interrupted (^C) or stopped. */
    function* runPipeline(p: Pipeline, display: string): Generator<Sys, boolean, any> {
      const stages = p.stages.map((st) => st.words.map((w) => w.text));
      const [first] = stages;
      if (stages.length === 1) {
        const b = yield* builtin(first);
        // echo, jobs and the job-control builtins paid for their work in write/kill/wait calls
        if (b !== null) return b && (yield* builtinDone(FREE_BUILTINS.has(first[0]) ? BUILTIN_NS : 0));
      }
      for (const st of stages) {
        // in a pipeline, bash runs echo and true in a forked subshell (a program here)
        if (!o.commands.has(st[0]) && !SUBSHELL_BUILTINS.has(st[0])) {
          yield err(`bash: ${st[0]}: command not found\n`);
          return yield* builtinDone();
        }
      }
      const me = self();
      const pids: number[] = [];
      let prevRead: FileRef | undefined;
      let pgid = 0;
      for (let i = 0; i < stages.length; i++) {
        let stdout: FileRef | undefined;
        let pipe: PipeFds | null = null;
        if (i < stages.length - 1) {
          pipe = yield { op: 'pipe' };
          stdout = me.fds.get(pipe!.write);
        }
        const program = SUBSHELL_BUILTINS.has(stages[i][0]) && !o.commands.has(stages[i][0]) ? BUILTIN_PROGRAM : stages[i][0];
        const pid: number = yield { op: 'spawn', program, argv: stages[i], stdin: prevRead, stdout, pgid: pgid || undefined, startupNs: profile.costs.forkExecNs };
        if (!pgid) pgid = pid;
        const child = ctx.procs.tasks.get(pid);
        if (child && child.pgid !== pgid) child.pgid = pgid;
        pids.push(pid);
        if (pipe) {
          prevRead = me.fds.get(pipe.read);
          yield { op: 'close', fd: pipe.write };
          yield { op: 'close', fd: pipe.read };
        }
      }
      const j: Job = { n: (jobs.at(-1)?.n ?? 0) + 1, pgid, pids, cmd: display, state: 'running' };
      jobs.push(j);
      yield { op: 'tcsetpgrp', pgid };
      const st = yield* waitJob(j);
      if (st && st.kind === 'stopped') return false;
      if (st && st.kind === 'signaled' && st.sig === 'SIGINT') return false;
      return true;
    }

    function* builtin(w: string[]): Generator<Sys, boolean | null, any> {
      switch (w[0]) {
        case 'true':
        case ':':
        case 'cd':
          return true;
        case 'echo':
          yield out(echoText(w));
          return true;
        case 'jobs':
          for (const j of jobs) yield out(jobLine(j, j.state === 'stopped' ? 'Stopped' : 'Running', j === jobs.at(-1)));
          return true;
        case 'fg':
        case 'bg': {
          const j = pickJob(w[1]);
          if (!j) {
            yield err(`bash: ${w[0]}: ${w[1] ?? 'current'}: no such job\n`);
            return true;
          }
          yield out(w[0] === 'fg' ? `${j.cmd}\n` : `[${j.n}]+ ${j.cmd} &\n`);
          for (const pid of j.pids) yield { op: 'kill', pid, sig: 'SIGCONT' };
          j.state = 'running';
          if (w[0] === 'bg') return true;
          yield { op: 'tcsetpgrp', pgid: j.pgid };
          const st = yield* waitJob(j);
          return !(st && (st.kind === 'stopped' || (st.kind === 'signaled' && st.sig === 'SIGINT')));
        }
        case 'kill': {
          let sig: Signal = 'SIGTERM';
          const targets: string[] = [];
          for (const a of w.slice(1)) {
            if (a.startsWith('-')) {
              const s = a.slice(1).toUpperCase();
              const m = (KILL_SIGNALS[s] ?? KILL_SIGNALS[s.replace(/^SIG/, '')]) as Signal | undefined;
              if (!m) {
                yield err(`bash: kill: ${a.slice(1)}: invalid signal specification\n`);
                return true;
              }
              sig = m;
            } else targets.push(a);
          }
          if (!targets.length) {
            yield err('kill: usage: kill [-s sigspec | -n signum | -sigspec] pid | jobspec ... or kill -l [sigspec]\n');
            return true;
          }
          for (const t of targets) {
            if (t.startsWith('%')) {
              const j = pickJob(t);
              if (!j) {
                yield err(`bash: kill: ${t}: no such job\n`);
                continue;
              }
              for (const pid of j.pids) yield { op: 'kill', pid, sig };
              if (sig === 'SIGKILL' || sig === 'SIGTERM') yield* reapStopped(j, sig);
            } else if (!/^[0-9]+$/.test(t) || Number(t) > 2 ** 31 - 1) {
              yield err(`bash: kill: ${t}: arguments must be process or job IDs\n`);
            } else {
              const r: number = yield { op: 'kill', pid: Number(t), sig };
              if (r < 0) yield err(`bash: kill: (${t}) - No such process\n`);
              const j = jobs.find((x) => x.pids.includes(Number(t)));
              if (j && (sig === 'SIGKILL' || sig === 'SIGTERM')) yield* reapStopped(j, sig);
            }
          }
          return true;
        }
        case 'exit':
          return null;
        default:
          return null;
      }
    }

    /** A stopped job that was killed is reported when bash next checks its children. */
    function* reapStopped(j: Job, sig: Signal): Generator<Sys, void, any> {
      if (sig === 'SIGTERM' && j.state === 'stopped') return; // a stopped job does not die of SIGTERM until continued
      for (const pid of j.pids) yield { op: 'waitpid', pid };
      const idx = jobs.indexOf(j);
      if (idx >= 0) jobs.splice(idx, 1);
      yield out(jobLine(j, STATUS_WORD[sig] ?? 'Done'));
    }

    function pickJob(spec?: string): Job | undefined {
      if (!spec || spec === '%' || spec === '%%' || spec === '%+') return jobs.at(-1);
      const n = Number(spec.replace('%', ''));
      return jobs.find((j) => j.n === n);
    }

    for (;;) {
      yield out(`[#${hist}#${o.user}@${o.hostname} ~]$`);
      const line = yield { op: 'read', fd: 0 };
      if (line === -4) {
        // ^C at the prompt: readline drops the line
        ctx.pendingSignals = [];
        yield out('\n');
        continue;
      }
      if (line === '') {
        yield out('exit\n');
        return 0;
      }
      const text = String(line).replace(/\n$/, '').trim();
      if (!text) continue;
      hist++;
      const cl = parseCommandLine(text);
      if (isCmdlineError(cl)) {
        // real syntax errors in bash's words; constructs the model does not implement, said so
        yield err(cl.message.startsWith('syntax error') ? `bash: ${cl.message}\n` : `bash: ${cl.message} (tcp-lab's simulated bash)\n`);
        continue;
      }
      if (cl.kind === 'loop') {
        // the condition is the `true` builtin, run before every pass
        while (yield* builtinDone()) {
          let ok = true;
          for (const p of cl.body) if (!(ok = yield* runPipeline(p, text))) break;
          if (!ok) break;
        }
        continue;
      }
      for (const p of cl.items) {
        if (p.stages.length === 1 && p.stages[0].words[0].text === 'exit') {
          yield out('exit\n');
          return 0;
        }
        if (!(yield* runPipeline(p, p.text))) break;
      }
    }
  };
}
