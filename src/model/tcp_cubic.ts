/**
 * net/ipv4/tcp_cubic.c (Linux 4.4 and 6.18), the default congestion control: the cubic window
 * growth W(t) = C (t - K)^3 + W_max with its TCP-friendly region, the multiplicative decrease
 * beta = 717/1024, fast convergence, the min-delay sample, and HyStart (hybrid slow start:
 * hystart_update() ends slow start at an ACK train as long as half the min RTT, or at a rise of
 * the round's min RTT, once cwnd reaches hystart_low_window). The state (struct bictcp) is
 * sk.caPriv; the module parameters (/sys/module/tcp_cubic/parameters/, host-wide) are
 * k.cubicParams.
 *
 * The profiles differ where 4.4 and 6.18 do (the 5.6 commits are Eric Dumazet's Dec 2019
 * series "tcp_cubic: various fixes", named by their titles):
 * - the clock: 4.4's bictcp_clock() is CLOCK_REALTIME in ms (jiffies in ms at HZ >= 1000) and
 *   delay_min is ms << 3; 6.18's bictcp_clock_us() is tp->tcp_mstamp and delay_min is in us
 *   ("tcp_cubic: switch bictcp_clock() to usec resolution", 5.6), with hystart_ack_delta_us
 *   2000 for 4.4's hystart_ack_delta 2 (ms);
 * - the ACK-train threshold: 4.4's delay_min >> 4 (half the min RTT, in ms << 3); 6.18's
 *   (delay_min + hystart_ack_delay()) >> 1 without pacing (42f3a8aaae66 "tcp_cubic: tweak
 *   Hystart detection for short RTT flows" and "tcp_cubic: refactor code to perform a divide
 *   only when needed", 5.6; "tcp_cubic: make Hystart aware of pacing" keeps the whole threshold
 *   for a paced flow; 9957b38b5e7a, 5.19: hystart_ack_delay() from sk_gso_max_size);
 * - the round: 4.4 restarts it in cubictcp_cong_avoid() when an ACK passes end_seq; 6.18 in
 *   hystart_update() when snd_una does (4e1fddc98d25, 5.16), for any cwnd (25c1a9ca53db, 6.14:
 *   the hystart_low_window check moved after the reset);
 * - the delay detector: 6.18 lets every sample of the round lower curr_rtt (b344579ca847,
 *   5.8, "fix spurious HYSTART_DELAY exit upon drop in min RTT"; the 4.4.0 profile predates its
 *   4.4-stable backport), and ca->found is one flag (6.18, "tcp_cubic: optimize
 *   hystart_update()") or the detector's bit (4.4).
 *
 * Deliberate differences: cubic_root() is Math.cbrt() rounded down (the kernel's table-and-Newton
 * estimate is within 0.2 % of it); the 6.x pacing status is SK_PACING_NONE (no fq qdisc, no
 * SO_MAX_PACING_RATE in the model).
 */
import type { Kernel } from './kernel.ts';
import type { TcpSock } from './sock.ts';
import { tcpCongAvoidAi, tcpInSlowStart, tcpIsCwndLimited, tcpSlowStart } from './tcp_cong.ts';
import { after } from './seq.ts';
import { jiffies, msecsToJiffies, realtimeNs } from './time.ts';
import { mibInc } from './trace.ts';

const BICTCP_BETA_SCALE = 1024;
const BICTCP_HZ = 10;
const BETA = 717; // beta = 717/1024
const BIC_SCALE = 41;
const CUBE_RTT_SCALE = BIC_SCALE * 10;
/** beta_scale = 8 * (BICTCP_BETA_SCALE + beta) / 3 / (BICTCP_BETA_SCALE - beta) (cubictcp_register()). */
const BETA_SCALE = Math.floor(Math.floor((8 * (BICTCP_BETA_SCALE + BETA)) / 3) / (BICTCP_BETA_SCALE - BETA));
/** cube_factor = 2^(10 + 3 * BICTCP_HZ) / (bic_scale * 10) */
const CUBE_FACTOR = Math.floor(2 ** (10 + 3 * BICTCP_HZ) / CUBE_RTT_SCALE);

/** HyStart's detectors (hystart_detect's bits). */
export const HYSTART_ACK_TRAIN = 0x1;
export const HYSTART_DELAY = 0x2;
/** Samples of a round before its min RTT (curr_rtt) is compared. */
const HYSTART_MIN_SAMPLES = 8;

/**
 * The module parameters HyStart reads (module_param(), 0644: writable at run time, host-wide).
 * `hystartAckDelta` is hystart_ack_delta_us on 6.x (2000 us), 4.4's hystart_ack_delta (2 ms).
 */
