/**
 * net/ipv4/tcp_input.c, the receiver's out-of-order queue and the SACK blocks it makes (Linux
 * 4.4 and 6.18): tcp_data_queue_ofo() keeps segments beyond rcv_nxt, tcp_ofo_queue() moves them
 * to the receive queue once the hole is filled, tcp_sack_new_ofo_skb() / tcp_sack_maybe_coalesce()
 * / tcp_sack_remove() keep tp->selective_acks (newest first, at most TCP_NUM_SACKS = 4), and
 * tcp_dsack_set() / tcp_dsack_extend() the D-SACK block (RFC 2883) of the next ACK.
 *
 * Differences between the versions: a041f70e573e (6.17, in 6.12.y stable; 4.4 keeps the old
 * rule) makes tcp_ofo_queue()'s D-SACK end at the segment's end instead of the old rcv_nxt: a
 * segment that fills a hole and covers queued segments gets "sack 1001:3001" on 6.18, the
 * whole "1001:6001" on 4.4 (tcp_dsack_mult.pkt). 38d7e444336567 (6.17) calls
 * tcp_measure_rcv_mss() for an out-of-order segment too (tcp_ooo_rcv_mss.pkt). The ofo queue
 * grows sk_rcvbuf of an accepted socket (tcp_rcvbuf_grow(), tcp_input-rcvbuf.ts; 63ad7dfedfae, v6.16; not-yet-accepted sockets
 * keep tcp_rmem[1]: tcp_ooo-before-and-after-accept.pkt); 4.4 does not.
 *
 * Deliberate differences: the queue is a sorted array, not an rbtree; contiguous segments are
 * always coalesced (tcp_ooo_try_coalesce() may refuse for lack of frags, which changes nothing
 * the model shows); no memory pruning (tcp_prune_ofo_queue()): an skb is charged its payload.
 */
import type { Kernel } from './kernel.ts';
import { after, before } from './seq.ts';
import { append, NO_EXTRA, NO_OFO, NO_SACKS, type OfoSkb, type SackBlock, type TcpSock } from './sock.ts';
import { tcpRcvbufGrow } from './tcp_input-rcvbuf.ts';
import { mibInc } from './trace.ts';

/** A sysctl the profiles may not list yet (tcp_dsack, tcp_moderate_rcvbuf: 1 by default on both kernels). */
function sysctlOr(k: Kernel, name: string, dflt: number): number {
  const v = (k.sysctl as unknown as Record<string, unknown>)[name];
  return typeof v === 'number' ? v : dflt;
}

/** tcp_rcv_nxt_update(): rcv_nxt moves to `seq`, bytes_received (tcpi_bytes_received) counts the step (a FIN's too). */
export function tcpRcvNxtUpdate(sk: TcpSock, seq: number): void {
  sk.bytesReceived += (seq - sk.rcvNxt) | 0;
  sk.rcvNxt = seq | 0;
}

/** TCP_NUM_SACKS: the SACK blocks a receiver remembers. */
export const TCP_NUM_SACKS = 4;

/** tcp_sack_extend(): grow `sp` to cover [seq, end) when they touch or overlap. */
export function tcpSackExtend(sp: SackBlock, seq: number, end: number): boolean {
  if (!after(seq, sp.end) && !after(sp.start, end)) {
    if (before(seq, sp.start)) sp.start = seq | 0;
    if (after(end, sp.end)) sp.end = end | 0;
    return true;
  }
  return false;
}

/**
 * tcp_dsack_set(): the next ACK reports [seq, end) as a duplicate (RFC 2883), when SACK was
 * agreed and tcp_dsack is on; TCPDSACKOldSent below rcv_nxt, TCPDSACKOfoSent above.
 */
