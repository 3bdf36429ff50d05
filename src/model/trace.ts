/**
 * The model's instrumentation: SNMP counters (NET_INC_STATS() of include/net/ip.h and
 * include/net/snmp.h, shown by `nstat`) and the trace events the renderers and tests read
 * (timers, queues, a segment's fate), which have no kernel counterpart but tracepoints.
 * Every event is built only when someone looks (Sim.traceDetail, Sim.observed).
 */
import type { Kernel } from './kernel.ts';
import type { TcpSock } from './sock.ts';
import { tcpDiagGetInfo } from './tcp_diag.ts';
import type { DropReason, Ns, Segment, TimerKind } from './types.ts';

/** NET_ADD_STATS(net, counter, delta) (delta 0: the event is traced, the counter not moved). */
export function mibInc(k: Kernel, counter: string, delta = 1): void {
  k.mib[counter] = (k.mib[counter] ?? 0) + delta;
  if (k.sim.traceDetail) k.sim.emit({ type: 'mib', t: k.now, counter, delta });
}

/**
 * LINUX_MIB_LISTENOVERFLOWS then tcp_listendrop()'s LINUX_MIB_LISTENDROPS, with literal keys
 * (the SYN-flood hot path).
 */
export function mibListenOverflow(k: Kernel): void {
  const mib = k.mib;
  mib['ListenOverflows'] = (mib['ListenOverflows'] ?? 0) + 1;
  if (k.sim.traceDetail) k.sim.emit({ type: 'mib', t: k.now, counter: 'ListenOverflows', delta: 1 });
  mib['ListenDrops'] = (mib['ListenDrops'] ?? 0) + 1;
  if (k.sim.traceDetail) k.sim.emit({ type: 'mib', t: k.now, counter: 'ListenDrops', delta: 1 });
}

export function traceTimer(k: Kernel, sock: number, timer: TimerKind, action: 'armed' | 'fired' | 'cleared', expires?: number, fireAt?: Ns, retrans?: number): void {
  if (k.sim.traceDetail)
    k.sim.emit({ type: 'timer', t: k.now, sock, timer, action, expiresJiffies: expires, fireAt, retrans });
}

export function traceQueues(k: Kernel, sk: TcpSock): void {
  if (!k.sim.traceDetail) return;
  const d = tcpDiagGetInfo(sk);
  k.sim.emit({ type: 'queues', t: k.now, sock: sk.id, rqueue: d.rqueue, wqueue: d.wqueue });
}

export function traceAcceptq(k: Kernel, l: TcpSock): void {
  if (k.sim.traceDetail)
    k.sim.emit({ type: 'acceptq', t: k.now, listener: l.id, queue: l.acceptQueue.map((c) => c.id) });
}

/** A received segment's fate (the drop reasons of kfree_skb_reason(), named by the model). */
export function rcvVerdict(k: Kernel, seg: Segment, sock: number | null, verdict: 'accepted' | 'dropped', reason?: DropReason): void {
  k.stats.rcv++;
  if (k.sim.observed) k.sim.emit({ type: 'rcv', t: k.now, segId: seg.id, sock, verdict, reason });
}
