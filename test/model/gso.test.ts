/**
 * lo without GSO (`ip link set lo mtu 1500`, `ethtool -K lo gso off tso off`): validate_xmit_skb()
 * cuts each GSO packet with tcp_gso_segment() (net/ipv4/tcp_offload.c) and inet_gso_segment()
 * before lo, so tcpdump and the receiver see MSS-sized segments. Compared with Linux 6.18.44 in a
 * netns: a 10,000-byte send() left as 1448-byte segments (mss 1460 less 12 of timestamps), PSH on
 * the last segment of each GSO packet only, IP IDs one apart across packets
 * (ip_select_ident_segs()). lo is each namespace's own: one host's MTU is not another's.
 */
import { describe, expect, it } from 'vitest';
import { host, listener, client, ms } from '../helpers/host.ts';
import { devSetMtu, ethtoolSetGso } from '../../src/model/route.ts';
import { TH_PSH, type Segment } from '../../src/model/types.ts';

function send10000(profile: 'linux-4.4' | 'linux-6.x', gso: boolean) {
  const h = host({ profile });
  devSetMtu(h.k, 'lo', 1500);
  ethtoolSetGso(h.k, 'lo', gso);
  h.start('srv', function* (log) {
    const l: number = yield* listener(5000, 5);
    const fd: number = yield { op: 'accept', fd: l };
    let got = 0;
    while (got < 10000) got += ((yield { op: 'read', fd, bytes: true }) as Uint8Array).length;
    log('got', got);
    return 0;
  });
  h.run(ms(1));
  h.start('cli', function* () {
    const [fd] = yield* client(5000);
    yield { op: 'write', fd, data: new Uint8Array(10000).fill(120) };
    yield { op: 'pause' };
    return 0;
  });
  h.run(ms(500));
  const data = h.segs().filter((s: Segment) => s.payload.length > 0);
  return { ...h, data };
}

describe('lo with GSO off: tcp_gso_segment() before the device (Linux 4.4 and 6.18)', () => {
  for (const profile of ['linux-4.4', 'linux-6.x'] as const) {
    it(`${profile}: 10,000 bytes arrive as 1448-byte segments, in order, IP IDs consecutive, PSH only where a GSO packet ended`, () => {
      const { data, results } = send10000(profile, false);
      expect(results.get('got')).toBe(10000);
      expect(data.length).toBe(Math.ceil(10000 / 1448));
      for (const s of data.slice(0, -1)) expect(s.payload.length).toBe(1448);
      for (let i = 1; i < data.length; i++) {
        expect(data[i].seq).toBe((data[i - 1].seq + data[i - 1].payload.length) >>> 0);
        expect(data[i].ipId).toBe((data[i - 1].ipId + 1) & 0xffff);
      }
      expect(data[data.length - 1].flags & TH_PSH).toBe(TH_PSH);
      // with GSO on, the same write is fewer, larger segments: PSH marks the end of each of those
      const { data: gsoData } = send10000(profile, true);
      expect(gsoData.length).toBeLessThan(data.length);
      const pshEnds = new Set(gsoData.filter((s) => s.flags & TH_PSH).map((s) => (s.seq + s.payload.length) >>> 0));
      for (const s of data) expect(!!(s.flags & TH_PSH)).toBe(pshEnds.has((s.seq + s.payload.length) >>> 0));
    });
  }
  it('bytes written in odd-sized pieces (the tail skb filled by several writes, skbAppendData()) arrive intact and in order', () => {
    const h = host({ profile: 'linux-6.x' });
    devSetMtu(h.k, 'lo', 1500);
    ethtoolSetGso(h.k, 'lo', false);
    const total = 600_000;
    const sent = Uint8Array.from({ length: total }, (_, i) => (i * 31 + (i >> 9)) & 255);
    const got = new Uint8Array(total);
    h.start('srv', function* (log) {
      const l: number = yield* listener(5000, 5);
      const fd: number = yield { op: 'accept', fd: l };
      const buf = new Uint8Array(5000);
      let n = 0;
      for (;;) {
        const r: number = yield { op: 'read', fd, buf };
        if (r <= 0) break;
        got.set(buf.subarray(0, r), n);
        n += r;
      }
      log('n', n);
      return 0;
    });
    h.run(ms(1));
    h.start('cli', function* () {
      const [fd] = yield* client(5000);
      const sizes = [1000, 7777, 30000, 1, 65000, 12345];
      for (let off = 0, i = 0; off < total; i++) {
        const n = Math.min(sizes[i % sizes.length], total - off);
        yield { op: 'write', fd, data: sent.slice(off, off + n) };
        off += n;
      }
      yield { op: 'close', fd };
      return 0;
    });
    h.run(ms(2000));
    expect(h.results.get('n')).toBe(total);
    expect(Buffer.from(got).equals(Buffer.from(sent))).toBe(true);
  });
  it("one namespace's lo MTU is its own (dev_set_mtu() on one host leaves another's lo at 65536)", () => {
    const a = host({ profile: 'linux-6.x' });
    const b = host({ profile: 'linux-6.x' });
    devSetMtu(a.k, 'lo', 1500);
    expect(a.k.devs[0].mtu).toBe(1500);
    expect(b.k.devs[0].mtu).toBe(65536);
  });
});
