/**
 * net/ipv4/route.c and the address side of net/ipv4/devinet.c (Linux 4.4 and 6.18): the
 * network devices of the namespace with their IPv4 address, the output route of a destination
 * (ip_route_output_key() over the local and main tables, with the preferred source that
 * inet_select_addr() gives), the route's MTU (ipv4_mtu()) and the MSS a socket advertises over
 * it (ipv4_default_advmss()).
 *
 * Deliberate differences: one address per device and a route table of connected subnets plus
 * explicit `dst/len via gateway dev` routes, no policy routing, no metrics (RTAX_ADVMSS,
 * RTAX_INITRWND, RTAX_WINDOW unset), no PMTU cache. A namespace always has `lo`
 * (127.0.0.1/8, MTU 65536); with nothing else, a destination outside 127/8 keeps the model's
 * old answer (lo, source 127.0.0.1) instead of -ENETUNREACH, so that experiments on lo run as
 * they always did.
 */
import type { Kernel } from './kernel.ts';
import { LOOPBACK } from './seq.ts';

export interface NetDevice {
  name: string;
  ifindex: number;
  mtu: number;
  /** The device's IPv4 address (its primary ifa_local) and prefix length. */
  addr: number;
  prefixLen: number;
  /** 'lo' delivers back into this stack; 'tun' hands the packet to the process holding the device. */
  kind: 'lo' | 'tun';
  /**
   * NETIF_F_GSO and TSO (`ethtool -K DEV gso off tso off` clears them; on by default): without
   * them a GSO packet is cut into MSS-sized segments before the device (validate_xmit_skb()).
   */
  gso?: boolean;
}

/** A route of the main table: `dst/prefixLen via gateway dev` (gateway 0: on-link). */
export interface FibRoute {
  dst: number;
  prefixLen: number;
  gateway: number;
  dev: NetDevice;
}

/** The result of an output route lookup (struct rtable, as far as TCP reads it). */
export interface Rtable {
  dev: NetDevice;
  /** The preferred source address (fl4->saddr after the lookup). */
  src: number;
  /** RTN_LOCAL: the destination is one of this host's addresses (delivered over lo). */
  local: boolean;
}

/**
 * loopback_setup(): lo, ifindex 1, MTU 64 KiB (since 2.6.x, LOOPBACK_MTU), with GSO and TSO.
 * Each namespace has its own (Kernel.devs[0]), as `ip link set lo mtu N` changes one netns's lo.
 */
export function loopbackSetup(): NetDevice {
  return { name: 'lo', ifindex: 1, mtu: 65536, addr: LOOPBACK, prefixLen: 8, kind: 'lo', gso: true };
}

const mask = (len: number): number => (len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0);
const inSubnet = (a: number, net: number, len: number): boolean => ((a ^ net) & mask(len)) >>> 0 === 0;

/**
 * ip_route_output_key() for a destination: the local table first (an address of one of our
 * devices, or 127/8: RTN_LOCAL over lo, source the destination itself), then the main table
 * (the longest prefix among the connected subnets and the explicit routes), its source the
 * device's address (inet_select_addr()). With only lo, anything else goes to lo (see above).
 */
export function ipRouteOutputKey(k: Kernel, daddr: number): Rtable {
  const lo = k.loRoute;
  if (daddr === LOOPBACK) return lo; // the common case: no allocation
  if (k.devs.length === 1) return daddr >>> 24 === 127 ? { dev: lo.dev, src: daddr, local: true } : lo;
  if (daddr >>> 24 === 127) return { dev: lo.dev, src: daddr, local: true };
  for (const d of k.devs) if (d.addr === daddr) return { dev: lo.dev, src: daddr, local: true };
  let best: FibRoute | null = null;
  for (const r of k.routes) if (inSubnet(daddr, r.dst, r.prefixLen) && (!best || r.prefixLen > best.prefixLen)) best = r;
  return best ? { dev: best.dev, src: best.dev.addr, local: false } : lo;
}

/**
 * ipv4_mtu(): the device's MTU (no PMTU exception, no RTAX_MTU metric), at most IP_MAX_MTU
 * (0xFFFF): lo's 65536 gives 65535, the icsk_pmtu_cookie ss -i shows as pmtu:65535.
 */
export function ipv4Mtu(rt: Rtable): number {
  return Math.min(rt.dev.mtu, 0xffff);
}

/**
 * ipv4_default_advmss(): the MTU less the IPv4 and TCP headers, at least ip_rt_min_advmss
 * (256), at most IPV4_MAX_PMTU - 40 = 65495 (lo: 65536 - 40 is capped to 65495).
 */
export function ipv4DefaultAdvmss(rt: Rtable): number {
  const headers = 20 + 20;
  return Math.min(Math.max(ipv4Mtu(rt) - headers, 256), 65535 - headers);
}

/** The device a segment to `daddr` leaves by (the hot path: lo unless a second device exists). */
export function outputDev(k: Kernel, daddr: number): NetDevice {
  return k.devs.length === 1 ? k.devs[0] : ipRouteOutputKey(k, daddr).dev;
}

/**
 * dev_set_mtu() (net/core/dev.c), `ip link set dev NAME mtu N`: routes read the device's MTU
 * when they are looked up, so new connections see it (no PMTU cache to flush). -EINVAL
 * outside the device's range (68..65535 for a tun device).
 */
export function devSetMtu(k: Kernel, name: string, mtu: number): number {
  const d = k.devs.find((x) => x.name === name);
  if (!d) return -19; // -ENODEV
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) return -22; // -EINVAL
  d.mtu = mtu;
  return 0;
}

/**
 * `ethtool -K NAME gso on|off tso on|off` (ethnl_set_features(), net/ethtool/features.c, then
 * netdev_update_features()): whether the device takes GSO packets whole. -ENODEV for no such device.
 */
export function ethtoolSetGso(k: Kernel, name: string, on: boolean): number {
  const d = k.devs.find((x) => x.name === name);
  if (!d) return -19; // -ENODEV
  d.gso = on;
  return 0;
}

/**
 * `ip link add` + `ip addr add addr/len dev` + `ip route add dst/len via gw dev`: a device
 * with its address; its connected subnet and the given routes join the main table.
 */
export function addNetDevice(k: Kernel, dev: Omit<NetDevice, 'ifindex'>, routes: { dst: number; prefixLen: number; gateway: number }[] = []): NetDevice {
  if (k.devs.some((d) => d.name === dev.name)) throw new Error(`device ${dev.name} exists`);
  const d: NetDevice = { ...dev, ifindex: k.devs.length + 1 };
  k.devs.push(d);
  k.routes.push({ dst: (d.addr & mask(d.prefixLen)) >>> 0, prefixLen: d.prefixLen, gateway: 0, dev: d });
  for (const r of routes) k.routes.push({ dst: (r.dst & mask(r.prefixLen)) >>> 0, prefixLen: r.prefixLen, gateway: r.gateway, dev: d });
  return d;
}
