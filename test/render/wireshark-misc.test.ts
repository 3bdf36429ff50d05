/** Real tshark/tcpdump on a small hand-made exchange: data, PSH, dup ACK, window update, ECN flags, no wscale. */
import { describe, expect } from 'vitest';
import type { CapturedFrame, Segment } from '../../src/model/types.ts';
import { TH_ACK, TH_CWR, TH_ECE, TH_FIN, TH_PSH, TH_SYN } from '../../src/model/types.ts';
import { ip4 } from '../../src/model/seq.ts';
import { writePcap } from '../../src/render/pcap.ts';
import { renderTcpdumpRead } from '../../src/render/tcpdump.ts';
import { analyzeTcp, renderTsharkSummary, renderTsharkVerbose } from '../../src/render/wireshark.ts';
import { itWithTools, tcpdumpRead, tsharkRead, withTempFile } from '../helpers/tools.ts';

function exchange(): CapturedFrame[] {
  const C = ip4('10.0.0.1'), S = ip4('10.0.0.2');
  let id = 0;
  const mk = (t: number, c2s: boolean, p: Partial<Segment>): CapturedFrame => ({
    realtimeNs: (1_700_000_000_000_000 + t) * 1000,
    seg: {
      id: id++, saddr: c2s ? C : S, daddr: c2s ? S : C, sport: c2s ? 40000 : 12345, dport: c2s ? 12345 : 40000,
      seq: 0, ack: 0, flags: TH_ACK, window: 1000, urgent: 0, options: [], payload: new Uint8Array(0),
      ipId: 100 + id, ttl: 64, df: true, tos: 0, csum: 'full', ...p,
    },
  });
  const a = 1000, b = 5000;
  const data = (n: number) => new Uint8Array(n).map((_, i) => 65 + (i % 26));
  return [
    mk(0, true, { seq: a, flags: TH_SYN | TH_ECE | TH_CWR, window: 64240, options: [{ kind: 'mss', value: 1460 }, { kind: 'sackOK' }] }),
    mk(120, false, { seq: b, ack: a + 1, flags: TH_SYN | TH_ACK | TH_ECE, window: 65160, options: [{ kind: 'mss', value: 1460 }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'sackOK' }] }),
    mk(250, true, { seq: a + 1, ack: b + 1, window: 502 }),
    mk(400, true, { seq: a + 1, ack: b + 1, flags: TH_ACK | TH_PSH, window: 502, payload: data(100) }),
    mk(520, false, { seq: b + 1, ack: a + 101, window: 509 }),
    mk(600, false, { seq: b + 1, ack: a + 101, window: 509 }),
    mk(700, false, { seq: b + 1, ack: a + 101, window: 600 }),
    mk(900, false, { seq: b + 1, ack: a + 101, flags: TH_ACK | TH_PSH, window: 600, payload: data(10) }),
    mk(1000, true, { seq: a + 101, ack: b + 11, flags: TH_ACK | TH_FIN, window: 502 }),
    mk(1100, false, { seq: b + 11, ack: a + 102, flags: TH_ACK | TH_FIN, window: 600 }),
    mk(1200, true, { seq: a + 102, ack: b + 12, window: 502 }),
  ];
}

describe('hand-made exchange through the real tools', () => {
  const frames = exchange();
  const pcap = writePcap(frames);
  itWithTools(['tshark'], 'tshark -r summary', ({ tshark }) => {
    const got = withTempFile('x.pcap', pcap, (p) => tsharkRead(tshark, p));
    expect(renderTsharkSummary(frames, analyzeTcp(frames, { version: '4.0' })).split('\n')).toEqual(got.split('\n'));
  });
  itWithTools(['tshark'], 'tshark -r -V -O tcp', ({ tshark }) => {
    const got = withTempFile('x.pcap', pcap, (p) => tsharkRead(tshark, p, ['-V', '-O', 'tcp']));
    expect(renderTsharkVerbose(frames, analyzeTcp(frames, { version: '4.0' })).split('\n')).toEqual(got.split('\n'));
  });
  itWithTools(['tcpdump'], 'tcpdump -nn -r', ({ tcpdump }) => {
    const got = withTempFile('x.pcap', pcap, (p) => tcpdumpRead(tcpdump, p));
    expect(renderTcpdumpRead(frames, { version: '4.99', tz: 'UTC' }).split('\n')).toEqual(got.split('\n'));
  });
});
