/**
 * HyStart (net/ipv4/tcp_cubic.c: bictcp_hystart_reset(), hystart_update(), cubictcp_acked()),
 * driven ACK by ACK through cubictcp_acked(), the pkts_acked hook, on a socket in slow start:
 * the clock is the simulator's (6.18: tp->tcp_mstamp in us; 4.4: CLOCK_REALTIME in ms), so each
 * ACK is placed at an exact time. 6.18 is checked end to end by the probe
 * test/packetdrill/probes/hystart_update-ack-train.pkt (passes on 6.18.44: ssthresh = cwnd = 32).
 */
import { describe, expect, it } from 'vitest';
import { createHost } from '../../src/model/index.ts';
import type { Kernel } from '../../src/model/kernel.ts';
import { newTcpSock, type TcpSock } from '../../src/model/sock.ts';
import { TCP_INFINITE_SSTHRESH } from '../../src/model/tcp_cong.ts';
import { cubictcpAcked, cubictcpCongAvoid, cubictcpInit, cubictcpState, HYSTART_DELAY } from '../../src/model/tcp_cubic.ts';
import { TCP_ESTABLISHED } from '../../src/model/types.ts';

const MS = 1_000_000;

/** A cubic socket in slow start with cwnd 20 (above hystart_low_window) on a fresh host, its first round started at t0. */
function setup(profile: 'linux-6.x' | 'linux-4.4', t0 = 100 * MS) {
  const { k } = createHost({ profile, seed: 1 });
  k.sim.runUntil(t0);
  const sk = newTcpSock(1, 1, TCP_ESTABLISHED);
  sk.sndUna = 1;
  sk.sndNxt = 1;
  cubictcpInit(k, sk);
  sk.sndCwnd = 20;
  sk.sndSsthresh = TCP_INFINITE_SSTHRESH;
  sk.isCwndLimited = true;
  sk.sndNxt = 20001; // the flight of the first round
  return { k, sk };
}

/**
 * An ACK at time t (ns since boot) that moves snd_una to `una`, with the RTT sample rttUs:
 * tcp_clean_rtx_queue()'s pkts_acked (cubictcp_acked()), then tcp_cong_control()'s cong_avoid
 * (where 4.4 starts a new round; no packets acked here, so cwnd stays).
 */
function ackAt(k: Kernel, sk: TcpSock, t: number, una: number, rttUs: number): void {
  k.sim.runUntil(t);
  sk.sndUna = una;
  cubictcpAcked(k, sk, rttUs);
  cubictcpCongAvoid(k, sk, 0);
}

const mib = (k: Kernel) => Object.fromEntries(Object.entries(k.mib).filter(([c]) => c.startsWith('TCPHystart')));

