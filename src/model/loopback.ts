/**
 * The `lo` device and the way out to it: ip_queue_xmit() → dev_queue_xmit() (with the packet
 * taps of dev_queue_xmit_nit(), net/core/dev.c) → loopback_xmit() (drivers/net/loopback.c)
 * → netif_rx() and the receive softirq → ip_rcv() → tcp_v4_rcv(). Linux 4.4 and 6.18 alike.
 *
 * Deliberate differences: no IP layer (no routing or fragmentation: every segment of lo is
 * 127.0.0.1-local, MTU 65536; netfilter only as the INPUT chain of nf_tables_core.ts), the receive softirq is a delay from the profile's
 * costs (`loRxNs`; in process context the next skb waits for it, as local_bh_enable() runs it
 * there), and a tap is tcpdump's packet socket with its BPF filter as a function.
 * `inject` and `onXmit` stand for a remote peer on lo; a peer behind a tun device (packetdrill)
 * uses tun.ts, which ipOutput() hands the segments routed out of it.
 */
import type { Kernel } from './kernel.ts';
import { outputDev } from './route.ts';
import { nftDoChain } from './nf_tables_core.ts';
import { tcpV4DoRcv, tcpV4Rcv } from './tcp_ipv4.ts';
import { releaseSock, type TcpSock } from './sock.ts';
import { tcpGsoSegment } from './tcp_offload.ts';
import { tunNetXmit } from './tun.ts';
import { realtimeNs } from './time.ts';
import { tcpHeaderLength, type CapturedFrame, type Segment } from './types.ts';

/** A packet tap on lo (tcpdump's packet socket plus its BPF filter). */
export interface CaptureTap {
  filter: (seg: Segment) => boolean;
  frames: CapturedFrame[];
  /** tp_packets: lo hands every packet to the packet socket twice (outgoing and incoming). */
  receivedByFilter: number;
  active: boolean;
  /** Simulated time of each frame (parallel to frames). */
  times: number[];
  /** When the packet ring was set up: its TPACKET_V3 block-retire timer ticks from here. */
  openedNs: number;
}

/**
 * tcpdump reads its TPACKET_V3 ring a block at a time; a block is handed to it when the
 * kernel's retire timer fires (prb_retire_rx_blk_timer_expired(), every `to_ms` = tcpdump's
 * 1000 ms timeout) or when it fills (not in these small experiments). When tcpdump is stopped,
 * the packets of the block still open were counted by the kernel (`received by filter`) but are
 * neither written nor counted as `captured`.
 */
export const PCAP_BLOCK_TIMEOUT_NS = 1_000_000_000;
export function capturedFrames(tap: CaptureTap, stopNs: number): CapturedFrame[] {
  const lastRetire = tap.openedNs + Math.floor((stopNs - tap.openedNs) / PCAP_BLOCK_TIMEOUT_NS) * PCAP_BLOCK_TIMEOUT_NS;
  const out: CapturedFrame[] = [];
  for (let i = 0; i < tap.frames.length; i++) if (tap.times[i] <= lastRetire) out.push(tap.frames[i]);
  return out;
}

/** Add a capture tap (tcpdump's packet socket with a BPF filter). */
export function openTap(k: Kernel, filter: (seg: Segment) => boolean): CaptureTap {
  const tap: CaptureTap = { filter, frames: [], times: [], receivedByFilter: 0, active: true, openedNs: k.now };
  k.taps.add(tap);
  return tap;
}

/** dev_queue_xmit_nit(): every active tap whose filter takes the segment gets a copy. */
function devQueueXmitNit(k: Kernel, seg: Segment): void {
  for (const tap of k.taps) {
    if (!tap.active || !tap.filter(seg)) continue;
    tap.receivedByFilter += 2;
    tap.frames.push({ realtimeNs: realtimeNs(k), seg });
    tap.times.push(k.now);
  }
}

