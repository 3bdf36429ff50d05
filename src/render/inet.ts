/**
 * Internet helpers shared by the wire-format renderers: one's-complement sums,
 * the IPv4 header checksum, the TCP checksum (full and CHECKSUM_PARTIAL forms),
 * TCP option encoding, and CLOCK_REALTIME -> (sec, usec) conversion.
 *
 * Pure: no Node APIs.
 */
import { optionLength, tcpHeaderLength, type Ip4, type Segment, type TcpOption } from '../model/types.ts';

// the lengths live with the segment type in the model (lo's GSO size check uses them too)
export { optionLength, tcpHeaderLength };

export const ETH_HLEN = 14;
export const IP_HLEN = 20;
export const TCP_HLEN = 20;
export const IPPROTO_TCP = 6;

/** Sum 16-bit big-endian words of `bytes[off, off+len)` into `acc` (not folded). */
export function sum16(bytes: Uint8Array, off: number, len: number, acc = 0): number {
  let s = acc;
  let i = off;
  const end = off + len;
  for (; i + 1 < end; i += 2) s += (bytes[i] << 8) | bytes[i + 1];
  if (i < end) s += bytes[i] << 8;
  return s;
}

/** Fold a 32-bit+ accumulator to 16 bits (end-around carry). */
export function fold16(s: number): number {
  let x = s;
  while (x > 0xffff) x = (x & 0xffff) + Math.floor(x / 0x10000);
  return x;
}

/** Folded TCP/IPv4 pseudo-header sum (saddr, daddr, zero+proto, TCP length). */
export function pseudoHeaderSum(saddr: Ip4, daddr: Ip4, tcpLen: number): number {
  const s = (saddr >>> 16) + (saddr & 0xffff) + (daddr >>> 16) + (daddr & 0xffff) + IPPROTO_TCP + tcpLen;
  return fold16(s);
}

/** IPv4 header checksum over `bytes[off, off+20)` with the checksum field treated as zero. */
export function ipHeaderChecksum(bytes: Uint8Array, off: number, hlen = IP_HLEN): number {
  let s = sum16(bytes, off, hlen);
  s -= (bytes[off + 10] << 8) | bytes[off + 11];
  return ~fold16(s) & 0xffff;
}

/** Correct TCP checksum of the TCP segment at `bytes[off, off+len)` (checksum field treated as zero). */
export function tcpChecksum(saddr: Ip4, daddr: Ip4, bytes: Uint8Array, off: number, len: number): number {
  let s = sum16(bytes, off, len, pseudoHeaderSum(saddr, daddr, len));
  s -= (bytes[off + 16] << 8) | bytes[off + 17];
  const c = ~fold16(s) & 0xffff;
  return c;
}

/**
 * What a capture on lo holds for a CHECKSUM_PARTIAL segment: the folded pseudo-header
 * sum, not complemented (tcp_v4_send_check -> __tcp_v4_send_check: th->check = ~tcp_v4_check(len, s, d, 0)).
 * Verified against linux-6.18 capture.pcap (0xfe30 for a 40-byte TCP header on 127.0.0.1).
 */
export function tcpPartialChecksum(saddr: Ip4, daddr: Ip4, tcpLen: number): number {
  return pseudoHeaderSum(saddr, daddr, tcpLen);
}

/** Options encoded in order, zero-padded (EOL) to a 4-byte boundary. */
export function encodeOptions(opts: TcpOption[]): Uint8Array {
  const raw = opts.reduce((n, o) => n + optionLength(o), 0);
  const out = new Uint8Array((raw + 3) & ~3);
  let p = 0;
  for (const o of opts) {
    switch (o.kind) {
      case 'mss': out[p] = 2; out[p + 1] = 4; out[p + 2] = (o.value >>> 8) & 255; out[p + 3] = o.value & 255; p += 4; break;
      case 'sackOK': out[p] = 4; out[p + 1] = 2; p += 2; break;
      case 'ts':
        out[p] = 8; out[p + 1] = 10;
        put32(out, p + 2, o.val); put32(out, p + 6, o.ecr);
        p += 10; break;
      case 'wscale': out[p] = 3; out[p + 1] = 3; out[p + 2] = o.shift & 255; p += 3; break;
      case 'nop': out[p] = 1; p += 1; break;
      case 'eol': out[p] = 0; p += 1; break;
      case 'sack':
        out[p] = 5; out[p + 1] = 2 + 8 * o.blocks.length;
        o.blocks.forEach(([a, b], i) => { put32(out, p + 2 + 8 * i, a); put32(out, p + 6 + 8 * i, b); });
        p += 2 + 8 * o.blocks.length; break;
    }
  }
  return out;
}

