/**
 * A system call's skbs on lo and the socket backlog (Linux 4.4 and 6.18): dev_queue_xmit() ends
 * with local_bh_enable(), so the receiver takes and ACKs each skb a call sends before the next
 * leaves; the ACK reaches a sender the call still owns, and tcp_v4_rcv() puts it on the socket's
 * backlog (tcp_add_backlog()) until release_sock() (loopback.ts ipOutput(), sock.ts
 * releaseSock()). Until then the sender keeps its original of the first skb, so the receiver's
 * copy is still a clone and the next skb cannot coalesce into it (skb_try_coalesce():
 * skb_cloned(to)): one skb more to charge, a smaller window.
 * Measured on 6.18.44 (tcp_rmem 8192 8192 8192, TCP_NODELAY, a listener that never accepts,
 * ss -tmi and tcpdump): one write of 4096 bytes leaves skmem r5760 (two skbs of 2048 + 832) and
 * the ACK after the second segment says win 14 (1792 bytes); two writes of 2048, 50 ms apart,
 * leave r4928 (coalesced: one 832) and the receiver takes a third 2048-byte segment. A write of
 * 20000 bytes goes out as 2048 (ACK win 30), 2048, the delayed ACK at ~44 ms with win 14, then
 * 1792 bytes when the persist timer fires (~260 ms), and the queue stays at 5888.
 */
import { describe, expect, it } from 'vitest';
import { host, listener, client, ms } from '../helpers/host.ts';
import type { TcpSock } from '../../src/model/sock.ts';
import { tcpRmemAlloc } from '../../src/model/tcp_output.ts';

const RMEM = { 'net.ipv4.tcp_rmem': [8192, 8192, 8192] } as never;

function run(writes: number[], gapMs: number, untilMs: number) {
  const h = host({ profile: 'linux-6.x', sysctl: RMEM });
  h.start('srv', function* () {
    yield* listener(12345, 1);
    yield { op: 'pause' };
    return 0;
  });
  h.run(ms(1));
  h.start('cli', function* () {
    const [fd] = yield* client(12345);
    yield { op: 'setsockopt', fd, opt: 'TCP_NODELAY', val: 1 };
    for (const n of writes) {
      yield { op: 'write', fd, data: new Uint8Array(n).fill(120) };
      yield { op: 'nanosleep', ns: ms(gapMs) };
    }
    yield { op: 'pause' };
    return 0;
  });
  h.run(ms(untilMs));
  const rcv = [...h.k.socks.values()].find((s): s is TcpSock => s.kind === 'full' && s.sport === 12345 && s.state === 1)!;
  const fromRcv = h.xmits().filter((x) => x.seg.sport === 12345 && x.seg.payload.length === 0 && !(x.seg.flags & 2));
  const data = h.xmits().filter((x) => x.seg.dport === 12345 && x.seg.payload.length > 0).map((x) => x.seg.payload.length);
  return { h, rcv, fromRcv, data };
}

describe('a call\'s skbs on lo: each received before the next leaves, the ACK in the sender\'s backlog (tcp_add_backlog(), release_sock())', () => {
  it('one write of 4096: the second segment does not coalesce into the first, still the sender\'s clone (r5760 as on 6.18.44); the ACK after it says win 14', () => {
    const { rcv, fromRcv } = run([4096], 50, 100);
    expect((rcv.rcvNxt - rcv.copiedSeq) | 0).toBe(4096);
    expect(tcpRmemAlloc(rcv)).toBe(5760);
    expect(fromRcv.map((x) => x.seg.window)).toEqual([30, 14]);
  });
  it('two writes of 2048, 50 ms apart: the first was acked meanwhile, so the second coalesces (r4928 as on 6.18.44) and a third fits', () => {
    const two = run([2048, 2048], 50, 100);
    expect(tcpRmemAlloc(two.rcv)).toBe(4928);
    const three = run([2048, 2048, 2048], 50, 160);
    expect((three.rcv.rcvNxt - three.rcv.copiedSeq) | 0).toBe(6144);
  });
  it('a write of 20000: 2048, 2048, the delayed ACK with win 14, then 1792 bytes when the persist timer fires; the queue stays at 5888 (6.18.44)', () => {
    const { rcv, fromRcv, data } = run([20000], 1000, 600);
    expect(data.slice(0, 3)).toEqual([2048, 2048, 1792]);
    expect(fromRcv[1].seg.window).toBe(14);
    expect(fromRcv[1].t - fromRcv[0].t).toBeGreaterThan(ms(35));
    expect((rcv.rcvNxt - rcv.copiedSeq) | 0).toBe(5888);
  });
});
