/**
 * Small receive buffers over lo (tcp_rmem 8192 or 32768, min = default = max), where every window
 * is a few segments: the scripts of the differential recording
 * test/differential/recorded/linux-6.18-small-buffers.json that the model got wrong, cut to the
 * steps that showed it, with what Linux 6.18.44 gave on this machine (ss -tmi skmem and tcpdump in
 * an `unshare -n` namespace, nstat). Each step is [result, client [inq, outq, state], server
 * [inq, outq, state]] after 200 ms.
 */
import { describe, expect, it } from 'vitest';
import { runOnModel, type DiffOp, type DiffScript } from '../../scripts/lib/differential.ts';

const script = (rmem: number, wmem: number, ops: DiffOp[]): DiffScript => ({
  ops,
  settle: 0.2,
  sysctl: { 'net.ipv4.tcp_rmem': [rmem, rmem, rmem], 'net.ipv4.tcp_wmem': [wmem, wmem, wmem] },
});

describe('receive windows with tcp_rmem 8192 / 32768 (Linux 6.18.44)', () => {
  it('tcp_measure_rcv_mss() reads gso_size: a 4096-byte lo GSO skb of two 2048-byte segments leaves rcv_mss 2048 and scaling_ratio 182, so after the reader empties the queue the window lets 4096 + 2304 = 6400 in (6.18.44: win 18 after the 4096, r7232 for 6400; small-buffers scripts 21, 31, 35)', () => {
    const steps = runOnModel('linux-6.x', script(8192, 32768, [['w', 1, 20000], ['r', 0, 100000]]), 35);
    expect(steps[0]).toEqual([20000, [4096, 0, 1], [0, 15904, 1]]);
    expect(steps[1]).toEqual([4096, [6400, 0, 1], [0, 9504, 1]]);
  });

  it('tcp_ack(): an ACK below snd_una (the older of two ACKs a writer found in its backlog) does not move snd_wnd, so the persist timer sends the 1792 bytes the newer window allows (6.18.44: 1792-byte probe, queue 5888; small-buffers script 8)', () => {
    const steps = runOnModel('linux-6.x', script(8192, 8192, [['w', 0, 1], ['nodelay', 0], ['r', 1, 65536], ['w', 0, 65536], ['nodelay', 0]]), 8);
    expect(steps[3]).toEqual([6144, [0, 2048, 1], [4096, 0, 1]]);
    expect(steps[4]).toEqual([0, [0, 256, 1], [5888, 0, 1]]);
  });

  it('tcp_rcv_established() fast path: data that acks nothing new (ack_seq == snd_una) and fits sk_forward_alloc (a sender\'s page left over: 932 <= 1216) skips tcp_ack(), so tcp_ack_probe() does not re-arm the persist timer (6.18.44: the 1792-byte probe is in by the next snapshot; small-buffers script 19)', () => {
    const steps = runOnModel('linux-6.x', script(8192, 8192, [['r', 1, 200000], ['r', 1, 200000], ['w', 1, 200000], ['w', 0, 100]]), 19);
    expect(steps[2]).toEqual([6144, [4096, 0, 1], [0, 2048, 1]]);
    expect(steps[3]).toEqual([100, [5888, 0, 1], [100, 256, 1]]);
  });

  it('tcp_recvmsg(): an skb read in part stays charged whole until sk_eat_skb(), so after a read of 20000 bytes of 29824 the window is tcp_space(32768 - 14272) = 17536 (6.18.44: win 137, then r31808 for 27360; small-buffers script 15)', () => {
    const steps = runOnModel('linux-6.x', script(32768, 65536, [['w', 1, 65536], ['r', 0, 20000]]), 15);
    expect(steps[0]).toEqual([65536, [29824, 0, 1], [0, 35712, 1]]);
    expect(steps[1]).toEqual([20000, [27360, 0, 1], [0, 18176, 1]]);
  });

  it('tcp_can_ingest() is sk_rmem_alloc <= sk_rcvbuf again (026dfef287c0, in 6.18.y): a 1792-byte segment (truesize 2624) joins a queue charged 5760 of 8192 by coalescing, no prune, and the write keeps its last 256 bytes (6.18.44: r7552, TcpExtTCPRcvCoalesce 1, no PruneCalled; small-buffers script 34)', () => {
    const steps = runOnModel('linux-6.x', script(8192, 8192, [['w', 0, 20000], ['r', 0, 1], ['r', 1, 1448]]), 34);
    expect(steps[1]).toEqual(['EEAGAIN', [0, 256, 1], [5888, 0, 1]]);
    expect(steps[2]).toEqual([1448, [0, 256, 1], [4440, 0, 1]]);
  });

  it('skb_try_coalesce(): bytes that join the tail skb are freed with it, so one read of a queue coalesced into a single skb grows the buffer (tcp_rcv_space_adjust() after that skb) and the next window takes the rest (6.18.44: all 104416; default recording script 17)', () => {
    const ops: DiffOp[] = [['nodelay', 0], ['r', 0, 1], ['r', 0, 200000], ['w', 1, 300000], ['r', 0, 65536], ['r', 0, 300000]];
    const steps = runOnModel('linux-6.x', { ops, settle: 0.2 }, 17);
    expect(steps[4]).toEqual([65536, [130048, 0, 1], [0, 104416, 1]]);
    expect(steps[5]).toEqual([130048, [104416, 0, 1], [0, 0, 1]]);
  });
});
