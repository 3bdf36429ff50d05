/**
 * fs/pipe.c (Linux 4.4 and 6.18): pipe(), a pipe's read and write, and the end of its writer.
 *
 * Deliberate differences: an unbounded text buffer (no PIPE_BUF, a writer never blocks, no
 * SIGPIPE for a pipe without readers); a read takes everything buffered.
 */
import type { ProcessTable, Task } from './process.ts';
import type { Waiter } from './sock.ts';

export class Pipe {
  buf = '';
  writers = 0;
  waiters = new Set<Waiter>();
}

/** pipe(): two fds, the read end first. */
export function sysPipe(pt: ProcessTable, task: Task): void {
  const p = new Pipe();
  const r = pt.allocFd(task, { kind: 'pipe', pipe: p, end: 'r', refs: 0 });
  const w = pt.allocFd(task, { kind: 'pipe', pipe: p, end: 'w', refs: 0 });
  p.writers++;
  return pt.complete(task, { read: r, write: w });
}

/** pipe_read(): what is buffered, '' (EOF) once no writer is left, else sleep. */
export function pipeRead(pt: ProcessTable, task: Task, pipe: Pipe): void {
  if (pipe.buf) {
    const d = pipe.buf;
    pipe.buf = '';
    return pt.complete(task, d);
  }
  if (pipe.writers === 0) return pt.complete(task, '');
  return pt.blockOn(task, pipe.waiters);
}

/** pipe_write() */
export function pipeWrite(pt: ProcessTable, task: Task, pipe: Pipe, data: string): void {
  pipe.buf += data;
  for (const w of [...pipe.waiters]) w.wake();
  return pt.complete(task, data.length);
}

/** pipe_release() of a write end: one writer fewer, readers woken (to see EOF). */
export function pipeRelease(pipe: Pipe): void {
  pipe.writers--;
  for (const w of [...pipe.waiters]) w.wake();
}
