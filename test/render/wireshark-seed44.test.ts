/**
 * A synthetic Linux-4.4-style seed collision (the blog's 13 frames) written to a pcap and read
 * back by the REAL tshark and tcpdump, plus the analyser's 2.x view against the blog's
 * "Frame 6..10" facts.
 */
import { describe, expect, it } from 'vitest';
import type { CapturedFrame, Segment, TcpOption } from '../../src/model/types.ts';
import { TH_ACK, TH_FIN, TH_RST, TH_SYN } from '../../src/model/types.ts';
import { LOOPBACK } from '../../src/model/seq.ts';
import { readPcap, readPcapRecords, writePcap } from '../../src/render/pcap.ts';
import { renderTcpdumpRead } from '../../src/render/tcpdump.ts';
import {
  analyzeTcp, renderFrameDetail, renderTsharkSummary, renderTsharkVerbose, BLOG_2X_DETAIL,
  TCP_A_ACK_LOST_PACKET, TCP_A_REUSED_PORTS, TCP_A_RETRANSMISSION, TCP_A_LOST_PACKET,
} from '../../src/render/wireshark.ts';
import { itWithTools, tcpdumpRead, tsharkRead, withTempFile } from '../helpers/tools.ts';

const u32 = (x: number): number => x >>> 0;
const US = 1000; // ns
const S = 1_000_000_000;

