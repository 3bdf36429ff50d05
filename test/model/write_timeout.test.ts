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
import { client, host, listener, LO, ms, sec } from '../helpers/host.ts';

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

/**
 * An established connection whose peer vanished: tcp_write_timeout() passes the netns's
 * net.ipv4.tcp_retries2 to retransmits_timed_out() as its boundary (4.4:
 * retransmits_timed_out(sk, sysctl_tcp_retries2, icsk_user_timeout, 0); 6.18:
 * retransmits_timed_out(sk, READ_ONCE(net->ipv4.sysctl_tcp_retries2), icsk_user_timeout)), so
 * the give-up is at the first RTO expiry after tcp_model_timeout(boundary, TCP_RTO_MIN) =
 * (2^(n+1) - 1) x 200 ms since the line was first sent, the same formula on both (4.4 computes
 * it inline in jiffies, 6.18 in tcp_model_timeout() and ms). Recorded on 6.18.44 with
 * tcp_retries2=6 (content/experiments/peer-vanishes): the line, a loss probe 208 ms later and 6
 * RTO retransmissions doubling from 208 ms; nc exits 26.78 s after the line (25.4 s, then the
 * 13.3 s timer).
 */
function vanished(profile: 'linux-4.4' | 'linux-6.x', sysctl: Record<string, number>, until = 200) {
  const h = host({ profile, sysctl });
  h.start('srv', function* () {
    const l: number = yield* listener(5000, 5);
    yield { op: 'accept', fd: l };
    yield { op: 'pause' };
    return 0;
  });
  h.run(ms(1));
  h.start('cli', function* (log) {
    const [fd] = yield* client(5000);
    yield { op: 'nanosleep', ns: ms(10) };
    yield { op: 'write', fd, data: 'lost' };
    log('r', yield { op: 'read', fd });
    log('t', h.k.now);
    return 0;
  });
  h.run(ms(5));
  h.k.remotePeers.add(LO); // from now on nothing sent to 127.0.0.1 arrives
  h.run(sec(until));
  const sent = h.xmits().filter((x) => x.seg.sport !== 5000 && x.seg.payload.length === 4).map((x) => x.t);
  const t = h.results.get('t') as number | undefined;
  return { sent: sent.length, ret: h.results.get('r'), gaveUp: t === undefined ? undefined : (t - sent[0]) / 1e9, lastGap: (sent.at(-1)! - sent.at(-2)!) / 1e9 };
}

describe('tcp_write_timeout() past the handshake: net.ipv4.tcp_retries2', () => {
  it('tcp_model_timeout() from TCP_RTO_MIN: 6 -> 25.4 s, 0 -> 0.2 s; 4.4\'s int -1 is an unsigned boundary whose sum wraps (2^32 - 248850 jiffies, ~199 days)', () => {
    const k = { HZ: 250 } as Parameters<typeof tcpModelTimeout>[0];
    expect(tcpModelTimeout(k, 6, 50) / 250).toBeCloseTo(25.4, 6);
    expect(tcpModelTimeout(k, 0, 50) / 250).toBeCloseTo(0.2, 6);
    expect(tcpModelTimeout(k, -1, 50)).toBe(2 ** 32 - 248850);
  });

  it('6.18, tcp_retries2=6: the line, a tail loss probe and 6 RTO retransmissions, then ETIMEDOUT at the 13.3 s timer past 25.4 s (recorded: 26.78 s)', () => {
    const r = vanished('linux-6.x', { 'net.ipv4.tcp_retries2': 6 });
    expect(r.sent).toBe(8);
    expect(r.ret).toBe(-ETIMEDOUT);
    expect(r.gaveUp!).toBeGreaterThan(25.4);
    expect(r.gaveUp!).toBeLessThan(27);
    // the default 15 would still be retransmitting then
    const dflt = vanished('linux-6.x', {}, 30);
    expect(dflt.ret).toBeUndefined();
  });

  it('4.4, tcp_retries2=6: the same 25.4 s boundary; a loss probe of 4.4 (1.5 srtt + 200 ms for one packet) first', () => {
    const r = vanished('linux-4.4', { 'net.ipv4.tcp_retries2': 6 });
    expect(r.ret).toBe(-ETIMEDOUT);
    expect(r.gaveUp!).toBeGreaterThan(25.4);
    expect(r.gaveUp!).toBeLessThan(27);
    expect(r.sent).toBe(8);
  });

  it('tcp_retries2=0: one RTO retransmission (retransmits_timed_out() is false while icsk_retransmits is 0), ETIMEDOUT at the next expiry', () => {
    for (const profile of ['linux-4.4', 'linux-6.x'] as const) {
      const r = vanished(profile, { 'net.ipv4.tcp_retries2': 0 });
      expect(r.ret).toBe(-ETIMEDOUT);
      expect(r.sent).toBe(3); // the line, the loss probe, one RTO retransmission
      expect(r.gaveUp!).toBeLessThan(1.5);
    }
  });

  it('4.4 takes tcp_retries2=-1 (proc_dointvec) and then never gives up in practice: still retransmitting every 120 s after 2000 s', () => {
    const r = vanished('linux-4.4', { 'net.ipv4.tcp_retries2': -1 }, 2000);
    expect(r.ret).toBeUndefined();
    expect(r.lastGap).toBeGreaterThanOrEqual(120);
    expect(r.sent).toBeGreaterThan(20);
  });
});
