/**
 * net/ipv4/inet_diag.c (Linux 4.4 and 6.18): the socket dump `ss` reads over netlink, in the
 * kernel's order, with each socket's timer as inet_sk_diag_fill() and inet_twsk_diag_fill()
 * report it.
 *
 * Deliberate difference: one dump of the whole table (no netlink messages, no filters:
 * `ss` filters on its side, see src/render/ss.ts).
 */
import type { Kernel } from './kernel.ts';
import { inetEhashfn } from './inet_hashtables.ts';
import { tcpDiagGetInfo } from './tcp_diag.ts';
import { tcpCaName, tcpGetInfo } from './tcp.ts';
import { jiffies } from './time.ts';
import { DIAG_TIMER_KEEPALIVE, DIAG_TIMER_OFF, DIAG_TIMER_ON, DIAG_TIMER_PERSIST, DIAG_TIMER_TIMEWAIT, TCP_LISTEN, TCP_SYN_RECV, type SockDiag } from './types.ts';

/** EXPIRES_IN_MS (4.4 full sockets, may be negative) / jiffies_delta_to_msecs (6.x, >= 0). */
function expiresMs(k: Kernel, expires: number, clampZero: boolean): number {
  const delta = expires - jiffies(k);
  const ms = Math.ceil((delta * 1000) / k.HZ);
  return clampZero ? Math.max(0, ms) : ms;
}

/**
 * inet_diag dump of TCP sockets in kernel order (inet_diag_dump_icsk()): the listening hash
 * (by port bucket), then ehash buckets in index order, newest first within a bucket. With
 * `info` (idiag_ext INET_DIAG_INFO and INET_DIAG_CONG, as ss -i asks) a full socket's row
 * carries tcp_get_info() and its congestion control's name (inet_sk_diag_fill()); timewait and
 * request socks have neither (inet_twsk_diag_fill(), inet_req_diag_fill()).
 */
export function inetDiagDump(k: Kernel, info = false): SockDiag[] {
  const rows: SockDiag[] = [];
  const exact = k.profile.behaviour.timerWheel === 'exact';
  const ports = [...k.listening.keys()].sort((a, b) => (a & 31) - (b & 31) || a - b);
  for (const p of ports) {
    for (const l of [...k.listening.get(p)!].reverse()) {
      const q = tcpDiagGetInfo(l);
      const row: SockDiag = { state: TCP_LISTEN, saddr: l.saddr, sport: l.sport, daddr: 0, dport: 0, ...q, timer: DIAG_TIMER_OFF, expiresMs: 0, retrans: 0, inode: l.inode, uid: l.uid, sockId: l.id };
      if (info) row.info = { tcp: tcpGetInfo(k, l), cong: tcpCaName(l) };
      rows.push(row);
    }
  }
  const entries = [...k.ehash.values()].map((s) => ({ s, b: inetEhashfn(k, s.saddr, s.sport, s.daddr, s.dport) & k.ehashMask }));
  entries.sort((x, y) => x.b - y.b || y.s.hashSeq - x.s.hashSeq);
  for (const { s } of entries) {
    if (s.kind === 'timewait') {
      rows.push({ state: s.substate, saddr: s.saddr, sport: s.sport, daddr: s.daddr, dport: s.dport, rqueue: 0, wqueue: 0, timer: DIAG_TIMER_TIMEWAIT, expiresMs: expiresMs(k, s.expires, true), retrans: 0, inode: 0, uid: 0, sockId: s.id });
    } else if (s.kind === 'request') {
      rows.push({ state: TCP_SYN_RECV, saddr: s.saddr, sport: s.sport, daddr: s.daddr, dport: s.dport, rqueue: 0, wqueue: 0, timer: DIAG_TIMER_ON, expiresMs: expiresMs(k, s.expires, true), retrans: s.numTimeout, inode: 0, uid: 0, sockId: s.id });
    } else {
      const q = tcpDiagGetInfo(s);
      let timer = DIAG_TIMER_OFF;
      let ms = 0;
      let retrans = 0;
      // ICSK_TIME_RETRANS, ICSK_TIME_REO_TIMEOUT and ICSK_TIME_LOSS_PROBE all show as "on"
      if (s.pending === 'retrans' || s.pending === 'reo' || s.pending === 'tlp') {
        timer = DIAG_TIMER_ON;
        ms = expiresMs(k, s.timeout, !exact);
        retrans = s.retransmits;
      } else if (s.pending === 'probe0') {
        timer = DIAG_TIMER_PERSIST;
        ms = expiresMs(k, s.timeout, !exact);
        retrans = s.probesOut;
      } else if (s.keepaliveTimer) {
        timer = DIAG_TIMER_KEEPALIVE;
        ms = expiresMs(k, s.keepaliveExpires, !exact);
        retrans = s.probesOut;
      }
      const row: SockDiag = { state: s.state, saddr: s.saddr, sport: s.sport, daddr: s.daddr, dport: s.dport, ...q, timer, expiresMs: ms, retrans, inode: s.inode, uid: s.uid, sockId: s.id };
      if (info) row.info = { tcp: tcpGetInfo(k, s), cong: tcpCaName(s) };
      rows.push(row);
    }
  }
  return rows;
}