/** Build the 4.4-style frames. Times are µs-aligned realtime ns. */
export function seedCollision44(): { frames: CapturedFrame[]; A: number; B: number; A2: number; B2: number } {
  const base = 1_500_000_000 * S; // 2017-07-14T02:40:00Z
  const CPORT = 39836, SPORT = 12345;
  const A = 2_981_234_567; // old client ISN
  const B = 1_234_567_890; // old server ISN
  // Δt chosen like the blog's capture (~226.85 s): the new ISNs land "behind" the old ones.
  // times in integer microseconds after `base`, converted once (realtimeNs keeps ~256 ns precision)
  const t1 = 0;
  const t2 = t1 + 8;
  const t3 = t2 + 7;
  const t4 = t3 + 3_120_517;
  const t5 = t4 + 4_012; // delayed ACK (1 jiffy)
  const t6 = t1 + 226_847_824;
  const t7 = t6 + 8; // challenge ACK
  const t8 = t7 + 8; // RST
  const t9 = t8 + 996_552; // SYN re-sent after the full initial RTO
  const t10 = t9 + 19;
  const t11 = t10 + 11;
  const t12 = t11 + 5_002_345;
  const t13 = t12 + 4_001;
  const A2 = u32(A + Math.floor(((t6 - t1) * 1000) / 64));
  const B2 = u32(B + Math.floor(((t10 - t2) * 1000) / 64));
  const jif = (t: number): number => u32(Math.floor(t / 4000) + 4_294_892_296 + 1234);
  const T = (t: number): number => base + t * US;
  const synOpts = (t: number, ecr: number): TcpOption[] => [
    { kind: 'mss', value: 65495 }, { kind: 'sackOK' }, { kind: 'ts', val: jif(t), ecr }, { kind: 'nop' }, { kind: 'wscale', shift: 7 },
  ];
  const tsOpts = (t: number, ecr: number): TcpOption[] => [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'ts', val: jif(t), ecr }];
  let id = 0;
  const seg = (p: Partial<Segment> & Pick<Segment, 'sport' | 'dport' | 'seq' | 'ack' | 'flags' | 'window' | 'options' | 'ipId'>): Segment => ({
    id: id++, saddr: LOOPBACK, daddr: LOOPBACK, urgent: 0, payload: new Uint8Array(0), ttl: 64, df: true, tos: 0, csum: 'partial', ...p,
  });
  const c = { sport: CPORT, dport: SPORT };
  const s = { sport: SPORT, dport: CPORT };
  const cid = 0x6a31;
  const sid = 0x1b22;
  const frames: CapturedFrame[] = [
    { realtimeNs: T(t1), seg: seg({ ...c, seq: A, ack: 0, flags: TH_SYN, window: 43690, options: synOpts(t1, 0), ipId: cid }) },
    { realtimeNs: T(t2), seg: seg({ ...s, seq: B, ack: u32(A + 1), flags: TH_SYN | TH_ACK, window: 43690, options: synOpts(t2, jif(t1)), ipId: 0 }) },
    { realtimeNs: T(t3), seg: seg({ ...c, seq: u32(A + 1), ack: u32(B + 1), flags: TH_ACK, window: 342, options: tsOpts(t3, jif(t2)), ipId: cid + 1 }) },
    { realtimeNs: T(t4), seg: seg({ ...c, seq: u32(A + 1), ack: u32(B + 1), flags: TH_FIN | TH_ACK, window: 342, options: tsOpts(t4, jif(t2)), ipId: cid + 2 }) },
    { realtimeNs: T(t5), seg: seg({ ...s, seq: u32(B + 1), ack: u32(A + 2), flags: TH_ACK, window: 342, options: tsOpts(t5, jif(t4)), ipId: sid }) },
    { realtimeNs: T(t6), seg: seg({ ...c, seq: A2, ack: 0, flags: TH_SYN, window: 43690, options: synOpts(t6, 0), ipId: 0x2c4d }) },
    { realtimeNs: T(t7), seg: seg({ ...s, seq: u32(B + 1), ack: u32(A + 2), flags: TH_ACK, window: 342, options: tsOpts(t7, jif(t4)), ipId: sid + 1 }) },
    { realtimeNs: T(t8), seg: seg({ ...c, seq: u32(A + 2), ack: 0, flags: TH_RST, window: 0, options: [], ipId: 0, csum: 'full' }) },
    { realtimeNs: T(t9), seg: seg({ ...c, seq: A2, ack: 0, flags: TH_SYN, window: 43690, options: synOpts(t9, 0), ipId: 0x2c4d }) },
    { realtimeNs: T(t10), seg: seg({ ...s, seq: B2, ack: u32(A2 + 1), flags: TH_SYN | TH_ACK, window: 43690, options: synOpts(t10, jif(t9)), ipId: 0 }) },
    { realtimeNs: T(t11), seg: seg({ ...c, seq: u32(A2 + 1), ack: u32(B2 + 1), flags: TH_ACK, window: 342, options: tsOpts(t11, jif(t10)), ipId: 0x2c4e }) },
    { realtimeNs: T(t12), seg: seg({ ...c, seq: u32(A2 + 1), ack: u32(B2 + 1), flags: TH_FIN | TH_ACK, window: 342, options: tsOpts(t12, jif(t10)), ipId: 0x2c4f }) },
    { realtimeNs: T(t13), seg: seg({ ...s, seq: u32(B2 + 1), ack: u32(A2 + 2), flags: TH_ACK, window: 342, options: tsOpts(t13, jif(t12)), ipId: 0x3e01 }) },
  ];
  return { frames, A, B, A2, B2 };
}

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');

