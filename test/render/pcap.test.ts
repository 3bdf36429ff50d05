import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { readPcap, writePcap } from '../../src/render/pcap.ts';
import { TH_RST, TH_SYN } from '../../src/model/types.ts';

const REC = '/work/shared/recordings/linux-6.18/seed-collision';

describe('pcap', () => {
  const bytes = new Uint8Array(readFileSync(`${REC}/capture.pcap`));

  it('reads the real linux-6.18 capture', () => {
    const frames = readPcap(bytes);
    expect(frames).toHaveLength(13);
    expect(frames[0].seg.flags).toBe(TH_SYN);
    expect(frames[0].seg.seq).toBe(4022035446);
    expect(frames[0].seg.options.map((o) => o.kind)).toEqual(['mss', 'sackOK', 'ts', 'nop', 'wscale']);
    expect(frames.map((f) => f.seg.csum)).toEqual(frames.map((f) => (f.seg.flags === TH_RST ? 'full' : 'partial')));
    expect(frames[7].seg.ipId).toBe(0);
    expect(frames[1].seg.ipId).toBe(0);
  });

  it('round-trips the real capture byte for byte', () => {
    const out = writePcap(readPcap(bytes));
    expect(Buffer.from(out).equals(Buffer.from(bytes))).toBe(true);
  });

  it('checksums: correct makes every TCP checksum verify', () => {
    const frames = readPcap(writePcap(readPcap(bytes), { checksums: 'correct' }));
    expect(frames.every((f) => f.seg.csum === 'full')).toBe(true);
  });
});