export interface CubicParams {
  hystart: number;
  hystartDetect: number;
  hystartLowWindow: number;
  hystartAckDelta: number;
  initialSsthresh: number;
}

/** The parameters' defaults for a profile: the same but for the ACK delta's unit. */
export function defaultCubicParams(k: Kernel): CubicParams {
  const v44 = k.profile.name === 'linux-4.4';
  return { hystart: 1, hystartDetect: HYSTART_ACK_TRAIN | HYSTART_DELAY, hystartLowWindow: 16, hystartAckDelta: v44 ? 2 : 2000, initialSsthresh: 0 };
}

function params(k: Kernel): CubicParams {
  return (k.cubicParams ??= defaultCubicParams(k));
}

type Bictcp = Record<string, number>;

function ca(sk: TcpSock): Bictcp {
  return (sk.caPriv ??= bictcpReset({}));
}

/** bictcp_reset(): the cubic state and `found` (the HyStart round is bictcp_hystart_reset()'s). */
function bictcpReset(c: Bictcp): Bictcp {
  c.cnt = 0;
  c.lastMaxCwnd = 0;
  c.lastCwnd = 0;
  c.lastTime = 0;
  c.bicOriginPoint = 0;
  c.bicK = 0;
  c.delayMin = 0;
  c.epochStart = 0;
  c.ackCnt = 0;
  c.tcpCwnd = 0;
  c.found = 0;
  c.sampleCnt ??= 0;
  c.roundStart ??= 0;
  c.endSeq ??= 0;
  c.lastAck ??= 0;
  c.currRtt ??= 0;
  return c;
}

/**
 * HyStart's clock: 6.18's bictcp_clock_us() (tp->tcp_mstamp, the us clock of this ACK's
 * processing, as a u32); 4.4's bictcp_clock(): CLOCK_REALTIME in ms below HZ 1000, else
 * jiffies_to_msecs(jiffies).
 */
function bictcpClock(k: Kernel): number {
  if (k.profile.name !== 'linux-4.4') return Math.floor(k.now / 1000) % 2 ** 32;
  if (k.HZ < 1000) return Math.floor(realtimeNs(k) / 1_000_000) % 2 ** 32;
  return (jiffies(k) * (1000 / k.HZ)) >>> 0;
}

/**
 * bictcp_hystart_reset(): a new round starts now and ends when snd_una passes today's snd_nxt;
 * its min RTT is unknown again (~0U on 6.18, 0 on 4.4) and its samples are counted afresh.
 */
function bictcpHystartReset(k: Kernel, sk: TcpSock, c: Bictcp): void {
  c.roundStart = c.lastAck = bictcpClock(k);
  c.endSeq = sk.sndNxt;
  c.currRtt = k.profile.name === 'linux-4.4' ? 0 : 0xffffffff;
  c.sampleCnt = 0;
}

/** cubictcp_init(): the state reset, a first HyStart round, or initial_ssthresh without HyStart. */
export function cubictcpInit(k: Kernel, sk: TcpSock): void {
  const c = (sk.caPriv = bictcpReset({}));
  const p = params(k);
  if (p.hystart) bictcpHystartReset(k, sk, c);
  else if (p.initialSsthresh) sk.sndSsthresh = p.initialSsthresh;
}

/**
 * cubictcp_cwnd_event(CA_EVENT_TX_START): after an idle period the epoch moves forward by it,
 * so the cubic curve does not count the idle time as growth (30927520dbae, 4.4 has it).
 */
export function cubictcpCwndEvent(k: Kernel, sk: TcpSock, event: 'tx-start' | 'cwnd-restart'): void {
  if (event !== 'tx-start') return;
  const c = ca(sk);
  const now = jiffies(k);
  const delta = now - sk.lastDataSent;
  if (c.epochStart && delta > 0) {
    c.epochStart += delta;
    if (c.epochStart > now) c.epochStart = now;
  }
}

/**
 * bictcp_update(): ca->cnt, the packets acked per cwnd increment, from the cubic curve. The
 * min delay is added in jiffies: usecs_to_jiffies(delay_min) on 6.18, msecs_to_jiffies(delay_min
 * >> 3) on 4.4 (0 for an RTT under a millisecond).
 */
