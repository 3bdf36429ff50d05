/**
 * net/ipv4/af_inet.c (Linux 4.4 and 6.18): a new TCP socket (inet_create). The other inet_*
 * socket calls (inet_bind, inet_listen, inet_stream_connect, inet_accept, inet_shutdown) are
 * the system calls of socket.ts, which call into this stack.
 *
 * Deliberate difference: AF_INET/SOCK_STREAM only; a socket is a TcpSock from the start.
 */
import type { Kernel } from './kernel.ts';
import { newTcpSock, type TcpSock } from './sock.ts';
import { TCP_CLOSE } from './types.ts';

/** inet_create() + sk_alloc(): a new full socket in TCP_CLOSE. */
export function inetCreate(k: Kernel): TcpSock {
  const sk = newTcpSock(k.nextId++, k.nextInode++, TCP_CLOSE);
  // tcp_init_sock(): sk_rcvbuf = tcp_rmem[1], icsk_rto = TCP_TIMEOUT_INIT (what 4.4's
  // tcp_get_info() reports for a listener: ss -i's rto:1000)
  sk.rcvbuf = k.sysctl['net.ipv4.tcp_rmem'][1];
  sk.rto = k.HZ;
  sk.caName = k.sysctl['net.ipv4.tcp_congestion_control']; // tcp_assign_congestion_control()
  k.socks.set(sk.id, sk);
  if (k.sim.traceDetail)
    k.sim.emit({ type: 'sock-new', t: k.now, sock: sk.id, kind: 'full', state: TCP_CLOSE, saddr: 0, sport: 0, daddr: 0, dport: 0, inode: sk.inode });
  return sk;
}
