import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { readPcap } from '../../src/render/pcap.ts';
import {
  renderTcpdumpRead, tcpdumpListeningBanner, tcpdumpReadingBanner, tcpdumpStopSummary, tcpdumpTime,
} from '../../src/render/tcpdump.ts';

const REC = '/work/shared/recordings/linux-6.18/seed-collision';

describe('tcpdump -nn -r', () => {
  const frames = readPcap(new Uint8Array(readFileSync(`${REC}/capture.pcap`)));

  it('reproduces the recorded tcpdump.txt byte for byte (4.99.3, UTC)', () => {
    const want = readFileSync(`${REC}/tcpdump.txt`, 'utf8');
    expect(renderTcpdumpRead(frames, { version: '4.99', numeric: true, tz: 'UTC' })).toBe(want);
    expect(renderTcpdumpRead(frames, { version: '4.7', numeric: true, tz: 0 })).toBe(want);
  });

  it('relative numbering: challenge ACK relative to the old entry, RST and new SYN absolute', () => {
    const lines = renderTcpdumpRead(frames, { version: '4.99', numeric: true }).split('\n');
    expect(lines[6]).toContain('Flags [.], ack 2,');
    expect(lines[7]).toContain(`Flags [R], seq ${frames[7].seg.seq},`);
    expect(lines[9]).toContain(`seq ${frames[9].seg.seq}, ack ${frames[9].seg.ack},`);
    expect(lines[10]).toContain('Flags [.], ack 1,');
  });

  it('time zones are explicit offsets', () => {
    expect(tcpdumpTime(frames[0].realtimeNs, 8 * 3600)).toBe('06:19:39.718277');
    expect(tcpdumpTime(frames[0].realtimeNs, -5 * 3600)).toBe('17:19:39.718277');
  });

  it('banners and stop summary', () => {
    expect(tcpdumpListeningBanner({ version: '4.7', iface: 'lo', withW: true }))
      .toBe('tcpdump: listening on lo, link-type EN10MB (Ethernet), capture size 262144 bytes\n');
    expect(tcpdumpListeningBanner({ version: '4.99', iface: 'lo', withW: false }))
      .toBe('tcpdump: verbose output suppressed, use -v[v]... for full protocol decode\n'
        + 'listening on lo, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n');
    expect(tcpdumpListeningBanner({ version: '4.7', iface: 'lo', withW: false }))
      .toBe('tcpdump: verbose output suppressed, use -v or -vv for full protocol decode\n'
        + 'listening on lo, link-type EN10MB (Ethernet), capture size 262144 bytes\n');
    expect(tcpdumpReadingBanner({ version: '4.99', file: 'x.pcap' }))
      .toBe('reading from file x.pcap, link-type EN10MB (Ethernet), snapshot length 262144\n');
    expect(tcpdumpReadingBanner({ version: '4.7', file: 'x.pcap' }))
      .toBe('reading from file x.pcap, link-type EN10MB (Ethernet)\n');
    expect(tcpdumpStopSummary({ captured: 13, receivedByFilter: 26, droppedByKernel: 0 }))
      .toBe('13 packets captured\n26 packets received by filter\n0 packets dropped by kernel\n');
    expect(tcpdumpStopSummary({ captured: 1, receivedByFilter: 1, droppedByKernel: 1, droppedByInterface: 1 }))
      .toBe('1 packet captured\n1 packet received by filter\n1 packet dropped by kernel\n1 packet dropped by interface\n');
  });
});