/**
 * ip_queue_xmit() → dev_queue_xmit(): put a segment on the device its route leaves by. On lo
 * every tap sees it, then it is delivered after loRxNs; a tun device hands it to its reader.
 */
export function ipOutput(k: Kernel, seg: Segment, sock: number | null): void {
  if (k.devs.length > 1 && outputDev(k, seg.daddr).kind === 'tun') return tunNetXmit(k, seg, sock);
  // A system call's second and later skbs on lo wait for the receive softirq of the one before
  // (dev_queue_xmit()'s local_bh_enable() runs it in the sender's context: the receiver takes
  // and ACKs each skb before the next leaves; the ACK waits in the sender's backlog). An skb of
  // a socket with skbs still waiting goes behind them (release_sock()'s sends follow the call's).
  if (sock !== null && (k.inSyscall || k.loTxPending.size !== 0) && !(k.remotePeers.size !== 0 && k.remotePeers.has(seg.daddr))) {
    const waiting = k.loTxPending.get(sock);
    if (waiting || (k.inSyscall && k.syscallLoXmits++ > 0 && k.softirqUntil > k.now)) return loTxDefer(k, seg, sock, waiting ?? 0);
  }
  loDevXmit(k, seg, sock);
}

/** dev_hard_start_xmit() on lo: cut into MSS segments first when GSO is off or the packet is 64 KB or more. */
function loDevXmit(k: Kernel, seg: Segment, sock: number | null): void {
  if (k.devs[0].gso === false || ipTotLen(seg) >= GSO_LEGACY_MAX_SIZE) return validateXmitSkb(k, seg, sock);
  loopbackXmit(k, seg, sock);
}

function loTxDefer(k: Kernel, seg: Segment, sock: number, waiting: number): void {
  k.loTxQueue.push({ seg, sock });
  k.loTxPending.set(sock, waiting + 1);
  if (!k.loTxArmed) {
    k.loTxArmed = true;
    k.sim.post(Math.max(k.now, k.softirqUntil), loTxDrain, k, null);
  }
}

/** release_sock() of a socket whose skbs have all left: in process context (what it sends is paced as a call's). */
function releaseSockEv(k: Kernel, sock: number): void {
  if (k.softirqUntil > k.now) {
    k.sim.post(k.softirqUntil, releaseSockEv, k, sock);
    return;
  }
  const sk = k.socks.get(sock);
  if (!sk || k.loTxPending.has(sock)) return;
  releaseSockInProcess(k, sk);
}

/** release_sock() run as a system call's: what it sends is paced on lo as a call's skbs are (ipOutput()). */
export function releaseSockInProcess(k: Kernel, sk: TcpSock): void {
  const outer = k.inSyscall;
  k.inSyscall = true;
  k.syscallLoXmits = 0;
  try {
    releaseSock(k, sk, tcpV4DoRcv);
  } finally {
    k.inSyscall = outer;
  }
}

/** The waiting skbs leave one at a time, each once the softirq work before it is done. */
function loTxDrain(k: Kernel): void {
  if (k.softirqUntil > k.now) {
    k.sim.post(k.softirqUntil, loTxDrain, k, null);
    return;
  }
  const q = k.loTxQueue;
  const e = q[k.loTxHead];
  q[k.loTxHead++] = undefined as never;
  const left = (k.loTxPending.get(e.sock!) ?? 1) - 1;
  if (left) k.loTxPending.set(e.sock!, left);
  else k.loTxPending.delete(e.sock!);
  loDevXmit(k, e.seg, e.sock);
  // the call's last skb is out: once its softirq is done, release_sock() takes the backlog
  if (!left && k.sockBacklog.has(e.sock!)) k.sim.post(Math.max(k.now, k.softirqUntil), releaseSockEv, k, e.sock!);
  if (k.loTxHead === q.length) {
    q.length = 0;
    k.loTxHead = 0;
    k.loTxArmed = false;
    return;
  }
  k.sim.post(Math.max(k.now, k.softirqUntil), loTxDrain, k, null);
}