describe('HyStart ACK train (hystart_update(), Linux 6.18)', () => {
  it('ACKs at most hystart_ack_delta_us (2 ms) apart end slow start once the train spans (delay_min + hystart_ack_delay()) / 2: ssthresh = cwnd, TCPHystartTrainDetect/TrainCwnd', () => {
    const { k, sk } = setup('linux-6.x');
    // first ACK: delay_min 10 ms; snd_una passes end_seq (1), so a round starts here (end_seq 20001)
    ackAt(k, sk, 110 * MS, 2001, 10_000);
    sk.pacingRate = 4_000_000; // hystart_ack_delay(): 65215 * 4 / 4 MB/s = 65 ms, capped at 1 ms
    for (let i = 1; i <= 5; i++) ackAt(k, sk, 110 * MS + i * MS, 2001 + i * 1000, 10_000);
    ackAt(k, sk, 110 * MS + 5.4 * MS, 7501, 10_000); // 5400 us < (10000 + 1000) / 2
    expect(sk.sndSsthresh).toBe(TCP_INFINITE_SSTHRESH);
    ackAt(k, sk, 110 * MS + 5.6 * MS, 7801, 10_000); // 5600 us > 5500 us
    expect(sk.sndSsthresh).toBe(20);
    expect(mib(k)).toEqual({ TCPHystartTrainDetect: 1, TCPHystartTrainCwnd: 20 });
  });

  it('without a pacing rate hystart_ack_delay() is 0: the threshold is delay_min / 2 (5000 us for 10 ms)', () => {
    const { k, sk } = setup('linux-6.x');
    sk.pacingRate = 0;
    ackAt(k, sk, 110 * MS, 2001, 10_000);
    for (let i = 1; i <= 5; i++) ackAt(k, sk, 110 * MS + i * MS, 2001 + i * 1000, 10_000);
    expect(sk.sndSsthresh).toBe(TCP_INFINITE_SSTHRESH);
    ackAt(k, sk, 110 * MS + 5.1 * MS, 7101, 10_000);
    expect(sk.sndSsthresh).toBe(20);
  });

  it('a gap of more than 2 ms breaks the train: last_ack stops moving and no later ACK of the round counts', () => {
    const { k, sk } = setup('linux-6.x');
    ackAt(k, sk, 110 * MS, 2001, 10_000);
    for (let i = 1; i <= 8; i++) ackAt(k, sk, 110 * MS + 2 * MS + i * MS, 2001 + i * 1000, 10_000);
    expect(sk.sndSsthresh).toBe(TCP_INFINITE_SSTHRESH);
    expect(mib(k)).toEqual({});
  });

  it('25c1a9ca53db (6.14): the round restarts when snd_una passes end_seq even below hystart_low_window, so the train is measured from the round cwnd 16 falls in (before it, from the first ACK at cwnd 16: no exit here)', () => {
    const { k, sk } = setup('linux-6.x');
    sk.sndCwnd = 10;
    ackAt(k, sk, 110 * MS, 2001, 10_000); // cwnd 10: a round starts (end_seq 20001), nothing more
    sk.sndCwnd = 16;
    for (let i = 1; i <= 5; i++) ackAt(k, sk, 110 * MS + i * MS, 2001 + i * 1000, 10_000);
    expect(sk.sndSsthresh).toBe(TCP_INFINITE_SSTHRESH);
    ackAt(k, sk, 115.1 * MS, 7101, 10_000); // 5100 us after the round's start at 110 ms
    expect(sk.sndSsthresh).toBe(16);
  });
});

describe('HyStart delay detection (hystart_update(), Linux 6.18)', () => {
  /** A first sample of 10 ms (delay_min), then a new round (snd_una passes end_seq) of ACKs 3 ms apart (no train) with the given RTTs. */
  function round(profile: 'linux-6.x' | 'linux-4.4', rtts: number[]) {
    const { k, sk } = setup(profile);
    ackAt(k, sk, 110 * MS, 2001, 10_000);
    sk.sndNxt = 100001;
    rtts.forEach((rtt, i) => ackAt(k, sk, 113 * MS + i * 3 * MS, 21001 + i * 1000, rtt));
    return { k, sk };
  }

  it('after HYSTART_MIN_SAMPLES (8) samples, a round min RTT above delay_min + clamp(delay_min / 8, 4 ms, 16 ms) ends slow start: TCPHystartDelayDetect/DelayCwnd', () => {
    const { k, sk } = round('linux-6.x', Array(8).fill(14_500));
    expect(sk.sndSsthresh).toBe(TCP_INFINITE_SSTHRESH); // 8 samples: counted, not compared
    ackAt(k, sk, 140 * MS, 12001, 14_500); // 14500 > 10000 + 4000
    expect(sk.sndSsthresh).toBe(20);
    expect(mib(k)).toEqual({ TCPHystartDelayDetect: 1, TCPHystartDelayCwnd: 20 });
  });

  it('a round min RTT within delay_min + 4 ms does not', () => {
    const { k, sk } = round('linux-6.x', Array(12).fill(13_900));
    expect(sk.sndSsthresh).toBe(TCP_INFINITE_SSTHRESH);
    expect(mib(k)).toEqual({});
  });

  it('b344579ca847 (5.8): every sample lowers curr_rtt, so a drop in min RTT after 8 samples is no exit on 6.18; 4.4.0 (before its stable backport) exits spuriously', () => {
    // 9 samples of 13.5 ms (within 10 + 4; 4.4 starts the round in cong_avoid, after the first
    // ACK's sample), then one of 9 ms: delay_min falls to 9 ms
    const rtts = [...Array(9).fill(13_500), 9_000];
    const v6 = round('linux-6.x', rtts);
    expect(v6.sk.sndSsthresh).toBe(TCP_INFINITE_SSTHRESH); // curr_rtt 9000, not > 9000 + 4000
    // 4.4 (ms << 3): curr_rtt stays 108 (13.5 ms), delay_min 72 (9 ms): 108 > 72 + 32
    const v4 = round('linux-4.4', rtts);
    expect(v4.sk.sndSsthresh).toBe(20);
    expect(mib(v4.k)).toEqual({ TCPHystartDelayDetect: 1, TCPHystartDelayCwnd: 20 });
  });
});

