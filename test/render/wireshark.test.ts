import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { readPcap, writePcap } from '../../src/render/pcap.ts';
import {
  analyzeTcp, completenessText, renderFrameDetail, renderTsharkSummary, renderTsharkVerbose,
  TCP_A_ACK_LOST_PACKET, TCP_A_LOST_PACKET, TCP_A_RETRANSMISSION, TCP_A_REUSED_PORTS,
} from '../../src/render/wireshark.ts';
import { itWithTools, tsharkRead, withTempFile } from '../helpers/tools.ts';

const REC = '/work/shared/recordings/linux-6.18/seed-collision';

describe('Wireshark analyser on the real linux-6.18 capture', () => {
  const frames = readPcap(new Uint8Array(readFileSync(`${REC}/capture.pcap`)));

  it('tshark -r summary equals the recorded tshark.txt (4.0.17) byte for byte', () => {
    expect(renderTsharkSummary(frames, analyzeTcp(frames, { version: '4.0' })))
      .toBe(readFileSync(`${REC}/tshark.txt`, 'utf8'));
  });

  it('tshark -r -V -O tcp equals the recorded tshark-verbose.txt byte for byte', () => {
    expect(renderTsharkVerbose(frames, analyzeTcp(frames, { version: '4.0' })))
      .toBe(readFileSync(`${REC}/tshark-verbose.txt`, 'utf8'));
  });

  it('section I3 outcomes (new ISNs ahead of the old ones)', () => {
    const an = analyzeTcp(frames, { version: '4.0' });
    const f = (n: number) => an.frames[n - 1];
    expect(an.frames.map((x) => x.stream)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(f(6).flags).toBe(TCP_A_REUSED_PORTS);
    expect(f(7).hasTa).toBe(false);
    expect(f(7).ack).toBe(3303496519);
    expect(f(9).flags).toBe(TCP_A_RETRANSMISSION);
    expect(f(9).rtoFrame).toBe(6);
    expect(f(10).flags).toBe(TCP_A_REUSED_PORTS | TCP_A_LOST_PACKET);
    expect(f(10).seq).toBe(0); // 4.0 re-bases on the SYN/ACK
    expect(f(11).flags).toBe(TCP_A_ACK_LOST_PACKET);
    expect(an.conversations[1].iRttUs).toBe(9);
    // 2.x keeps the old base: the SYN/ACK's relative Seq is newServerISN - oldServerISN
    const an2 = analyzeTcp(frames, { version: '2.x' });
    expect(an2.frames[9].seq).toBe((frames[9].seg.seq - frames[1].seg.seq) >>> 0);
  });

  it('window scaling: unknown (-1) before the SYN/ACK in a new conversation', () => {
    const an = analyzeTcp(frames, { version: '4.0' });
    const t = renderFrameDetail(frames[6], an, { version: '4.0' });
    expect(t).toContain('    [Window size scaling factor: -1 (unknown)]\n');
    expect(t).toContain('    [Calculated window size: 64]\n');
  });

  it('completeness labels', () => {
    expect(completenessText(0)).toBe('Incomplete (0)');
    expect(completenessText(31)).toBe('Complete, WITH_DATA (31)');
  });

  itWithTools(['tshark'], 'real tshark reads our re-written copy of the capture like the recording', ({ tshark }) => {
    const bytes = writePcap(frames);
    const got = withTempFile('copy.pcap', bytes, (p) => tsharkRead(tshark, p));
    expect(got).toBe(readFileSync(`${REC}/tshark.txt`, 'utf8'));
  });
});
