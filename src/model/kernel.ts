/**
 * The shared state of the TCP/IPv4 stack of one network namespace (`lo`, and the tun devices a
 * scripted peer adds, route.ts and tun.ts): the
 * kernel's `struct net` (its hash tables, SNMP counters, sysctls via the profile, secrets)
 * plus the clocks and the devices' state the model keeps beside it.
 *
 * The functions live in modules named after the kernel files that hold them (see the table
 * in ARCHITECTURE.md, section 1, "Kernel"): free functions taking
 * the Kernel as their first argument, under the kernel's names in camelCase, e.g.
 * `tcpV4Rcv(k, skb)` in tcp_ipv4.ts. Behaviour that differs between kernels is selected by
 * the profile, never by `if (version > ...)` scattered around: see profiles.ts for each
 * switch and the commit that introduced it.
 *
 * Deliberate difference: the kernel reaches a socket's netns through sock_net(sk); the model
 * has one netns and passes it explicitly.
 */
import { Rng } from './rng.ts';
import { LOOPBACK } from './seq.ts';
import { Sim } from './sim.ts';
import { IdTable, IntTable } from './inttable.ts';
import type { TcpSock } from './sock.ts';
import type { Profile } from './profiles.ts';
import type { CubicParams } from './tcp_cubic.ts';
import type { Ns, Segment, SockDiag } from './types.ts';
import { Ehash, pinEphemeralPort, type BindBucket } from './inet_hashtables.ts';
import { inject, onXmit, type CaptureTap } from './loopback.ts';
import { inetDiagDump } from './inet_diag.ts';
import { loopbackSetup, type FibRoute, type NetDevice, type Rtable } from './route.ts';
import { tunCreate, tunGetUser, type TunOptions } from './tun.ts';

// The names other directories import from here.
export * from './errno.ts';
export { capturedFrames, PCAP_BLOCK_TIMEOUT_NS, type CaptureTap } from './loopback.ts';
export { Ehash } from './inet_hashtables.ts';
export { parseOptions } from './tcp_input.ts';

export interface KernelOptions {
  profile: Profile;
  seed: number;
  /** CLOCK_REALTIME at boot, ns since the epoch (pcap timestamps, ISN clock). */
  realtimeBaseNs?: number;
  /** Pin the secret of secure_tcp_seq() (net_secret), a boot-time random value. */
  isnSecret?: number;
  sim?: Sim;
}

/** A syncookie the listener sent (what cookie_v4_check() decodes from the ACK's cookie). */
export interface SentCookie {
  isn: number;
  rcvIsn: number;
  ts: number;
  wscale: number | null;
  sack: boolean;
  tsOk: boolean;
  tsOff: number;
  /** The MSS the cookie encodes (msstab: 536, 1300, 1440 or 1460). */
  mss: number;
}