describe('HyStart on Linux 4.4 (ms clock, delay_min in ms << 3)', () => {
  it('the ACK train ends slow start once it spans more than delay_min >> 4 ms (5 ms for a 10 ms RTT), on CLOCK_REALTIME in ms', () => {
    const { k, sk } = setup('linux-4.4', 100.5 * MS);
    // the first ACK's cubictcp_cong_avoid() starts the round (ACK past end_seq): realtime ms 101
    for (let i = 1; i <= 6; i++) ackAt(k, sk, 100.5 * MS + i * MS, 1 + i * 1000, 10_000);
    expect(sk.sndSsthresh).toBe(TCP_INFINITE_SSTHRESH); // 106 - 101 = 5: not more than 80 >> 4
    ackAt(k, sk, 107.5 * MS, 7001, 10_000);
    expect(sk.sndSsthresh).toBe(20);
    expect(mib(k)).toEqual({ TCPHystartTrainDetect: 1, TCPHystartTrainCwnd: 20 });
  });

  it('hystart_update() runs only from hystart_low_window (16): at cwnd 15 the same train is ignored', () => {
    const { k, sk } = setup('linux-4.4', 100.5 * MS);
    sk.sndCwnd = 15;
    for (let i = 1; i <= 8; i++) ackAt(k, sk, 100.5 * MS + i * MS, 1 + i * 1000, 10_000);
    expect(sk.sndSsthresh).toBe(TCP_INFINITE_SSTHRESH);
  });
});

describe('the module parameters and the Loss state (tcp_cubic.c, both kernels)', () => {
  /** The 6.18 train of the first test, under the given parameters. */
  function train(set: (k: Kernel) => void) {
    const { k, sk } = setup('linux-6.x');
    set(k);
    for (let i = 0; i <= 6; i++) ackAt(k, sk, 110 * MS + i * MS, 2001 + i * 1000, 10_000);
    return sk.sndSsthresh;
  }

  it('hystart=0, hystart_detect=2 (delay only) or hystart_low_window=32 keep slow start going through the same train', () => {
    expect(train(() => {})).toBe(20);
    expect(train((k) => (k.cubicParams = { ...k.cubicParams!, hystart: 0 }))).toBe(TCP_INFINITE_SSTHRESH);
    expect(train((k) => (k.cubicParams = { ...k.cubicParams!, hystartDetect: HYSTART_DELAY }))).toBe(TCP_INFINITE_SSTHRESH);
    expect(train((k) => (k.cubicParams = { ...k.cubicParams!, hystartLowWindow: 32 }))).toBe(TCP_INFINITE_SSTHRESH);
  });

  it('cubictcp_state(TCP_CA_Loss): bictcp_reset() clears found, so HyStart may end the slow start after the RTO again', () => {
    const { k, sk } = setup('linux-6.x');
    for (let i = 0; i <= 6; i++) ackAt(k, sk, 110 * MS + i * MS, 2001 + i * 1000, 10_000);
    expect(sk.caPriv!.found).toBe(1);
    cubictcpState(k, sk, 'Loss');
    expect(sk.caPriv!.found).toBe(0);
    expect(sk.caPriv!.endSeq).toBe(sk.sndNxt);
  });
});