function bictcpUpdate(k: Kernel, c: Bictcp, cwnd: number, acked: number): void {
  const now = jiffies(k);
  c.ackCnt += acked;
  if (c.lastCwnd === cwnd && now - c.lastTime <= Math.floor(k.HZ / 32)) return;
  if (!(c.epochStart && now === c.lastTime)) {
    c.lastCwnd = cwnd;
    c.lastTime = now;
    if (c.epochStart === 0) {
      c.epochStart = now;
      c.ackCnt = acked;
      c.tcpCwnd = cwnd;
      if (c.lastMaxCwnd <= cwnd) {
        c.bicK = 0;
        c.bicOriginPoint = cwnd;
      } else {
        c.bicK = Math.floor(Math.cbrt(CUBE_FACTOR * (c.lastMaxCwnd - cwnd)));
        c.bicOriginPoint = c.lastMaxCwnd;
      }
    }
    // t: time since the epoch plus the min delay, in 1/1024 s (BICTCP_HZ)
    const delayJiffies = k.profile.name === 'linux-4.4' ? msecsToJiffies(k, c.delayMin >> 3) : Math.ceil((c.delayMin * k.HZ) / 1_000_000);
    let t = now - c.epochStart + delayJiffies;
    t = Math.floor((t * 2 ** BICTCP_HZ) / k.HZ);
    const offs = t < c.bicK ? c.bicK - t : t - c.bicK;
    const delta = Math.floor((CUBE_RTT_SCALE * offs * offs * offs) / 2 ** (10 + 3 * BICTCP_HZ));
    const bicTarget = t < c.bicK ? c.bicOriginPoint - delta : c.bicOriginPoint + delta;
    c.cnt = bicTarget > cwnd ? Math.floor(cwnd / (bicTarget - cwnd)) : 100 * cwnd;
    // "The initial growth of cubic function may be too conservative"
    if (c.lastMaxCwnd === 0 && c.cnt > 20) c.cnt = 20;
  }
  // tcp_friendliness: the window Reno would have, if larger
  const d = (cwnd * BETA_SCALE) >> 3;
  while (c.ackCnt > d) {
    c.ackCnt -= d;
    c.tcpCwnd++;
  }
  if (c.tcpCwnd > cwnd) {
    const maxCnt = Math.floor(cwnd / (c.tcpCwnd - cwnd));
    if (c.cnt > maxCnt) c.cnt = maxCnt;
  }
  c.cnt = Math.max(c.cnt, 2);
}

/**
 * cubictcp_cong_avoid(): slow start, then tcp_cong_avoid_ai() at the cubic rate. On 4.4 an ACK
 * past the HyStart round's end_seq starts a new round here (tcp_cong_control() passes the
 * ACK, which is snd_una by then).
 */
export function cubictcpCongAvoid(k: Kernel, sk: TcpSock, acked: number): void {
  if (!tcpIsCwndLimited(sk)) return;
  const c = ca(sk);
  if (tcpInSlowStart(sk)) {
    if (k.profile.name === 'linux-4.4' && params(k).hystart && after(sk.sndUna, c.endSeq)) bictcpHystartReset(k, sk, c);
    acked = tcpSlowStart(sk, acked);
    if (!acked) return;
  }
  bictcpUpdate(k, c, sk.sndCwnd, acked);
  tcpCongAvoidAi(sk, c.cnt, acked);
}

/** cubictcp_recalc_ssthresh(): W_max (with fast convergence) and cwnd x 717/1024, at least 2. */
export function cubictcpRecalcSsthresh(_k: Kernel, sk: TcpSock): number {
  const c = ca(sk);
  c.epochStart = 0;
  if (sk.sndCwnd < c.lastMaxCwnd) c.lastMaxCwnd = Math.floor((sk.sndCwnd * (BICTCP_BETA_SCALE + BETA)) / (2 * BICTCP_BETA_SCALE));
  else c.lastMaxCwnd = sk.sndCwnd;
  return Math.max(Math.floor((sk.sndCwnd * BETA) / BICTCP_BETA_SCALE), 2);
}

/** cubictcp_state(): entering Loss resets the state and starts a HyStart round (both kernels). */
export function cubictcpState(k: Kernel, sk: TcpSock, state: TcpSock['caState']): void {
  if (state !== 'Loss') return;
  const c = bictcpReset(ca(sk));
  bictcpHystartReset(k, sk, c);
}

/**
 * hystart_ack_delay() (6.x): a cushion for TSO/GRO aggregation on short RTTs, the time four
 * sk_gso_max_size packets take at the pacing rate, at most 1 ms; 0 before there is a rate.
 * sk_gso_max_size is GSO_LEGACY_MAX_SIZE less MAX_TCP_HEADER + 1 (65215, as tcp_xmit_size_goal()).
 */
function hystartAckDelay(sk: TcpSock): number {
  const rate = sk.pacingRate;
  if (!rate || !Number.isFinite(rate)) return 0;
  return Math.min(1000, Math.floor(((65536 - 1 - 320) * 4 * 1_000_000) / rate));
}

/** HyStart found the exit: ssthresh = cwnd, so slow start ends, with the detector's counters. */
function hystartFound(k: Kernel, sk: TcpSock, detect: 'Train' | 'Delay'): void {
  mibInc(k, `TCPHystart${detect}Detect`);
  mibInc(k, `TCPHystart${detect}Cwnd`, sk.sndCwnd);
  sk.sndSsthresh = sk.sndCwnd;
}

