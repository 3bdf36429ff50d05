/**
 * An interactive bash, reduced to what a lab session needs: the prompt
 * `[#\#\u@\h \W]$` (history number, user, host), foreground jobs with job control
 * (^Z → "[1]+  Stopped ...", fg, kill), pipelines, `;` lists, the `while true; do ...; done`
 * watch loop, the builtins echo/true/fg/bg/jobs/kill/sleep-less cd, and bash's own messages.
 */
import type { FileRef, PipeFds, Program, ProgramCtx, Sys, WaitStatus } from '../model/process.ts';
import type { Profile } from '../model/profiles.ts';
import type { Signal } from '../model/types.ts';

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

/** Split a command line into words, honouring single and double quotes. */
export function words(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  let q: string | null = null;
  for (const c of line) {
    if (q) {
      if (c === q) q = null;
      else cur += c;
    } else if (c === '"' || c === "'") {
      q = c;
      has = true;
    } else if (/\s/.test(c)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else cur += c;
  }
  if (has || cur) out.push(cur);
  return out;
}

/** Split on a separator outside quotes. */
function splitTop(line: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = '';
  let q: string | null = null;
  for (const c of line) {
    if (q) {
      if (c === q) q = null;
      cur += c;
    } else if (c === '"' || c === "'") {
      q = c;
      cur += c;
    } else if (c === sep) {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  parts.push(cur);
  return parts.map((p) => p.trim());
}

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
      const remaining = new Set(j.pids);
      while (remaining.size) {
        const pid = [...remaining][remaining.size - 1];
        const st: WaitStatus | number = yield { op: 'waitpid', pid };
        if (typeof st === 'number') {
          if (st === -4) {
            ctx.pendingSignals = []; // the shell itself ignores ^C while a job runs
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
      if (last?.kind === 'signaled') {
        if (last.sig === 'SIGINT') yield out('\n');
        else if (STATUS_WORD[last.sig]) yield out(`${STATUS_WORD[last.sig]}\n`);
      }
      return last;
    }

    /** Run one pipeline in the foreground. Returns false when it was interrupted (^C) or stopped. */
    function* runPipeline(text: string, display: string): Generator<Sys, boolean, any> {
      const stages = splitTop(text, '|').map(words);
      if (stages.some((s) => !s.length)) {
        yield err(`bash: syntax error near unexpected token \`|'\n`);
        return true;
      }
      const [first] = stages;
      if (stages.length === 1) {
        const b = yield* builtin(first);
        if (b !== null) return b;
      }
      for (const st of stages) {
        if (!o.commands.has(st[0])) {
          yield err(`bash: ${st[0]}: command not found\n`);
          return true;
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
        const pid: number = yield { op: 'spawn', program: stages[i][0], argv: stages[i], stdin: prevRead, stdout, pgid: pgid || undefined, startupNs: profile.costs.forkExecNs };
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
          yield out(w.slice(1).join(' ') + '\n');
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
              const map: Record<string, Signal> = { '9': 'SIGKILL', KILL: 'SIGKILL', '15': 'SIGTERM', TERM: 'SIGTERM', '2': 'SIGINT', INT: 'SIGINT', '19': 'SIGSTOP', STOP: 'SIGSTOP', '18': 'SIGCONT', CONT: 'SIGCONT', '1': 'SIGHUP', HUP: 'SIGHUP' };
              const m = map[s] ?? map[s.replace(/^SIG/, '')];
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
      const loop = /^while\s+true\s*;\s*do\s+(.+?);?\s*done$/.exec(text);
      if (loop) {
        const body = splitTop(loop[1], ';').filter(Boolean);
        for (let ok = true; ok; ) {
          for (const cmd of body) {
            ok = yield* runPipeline(cmd, text);
            if (!ok) break;
          }
        }
        continue;
      }
      for (const cmd of splitTop(text, ';').filter(Boolean)) {
        if (words(cmd)[0] === 'exit') {
          yield out('exit\n');
          return 0;
        }
        if (!(yield* runPipeline(cmd, cmd))) break;
      }
    }
  };
}
