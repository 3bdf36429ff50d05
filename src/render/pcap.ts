/**
 * Classic libpcap files (DLT_EN10MB) as tcpdump -w writes them on lo:
 * little-endian magic 0xa1b2c3d4, version 2.4, snaplen 262144, microsecond timestamps.
 * Each frame: 14-byte Ethernet header (zero MACs, type 0x0800), IPv4 header, TCP header
 * with options in the given order, payload.
 *
 * Pure: no Node APIs.
 */
import type { CapturedFrame, Segment } from '../model/types.ts';
import {
  ETH_HLEN, IP_HLEN, IPPROTO_TCP, TCP_HLEN, decodeOptions, encodeOptions, get16, get32, ipHeaderChecksum,
  put16, put32, realtimeToTimeval, tcpChecksum, tcpPartialChecksum,
} from './inet.ts';

export const PCAP_MAGIC = 0xa1b2c3d4;
export const PCAP_SNAPLEN = 262144;
export const LINKTYPE_ETHERNET = 1;

export interface WritePcapOptions {
  snaplen?: number;
  /** 'as-captured' (default): each segment's csum kind; 'correct': correct TCP checksums everywhere. */
  checksums?: 'as-captured' | 'correct';
}

/** Encode one segment as an Ethernet frame (the bytes tcpdump's packet socket sees on lo). */
export function encodeFrame(seg: Segment, checksums: 'as-captured' | 'correct' = 'as-captured'): Uint8Array {
  const opts = encodeOptions(seg.options);
  const tcpLen = TCP_HLEN + opts.length + seg.payload.length;
  const ipLen = IP_HLEN + tcpLen;
  const b = new Uint8Array(ETH_HLEN + ipLen);
  // Ethernet: dst, src all zero; ethertype IPv4
  put16(b, 12, 0x0800);
  const ip = ETH_HLEN;
  b[ip] = 0x45;
  b[ip + 1] = seg.tos & 255;
  put16(b, ip + 2, ipLen);
  put16(b, ip + 4, seg.ipId & 0xffff);
  put16(b, ip + 6, seg.df ? 0x4000 : 0);
  b[ip + 8] = seg.ttl & 255;
  b[ip + 9] = IPPROTO_TCP;
  put32(b, ip + 12, seg.saddr);
  put32(b, ip + 16, seg.daddr);
  put16(b, ip + 10, ipHeaderChecksum(b, ip));
  const t = ip + IP_HLEN;
  put16(b, t, seg.sport);
  put16(b, t + 2, seg.dport);
  put32(b, t + 4, seg.seq);
  put32(b, t + 8, seg.ack);
  const doff = (TCP_HLEN + opts.length) / 4;
  b[t + 12] = doff << 4;
  b[t + 13] = seg.flags & 255;
  put16(b, t + 14, seg.window & 0xffff);
  put16(b, t + 18, seg.urgent & 0xffff);
  b.set(opts, t + TCP_HLEN);
  b.set(seg.payload, t + TCP_HLEN + opts.length);
  const csum = checksums === 'correct' || seg.csum === 'full'
    ? tcpChecksum(seg.saddr, seg.daddr, b, t, tcpLen)
    : tcpPartialChecksum(seg.saddr, seg.daddr, tcpLen);
  put16(b, t + 16, csum);
  return b;
}

function putLE32(b: Uint8Array, p: number, v: number): void {
  b[p] = v & 255; b[p + 1] = (v >>> 8) & 255; b[p + 2] = (v >>> 16) & 255; b[p + 3] = (v >>> 24) & 255;
}
function getLE32(b: Uint8Array, p: number): number {
  return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
}

export function writePcap(frames: CapturedFrame[], opts: WritePcapOptions = {}): Uint8Array {
  const snaplen = opts.snaplen ?? PCAP_SNAPLEN;
  const checksums = opts.checksums ?? 'as-captured';
  const encoded = frames.map((f) => encodeFrame(f.seg, checksums));
  const total = 24 + encoded.reduce((n, e) => n + 16 + Math.min(e.length, snaplen), 0);
  const out = new Uint8Array(total);
  putLE32(out, 0, PCAP_MAGIC);
  out[4] = 2; out[5] = 0; out[6] = 4; out[7] = 0; // version 2.4
  // thiszone, sigfigs = 0
  putLE32(out, 16, snaplen);
  putLE32(out, 20, LINKTYPE_ETHERNET);
  let p = 24;
  frames.forEach((f, i) => {
    const e = encoded[i];
    const { sec, usec } = realtimeToTimeval(f.realtimeNs);
    const incl = Math.min(e.length, snaplen);
    putLE32(out, p, sec);
    putLE32(out, p + 4, usec);
    putLE32(out, p + 8, incl);
    putLE32(out, p + 12, e.length);
    out.set(e.subarray(0, incl), p + 16);
    p += 16 + incl;
  });
  return out;
}