/**
 * hystart_update() of 6.18: a new round once snd_una passes end_seq; nothing more below
 * hystart_low_window; the ACK train (ACKs at most hystart_ack_delta_us apart) found when it
 * spans more than (delay_min + hystart_ack_delay()) / 2 from the round's start; the delay
 * detector found when, after HYSTART_MIN_SAMPLES samples, the round's min RTT exceeds delay_min
 * by clamp(delay_min / 8, 4 ms, 16 ms).
 */
function hystartUpdate(k: Kernel, sk: TcpSock, c: Bictcp, delay: number): void {
  const p = params(k);
  if (after(sk.sndUna, c.endSeq)) bictcpHystartReset(k, sk, c);
  if (sk.sndCwnd < p.hystartLowWindow) return;
  if (p.hystartDetect & HYSTART_ACK_TRAIN) {
    const now = bictcpClock(k);
    if (((now - c.lastAck) | 0) <= p.hystartAckDelta) {
      c.lastAck = now;
      // SK_PACING_NONE: "Hystart ack train triggers if we get ack past ca->delay_min/2"
      const threshold = (c.delayMin + hystartAckDelay(sk)) >>> 1;
      if ((now - c.roundStart) >>> 0 > threshold) {
        c.found = 1;
        hystartFound(k, sk, 'Train');
      }
    }
  }
  if (p.hystartDetect & HYSTART_DELAY) {
    if (c.currRtt > delay) c.currRtt = delay;
    if (c.sampleCnt < HYSTART_MIN_SAMPLES) c.sampleCnt++;
    else if (c.currRtt > c.delayMin + Math.min(Math.max(c.delayMin >>> 3, 4000), 16000)) {
      c.found = 1;
      hystartFound(k, sk, 'Delay');
    }
  }
}

/**
 * hystart_update() of 4.4, in ms << 3 and ms: once a detector has found the exit nothing
 * more; the ACK train (ACKs at most hystart_ack_delta ms apart) found when it spans more than
 * delay_min >> 4 (half the min RTT) ms from the round's start; the delay detector takes the
 * round's first HYSTART_MIN_SAMPLES samples as curr_rtt, then compares it to delay_min +
 * clamp(delay_min >> 3, 4 ms, 16 ms).
 */
function hystartUpdate44(k: Kernel, sk: TcpSock, c: Bictcp, delay: number): void {
  const p = params(k);
  if (c.found & p.hystartDetect) return;
  if (p.hystartDetect & HYSTART_ACK_TRAIN) {
    const now = bictcpClock(k);
    if (((now - c.lastAck) | 0) <= p.hystartAckDelta) {
      c.lastAck = now;
      if ((now - c.roundStart) >>> 0 > c.delayMin >>> 4) {
        c.found |= HYSTART_ACK_TRAIN;
        hystartFound(k, sk, 'Train');
      }
    }
  }
  if (p.hystartDetect & HYSTART_DELAY) {
    if (c.sampleCnt < HYSTART_MIN_SAMPLES) {
      if (c.currRtt === 0 || c.currRtt > delay) c.currRtt = delay;
      c.sampleCnt++;
    } else if (c.currRtt > c.delayMin + Math.min(Math.max(c.delayMin >>> 3, 4 << 3), 16 << 3)) {
      c.found |= HYSTART_DELAY;
      hystartFound(k, sk, 'Delay');
    }
  }
}

/**
 * cubictcp_acked() (icsk_ca_ops->pkts_acked, from tcp_clean_rtx_queue() with the RTT of the
 * newest packet acked, or -1): the sample updates delay_min (none in the second after a
 * reduction), then, in slow start, HyStart. The sample is in us on 6.18, ms << 3 on 4.4
 * (where hystart_update() runs only from hystart_low_window; 6.18 checks it after the round).
 */
export function cubictcpAcked(k: Kernel, sk: TcpSock, rttUs: number): void {
  if (rttUs < 0) return;
  const c = ca(sk);
  if (c.epochStart && jiffies(k) - c.epochStart < k.HZ) return;
  const v44 = k.profile.name === 'linux-4.4';
  const delay = (v44 ? Math.floor((rttUs * 8) / 1000) : rttUs) || 1;
  if (c.delayMin === 0 || c.delayMin > delay) c.delayMin = delay;
  const p = params(k);
  if (v44) {
    if (p.hystart && tcpInSlowStart(sk) && sk.sndCwnd >= p.hystartLowWindow) hystartUpdate44(k, sk, c, delay);
  } else if (!c.found && tcpInSlowStart(sk) && p.hystart) hystartUpdate(k, sk, c, delay);
}
