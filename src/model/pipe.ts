/**
 * fs/pipe.c (Linux 4.4 and 6.18): pipe(), a pipe's read and write, and the end of its readers
 * and writers.
 *
 * A pipe holds at most PIPE_DEF_BUFFERS pages (16 x 4096 = 65536 bytes, `pipe->max_usage`): a
 * blocking pipe_write() copies what fits and sleeps until a reader makes room, so `yes | nc`
 * runs at the pace nc reads; a write to a pipe with no reader left raises SIGPIPE and fails with
 * EPIPE (`if (!pipe->readers) { send_sig(SIGPIPE, current, 0); ret = -EPIPE; }`).
 *
 * Deliberate differences: the buffer is text counted in characters (the programs write ASCII)
 * and in bytes, not in pages: a write of 8192 bytes (coreutils `yes`) fills two pages in Linux
 * and 8192 of the 65536 here, the same thing for writes of whole pages; no PIPE_BUF atomicity
 * (no two writers share a pipe in the experiments).
 */
import { EPIPE } from './errno.ts';
import type { ProcessTable, Task } from './process.ts';
import { sendSignal } from './signal.ts';
import type { Waiter } from './sock.ts';

/** PIPE_DEF_BUFFERS * PAGE_SIZE: a new pipe's capacity. */
export const PIPE_DEF_SIZE = 16 * 4096;

export class Pipe {
  buf = '';
  writers = 0;
  readers = 0;
  waiters = new Set<Waiter>();
}

/** pipe(): two fds, the read end first. */
export function sysPipe(pt: ProcessTable, task: Task): void {
  const p = new Pipe();
  const r = pt.allocFd(task, { kind: 'pipe', pipe: p, end: 'r', refs: 0 });
  const w = pt.allocFd(task, { kind: 'pipe', pipe: p, end: 'w', refs: 0 });
  p.readers++;
  p.writers++;
  return pt.complete(task, { read: r, write: w });
}

/** pipe_read(): what is buffered (at most `count`), '' (EOF) once no writer is left, else sleep. */
export function pipeRead(pt: ProcessTable, task: Task, pipe: Pipe, count?: number): void {
  if (pipe.buf) {
    const n = count !== undefined && count > 0 ? Math.min(count, pipe.buf.length) : pipe.buf.length;
    const d = pipe.buf.slice(0, n);
    pipe.buf = pipe.buf.slice(n);
    // a writer waiting for room is woken (pipe_read(): wake_up_interruptible_sync_poll(&pipe->wr_wait))
    for (const w of [...pipe.waiters]) w.wake();
    return pt.complete(task, d);
  }
  if (pipe.writers === 0) return pt.complete(task, '');
  return pt.blockOn(task, pipe.waiters);
}

/** The part of a blocked write still to copy, by task (a woken call re-runs from the start). */
const pendingWrites = new WeakMap<Task, { data: string; off: number }>();

/**
 * pipe_write(): EPIPE and SIGPIPE without readers; else copy what fits, wake readers, and sleep
 * until everything is copied (a blocking write returns only then, or with what it copied when
 * the last reader goes).
 */
export function pipeWrite(pt: ProcessTable, task: Task, pipe: Pipe, data: string): void {
  let w = task.rerun ? pendingWrites.get(task) : undefined;
  if (!w) w = { data, off: 0 };
  pendingWrites.delete(task);
  if (pipe.readers === 0) {
    // send_sig(SIGPIPE) even when part of the write was copied (it then returns that count)
    sendSignal(pt, task, 'SIGPIPE');
    if (task.state === 'zombie') return;
    return pt.complete(task, w.off || -EPIPE);
  }
  const room = PIPE_DEF_SIZE - pipe.buf.length;
  if (room > 0) {
    const n = Math.min(room, w.data.length - w.off);
    pipe.buf += w.data.slice(w.off, w.off + n);
    w.off += n;
    for (const x of [...pipe.waiters]) x.wake();
  }
  if (w.off === w.data.length) return pt.complete(task, w.off);
  pendingWrites.set(task, w);
  return pt.blockOn(task, pipe.waiters);
}

/** pipe_release() of a write end: one writer fewer, readers woken (to see EOF). */
export function pipeRelease(pipe: Pipe): void {
  pipe.writers--;
  for (const w of [...pipe.waiters]) w.wake();
}

/** pipe_release() of a read end: one reader fewer, writers woken (to see EPIPE). */
export function pipeReleaseReader(pipe: Pipe): void {
  pipe.readers--;
  for (const w of [...pipe.waiters]) w.wake();
}
