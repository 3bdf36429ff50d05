/**
 * net/ipv4/syncookies.c (Linux 4.4 and 6.18): a listener whose SYN queue is full (or with
 * tcp_syncookies=2) answers with a cookie ISN and keeps no request sock; the ACK that returns
 * the cookie builds the child (cookie_v4_check, called by tcp_v4_cookie_check()).
 *
 * Deliberate difference: the cookie is a keyed hash, and what it encodes (MSS index, the
 * SYN's options) is kept in a table by 4-tuple (Kernel.sentCookies) instead of in the ISN
 * and the TS value; a valid cookie is recognised by that table.
 */
import type { Kernel } from './kernel.ts';
import { inetCskReqskQueueAdd } from './inet_connection_sock.ts';
import { ehashInsert, key } from './inet_hashtables.ts';
import { jhash3 } from './rng.ts';
import { u32 } from './seq.ts';
import { RequestSock, type TcpSock } from './sock.ts';
import { ipRouteOutputKey, ipv4DefaultAdvmss } from './route.ts';
import { tcpFullSpace } from './tcp.ts';
import { tcpV4SynRecvSock } from './tcp_ipv4.ts';
import { tcpSelectInitialWindow, tcpSyncMss } from './tcp_output.ts';
import { tcpInitTransfer } from './tcp_input.ts';
import { mibInc, rcvVerdict } from './trace.ts';
import { TH_SYN, type Segment } from './types.ts';

/** msstab (4.4 and 6.18): the MSS values a cookie can encode. */
const MSSTAB = [536, 1300, 1440, 1460];

/** __cookie_v4_init_sequence()'s MSS index: the largest msstab entry the SYN's MSS allows. */
export function cookieMss(mss: number): number {
  let i = MSSTAB.length - 1;
  while (i && mss < MSSTAB[i]) i--;
  return MSSTAB[i];
}

/** __cookie_v4_init_sequence(): the cookie ISN of a SYN. */
export function cookieV4InitSequence(k: Kernel, skb: Segment): number {
  return jhash3(skb.saddr ^ skb.seq, skb.daddr, u32((skb.sport << 16) | skb.dport), k.isnSecret[1] ^ 0x5a5a5a5a);
}

/** cookie_v4_check() via tcp_v4_cookie_check(): 'discard' when the ACK was a valid cookie. */
export function cookieV4Check(k: Kernel, l: TcpSock, skb: Segment): 'discard' | 'none' {
  const kk = key(skb.daddr, skb.dport, skb.saddr, skb.sport);
  const c = k.sentCookies.get(kk);
  if (!c || skb.flags & TH_SYN || u32(c.isn + 1) !== skb.ack) return 'none';
  k.sentCookies.delete(kk);
  mibInc(k, 'SyncookiesRecv');
  const req = new RequestSock(k.nextId++, l, skb.daddr, skb.dport, skb.saddr, skb.sport);
  req.sntIsn = c.isn;
  req.rcvIsn = c.rcvIsn;
  req.tsRecent = c.ts;
  req.tstampOk = c.tsOk;
  req.sackOk = c.sack;
  req.wscaleOk = c.wscale !== null;
  req.sndWscale = c.wscale ?? 0;
  req.tsOffset = c.tsOff;
  // cookie_v4_check(): the window from the listener's buffer and the MSS the cookie encodes
  req.advmss = ipv4DefaultAdvmss(ipRouteOutputKey(k, skb.saddr));
  const w = tcpSelectInitialWindow(k, tcpFullSpace(k, l), c.mss, req.wscaleOk);
  req.rcvWnd = w.rcvWnd;
  req.rcvWscale = w.rcvWscale;
  const child = tcpV4SynRecvSock(k, l, skb, req);
  if (!child) {
    rcvVerdict(k, skb, l.id, 'dropped', 'listen-overflow');
    return 'discard';
  }
  rcvVerdict(k, skb, child.id, 'accepted');
  // tcp_create_openreq_child(): the advertised MSS shrinks by the timestamp option; tcp_sync_mss()
  if (child.tstampOk) child.advmss -= 12;
  tcpSyncMss(k, child, c.mss);
  tcpInitTransfer(k, child, skb);
  ehashInsert(k, child);
  inetCskReqskQueueAdd(k, l, child);
  return 'discard';
}