export interface PcapRecord {
  sec: number;
  usec: number;
  origLen: number;
  data: Uint8Array;
}

/** Parse the record layer of a classic pcap file (either byte order, microsecond resolution). */
export function readPcapRecords(bytes: Uint8Array): { snaplen: number; linktype: number; records: PcapRecord[] } {
  if (bytes.length < 24) throw new Error('pcap: file too short');
  const magicLE = getLE32(bytes, 0);
  let rd: (p: number) => number;
  if (magicLE === PCAP_MAGIC) rd = (p) => getLE32(bytes, p);
  else if (get32(bytes, 0) === PCAP_MAGIC) rd = (p) => get32(bytes, p);
  else throw new Error(`pcap: unsupported magic 0x${magicLE.toString(16)}`);
  const snaplen = rd(16);
  const linktype = rd(20);
  const records: PcapRecord[] = [];
  let p = 24;
  while (p + 16 <= bytes.length) {
    const sec = rd(p), usec = rd(p + 4), incl = rd(p + 8), origLen = rd(p + 12);
    if (p + 16 + incl > bytes.length) throw new Error(`pcap: truncated record at offset ${p}`);
    records.push({ sec, usec, origLen, data: bytes.subarray(p + 16, p + 16 + incl) });
    p += 16 + incl;
  }
  return { snaplen, linktype, records };
}

/** Parse an Ethernet/IPv4/TCP frame back into a Segment (id = index given). */
export function decodeFrame(data: Uint8Array, id: number): Segment {
  if (get16(data, 12) !== 0x0800) throw new Error(`frame ${id + 1}: not IPv4`);
  const ip = ETH_HLEN;
  const ihl = (data[ip] & 15) * 4;
  if (data[ip] >> 4 !== 4 || ihl !== IP_HLEN) throw new Error(`frame ${id + 1}: unsupported IP header`);
  if (data[ip + 9] !== IPPROTO_TCP) throw new Error(`frame ${id + 1}: not TCP`);
  const ipLen = get16(data, ip + 2);
  const t = ip + ihl;
  const doff = (data[t + 12] >> 4) * 4;
  const tcpLen = ipLen - ihl;
  const saddr = get32(data, ip + 12), daddr = get32(data, ip + 16);
  const wireCsum = get16(data, t + 16);
  const csum: Segment['csum'] = wireCsum === tcpChecksum(saddr, daddr, data, t, tcpLen) ? 'full' : 'partial';
  return {
    id,
    saddr, daddr,
    sport: get16(data, t), dport: get16(data, t + 2),
    seq: get32(data, t + 4), ack: get32(data, t + 8),
    flags: data[t + 13],
    window: get16(data, t + 14),
    urgent: get16(data, t + 18),
    options: decodeOptions(data, t + TCP_HLEN, doff - TCP_HLEN),
    payload: data.slice(t + doff, ip + ipLen),
    ipId: get16(data, ip + 4),
    ttl: data[ip + 8],
    df: (get16(data, ip + 6) & 0x4000) !== 0,
    tos: data[ip + 1],
    csum,
  };
}

/** Read a pcap of Ethernet/IPv4/TCP frames into CapturedFrames (realtimeNs = sec*1e9 + usec*1000). */
export function readPcap(bytes: Uint8Array): CapturedFrame[] {
  const { linktype, records } = readPcapRecords(bytes);
  if (linktype !== LINKTYPE_ETHERNET) throw new Error(`pcap: unsupported linktype ${linktype}`);
  return records.map((r, i) => ({ realtimeNs: r.sec * 1e9 + r.usec * 1000, seg: decodeFrame(r.data, i) }));
}
