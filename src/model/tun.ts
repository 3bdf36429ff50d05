/**
 * drivers/net/tun.c (Linux 4.4 and 6.18): a tun device, the way packetdrill plays the remote
 * end of a connection. The process holding /dev/net/tun reads what the stack sends out of the
 * device (tun_net_xmit() queues it, tun_do_read() hands it over) and writes packets that the
 * stack receives as if from a wire (tun_get_user() → netif_rx()).
 *
 * Deliberate differences: the reader is a callback (kernel.onXmit), called as the packet is
 * queued; no offloads (a segment is handed over as the stack built it, which is what a reader
 * of a TSO-enabled tun device sees for one write: one large segment); packets on a tun device
 * are not seen by lo's capture taps.
 */
import type { Kernel } from './kernel.ts';
import { addNetDevice, type NetDevice } from './route.ts';
import { tcpV4Rcv } from './tcp_ipv4.ts';
import type { Segment } from './types.ts';

export interface TunOptions {
  name?: string;
  /** The device's address and prefix length (packetdrill: 192.168.0.1/16). */
  addr: number;
  prefixLen: number;
  /** packetdrill's tun devices: 1500 (TUN_DRIVER_DEFAULT_MTU). */
  mtu?: number;
  /** Remote prefixes routed through the device (packetdrill: 192.0.2.1/24 via the gateway). */
  routes?: { dst: number; prefixLen: number; gateway: number }[];
}

/** tun_set_iff() + bring-up + address and routes, as packetdrill's netdev.c sets tun0 up. */
export function tunCreate(k: Kernel, o: TunOptions): NetDevice {
  return addNetDevice(k, { name: o.name ?? 'tun0', mtu: o.mtu ?? 1500, addr: o.addr, prefixLen: o.prefixLen, kind: 'tun' }, o.routes ?? []);
}

/** tun_net_xmit(): the packet goes to the reader of the device (the xmit hooks), not back into the stack. */
export function tunNetXmit(k: Kernel, seg: Segment, sock: number | null): void {
  k.stats.xmit++;
  if (k.sim.observed) k.sim.emit({ type: 'xmit', t: k.now, seg, sock });
  for (let i = 0; i < k.xmitHooks.length; i++) k.xmitHooks[i](seg);
}

/** tun_get_user(): a packet written to the device arrives at the stack (netif_rx → ip_rcv → tcp_v4_rcv). */
export function tunGetUser(k: Kernel, seg: Omit<Segment, 'id'>): Segment {
  const full: Segment = { ...seg, id: k.nextSegId++ };
  if (k.sim.observed) k.sim.emit({ type: 'xmit', t: k.now, seg: full, sock: null });
  tcpV4Rcv(k, full);
  return full;
}
