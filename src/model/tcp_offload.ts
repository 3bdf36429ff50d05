/**
 * net/ipv4/tcp_offload.c and the IPv4 part of GSO (inet_gso_segment(), net/ipv4/af_inet.c),
 * Linux 4.4 and 6.18: a GSO packet cut into MSS-sized segments by software, for a device that
 * does not take it whole (`ethtool -K lo gso off tso off`; see validateXmitSkb() in loopback.ts).
 *
 * Checked on Linux 6.18 in a netns (lo MTU 1500, ETHTOOL_SGSO/STSO 0, tcpdump -v): a 10,000-byte
 * send() left as 1448-byte segments, PSH only on the last of each GSO packet, IP IDs counting
 * up by one per segment across packets.
 *
 * Deliberate differences: the segments share the GSO packet's options and payload bytes (views,
 * no copy); Linux 4.4 builds MSS-sized skbs in TCP when the route has no GSO (sk_can_gso()),
 * where the model, like 4.13+ (GSO always on for TCP), cuts them in the device layer: the
 * segments on the wire are the same.
 */
import type { Kernel } from './kernel.ts';
import { newSeg } from './skbuff.ts';
import { TH_CWR, TH_FIN, TH_PSH, type Segment } from './types.ts';

/**
 * tcp_gso_segment(): `mss` bytes of payload per segment, sequence numbers advancing by it; FIN
 * and PSH only on the last segment, CWR only on the first (as tcp_gso_segment() clears them),
 * the IP ID counting up (inet_gso_segment()). A packet of at most one MSS is returned as is.
 */
export function tcpGsoSegment(k: Kernel, skb: Segment, mss: number): Segment[] {
  const len = skb.payload.length;
  if (len <= mss || mss <= 0) return [skb];
  const out: Segment[] = [];
  const p = skb.payload;
  const buf = p.buffer;
  for (let off = 0, n = 0; off < len; off += mss, n++) {
    const last = off + mss >= len;
    let flags = skb.flags;
    if (!last) flags &= ~(TH_FIN | TH_PSH);
    if (n > 0) flags &= ~TH_CWR;
    const seg = newSeg(k, skb.saddr, skb.daddr, skb.sport, skb.dport, (skb.seq + off) >>> 0, skb.ack, flags, skb.window, skb.options, new Uint8Array(buf, p.byteOffset + off, last ? len - off : mss), (skb.ipId + n) & 0xffff, skb.csum);
    seg.urgent = skb.urgent;
    seg.ttl = skb.ttl;
    seg.df = skb.df;
    seg.tos = skb.tos;
    out.push(seg);
  }
  return out;
}