/**
 * Decode TCP options. Stops at EOL (the EOL itself is kept; padding after it is
 * dropped) and at a malformed option (the rest is dropped).
 */
export function decodeOptions(b: Uint8Array, off: number, len: number): TcpOption[] {
  const out: TcpOption[] = [];
  let p = off;
  const end = off + len;
  while (p < end) {
    const kind = b[p];
    if (kind === 0) { out.push({ kind: 'eol' }); break; }
    if (kind === 1) { out.push({ kind: 'nop' }); p++; continue; }
    if (p + 1 >= end) break;
    const l = b[p + 1];
    if (l < 2 || p + l > end) break;
    if (kind === 2 && l === 4) out.push({ kind: 'mss', value: (b[p + 2] << 8) | b[p + 3] });
    else if (kind === 4 && l === 2) out.push({ kind: 'sackOK' });
    else if (kind === 8 && l === 10) out.push({ kind: 'ts', val: get32(b, p + 2), ecr: get32(b, p + 6) });
    else if (kind === 3 && l === 3) out.push({ kind: 'wscale', shift: b[p + 2] });
    else if (kind === 5 && l >= 10 && (l - 2) % 8 === 0) out.push({ kind: 'sack', blocks: Array.from({ length: (l - 2) / 8 }, (_, i) => [get32(b, p + 2 + 8 * i), get32(b, p + 6 + 8 * i)] as [number, number]) });
    else break; // unknown option: not representable in TcpOption
    p += l;
  }
  return out;
}

export function put16(b: Uint8Array, p: number, v: number): void {
  b[p] = (v >>> 8) & 255; b[p + 1] = v & 255;
}
export function put32(b: Uint8Array, p: number, v: number): void {
  b[p] = (v >>> 24) & 255; b[p + 1] = (v >>> 16) & 255; b[p + 2] = (v >>> 8) & 255; b[p + 3] = v & 255;
}
export function get16(b: Uint8Array, p: number): number {
  return (b[p] << 8) | b[p + 1];
}
export function get32(b: Uint8Array, p: number): number {
  return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}

/** Frame length on lo (Ethernet + IPv4 + TCP + payload). */
export function frameLength(seg: Segment): number {
  return ETH_HLEN + IP_HLEN + tcpHeaderLength(seg) + seg.payload.length;
}

/**
 * CLOCK_REALTIME ns -> pcap (sec, usec). realtimeNs is a double near 1.8e18, so it
 * carries only ~256 ns of precision; the +128 ns bias makes values built as
 * sec*1e9 + usec*1000 (as readPcap does) convert back to the same usec exactly.
 */
export function realtimeToTimeval(realtimeNs: number): { sec: number; usec: number } {
  let sec = Math.floor(realtimeNs / 1e9);
  let rem = realtimeNs - sec * 1e9; // exact: sec*1e9 is representable, same binade
  if (rem < 0) { sec -= 1; rem += 1e9; }
  if (rem >= 1e9) { sec += 1; rem -= 1e9; }
  let usec = Math.floor((rem + 128) / 1000);
  if (usec >= 1_000_000) { sec += 1; usec -= 1_000_000; }
  return { sec, usec };
}

/** Microseconds since the epoch as an integer (safe: ~1.8e15 < 2^53). */
export function realtimeToMicros(realtimeNs: number): number {
  const { sec, usec } = realtimeToTimeval(realtimeNs);
  return sec * 1_000_000 + usec;
}

export { ip4str } from '../model/seq.ts';