export function tcpDsackSet(k: Kernel, sk: TcpSock, seq: number, end: number): void {
  if (!sk.sackOk || !sysctlOr(k, 'net.ipv4.tcp_dsack', 1)) return;
  mibInc(k, before(seq, sk.rcvNxt) ? 'TCPDSACKOldSent' : 'TCPDSACKOfoSent');
  sk.dsack = { start: seq | 0, end: end | 0 };
}

/** tcp_dsack_extend(): widen the pending D-SACK block, or start one. */
export function tcpDsackExtend(k: Kernel, sk: TcpSock, seq: number, end: number): void {
  if (!sk.dsack) tcpDsackSet(k, sk, seq, end);
  else tcpSackExtend(sk.dsack, seq, end);
}

/** tcp_sack_maybe_coalesce(): the first block, just grown, swallows the others it now touches. */
function tcpSackMaybeCoalesce(sk: TcpSock): void {
  const sp = sk.selectiveAcks;
  for (let i = 1; i < sp.length; ) {
    if (tcpSackExtend(sp[0], sp[i].start, sp[i].end)) sp.splice(i, 1);
    else i++;
  }
}

/**
 * tcp_sack_new_ofo_skb(): a block that touches [seq, end) grows and moves to the front; else a
 * new block goes first and, the array being full, the oldest is forgotten.
 */
export function tcpSackNewOfoSkb(sk: TcpSock, seq: number, end: number): void {
  if (sk.selectiveAcks === NO_SACKS) sk.selectiveAcks = [];
  const sp = sk.selectiveAcks;
  for (let i = 0; i < sp.length; i++) {
    if (tcpSackExtend(sp[i], seq, end)) {
      // rotate this block to the first one
      const b = sp[i];
      sp.splice(i, 1);
      sp.unshift(b);
      if (sp.length > 1) tcpSackMaybeCoalesce(sk);
      return;
    }
  }
  if (sp.length >= TCP_NUM_SACKS) sp.pop();
  sp.unshift({ start: seq | 0, end: end | 0 });
}

/**
 * tcp_sack_remove(): after rcv_nxt moved, the blocks it reached go (all of them when the ofo
 * queue is empty).
 */
export function tcpSackRemove(sk: TcpSock): void {
  if (sk.outOfOrderQueue.length === 0) {
    sk.selectiveAcks = NO_SACKS;
    return;
  }
  sk.selectiveAcks = sk.selectiveAcks.filter((b) => before(sk.rcvNxt, b.start));
}

/** sk_rmem_alloc's part held by the out-of-order queue (payload bytes, see tcpRmemAlloc()). */
export function tcpOfoBytes(sk: TcpSock): number {
  let n = 0;
  for (const s of sk.outOfOrderQueue) n += s.data.length;
  return n;
}

/**
 * sk_rmem_alloc's bookkeeping (skb_set_owner_r(), sk_eat_skb()): the receive queue's payload is
 * counted from rcv_nxt - copied_seq; rmemExtra holds the rest, an ofo skb's whole charge and the
 * truesize beyond its payload of each queued skb that has one, kept as (end seq, extra) in
 * rcvQueueCharges (numbers: no per-skb object or map entry on the bulk path).
 */

/**
 * A payload joins the receive queue (tcp_queue_rcv()) with `extra` bytes of truesize beyond it;
 * it starts at rcv_nxt (the caller moves rcv_nxt past it). Bytes that continue the queue's last
 * view in the same buffer (the segments of one write) only move that view's end on
 * (rcvTailGrow: the view is widened when a read or a different buffer needs it), so a queue holds
 * a view per run rather than per skb (1,000 slow readers kept ~50,000 views alive through every
 * young-generation GC) without a new view per segment; the skb's charge is freed when a read
 * reaches its end (skEatSkbs(), tcp.ts).
 */
