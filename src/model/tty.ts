/**
 * Terminals: drivers/tty/tty_io.c and the line discipline drivers/tty/n_tty.c (Linux 4.4 and
 * 6.18): typed input (canonical mode, echo), control keys that signal the foreground process
 * group (isig: ^C SIGINT, ^Z SIGTSTP, ^\ SIGQUIT, ^D end of file), reads and writes, and
 * tcsetpgrp().
 *
 * Deliberate differences: output goes to the trace, not to a screen buffer; a typed line is
 * one read; ^\ sends SIGTERM (the model has no SIGQUIT and no core dumps).
 */
import type { ProcessTable, Task } from './process.ts';
import { sendSignal } from './signal.ts';
import type { Waiter } from './sock.ts';
import type { Signal } from './types.ts';
import { EIO } from './errno.ts';

/** A terminal: output goes to the trace; keys go to the foreground process group. */
export class Tty {
  readonly name: string;
  cols: number;
  fgPgid = 0;
  input: string[] = [];
  eof = false;
  waiters = new Set<Waiter>();
  constructor(name: string, cols: number) {
    this.name = name;
    this.cols = cols;
  }
}

/** The terminal called `name`, opened on first use (tty_open). */
export function ttyOpen(pt: ProcessTable, name: string, cols: number): Tty {
  let t = pt.ttys.get(name);
  if (!t) {
    t = new Tty(name, cols);
    pt.ttys.set(name, t);
  }
  return t;
}

/** Print on a terminal (or nowhere, for a task without one): tty_write(). */
export function ttyWrite(pt: ProcessTable, tty: Tty | null, pid: number, stream: 'stdout' | 'stderr' | 'echo', text: string): void {
  if (!text) return;
  pt.k.sim.emit({ type: 'output', t: pt.k.now, pid, tty: tty?.name ?? null, stream, text });
}

/**
 * Characters typed on a terminal: echoed, then queued for the reader (canonical mode). Every
 * waiter sees them arrive: a background job polling the terminal finds it readable even when
 * the shell at its prompt reads the line at the same moment, and its read() then meets
 * SIGTTIN (as recorded on 6.18: `kill %2` typed at the prompt stopped a background `nc` that
 * was polling the terminal, and bash ran the line). So background waiters are woken first.
 */
export function ttyType(pt: ProcessTable, tty: Tty, text: string): void {
  ttyWrite(pt, tty, 0, 'echo', text);
  tty.input.push(text);
  const ws = [...tty.waiters];
  const fg = (w: Waiter) => (w as Partial<Task>).pgid === tty.fgPgid;
  for (const w of ws) if (!fg(w)) w.wake();
  for (const w of ws) if (fg(w)) w.wake();
}

/** A control key: ECHOCTL echo, then the signal to the foreground process group (isig()). */
export function ttyKey(pt: ProcessTable, tty: Tty, keyName: '^C' | '^Z' | '^D' | '^\\'): void {
  if (keyName === '^D') {
    tty.eof = true;
    for (const w of [...tty.waiters]) w.wake();
    return;
  }
  ttyWrite(pt, tty, 0, 'echo', keyName);
  // n_tty: INTR/SUSP/QUIT flush the input queue (no NOFLSH), so type-ahead is discarded
  tty.input = [];
  const sig: Signal = keyName === '^C' ? 'SIGINT' : keyName === '^Z' ? 'SIGTSTP' : 'SIGTERM';
  for (const t of [...pt.tasks.values()]) if (t.pgid === tty.fgPgid && t.state !== 'zombie') sendSignal(pt, t, sig);
}

/**
 * n_tty_read(): the next typed line, '' once for ^D, else sleep. A reader outside the
 * terminal's foreground process group first meets job_control() → __tty_check_change(tty,
 * SIGTTIN): its whole process group gets SIGTTIN and the read is restarted (-ERESTARTSYS) when
 * the task is continued; with SIGTTIN ignored the read fails with -EIO. (4.4: tty_io.c; 6.x:
 * tty_jobctrl.c; orphaned process groups, which also get -EIO, do not occur here.)
 */
export function ttyRead(pt: ProcessTable, task: Task, tty: Tty): void {
  if (tty.fgPgid && task.pgid !== tty.fgPgid) {
    if (task.ctx.ignores.has('SIGTTIN')) return pt.complete(task, -EIO);
    for (const t of [...pt.tasks.values()]) if (t.pgid === task.pgid && t.state !== 'zombie') sendSignal(pt, t, 'SIGTTIN');
    return;
  }
  if (tty.input.length) return pt.complete(task, tty.input.shift()!);
  if (tty.eof) {
    tty.eof = false;
    return pt.complete(task, '');
  }
  return pt.blockOn(task, tty.waiters);
}

/** tcsetpgrp() on the task's terminal (TIOCSPGRP). */
export function sysTcsetpgrp(pt: ProcessTable, task: Task, pgid: number): void {
  if (task.ctx.tty) task.ctx.tty.fgPgid = pgid;
  return pt.complete(task, 0);
}
