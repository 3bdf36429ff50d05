/**
 * net/core/stream.c (Linux 4.4 and 6.18): the waits of stream sockets. Here the one close()
 * makes, sk_stream_wait_close(), for SO_LINGER with a time (l_onoff 1, l_linger > 0);
 * sk_stream_wait_memory() and sk_stream_wait_connect() are the blocking write() and connect()
 * of socket.ts.
 *
 * The wait is the same in both versions (4.4: prepare_to_wait() + sk_wait_event(); 6.18: a
 * woken_wake_function wait entry, since v4.10): sleep while the state is FIN-WAIT-1, CLOSING or
 * LAST-ACK, until the time runs out or a signal is pending; close() returns 0 either way
 * (inet_release() returns 0 whatever tcp_close() saw). Nothing looks at O_NONBLOCK: a
 * non-blocking socket lingers too. Any pending signal ends the wait: a caught one (here), a fatal
 * one (do_exit()) or a stop signal (the close() completes, then the task stops: signal.ts).
 */
import type { ProcessTable, Task } from './process.ts';
import type { TcpSock } from './sock.ts';
import { jiffies, timerFireTime } from './time.ts';
import { TCP_CLOSING, TCP_FIN_WAIT1, TCP_LAST_ACK } from './types.ts';

/** sk_stream_closing(): a state close() lingers in (our FIN not yet acknowledged). */
export function skStreamClosing(sk: TcpSock): boolean {
  return sk.state === TCP_FIN_WAIT1 || sk.state === TCP_CLOSING || sk.state === TCP_LAST_ACK;
}

/**
 * sk_stream_wait_close(sk, timeout): one turn of its loop. `expires` is the jiffy the linger
 * ends (jiffies at the call + sk_lingertime; Infinity for MAX_SCHEDULE_TIMEOUT). The task
 * sleeps on the socket's queue (sk_state_change() wakes it: the ACK of the FIN, tcp_done(),
 * tcp_time_wait()) and on a timer (schedule_timeout(): on the timer wheel, so 6.x's rounds a
 * 2 s linger up to its 32 ms granule at HZ=250); every wake-up re-runs close(), which calls this
 * again. Returns true while the task sleeps, false when the wait is over: the state left the
 * closing ones, the time ran out (schedule_timeout() left 0 jiffies) or a signal is pending.
 */
export function skStreamWaitClose(pt: ProcessTable, task: Task, sk: TcpSock, expires: number): boolean {
  const k = pt.k;
  if (!skStreamClosing(sk) || task.ctx.pendingSignals.length || expires - jiffies(k) <= 0) return false;
  pt.blockOn(task, sk.waiters);
  if (expires !== Infinity) task.timeoutEvent = k.sim.call(timerFireTime(k, expires), lingerTimeout, pt, task);
  return true;
}

/** process_timeout(): schedule_timeout()'s timer wakes the task. */
function lingerTimeout(pt: ProcessTable, task: Task): void {
  task.timeoutEvent = null;
  pt.wakeTask(task);
}
