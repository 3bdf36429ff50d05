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
import { ms, writesToStoppedListener } from '../helpers/host.ts';
import { tcpRmemAlloc } from '../../src/model/tcp_output.ts';
import { TH_SYN } from '../../src/model/types.ts';

/** With TCP_NODELAY and tcp_rmem 8192 8192 8192; `fromRcv`: the receiver's replies after the SYN-ACK. */
function run(writes: number[], gapMs: number, untilMs: number) {
  const r = writesToStoppedListener({ profile: 'linux-6.x', writes, gapMs, untilMs, nodelay: true, sysctl: { 'net.ipv4.tcp_rmem': [8192, 8192, 8192] } as never });
  return { ...r, fromRcv: r.acks.filter((x) => !(x.seg.flags & TH_SYN)), data: r.data.map((x) => x.seg.payload.length) };
}

describe('a call\'s skbs on lo: each received before the next leaves, the ACK in the sender\'s backlog (tcp_add_backlog(), release_sock())', () => {
  it('one write of 4096: the second segment does not coalesce into the first, still the sender\'s clone (r5760 as on 6.18.44); the ACK after it says win 14', () => {
    const { rcv, fromRcv } = run([4096], 1, 100);
    expect((rcv.rcvNxt - rcv.copiedSeq) | 0).toBe(4096);
    expect(tcpRmemAlloc(rcv)).toBe(5760);
    expect(fromRcv.map((x) => x.seg.window)).toEqual([30, 14]);
  });
  it('two writes of 2048, 50 ms apart: the first was acked meanwhile, so the second coalesces (r4928 as on 6.18.44) and a third fits', () => {
    const two = run([2048, 2048], 50, 150);
    expect(tcpRmemAlloc(two.rcv)).toBe(4928);
    const three = run([2048, 2048, 2048], 50, 210);
    expect((three.rcv.rcvNxt - three.rcv.copiedSeq) | 0).toBe(6144);
  });
  it('a write of 20000: 2048, 2048, the delayed ACK with win 14, then 1792 bytes when the persist timer fires; the queue stays at 5888 (6.18.44)', () => {
    const { rcv, fromRcv, data } = run([20000], 1, 600);
    expect(data.slice(0, 3)).toEqual([2048, 2048, 1792]);
    expect(fromRcv[1].seg.window).toBe(14);
    expect(fromRcv[1].t - fromRcv[0].t).toBeGreaterThan(ms(35));
    expect((rcv.rcvNxt - rcv.copiedSeq) | 0).toBe(5888);
  });
});