/** GSO_LEGACY_MAX_SIZE: lo's gso_ipv4_max_size (BIG TCP is not on for IPv4 by default). */
const GSO_LEGACY_MAX_SIZE = 65536;

/** An IPv4 packet's length: the IP header, the TCP header with its options, and the payload. */
function ipTotLen(seg: Segment): number {
  return 20 + tcpHeaderLength(seg) + seg.payload.length;
}

/**
 * validate_xmit_skb() for a device without GSO (`ethtool -K lo gso off tso off`), or for a GSO
 * packet of 64 KB or more (gso_features_check(): skb->len >= netif_get_gso_max_size(), 65536 for
 * IPv4: tcp_tso_autosize()'s tcp_min_tso_segs lets tcp_write_xmit() build a 2 x 65483 skb once
 * the peer's window allows, which 6.18.44's tcpdump on lo shows as 65483 + 65483): the GSO packet
 * is cut into segments of the sender's MSS (skb_gso_segment() → tcpGsoSegment(), gso_size is
 * tcp_current_mss() when the skb was sent), and each is put on lo (and seen by the taps) alone.
 */
function validateXmitSkb(k: Kernel, seg: Segment, sock: number | null): void {
  const sk = sock === null ? undefined : k.socks.get(sock);
  if (sk === undefined || seg.payload.length <= sk.mss) return loopbackXmit(k, seg, sock);
  const segs = tcpGsoSegment(k, seg, sk.mss);
  // ip_select_ident_segs(): the socket's IP ID moves by the segment count (tcpTransmitSkb() moved it by one)
  sk.inetId = (sk.inetId + segs.length - 1) & 0xffff;
  for (let i = 0; i < segs.length; i++) loopbackXmit(k, segs[i], sock);
}

/** dev_hard_start_xmit() → xmit_one() (the taps) → loopback_xmit() → netif_rx(): delivered after loRxNs. */
function loopbackXmit(k: Kernel, seg: Segment, sock: number | null): void {
  k.stats.xmit++;
  if (seg.payload.length) k.stats.xmitData++;
  if (k.sim.observed) k.sim.emit({ type: 'xmit', t: k.now, seg, sock });
  if (k.taps.size) devQueueXmitNit(k, seg);
  for (let i = 0; i < k.xmitHooks.length; i++) k.xmitHooks[i](seg);
  if (k.remotePeers.size && k.remotePeers.has(seg.daddr)) return;
  k.softirqUntil = Math.max(k.softirqUntil, k.now + k.profile.costs.loRxNs);
  k.sim.postAfter(k.profile.costs.loRxNs, deliver, k, seg);
}

/** The receive side of lo, as a shared event function (no closure per segment); ip_local_deliver()'s LOCAL_IN hook first. */
function deliver(k: Kernel, seg: Segment): void {
  if (nftDoChain(k, seg)) tcpV4Rcv(k, seg);
}

/**
 * After processing a segment, a reply leaves `ns` later (receive-path cost): fn(k, a) then.
 * The replies are shared static functions, so the receive path allocates no closure.
 */
export function later<A>(k: Kernel, ns: number, fn: (k: Kernel, a: A) => void, a: A): void {
  k.softirqUntil = Math.max(k.softirqUntil, k.now + ns);
  k.sim.postAfter(ns, fn, k, a);
}

/** A scripted remote peer injects a segment as if it arrived on lo. */
export function inject(k: Kernel, seg: Omit<Segment, 'id'>): Segment {
  const full: Segment = { ...seg, id: k.nextSegId++ };
  k.sim.emit({ type: 'xmit', t: k.now, seg: full, sock: null });
  devQueueXmitNit(k, full);
  tcpV4Rcv(k, full);
  return full;
}

/** Observe what the stack sends (for scripted peers and packetdrill-style expectations). */
export function onXmit(k: Kernel, h: (seg: Segment) => void): void {
  k.xmitHooks.push(h);
}
