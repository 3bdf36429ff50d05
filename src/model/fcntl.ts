/**
 * fs/fcntl.c (Linux 4.4 and 6.18): fcntl(F_GETFL) and fcntl(F_SETFL) on an open file. The flags
 * live in the file (struct file's f_flags), shared by every descriptor of it; F_SETFL changes
 * only the flags setfl() may change (SETFL_MASK), of which the model keeps O_NONBLOCK.
 *
 * Deliberate differences: sockets only carry f_flags; a pipe reads back its access mode and a
 * terminal O_RDWR; O_APPEND, O_ASYNC, O_DIRECT, O_NOATIME are ignored.
 */
import { EBADF, EINVAL } from './errno.ts';
import type { ProcessTable, SysOf, Task } from './process.ts';
import { O_NONBLOCK, O_RDWR } from './socket.ts';

/** do_fcntl(): F_GETFL returns f_flags, F_SETFL → setfl() sets O_NONBLOCK as asked. */
export function sysFcntl(pt: ProcessTable, task: Task, s: SysOf<'fcntl'>): void {
  const f = task.fds.get(s.fd);
  if (!f) return pt.complete(task, -EBADF);
  if (s.cmd === 'F_GETFL') {
    if (f.kind === 'sock') return pt.complete(task, f.flags);
    return pt.complete(task, f.kind === 'pipe' ? (f.end === 'r' ? 0 : 1) : O_RDWR);
  }
  if (s.cmd !== 'F_SETFL') return pt.complete(task, -EINVAL);
  if (f.kind === 'sock') f.flags = (f.flags & ~O_NONBLOCK) | ((s.arg ?? 0) & O_NONBLOCK);
  return pt.complete(task, 0);
}
