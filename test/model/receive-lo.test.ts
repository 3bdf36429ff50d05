/**
 * The receive side of a connection on lo (issue 17): what a looped skb costs the receiver
 * (skb->truesize, skb_try_coalesce()), the window 6.x derives from it (scaling_ratio,
 * tcp_grow_window(), __tcp_select_window()) and when the ACK goes (tcp_incr_quickack(),
 * __tcp_ack_snd_check(), the delayed-ACK timer). Figures measured on Linux 6.18.44 on this
 * machine (python sockets in an `unshare -n` namespace, `ss -tmi` for skmem r / rcv_ssthresh,
 * tcpdump for the windows) and in the zero-window and stopped-reader recordings.
 */
import { describe, expect, it } from 'vitest';
import { ms, writesToStoppedListener } from '../helpers/host.ts';
import { tcpRmemAlloc } from '../../src/model/tcp_output.ts';
import type { ProfileName } from '../../src/model/types.ts';

/** A listener that never accepts (the stopped nc) and a client writing `writes` bytes, `gapMs` apart. */
const run = (profile: ProfileName, writes: number[], gapMs: number, untilMs = 1000) => writesToStoppedListener({ profile, writes, gapMs, untilMs });

describe('a looped skb costs the receiver its sender-side truesize (tcp_stream_alloc_skb(), skb_copy_to_page_nocache(), skb_try_coalesce())', () => {
  it('6.x: a 16384-byte write charges sk_rmem_alloc 17216 (payload + 832), measures scaling_ratio 243 and raises rcv_ssthresh to 108074, so the ACK says win 106 (6.18.44: skmem r17216, rcv_ssthresh:108074, win 106)', () => {
    const { rcv, acks } = run('linux-6.x', [16384], 50);
    expect(tcpRmemAlloc(rcv)).toBe(17216);
    expect(rcv.scalingRatio).toBe(243); // 16384 x 256 / 17216
    expect(rcv.rcvSsthresh).toBe(108074);
    expect(acks[acks.length - 1].seg.window).toBe(106);
  });

  it('6.x: later writes, each ACKed before the next, join the queued skb and cost only their payload (6.18.44: r17216, r33600, r49984 after 16384 x 1, 2, 3; r2832 after 1000 x 2)', () => {
    expect(tcpRmemAlloc(run('linux-6.x', [16384, 16384, 16384], 100).rcv)).toBe(49984);
    expect(tcpRmemAlloc(run('linux-6.x', [1000, 1000], 100).rcv)).toBe(2832);
  });

  it('6.x: 16384 then 54272 bytes: r71488 (coalesced), scaling_ratio 54272 x 256 / 55104 = 252, free space (131072 - 71488) x 252 / 256 = 58653 rounded down to the scale: win 57 (6.18.44: r71488, win 57)', () => {
    const { rcv, acks } = run('linux-6.x', [16384, 54272], 200);
    expect(tcpRmemAlloc(rcv)).toBe(71488);
    expect(acks[acks.length - 1].seg.window).toBe(57);
  });

  it('4.4 keeps charging the payload alone (its lo skbs are not measured here) and tcp_adv_win_scale 1 without scaling_ratio (dfa2f0483360 came in 6.6): win 278 (x128) after 16384 bytes', () => {
    const { rcv, acks } = run('linux-4.4', [16384], 50);
    expect(tcpRmemAlloc(rcv)).toBe(16384);
    expect(rcv.rmemExtra).toBe(0);
    // tcp_rmem[1] 87380, free space (87380 - 16384) / 2 = 35498 (under rcv_ssthresh 43690), rounded
    // up to the scale (wscale 7): 35584
    expect(rcv.rcvbuf).toBe(87380);
    expect(acks[acks.length - 1].seg.window).toBe(278);
  });
});

describe('quick ACKs, then delayed ACKs (tcp_event_data_recv(), tcp_incr_quickack(), __tcp_ack_snd_check(); Linux 6.18 and 4.4)', () => {
  it('the first data sets icsk_ack.quick = rcv_wnd / (2 x rcv_mss): 65483 / 32768 = 1 for 16384-byte segments, so only the first is ACKed at once and the next waits for the delayed-ACK timer, ~40 ms (zero-window on 6.18.44: ack 16385 win 106 at once, no ACK for 16385:32769)', () => {
    const { acks, data } = run('linux-6.x', [16384, 16384], 0, 300);
    const first = acks.find((a) => a.seg.ack === (data[0].seg.seq + 16384) >>> 0)!;
    expect(first.t - data[0].t).toBeLessThan(ms(0.1));
    const second = acks.find((a) => a.seg.ack === (data[1].seg.seq + 16384) >>> 0)!;
    expect(second.t - data[1].t).toBeGreaterThan(ms(36));
    expect(second.t - data[1].t).toBeLessThan(ms(48));
  });

  it('a first segment of 8192 bytes gives three quick ACKs (65483 / 16384 = 3; stopped-reader on 6.18.44 ACKs 8193 win 109, 24577 win 98 and 40961 win 83 at once, then not 57345)', () => {
    const { acks, data } = run('linux-6.x', [8192, 16384, 16384, 16384], 0, 300);
    const acked = data.map((d) => acks.find((x) => x.t >= d.t && x.seg.ack === (d.seg.seq + d.seg.payload.length) >>> 0));
    const lag = acked.map((a, i) => (a ? a.t - data[i].t : Infinity));
    expect(lag.slice(0, 3).every((t) => t < ms(0.1))).toBe(true);
    expect(lag[3]).toBeGreaterThan(ms(30));
    // and their windows, as recorded: scaling_ratio 8192 x 256 / 9024 = 232, then 243 once
    // 16384-byte segments come (tcp_measure_rcv_mss()); (131072 - rmem) x ratio / 256
    expect(acked.slice(0, 3).map((a) => a!.seg.window)).toEqual([109, 98, 83]);
  });

  it('a stalled receiver fills to the edge of its last window and says win 0: zero-window model stall at Recv-Q 125898 (6.18.44: 124928, 126464; the difference is the sender\'s segment sizes)', () => {
    const { rcv, acks } = run('linux-6.x', Array(40).fill(16384), 0, 3000);
    expect(acks[acks.length - 1].seg.window).toBe(0);
    expect((rcv.rcvNxt - rcv.copiedSeq) | 0).toBeGreaterThan(120000);
    expect(tcpRmemAlloc(rcv)).toBeLessThanOrEqual(rcv.rcvbuf);
  });
});