export function tcpChargeSkb(sk: TcpSock, payload: Uint8Array, extra: number, coalesced = false): void {
  const q = sk.rcvQueue;
  const n = q.length;
  const tail = n ? q[n - 1] : null;
  if (tail !== null && payload.byteOffset === tail.byteOffset + tail.length + sk.rcvTailGrow && payload.buffer === tail.buffer) sk.rcvTailGrow += payload.length;
  else {
    rcvTailWiden(sk);
    sk.rcvQueue = append(q, payload);
  }
  const charges = sk.rcvQueueCharges;
  // skb_try_coalesce(): the bytes join the tail skb, which is freed only when a read passes them
  if (coalesced && charges.length) charges[charges.length - 2] = (sk.rcvNxt + payload.length) | 0;
  if (extra) {
    if (!charges.length) sk.rcvChargeStart = sk.rcvNxt;
    const c = append(sk.rcvQueueCharges, (sk.rcvNxt + payload.length) | 0);
    c.push(extra);
    sk.rcvQueueCharges = c;
  }
  sk.rmemExtra += extra;
}

/** The receive queue's last view widened over the bytes tcpChargeSkb() only counted (rcvTailGrow). */
export function rcvTailWiden(sk: TcpSock): void {
  const grow = sk.rcvTailGrow;
  if (!grow) return;
  const q = sk.rcvQueue;
  const t = q[q.length - 1];
  q[q.length - 1] = new Uint8Array(t.buffer, t.byteOffset, t.length + grow);
  sk.rcvTailGrow = 0;
}

/**
 * tcp_collapse_ofo_queue() and tcp_collapse() of tcp_prune_queue(): the queued data is copied
 * into compact skbs, so what they cost comes down to their payload.
 */
export function tcpCollapse(sk: TcpSock): void {
  for (const s of sk.outOfOrderQueue) {
    sk.rmemExtra -= s.extra;
    s.extra = 0;
  }
  const c = sk.rcvQueueCharges;
  for (let i = 1; i < c.length; i += 2) sk.rmemExtra -= c[i];
  sk.rcvQueueCharges = NO_EXTRA;
  sk.rmemExtra -= sk.rcvHeadCopied;
  sk.rcvHeadCopied = 0;
}

/** The out-of-order queue is dropped (tcp_fin(), tcp_done()): its charge goes. */
export function tcpOfoPurge(sk: TcpSock): void {
  for (const s of sk.outOfOrderQueue) sk.rmemExtra -= s.data.length + s.extra;
  sk.outOfOrderQueue = NO_OFO;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (!b.length) return a;
  if (!a.length) return b;
  const d = new Uint8Array(a.length + b.length);
  d.set(a);
  d.set(b, a.length);
  return d;
}

/** One queued skb absorbs the next (its data from `from`, its charge, its FIN). */
function absorb(a: OfoSkb, b: OfoSkb, from: number): void {
  a.data = concat(a.data, b.data.subarray(from));
  a.end = b.end;
  a.fin = b.fin;
  a.extra += b.extra + from; // the duplicate head of b stays charged until the skb is eaten
}

/**
 * tcp_data_queue_ofo(): a segment beyond rcv_nxt joins the out-of-order queue, overlaps
 * resolved as Linux does (what is already there is a D-SACK; a segment that covers queued ones
 * replaces them), and the SACK blocks follow. An ACK is scheduled (inet_csk_schedule_ack());
 * the caller sends it.
 */
