/**
 * net/core/skbuff.c (Linux 4.4 and 6.18): a segment's allocation and its end (kfree_skb).
 *
 * Deliberate differences: a segment is a plain object of header fields and payload (no
 * buffer, no headroom, no clones); kfree_skb() only recycles SYNs in an unobserved run (see
 * kfreeSkb), which is the model's own allocation shortcut, not the kernel's slab cache.
 */
import type { Kernel } from './kernel.ts';
import { TH_SYN, type Segment, type TcpOption } from './types.ts';

/** The empty payload every segment without data shares. */
export const EMPTY = new Uint8Array(0);

/** ArrayBuffers skbAppendData() allocated: the model's own, which an skb's bytes may grow into. */
const ownBuffers = new WeakSet<ArrayBuffer>();

/**
 * The copy of tcp_sendmsg_locked() into the unsent tail skb (skb_copy_to_page_nocache() adds a
 * page fragment and leaves the skb's earlier bytes where they are): `data` with `chunk`
 * appended. The first append copies the skb's bytes into a buffer of the model's own of `cap`
 * bytes (the skb's size goal); later ones copy only the new bytes into the room after them, so
 * filling an skb copies each byte once instead of once per append (tcpQueueData() into the tail
 * skb, tcpGrowSkb() into the skb at the send head). Growing in place is safe: only an unsent skb
 * grows, a buffer's views follow the sequence space, so those before the skb are the parts
 * tcp_fragment() split off (sent or not), and the one right after it, if any, is the next skb
 * continuing it, which the first case turns into a wider view without writing a byte.
 */
export function skbAppendData(data: Uint8Array, chunk: Uint8Array, cap: number): Uint8Array {
  const len = data.length;
  const end = data.byteOffset + len;
  const buf = data.buffer as ArrayBuffer;
  // the next bytes of the same program buffer (a write that resumes after waiting for memory, its
  // tail skb the unsent rest of one tcp_fragment() split): the skb references them too, no copy
  if (chunk.buffer === buf && chunk.byteOffset === end) return new Uint8Array(buf, data.byteOffset, len + chunk.length);
  if (end + chunk.length <= buf.byteLength && ownBuffers.has(buf)) {
    const grown = new Uint8Array(buf, data.byteOffset, len + chunk.length);
    grown.set(chunk, len);
    return grown;
  }
  const own = new ArrayBuffer(Math.max(cap, len + chunk.length));
  ownBuffers.add(own);
  const grown = new Uint8Array(own, 0, len + chunk.length);
  grown.set(data);
  grown.set(chunk, len);
  return grown;
}

/**
 * The pool of SYNs freed by kfreeSkb(), for tcpSendSyn() to refill (Kernel.skbPool): a SYN
 * flood against a full accept queue (the bench) then allocates nothing per segment. Only used
 * while nobody can hold a segment (no trace, no listener, no capture, no xmit hook).
 * The pool never holds more SYNs than were once in flight together: on 4.8+ the timer
 * wheel's coarse levels fire the retransmit timers of thousands of SYN-SENT sockets in one
 * tick (a 32 s timeout has a granule of 512 jiffies), so a burst can be that large.
 */
const SKB_POOL_MAX = 1 << 16;

/** A segment from its fields (every segment has the same shape, in this key order). */
export function newSeg(k: Kernel, saddr: number, daddr: number, sport: number, dport: number, seq: number, ack: number, flags: number, window: number, options: TcpOption[], payload: Uint8Array, ipId: number, csum: 'partial' | 'full'): Segment {
  // a socket's sequence numbers are signed 32-bit (see TcpSock): a segment's must be unsigned
  if (seq >>> 0 !== seq || ack >>> 0 !== ack) throw new Error(`segment seq/ack must be unsigned 32-bit, got ${seq}/${ack}`);
  return {
    id: k.nextSegId++,
    saddr,
    daddr,
    sport,
    dport,
    seq,
    ack,
    flags,
    window,
    urgent: 0,
    options,
    payload,
    ipId,
    ttl: 64,
    df: true,
    tos: 0,
    csum,
  };
}

/** newSeg() with named fields. */
export function mkSeg(k: Kernel, p: Omit<Segment, 'id' | 'urgent' | 'payload' | 'ttl' | 'df' | 'tos'> & { payload?: Uint8Array }): Segment {
  return newSeg(k, p.saddr, p.daddr, p.sport, p.dport, p.seq, p.ack, p.flags, p.window, p.options, p.payload ?? EMPTY, p.ipId, p.csum);
}

/**
 * kfree_skb() at a drop that ends a segment's life. When no trace, capture or hook may have
 * kept a reference, a SYN goes back to skbPool to be reused (its id, fields and the TS
 * option are all rewritten); otherwise it is left to the garbage collector, as every other
 * segment is.
 */
export function kfreeSkb(k: Kernel, skb: Segment): void {
  if (skb.flags !== TH_SYN || k.sim.observed || k.taps.size || k.xmitHooks.length || k.skbPool.length >= SKB_POOL_MAX) return;
  k.skbPool.push(skb);
}
