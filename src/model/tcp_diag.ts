/**
 * net/ipv4/tcp_diag.c (Linux 4.4 and 6.18): what inet_diag reports of a TCP socket's queues.
 */
import type { TcpSock } from './sock.ts';
import { u32 } from './seq.ts';
import { TCP_LISTEN } from './types.ts';

/** tcp_diag_get_info(): Recv-Q/Send-Q as ss shows them. */
export function tcpDiagGetInfo(sk: TcpSock): { rqueue: number; wqueue: number } {
  if (sk.state === TCP_LISTEN) return { rqueue: sk.acceptQueue.length, wqueue: sk.maxAckBacklog };
  return {
    rqueue: Math.max(0, u32(sk.rcvNxt - sk.copiedSeq) | 0),
    wqueue: u32(sk.writeSeq - sk.sndUna),
  };
}