export function tcpDataQueueOfo(k: Kernel, sk: TcpSock, seg: OfoSkb): void {
  mibInc(k, 'TCPOFOQueue');
  const { seq, end } = seg;
  if (sk.outOfOrderQueue === NO_OFO) sk.outOfOrderQueue = [];
  const q = sk.outOfOrderQueue;
  // find the first queued skb that does not end before seq
  let i = 0;
  while (i < q.length && !after(q[i].end, seq)) i++;
  let added = true;
  if (i < q.length && !before(seq, q[i].seq) && !after(end, q[i].end)) {
    // "All the bits are present. Drop."
    mibInc(k, 'TCPOFOMerge');
    tcpDsackSet(k, sk, seq, end);
    added = false;
  } else {
    sk.rmemExtra += seg.data.length + seg.extra;
    const cur: OfoSkb = { seq: seq | 0, end: end | 0, data: seg.data, fin: seg.fin, extra: seg.extra };
    if (i < q.length && after(seq, q[i].seq)) {
      // partial overlap with the one before: D-SACK what it holds, it takes our new tail
      tcpDsackSet(k, sk, seq, q[i].end);
      absorb(q[i], cur, (q[i].end - seq) | 0);
    } else {
      q.splice(i, 0, cur);
      // tcp_ooo_try_coalesce() onto a queued skb that ends where this one starts
      if (i > 0 && q[i - 1].end === seq && !q[i - 1].fin) {
        absorb(q[i - 1], cur, 0);
        q.splice(i--, 1);
      }
    }
    mergeRight(k, sk, q, i);
  }
  if (sk.sackOk) tcpSackNewOfoSkb(sk, seq, end);
  // do not grow rcvbuf for not-yet-accepted or orphaned sockets (tcp_rcvbuf_grow(sk, rcvq_space.space), 63ad7dfedfae)
  if (added && k.profile.name !== 'linux-4.4' && !sk.parent && !sk.dead) tcpRcvbufGrow(k, sk, sk.rcvSpace);
}

/** merge_right: queued skbs that q[i] covers go (D-SACKed); one it reaches into is D-SACKed in part, or joined. */
function mergeRight(k: Kernel, sk: TcpSock, q: OfoSkb[], i: number): void {
  const cur = q[i];
  while (i + 1 < q.length) {
    const next = q[i + 1];
    if (!after(cur.end, next.seq)) break;
    if (before(cur.end, next.end)) {
      tcpDsackExtend(k, sk, next.seq, cur.end);
      // the model keeps the queue disjoint: the rest of next joins cur
      absorb(cur, next, (cur.end - next.seq) | 0);
      q.splice(i + 1, 1);
      break;
    }
    q.splice(i + 1, 1);
    sk.rmemExtra -= next.data.length + next.extra;
    tcpDsackExtend(k, sk, next.seq, next.end);
    mibInc(k, 'TCPOFOMerge');
  }
  if (i + 1 < q.length && cur.end === q[i + 1].seq && !cur.fin) {
    absorb(cur, q[i + 1], 0);
    q.splice(i + 1, 1);
  }
}

/**
 * tcp_ofo_queue(): queued segments that rcv_nxt has reached move to the receive queue; the part
 * already received is D-SACKed (to the segment's end on 6.18, a041f70e573e; to the old rcv_nxt
 * on 4.4). Returns whether a FIN came with them (the caller runs tcp_fin()).
 */
export function tcpOfoQueue(k: Kernel, sk: TcpSock): boolean {
  const q = sk.outOfOrderQueue;
  let dsackHigh = sk.rcvNxt;
  let n = 0;
  let fin = false;
  for (; n < q.length; n++) {
    const s = q[n];
    if (after(s.seq, sk.rcvNxt)) break;
    if (before(s.seq, dsackHigh)) {
      let dsack = dsackHigh;
      if (before(s.end, dsackHigh)) {
        if (k.profile.name === 'linux-4.4') dsackHigh = s.end;
        else dsack = s.end;
      }
      tcpDsackExtend(k, sk, s.seq, dsack);
    }
    sk.rmemExtra -= s.data.length + s.extra;
    if (!after(s.end, sk.rcvNxt)) continue; // already received: dropped
    const dup = Math.max(0, (sk.rcvNxt - s.seq) | 0);
    const payload = s.data.subarray(dup);
    if (payload.length) {
      tcpChargeSkb(sk, payload, s.extra + dup);
    }
    tcpRcvNxtUpdate(sk, s.end);
    if (s.fin) {
      fin = true;
      n++;
      break;
    }
  }
  if (n === q.length) sk.outOfOrderQueue = NO_OFO;
  else q.splice(0, n);
  return fin;
}
