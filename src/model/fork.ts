/**
 * Starting a program: kernel/fork.c (copy_process: a new task with the parent's terminal and
 * the given stdin/stdout), kernel/pid.c (alloc_pid) and fs/exec.c (the program and its comm),
 * as one step, the way a shell's fork() + execve() looks from outside. Linux 4.4 and 6.18.
 *
 * Deliberate differences: no address space or credentials; a pid can be pinned (a chance
 * input) when Linux could have given it; start-up costs are the profile's.
 */
import type { FileRef, ProcessTable, SysOf, Task } from './process.ts';
import { newCtx, newTask } from './process.ts';
import type { Tty } from './tty.ts';

/** PID_MAX_LIMIT on 64-bit (include/linux/threads.h): pids are below it. */
export const PID_MAX_LIMIT = 4 * 1024 * 1024;
/** RESERVED_PIDS (kernel/pid.c): where pid allocation starts again after wrapping. */
export const RESERVED_PIDS = 300;

export interface SpawnOptions {
  parent?: Task | null;
  pid?: number;
  tty?: Tty | null;
  stdin?: FileRef;
  stdout?: FileRef;
  pgid?: number;
  startupNs?: number;
}

/** Start a program as a new task (fork + execve); null when there is no such program or no pid. */
export function forkExec(pt: ProcessTable, program: string, argv: string[], opts: SpawnOptions): Task | null {
  const prog = pt.programs.get(program);
  if (!prog) return null;
  // a pinned pid (a chance input) is taken only if Linux could have allocated it: free and
  // below PID_MAX_LIMIT; otherwise the task gets the next free pid, as alloc_pid() gives one
  const pinned = opts.pid;
  let pid = pinned !== undefined && Number.isInteger(pinned) && pinned > 0 && pinned < PID_MAX_LIMIT && !pt.tasks.has(pinned) ? pinned : pt.lastPid + 1;
  if (pid !== pinned && (pid >= PID_MAX_LIMIT || pt.tasks.has(pid))) {
    pid = allocPid(pt);
    if (pid < 0) return null;
  }
  pt.lastPid = Math.max(pt.lastPid, pid);
  const tty = opts.tty ?? opts.parent?.ctx.tty ?? null;
  const ctx = newCtx(pid, argv, pt.k, pt, tty);
  const gen = prog(ctx);
  const name = argv[0] ?? program;
  const comm = (name.includes('/') ? name.split('/').pop()! : name).slice(0, 15);
  const task = newTask(pid, comm, argv, gen, ctx, opts.parent ?? null, opts.pgid ?? pid);
  const ttyFile: FileRef | null = tty ? { kind: 'tty', tty, refs: 0 } : null;
  const inp = opts.stdin ?? ttyFile;
  if (inp) {
    task.fds.set(0, inp);
    inp.refs++;
    if (inp.kind === 'pipe') inp.pipe.readers++;
  }
  const out = opts.stdout ?? ttyFile;
  if (out) {
    task.fds.set(1, out);
    out.refs++;
    if (out.kind === 'pipe') out.pipe.writers++;
  }
  if (ttyFile) {
    task.fds.set(2, ttyFile);
    ttyFile.refs++;
  }
  pt.tasks.set(pid, task);
  if (pt.k.sim.observed) pt.k.sim.emit({ type: 'proc', t: pt.k.now, pid, comm: task.comm, action: 'exec', argv, tty: tty?.name ?? null });
  pt.k.sim.postAfter(opts.startupNs ?? 0, startTask, pt, task);
  return task;
}

/** The new task's first run (a shared event function: no closure per task). */
function startTask(pt: ProcessTable, task: Task): void {
  pt.step(task, undefined);
}

/**
 * alloc_pid() (kernel/pid.c): idr_alloc_cyclic(), the first free pid after the last one
 * given, wrapping to RESERVED_PIDS (300) past pid_max. Returns -1 when every pid is in use
 * (fork() fails with EAGAIN). The usual case, lastPid + 1 free, does not come here.
 */
function allocPid(pt: ProcessTable): number {
  let pid = pt.lastPid + 1;
  for (let n = 0; n < PID_MAX_LIMIT; n++, pid++) {
    if (pid >= PID_MAX_LIMIT) {
      pid = RESERVED_PIDS;
      pt.lastPid = RESERVED_PIDS - 1; // the cursor wraps with it
    }
    if (!pt.tasks.has(pid)) return pid;
  }
  return -1;
}

/** The shell's fork() + execve() of a program: the child's pid, or -ENOENT. */
export function sysSpawn(pt: ProcessTable, task: Task, s: SysOf<'spawn'>): void {
  const tty = task.ctx.tty?.name;
  const pinned = tty ? pt.pidPins.get(tty)?.shift() : undefined;
  const extra = tty ? (pt.startupPins.get(tty)?.shift() ?? 0) : 0;
  const child = forkExec(pt, s.program, s.argv, { parent: task, pid: s.pid ?? pinned, stdin: s.stdin, stdout: s.stdout, pgid: s.pgid, startupNs: (s.startupNs ?? 0) + extra });
  return pt.complete(task, child ? child.pid : -2 /* ENOENT */);
}
