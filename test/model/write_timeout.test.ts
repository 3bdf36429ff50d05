/**
 * When connect() gives up: tcp_write_timeout() (net/ipv4/tcp_timer.c). Linux 4.4 gives up on
 * SYN-SENT by time only: retransmits_timed_out(sk, tcp_syn_retries, 0, syn_set) compares the
 * time since the first SYN (retrans_stamp) with tcp_model_timeout() = ((2 << retries) - 1) *
 * TCP_TIMEOUT_INIT. Linux 6.18 also counts (icsk_retransmits >= tcp_syn_retries +
 * tcp_syn_linear_timeouts) and gives up at whichever comes first: with tcp_syn_retries=2 and
 * the 4 linear timeouts, at 7 s after 5 retransmissions one second apart (recorded on 6.18.44,
 * content/experiments/syn-retries-2), not after the 6th retransmission at 11 s.
 */
import { describe, expect, it } from 'vitest';
import { createHost } from '../../src/model/index.ts';
import type { Program } from '../../src/model/process.ts';
import { ETIMEDOUT } from '../../src/model/errno.ts';
import { tcpModelTimeout } from '../../src/model/tcp_timer.ts';
import { TH_SYN } from '../../src/model/types.ts';

/** connect() to a peer that never answers (a remote address the model sends nowhere): SYN times and connect()'s end. */
function giveUp(profile: 'linux-4.4' | 'linux-6.x', retries: number) {
  const { k, procs } = createHost({ profile, seed: 1, sysctl: { 'net.ipv4.tcp_syn_retries': retries } });
  const PEER = 0xc0000201; // 192.0.2.1
  k.remotePeers.add(PEER);
  const result: { ret?: number; at?: number } = {};
  procs.programs.set('client', function* () {
    const fd: number = yield { op: 'socket' };
    result.ret = yield { op: 'connect', fd, addr: PEER, port: 12345 };
    result.at = k.now;
    return 0;
  } as Program);
  procs.spawn('client', ['client']);
  k.sim.runUntil(k.now + 400e9);
  const syns = k.sim.trace.flatMap((e) => (e.type === 'xmit' && e.seg.flags === TH_SYN ? [e.t] : []));
  return { syns: syns.map((t) => +((t - syns[0]) / 1e9).toFixed(2)), failedAfter: +((result.at! - syns[0]) / 1e9).toFixed(2), ret: result.ret };
}

describe('tcp_write_timeout() in SYN-SENT', () => {
  it('tcp_model_timeout(): (2^(n+1) - 1) RTOs from 1 s, TCP_RTO_MAX (120 s) each past ilog2(120) = 6', () => {
    const k = { HZ: 250 } as Parameters<typeof tcpModelTimeout>[0];
    expect([1, 2, 6, 7, 8].map((n) => tcpModelTimeout(k, n, 250) / 250)).toEqual([3, 7, 127, 247, 367]);
    // retries2 = 15 from TCP_RTO_MIN (200 ms): the 924.6 s of an established connection
    expect(tcpModelTimeout(k, 15, 50) / 250).toBeCloseTo(924.6, 6);
  });
  it('6.18, tcp_syn_retries=2: five retransmissions a second apart, then connect() fails with ETIMEDOUT at 7 s (by time, before the count of 6)', () => {
    const r = giveUp('linux-6.x', 2);
    expect(r.syns.map((t) => Math.round(t))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(r.failedAfter).toBeGreaterThanOrEqual(7);
    // plus the timer wheel's granule (recorded: 7.148 s after the program started)
    expect(r.failedAfter).toBeLessThan(7.2);
    expect(r.ret).toBe(-ETIMEDOUT);
  });
  it('4.4, tcp_syn_retries=2: retransmissions at 1 s and 3 s, connect() fails at 7 s', () => {
    const r = giveUp('linux-4.4', 2);
    expect(r.syns.map((t) => Math.round(t))).toEqual([0, 1, 3]);
    expect(Math.round(r.failedAfter)).toBe(7);
    expect(r.ret).toBe(-ETIMEDOUT);
  });
  it('the default tcp_syn_retries=6: after 10 retransmissions on 6.18 (the timer armed for 64 s at 67 s, which the granular wheel fires at 134 s: past 127 s and the count both), 127 s on 4.4', () => {
    const six = giveUp('linux-6.x', 6);
    expect(six.syns).toHaveLength(11);
    expect(Math.round(six.failedAfter)).toBe(134);
    const four = giveUp('linux-4.4', 6);
    expect(four.syns).toHaveLength(7);
    expect(Math.round(four.failedAfter)).toBe(127);
  });
});
