/**
 * net/ipv4/tcp_cubic.c (Linux 4.4 and 6.18), the default congestion control: the cubic window
 * growth W(t) = C (t - K)^3 + W_max with its TCP-friendly region, the multiplicative decrease
 * beta = 717/1024, fast convergence, and the min-delay sample. The state (struct bictcp) is
 * sk.caPriv.
 *
 * Deliberate differences: HyStart (hystart_update()'s ACK-train and delay detection) keeps
 * its bookkeeping but never ends slow start early; cubic_root() is Math.cbrt() rounded down
 * (the kernel's table-and-Newton estimate is within 0.2 % of it).
 */
import type { Kernel } from './kernel.ts';
import type { TcpSock } from './sock.ts';
import { tcpCongAvoidAi, tcpInSlowStart, tcpIsCwndLimited, tcpSlowStart } from './tcp_cong.ts';
import { jiffies } from './time.ts';

const BICTCP_BETA_SCALE = 1024;
const BICTCP_HZ = 10;
const BETA = 717; // beta = 717/1024
const BIC_SCALE = 41;
const CUBE_RTT_SCALE = BIC_SCALE * 10;
/** beta_scale = 8 * (BICTCP_BETA_SCALE + beta) / 3 / (BICTCP_BETA_SCALE - beta) (cubictcp_register()). */
const BETA_SCALE = Math.floor(Math.floor((8 * (BICTCP_BETA_SCALE + BETA)) / 3) / (BICTCP_BETA_SCALE - BETA));
/** cube_factor = 2^(10 + 3 * BICTCP_HZ) / (bic_scale * 10) */
const CUBE_FACTOR = Math.floor(2 ** (10 + 3 * BICTCP_HZ) / CUBE_RTT_SCALE);

type Bictcp = Record<string, number>;

function ca(sk: TcpSock): Bictcp {
  return (sk.caPriv ??= bictcpReset({}));
}

/** bictcp_reset() */
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
  return c;
}

/** cubictcp_init(): the state reset (bictcp_hystart_reset() too, with hystart on). */
export function cubictcpInit(_k: Kernel, sk: TcpSock): void {
  sk.caPriv = bictcpReset({});
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

/** bictcp_update(): ca->cnt, the packets acked per cwnd increment, from the cubic curve. */
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
    let t = now - c.epochStart + Math.ceil((c.delayMin * k.HZ) / 1_000_000);
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

/** cubictcp_cong_avoid(): slow start, then tcp_cong_avoid_ai() at the cubic rate. */
export function cubictcpCongAvoid(k: Kernel, sk: TcpSock, acked: number): void {
  if (!tcpIsCwndLimited(sk)) return;
  if (tcpInSlowStart(sk)) {
    acked = tcpSlowStart(sk, acked);
    if (!acked) return;
  }
  const c = ca(sk);
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

/** cubictcp_state(): entering Loss resets the state. */
export function cubictcpState(_k: Kernel, sk: TcpSock, state: TcpSock['caState']): void {
  if (state === 'Loss') sk.caPriv = bictcpReset({});
}

/**
 * cubictcp_acked(): an RTT sample updates delay_min (none in the second after a reduction);
 * hystart_update() would run here in slow start (not modelled, see the file comment).
 */
export function cubictcpAcked(k: Kernel, sk: TcpSock, rttUs: number): void {
  if (sk.caName !== 'cubic' || rttUs < 0) return;
  const c = ca(sk);
  if (c.epochStart && jiffies(k) - c.epochStart < k.HZ) return;
  const delay = rttUs || 1;
  if (c.delayMin === 0 || c.delayMin > delay) c.delayMin = delay;
}
