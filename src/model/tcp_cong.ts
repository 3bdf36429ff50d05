/**
 * net/ipv4/tcp_cong.c (Linux 4.4 and 6.18): the congestion-control framework and Reno, the
 * functions every algorithm shares (tcp_slow_start(), tcp_cong_avoid_ai()), and the dispatch
 * to the socket's algorithm (icsk_ca_ops: cubic, the default, or reno). The include/net/tcp.h
 * helpers the algorithms call (tcp_in_slow_start(), tcp_is_cwnd_limited(),
 * tcp_packets_in_flight(), tcp_current_ssthresh()) live here with them.
 */
import type { Kernel } from './kernel.ts';
import type { TcpSock } from './sock.ts';
import { cubictcpAcked, cubictcpCongAvoid, cubictcpCwndEvent, cubictcpInit, cubictcpRecalcSsthresh, cubictcpState } from './tcp_cubic.ts';

export const TCP_INFINITE_SSTHRESH = 0x7fffffff;

/** tcp_packets_in_flight(): packets_out - (sacked_out + lost_out) + retrans_out. */
export function tcpPacketsInFlight(sk: TcpSock): number {
  return sk.packetsOut - (sk.sackedOut + sk.lostOut) + sk.retransOut;
}

/** tcp_in_slow_start(): cwnd below ssthresh. */
export function tcpInSlowStart(sk: TcpSock): boolean {
  return sk.sndCwnd < sk.sndSsthresh;
}

/**
 * tcp_is_cwnd_limited(): the last window was cwnd-limited (tcp_cwnd_validate()), or in slow
 * start cwnd is under twice the most packets out in it (ca94d8e9d5c1 for 4.4's form: "ensure
 * cwnd grows to twice what was ACKed", the 6.x form since 4.x).
 */
export function tcpIsCwndLimited(sk: TcpSock): boolean {
  if (sk.isCwndLimited) return true;
  if (tcpInSlowStart(sk)) return sk.sndCwnd < 2 * sk.maxPacketsOut;
  return false;
}

/** tcp_current_ssthresh(): ssthresh, or 3/4 of cwnd when higher (in CWR/Recovery: ssthresh). */
export function tcpCurrentSsthresh(sk: TcpSock): number {
  if (sk.caState === 'CWR' || sk.caState === 'Recovery') return sk.sndSsthresh;
  return Math.max(sk.sndSsthresh, (sk.sndCwnd >> 1) + (sk.sndCwnd >> 2));
}

/**
 * tcp_slow_start(): cwnd grows by the packets acked, up to ssthresh; returns the acked packets
 * left over for congestion avoidance.
 */
export function tcpSlowStart(sk: TcpSock, acked: number): number {
  const cwnd = Math.min(sk.sndCwnd + acked, sk.sndSsthresh);
  acked -= cwnd - sk.sndCwnd;
  sk.sndCwnd = cwnd;
  return acked;
}

/** tcp_cong_avoid_ai(): one more packet of cwnd per w packets acked (snd_cwnd_cnt counts them). */
export function tcpCongAvoidAi(sk: TcpSock, w: number, acked: number): void {
  if (sk.sndCwndCnt >= w) {
    sk.sndCwndCnt = 0;
    sk.sndCwnd++;
  }
  sk.sndCwndCnt += acked;
  if (sk.sndCwndCnt >= w) {
    const delta = Math.floor(sk.sndCwndCnt / w);
    sk.sndCwndCnt -= delta * w;
    sk.sndCwnd += delta;
  }
}

/** tcp_reno_cong_avoid(): slow start below ssthresh, then one packet per window. */
export function tcpRenoCongAvoid(sk: TcpSock, acked: number): void {
  if (!tcpIsCwndLimited(sk)) return;
  if (tcpInSlowStart(sk)) {
    acked = tcpSlowStart(sk, acked);
    if (!acked) return;
  }
  tcpCongAvoidAi(sk, sk.sndCwnd, acked);
}

/** tcp_reno_ssthresh(): half of cwnd, at least 2. */
export function tcpRenoSsthresh(sk: TcpSock): number {
  return Math.max(sk.sndCwnd >> 1, 2);
}

/** tcp_reno_undo_cwnd(): the cwnd before the reduction, if larger. */
export function tcpRenoUndoCwnd(sk: TcpSock): number {
  return Math.max(sk.sndCwnd, sk.priorCwnd);
}

/**
 * tcp_init_congestion_control() (from tcp_init_transfer()): the algorithm of
 * net.ipv4.tcp_congestion_control (the socket's caName, cubic unless set) starts its state.
 */
export function tcpInitCongestionControl(k: Kernel, sk: TcpSock): void {
  if (sk.caName === 'cubic') cubictcpInit(k, sk);
}

/** icsk_ca_ops->cong_avoid() */
export function tcpCongAvoid(k: Kernel, sk: TcpSock, acked: number): void {
  if (sk.caName === 'cubic') cubictcpCongAvoid(k, sk, acked);
  else tcpRenoCongAvoid(sk, acked);
}

/**
 * icsk_ca_ops->pkts_acked(), called at the end of tcp_clean_rtx_queue() with the ack_sample's
 * rtt_us: the RTT of the newest packet acked, or -1 (cubic: cubictcp_acked(), HyStart; Reno
 * has none).
 */
export function tcpCaPktsAcked(k: Kernel, sk: TcpSock, rttUs: number): void {
  if (sk.caName === 'cubic') cubictcpAcked(k, sk, rttUs);
}

/** icsk_ca_ops->ssthresh() */
export function tcpCaSsthresh(k: Kernel, sk: TcpSock): number {
  return sk.caName === 'cubic' ? cubictcpRecalcSsthresh(k, sk) : tcpRenoSsthresh(sk);
}

/** icsk_ca_ops->undo_cwnd() (cubic uses tcp_reno_undo_cwnd() since 4.13, f1722a1be19d). */
export function tcpCaUndoCwnd(sk: TcpSock): number {
  return tcpRenoUndoCwnd(sk);
}

/** tcp_ca_event(): CA_EVENT_TX_START (sending after idle) and CA_EVENT_CWND_RESTART. */
export function tcpCaEvent(k: Kernel, sk: TcpSock, event: 'tx-start' | 'cwnd-restart'): void {
  if (sk.caName === 'cubic') cubictcpCwndEvent(k, sk, event);
}

/** tcp_set_ca_state(): icsk_ca_state, with the algorithm told (cubic resets on Loss). */
export function tcpSetCaState(k: Kernel, sk: TcpSock, state: TcpSock['caState']): void {
  if (sk.caName === 'cubic') cubictcpState(k, sk, state);
  sk.caState = state;
}