describe('synthetic Linux 4.4 seed collision', () => {
  const { frames, A, B, A2, B2 } = seedCollision44();
  const pcap = writePcap(frames);
  const us = (i: number): number => Math.round(frames[i - 1].realtimeNs / 1000);

  it('frame sizes and round trip', () => {
    expect(readPcap(pcap).map((f) => f.seg)).toEqual(frames.map((f) => f.seg));
    expect(Buffer.from(writePcap(readPcap(pcap))).equals(Buffer.from(pcap))).toBe(true);
  });

  it('Wireshark 2.x analysis yields the blog\'s Frame 6-10 facts', () => {
    const an = analyzeTcp(frames, { version: '2.x' });
    const f = (n: number) => an.frames[n - 1];
    expect(f(6).stream).toBe(1);
    expect(f(6).flags & TCP_A_REUSED_PORTS).toBeTruthy();
    // frame 7: the challenge ACK, relative ack = ((A+2) - A2) mod 2^32, ACKed unseen
    expect(f(7).ack).toBe(u32(A + 2 - A2));
    expect(f(7).seq).toBe(1);
    expect(f(7).flags).toBe(TCP_A_ACK_LOST_PACKET);
    // iRTT = t7 - t6
    expect(an.conversations[1].iRttUs).toBe(us(7) - us(6));
    // frame 8: RST, relative seq the same huge number, scaling factor 128 learnt from frame 6
    expect(f(8).seq).toBe(u32(A + 2 - A2));
    expect(f(8).hasTa).toBe(false);
    expect(f(8).winScale).toBe(7);
    // frame 9: retransmission, RTO = t9 - t8, based on frame 8
    expect(f(9).flags).toBe(TCP_A_RETRANSMISSION);
    expect(f(9).rtoUs).toBe(us(9) - us(8));
    expect(f(9).rtoFrame).toBe(8);
    // frame 10: Seq = B2 - B (2.x keeps the base), reused ports + retransmission based on frame 7, ACK to frame 9
    expect(f(10).seq).toBe(u32(B2 - B));
    expect(f(10).ack).toBe(1);
    expect(f(10).flags).toBe(TCP_A_REUSED_PORTS | TCP_A_RETRANSMISSION);
    expect(f(10).rtoFrame).toBe(7);
    expect(f(10).rtoUs).toBe(us(10) - us(7));
    expect(f(10).ackedFrame).toBe(9);
    expect(f(10).ackRttUs).toBe(us(10) - us(9));
    expect(f(10).flags & TCP_A_LOST_PACKET).toBe(0);
  });

  it('2.x frame detail reproduces the blog\'s text blocks', () => {
    const an = analyzeTcp(frames, { version: '2.x' });
    const d = (n: number) => renderFrameDetail(frames[n - 1], an, BLOG_2X_DETAIL);
    const rel7 = u32(A + 2 - A2);
    const raw = readPcapRecords(pcap).records[7].data;
    const rstCsum = (raw[14 + 20 + 16] << 8) | raw[14 + 20 + 17];
    expect(d(8).split('\n')).toEqual([
      'Frame 8: 54 bytes on wire (432 bits), 54 bytes captured (432 bits)',
      'Ethernet II, Src: 00:00:00_00:00:00 (00:00:00:00:00:00), Dst: 00:00:00_00:00:00 (00:00:00:00:00:00)',
      'Internet Protocol Version 4, Src: 127.0.0.1, Dst: 127.0.0.1',
      `Transmission Control Protocol, Src Port: 39836, Dst Port: 12345, Seq: ${rel7}, Len: 0`,
      '    Source Port: 39836',
      '    Destination Port: 12345',
      '    [Stream index: 1]',
      '    [TCP Segment Len: 0]',
      `    Sequence number: ${rel7}    (relative sequence number)`,
      '    Acknowledgment number: 0',
      '    0101 .... = Header Length: 20 bytes (5)',
      '    Flags: 0x004 (RST)',
      '    Window size value: 0',
      '    [Calculated window size: 0]',
      '    [Window size scaling factor: 128]',
      `    Checksum: 0x${rstCsum.toString(16).padStart(4, '0')} [unverified]`,
      '    [Checksum Status: Unverified]',
      '    Urgent pointer: 0',
      '',
    ]);
    const t = d(10).split('\n');
    expect(t[3]).toBe(`Transmission Control Protocol, Src Port: 12345, Dst Port: 39836, Seq: ${u32(B2 - B)}, Ack: 1, Len: 0`);
    const sa = t.slice(t.indexOf('    [SEQ/ACK analysis]'));
    expect(sa.slice(0, 8)).toEqual([
      '    [SEQ/ACK analysis]',
      '        [This is an ACK to the segment in frame: 9]',
      '        [The RTT to ACK the segment was: 0.000019000 seconds]',
      '        [iRTT: 0.000008000 seconds]',
      '        [TCP Analysis Flags]',
      '            [Expert Info (Note/Sequence): A new tcp session is started with the same ports as an earlier session in this trace]',
      '            [Expert Info (Note/Sequence): This frame is a (suspected) retransmission]',
      '            [The RTO for this segment was: 0.996579000 seconds]',
    ]);
    expect(sa[8]).toBe('            [RTO based on delta from frame: 7]');
    const t9 = d(9).split('\n');
    expect(t9.slice(t9.indexOf('    [SEQ/ACK analysis]'))).toEqual([
      '    [SEQ/ACK analysis]',
      '        [iRTT: 0.000008000 seconds]',
      '        [TCP Analysis Flags]',
      '            [Expert Info (Note/Sequence): This frame is a (suspected) retransmission]',
      '            [The RTO for this segment was: 0.996552000 seconds]',
      '            [RTO based on delta from frame: 8]',
      '',
    ]);
    const t6 = d(6).split('\n');
    expect(t6[3]).toBe('Transmission Control Protocol, Src Port: 39836, Dst Port: 12345, Seq: 0, Len: 0');
    expect(t6.slice(t6.indexOf('    [SEQ/ACK analysis]'))).toEqual([
      '    [SEQ/ACK analysis]',
      '        [iRTT: 0.000008000 seconds]',
      '        [TCP Analysis Flags]',
      '            [Expert Info (Note/Sequence): A new tcp session is started with the same ports as an earlier session in this trace]',
      '',
    ]);
    const t7 = d(7).split('\n');
    expect(t7[3]).toBe(`Transmission Control Protocol, Src Port: 12345, Dst Port: 39836, Seq: 1, Ack: ${rel7}, Len: 0`);
    expect(t7.slice(t7.indexOf('    [SEQ/ACK analysis]'))).toEqual([
      '    [SEQ/ACK analysis]',
      '        [iRTT: 0.000008000 seconds]',
      '        [TCP Analysis Flags]',
      '            [Expert Info (Warning/Sequence): ACKed segment that wasn\'t captured (common at capture start)]',
      '',
    ]);
  });

  itWithTools(['tshark'], 'real tshark -r reads our pcap exactly as renderTsharkSummary says', ({ tshark }) => {
    const got = withTempFile('seed44.pcap', pcap, (p) => tsharkRead(tshark, p));
    const want = renderTsharkSummary(frames, analyzeTcp(frames, { version: '4.0' }));
    expect(lines(want)).toEqual(lines(got));
    expect(want).toBe(got);
  });

  itWithTools(['tshark'], 'real tshark -r -V -O tcp reads our pcap exactly as renderTsharkVerbose says', ({ tshark }) => {
    const got = withTempFile('seed44.pcap', pcap, (p) => tsharkRead(tshark, p, ['-V', '-O', 'tcp']));
    const want = renderTsharkVerbose(frames, analyzeTcp(frames, { version: '4.0' }));
    expect(want.split('\n')).toEqual(got.split('\n'));
  });

  itWithTools(['tcpdump'], 'real tcpdump -nn -r reads our pcap exactly as renderTcpdumpRead says', ({ tcpdump }) => {
    const got = withTempFile('seed44.pcap', pcap, (p) => tcpdumpRead(tcpdump, p));
    const want = renderTcpdumpRead(frames, { version: '4.99', numeric: true, tz: 'UTC' });
    expect(lines(want)).toEqual(lines(got));
    expect(want).toBe(got);
  });

  itWithTools(['tshark'], 'real tshark agrees on checksums: partial ones are flagged, the RST is correct', ({ tshark }) => {
    const got = withTempFile('seed44.pcap', pcap, (p) => tsharkRead(tshark, p,
      ['-o', 'tcp.check_checksum:TRUE', '-T', 'fields', '-e', 'tcp.checksum.status']));
    expect(lines(got)).toEqual(frames.map((f) => (f.seg.csum === 'full' ? '1' : '0')));
  });
});