export class Kernel {
  readonly sim: Sim;
  readonly profile: Profile;
  readonly HZ: number;
  readonly jiffyNs: number;
  readonly rng: Rng;
  /** CLOCK_REALTIME at boot in whole microseconds (exact as a double, unlike epoch ns). */
  realtimeBaseUs: number;
  /** Secrets of secure_tcp_seq / inet_ehashfn / port offsets, drawn from the seed. */
  readonly isnSecret: [number, number];
  readonly ehashSecret: number;
  readonly portSecret: number;
  readonly ehashMask = 0xffff;
  /** One-shot override of the ISN-to-SYN latency for the next connect() (a chance input). */
  isnLeadOnce: number | null = null;
  /** 4.4: the static `hint` of __inet_hash_connect(). */
  portHint = 0;
  nextId = 1;
  nextInode = 20000;
  nextSegId = 0;
  hashSeq = 0;
  readonly listening = new Map<number, TcpSock[]>();
  readonly ehash = new Ehash();
  readonly bhash = new IntTable<BindBucket>(1024);
  readonly socks = new IdTable<TcpSock>();
  readonly taps = new Set<CaptureTap>();
  readonly mib: Record<string, number> = {};
  /** Segments put on lo (xmitData: those with payload), segments received, and SYNs refilled from skbPool (tcpSendSyn). */
  readonly stats = { xmit: 0, xmitData: 0, rcv: 0, skbRecycled: 0 };
  /** Observers of every transmitted segment (scripted peers, packetdrill-style tests). */
  readonly xmitHooks: ((seg: Segment) => void)[] = [];
  /** 4.4 global challenge-ACK budget (tcp_send_challenge_ack). */
  challengeTimestamp = -1;
  challengeCount = 0;
  /** tcp_cubic's module parameters (/sys/module/tcp_cubic/parameters/, host-wide): the profile's defaults until set. */
  cubicParams: CubicParams | null = null;
  /**
   * End of the softirq work in flight: on lo, dev_queue_xmit() ends with local_bh_enable(), so
   * the receive path (and any reply chain) runs before the sending syscall returns.
   */
  softirqUntil = 0;
  /**
   * Process context (a system call running) and the skbs it has put on lo: Linux's
   * dev_queue_xmit() ends with local_bh_enable(), which runs the receive softirq there and
   * then, so a call's next skb leaves only after the last one was received (loopback.ts).
   */
  inSyscall = false;
  syscallLoXmits = 0;
  /** skbs waiting to leave on lo behind a receive softirq (FIFO from loTxHead), and per socket how many. */
  readonly loTxQueue: { seg: Segment; sock: number | null }[] = [];
  loTxHead = 0;
  loTxArmed = false;
  readonly loTxPending = new Map<number, number>();
  /**
   * sk->sk_backlog of each socket a system call still owns (its skbs waiting on lo): what
   * arrives for it meanwhile, processed by release_sock() (sock.ts) once they are out.
   */
  readonly sockBacklog = new Map<number, Segment[]>();
  /** Remote addresses whose segments on lo are not delivered locally (scripted peers on lo). */
  readonly remotePeers = new Set<number>();
  /** The namespace's network devices, lo first (route.ts), and the main routing table. */
  readonly devs: NetDevice[];
  /** The route to 127.0.0.1 over this namespace's lo (ip_route_output_key()'s common case, shared). */
  readonly loRoute: Rtable;
  readonly routes: FibRoute[] = [];
  /** jiffies(k) computed at one instant (a handler reads it several times). */
  jiffiesAt = -1;
  jiffiesThen = 0;
  /** The last MSS and window-scale options built, shared by the segments that carry the same value. */
  mssOpt: { kind: 'mss'; value: number } | null = null;
  wscaleOpt: { kind: 'wscale'; shift: number } | null = null;
  /** SYNs freed by kfreeSkb() for tcpSendSyn() to refill (skbuff.ts). */
  readonly skbPool: Segment[] = [];
  /** Syncookies sent, by 4-tuple (syncookies.ts). */
  readonly sentCookies = new Map<string, SentCookie>();

  constructor(opts: KernelOptions) {
    this.sim = opts.sim ?? new Sim();
    const lo = loopbackSetup();
    this.devs = [lo];
    this.loRoute = { dev: lo, src: LOOPBACK, local: true };
    this.profile = opts.profile;
    this.HZ = opts.profile.HZ;
    this.jiffyNs = 1_000_000_000 / this.HZ;
    if (!Number.isInteger(this.jiffyNs)) throw new Error(`HZ=${this.HZ} does not divide 1e9`);
    this.rng = new Rng(opts.seed);
    this.realtimeBaseUs = Math.round((opts.realtimeBaseNs ?? 1_462_000_000_000_000_000) / 1000);
    this.isnSecret = [this.rng.nextU32(), this.rng.nextU32()];
    if (opts.isnSecret !== undefined) this.isnSecret[0] = opts.isnSecret >>> 0;
    this.ehashSecret = this.rng.nextU32();
    this.portSecret = this.rng.nextU32();
  }

  get sysctl() {
    return this.profile.sysctl;
  }
  get now(): Ns {
    return this.sim.now;
  }

  // The entry points code outside src/model calls (the packetdrill and experiment runners,
  // tests), each a call of the function's one home.

  /** loopback.ts inject(): a scripted remote peer's segment arrives on lo. */
  inject(seg: Omit<Segment, 'id'>): Segment {
    return inject(this, seg);
  }
  /** tun.ts tunCreate(): a tun device with its address and routes (packetdrill's tun0). */
  tunCreate(o: TunOptions): NetDevice {
    return tunCreate(this, o);
  }
  /** tun.ts tunGetUser(): a remote peer's segment written to a tun device. */
  tunWrite(seg: Omit<Segment, 'id'>): Segment {
    return tunGetUser(this, seg);
  }
  /** loopback.ts onXmit(): observe what the stack sends (on lo, and out of tun devices). */
  onXmit(h: (seg: Segment) => void): void {
    onXmit(this, h);
  }
  /** inet_hashtables.ts pinEphemeralPort(). */
  pinEphemeralPort(port: number, saddr: number, daddr: number, dport: number): void {
    pinEphemeralPort(this, port, saddr, daddr, dport);
  }
  /** inet_diag.ts inetDiagDump(). */
  inetDiagDump(info = false): SockDiag[] {
    return inetDiagDump(this, info);
  }
}

