/**
 * Sequence space above 2^31. The model keeps a socket's sequence numbers as signed 32-bit
 * integers (see TcpSock) and puts them on the wire unsigned, as tcp_transmit_skb() puts the
 * kernel's u32 snd_nxt in th->seq. A connection whose ISNs on both sides are above 2^31 (as
 * half of all ISNs are) must behave exactly like any other: the handshake, data both ways,
 * ACKs of that data, FINs and their ACKs, on both profiles.
 */
import { describe, expect, it } from 'vitest';
import { host, listener, client, ms, flagStr } from '../helpers/host.ts';
import { TH_ACK, TH_FIN, TH_RST, TH_SYN, type Segment } from '../../src/model/types.ts';
import { u32 } from '../../src/model/seq.ts';

function exchange(profile: 'linux-4.4' | 'linux-6.x', seed: number) {
  const h = host({ profile, seed });
  h.start('srv', function* (log) {
    const l: number = yield* listener(12345, 1);
    const fd: number = yield { op: 'accept', fd: l };
    log('srvRead', yield { op: 'read', fd });
    log('srvWrite', yield { op: 'write', fd, data: 'pong!' });
    log('srvRead2', yield { op: 'read', fd }); // '' once the client's FIN is in
    log('srvClose', yield { op: 'close', fd });
    return 0;
  });
  h.run(ms(1));
  h.start('cli', function* (log) {
    const [fd, r] = yield* client(12345);
    log('connect', r);
    log('cliWrite', yield { op: 'write', fd, data: 'ping' });
    log('cliRead', yield { op: 'read', fd });
    log('cliClose', yield { op: 'close', fd });
    return 0;
  });
  h.run(ms(5000));
  return h;
}

/** The first seed (from 1) whose connection has both ISNs at or above 2^31. */
function highIsnSeed(profile: 'linux-4.4' | 'linux-6.x'): number {
  for (let seed = 1; seed < 200; seed++) {
    const segs = exchange(profile, seed).segs();
    const syns = segs.filter((s) => s.flags & TH_SYN);
    if (syns.length === 2 && syns.every((s) => s.seq >= 2 ** 31)) return seed;
  }
  throw new Error('no seed with both ISNs above 2^31');
}

describe('sequence numbers above 2^31 (u32 on the wire, s32 in the socket)', () => {
  for (const profile of ['linux-4.4', 'linux-6.x'] as const) {
    it(`${profile}: handshake, data both ways and both FINs, with both ISNs >= 2^31`, () => {
      const h = exchange(profile, highIsnSeed(profile));
      expect(h.results.get('connect')).toBe(0);
      expect(h.results.get('srvRead')).toBe('ping');
      expect(h.results.get('cliRead')).toBe('pong!');
      expect(h.results.get('srvRead2')).toBe('');
      const segs: Segment[] = h.segs();
      expect(segs.some((s) => s.flags & TH_RST)).toBe(false);
      for (const s of segs) {
        expect(Number.isInteger(s.seq) && s.seq >= 0 && s.seq < 2 ** 32).toBe(true);
        expect(Number.isInteger(s.ack) && s.ack >= 0 && s.ack < 2 ** 32).toBe(true);
        for (const o of s.options) if (o.kind === 'ts') expect(o.ecr >= 0 && o.ecr < 2 ** 32).toBe(true);
      }
      const [syn, synack] = segs;
      expect(flagStr(syn.flags)).toBe('S');
      expect(flagStr(synack.flags)).toBe('S.');
      expect(synack.ack).toBe(u32(syn.seq + 1));
      // every segment that carries data or a FIN is acknowledged, exactly, by the other side
      for (const s of segs) {
        const len = s.payload.length + (s.flags & (TH_SYN | TH_FIN) ? 1 : 0);
        if (!len) continue;
        const end = u32(s.seq + len);
        const acked = segs.some((r) => r.sport === s.dport && r.flags & TH_ACK && r.ack === end);
        expect(acked, `${flagStr(s.flags)} seq ${s.seq} len ${len} from port ${s.sport}`).toBe(true);
      }
      // and the sender's next segment continues where that one ended
      const fromClient = segs.filter((s) => s.sport === syn.sport);
      const data = fromClient.find((s) => s.payload.length === 4)!;
      expect(data.seq).toBe(u32(syn.seq + 1));
      const fin = fromClient.find((s) => s.flags & TH_FIN)!;
      expect(fin.seq).toBe(u32(syn.seq + 1 + 4));
    });
  }
});
