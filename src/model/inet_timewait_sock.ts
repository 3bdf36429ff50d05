/**
 * net/ipv4/inet_timewait_sock.c (Linux 4.4 and 6.18): the timewait mini-socket's place in the
 * hashes (inet_twsk_hashdance), its timer (inet_twsk_schedule, tw_timer_handler) and its end
 * (inet_twsk_kill).
 *
 * Deliberate difference: no timewait death row accounting (tcp_max_tw_buckets is never reached).
 */
import type { Kernel } from './kernel.ts';
import { ehashRemove, ehashReplace, inetBindHash, inetPutPort } from './inet_hashtables.ts';
import type { TcpSock, TimewaitSock } from './sock.ts';
import { jiffies, timerFireTime } from './time.ts';
import { traceTimer } from './trace.ts';

/** inet_twsk_hashdance(): tw takes sk's place in ehash and joins sk's bind bucket. */
export function inetTwskHashdance(k: Kernel, tw: TimewaitSock, sk: TcpSock): void {
  const port = sk.bindPort;
  ehashReplace(k, sk, tw);
  if (port) {
    const tb = k.bhash.get(port);
    inetBindHash(k, tw, tb, port, tb?.fastreuse ?? -1);
  }
}

/** inet_twsk_schedule() / inet_twsk_reschedule(): (re)arm the timewait timer. */
export function inetTwskSchedule(k: Kernel, tw: TimewaitSock, timeo: number): void {
  if (tw.timer) k.sim.cancel(tw.timer);
  tw.expires = jiffies(k) + timeo;
  tw.timer = k.sim.call(timerFireTime(k, tw.expires), twTimerHandler, k, tw);
  traceTimer(k, tw.id, 'timewait', 'armed', tw.expires, tw.timer.t);
}

/** tw_timer_handler() */
function twTimerHandler(k: Kernel, tw: TimewaitSock): void {
  tw.timer = null;
  traceTimer(k, tw.id, 'timewait', 'fired');
  inetTwskKill(k, tw);
}

/** inet_twsk_kill() (and inet_twsk_deschedule_put()): out of ehash and the bind bucket. */
export function inetTwskKill(k: Kernel, tw: TimewaitSock): void {
  if (tw.timer) k.sim.cancel(tw.timer);
  tw.timer = null;
  ehashRemove(k, tw);
  inetPutPort(k, tw);
  if (k.sim.traceDetail) k.sim.emit({ type: 'sock-free', t: k.now, sock: tw.id });
}
