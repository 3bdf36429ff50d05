/**
 * The Wireshark-style analysis of data (issue 17 §6) against the real tshark 4.0.17: pcaps the
 * model wrote (fixtures/tshark-data/make.ts: a writer and a reader that stops, on both kernel
 * profiles, and copies edited the way captures go wrong), each read once by tshark, summary and
 * -V -O tcp committed. Our analyser (packet-tcp.c's tcp_analyze_sequence_number()) must print the
 * same bytes: bytes in flight, window full/update, zero window, zero-window probe and its ACK,
 * keep-alive, duplicate ACKs, retransmission / fast / spurious, out-of-order, previous segment
 * not captured, ACKed unseen segment.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { readPcap } from '../../src/render/pcap.ts';
import { analyzeTcp, renderTsharkSummary, renderTsharkVerbose } from '../../src/render/wireshark.ts';
import { renderTcpdumpRead } from '../../src/render/tcpdump.ts';
import { itWithTools, tcpdumpRead, tsharkRead, withTempFile } from '../helpers/tools.ts';

const dir = new URL('./fixtures/tshark-data/', import.meta.url);
const read = (f: string) => readFileSync(new URL(f, dir));

/** Each capture and the analysis tags tshark gave it (what the capture is there to show). */
const CAPTURES: Record<string, string[]> = {
  zw6: ['[TCP Window Full]', '[TCP ZeroWindow]', '[TCP Keep-Alive]', '[TCP Window Update]'],
  zw4: ['[TCP Window Full]', '[TCP ZeroWindow]', '[TCP Keep-Alive]', '[TCP Window Update]'],
  lost: ['[TCP Previous segment not captured]', '[TCP ACKed unseen segment]'],
  resend: ['[TCP Spurious Retransmission]'],
  rto: ['[TCP Retransmission]'],
  zwp: ['[TCP ZeroWindowProbe]', '[TCP ZeroWindowProbeAck]'],
  fastrx: ['[TCP Dup ACK 5#1]', '[TCP Dup ACK 5#2]', '[TCP Fast Retransmission]'],
  // the model's SO_KEEPALIVE probes (tcp_xmit_probe_skb() at snd_una - 1), answered, then unanswered, then the RST
  keepalive: ['[TCP Keep-Alive]', '[TCP Keep-Alive ACK]', '[RST, ACK]'],
};

describe('tshark 4.0.17 on model-written data captures', () => {
  for (const [name, tags] of Object.entries(CAPTURES)) {
    it(`${name}: tshark -r and -V -O tcp, byte for byte (${tags.join(' ')})`, () => {
      const pcap = new Uint8Array(gunzipSync(read(`${name}.pcap.gz`)));
      const frames = readPcap(pcap);
      const analysis = analyzeTcp(frames, { version: '4.0' });
      const summary = read(`${name}.tshark.txt`).toString('utf8');
      for (const t of tags) expect(summary).toContain(t);
      const ours = renderTsharkSummary(frames, analysis).split('\n');
      summary.split('\n').forEach((line, i) => expect(ours[i], `frame ${i + 1}`).toBe(line));
      expect(renderTsharkVerbose(frames, analysis)).toBe(gunzipSync(read(`${name}.tshark-V.txt.gz`)).toString('utf8'));
    });
  }

  it('bytes in flight count the data not yet acked (zw6: 65482, then 33792 once the first is acked)', () => {
    const frames = readPcap(new Uint8Array(gunzipSync(read('zw6.pcap.gz'))));
    const bif = analyzeTcp(frames, { version: '4.0' }).frames.filter((a) => a.seglen > 0).map((a) => a.bytesInFlight);
    expect(bif.slice(0, 2)).toEqual([65482, 33792]);
  });

  it('tcpdump 4.99.3 -nn -r prints the data segments (seq a:b, length N) and the probes as our renderer does, all 8 captures', () => {
    for (const name of Object.keys(CAPTURES)) {
      const frames = readPcap(new Uint8Array(gunzipSync(read(`${name}.pcap.gz`))));
      expect(renderTcpdumpRead(frames, { version: '4.99', numeric: true, tz: 'UTC' }), name).toBe(read(`${name}.tcpdump.txt`).toString('utf8'));
    }
    expect(read('zw6.tcpdump.txt').toString('utf8')).toMatch(/Flags \[P\.\], seq 1:65483, ack 1, win 64, options \[nop,nop,TS val \d+ ecr \d+\], length 65482\n/);
  });

  itWithTools(['tcpdump'], 'the committed tcpdump output is what this tcpdump prints for the committed pcaps', (t) => {
    for (const name of Object.keys(CAPTURES)) {
      withTempFile(`${name}.pcap`, new Uint8Array(gunzipSync(read(`${name}.pcap.gz`))), (p) => {
        expect(tcpdumpRead(t.tcpdump, p)).toBe(read(`${name}.tcpdump.txt`).toString('utf8'));
      });
    }
  }, 60_000);

  itWithTools(['tshark'], 'the committed tshark output is what this tshark prints for the committed pcaps', (t) => {
    for (const name of Object.keys(CAPTURES)) {
      withTempFile(`${name}.pcap`, new Uint8Array(gunzipSync(read(`${name}.pcap.gz`))), (p) => {
        expect(tsharkRead(t.tshark, p)).toBe(read(`${name}.tshark.txt`).toString('utf8'));
      });
    }
  }, 60_000);
});
