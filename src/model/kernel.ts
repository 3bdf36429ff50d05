/**
 * The TCP/IPv4 stack of one network namespace with only `lo`.
 *
 * Function names mirror the kernel at its decision points (net/ipv4/tcp_input.c,
 * tcp_ipv4.c, tcp_minisocks.c, tcp_output.c, tcp_timer.c, inet_connection_sock.c,
 * inet_hashtables.c) so a reader can cross-reference elixir. Behaviour that differs
 * between kernels is selected by the profile, never by `if (version > ...)` scattered
 * around: see profiles.ts for each switch and the commit that introduced it.
 */
import { Rng, jhash3 } from './rng.ts';
import { after, before, u32 } from './seq.ts';
import { Sim, type SimEvent } from './sim.ts';
import { IdTable, IntTable } from './inttable.ts';
import {
  RCV_SHUTDOWN,
  RequestSock,
  SEND_SHUTDOWN,
  SHUTDOWN_MASK,
  newTcpSock,
  type TcpSock,
  TimewaitSock,
  append,
  remove,
  type AnySock,
} from './sock.ts';
import type { Profile } from './profiles.ts';
import {
  DIAG_TIMER_KEEPALIVE,
  DIAG_TIMER_OFF,
  DIAG_TIMER_ON,
  DIAG_TIMER_PERSIST,
  DIAG_TIMER_TIMEWAIT,
  TCP_CLOSE,
  TCP_CLOSE_WAIT,
  TCP_CLOSING,
  TCP_ESTABLISHED,
  TCP_FIN_WAIT1,
  TCP_FIN_WAIT2,
  TCP_LAST_ACK,
  TCP_LISTEN,
  TCP_SYN_RECV,
  TCP_SYN_SENT,
  TCP_TIME_WAIT,
  TH_ACK,
  TH_FIN,
  TH_PSH,
  TH_RST,
  TH_SYN,
  type CapturedFrame,
  type DropReason,
  type Ns,
  type Segment,
  type SockDiag,
  type TcpOption,
  type TcpState,
  type TimerKind,
} from './types.ts';

export const EPERM = 1;
export const EINTR = 4;
export const EBADF = 9;
export const EAGAIN = 11;
export const EFAULT = 14;
export const EINVAL = 22;
export const EPIPE = 32;
export const ENOTSOCK = 88;
export const EOPNOTSUPP = 95;
export const EADDRINUSE = 98;
export const EADDRNOTAVAIL = 99;
export const ECONNRESET = 104;
export const EISCONN = 106;
export const ENOTCONN = 107;
export const ETIMEDOUT = 110;
export const ECONNREFUSED = 111;
export const EALREADY = 114;
export const EINPROGRESS = 115;

export const ERRNO_NAMES: Record<number, string> = {
  1: 'EPERM', 4: 'EINTR', 9: 'EBADF', 11: 'EAGAIN', 14: 'EFAULT', 22: 'EINVAL', 32: 'EPIPE', 88: 'ENOTSOCK',
  95: 'EOPNOTSUPP', 98: 'EADDRINUSE', 99: 'EADDRNOTAVAIL', 104: 'ECONNRESET', 106: 'EISCONN', 107: 'ENOTCONN',
  110: 'ETIMEDOUT', 111: 'ECONNREFUSED', 114: 'EALREADY', 115: 'EINPROGRESS',
};
/** strerror() texts glibc prints. */
export const STRERROR: Record<number, string> = {
  4: 'Interrupted system call', 9: 'Bad file descriptor', 11: 'Resource temporarily unavailable',
  22: 'Invalid argument', 32: 'Broken pipe', 98: 'Address already in use', 99: 'Cannot assign requested address',
  104: 'Connection reset by peer', 106: 'Transport endpoint is already connected',
  107: 'Transport endpoint is not connected', 110: 'Connection timed out', 111: 'Connection refused',
  114: 'Operation already in progress', 115: 'Operation now in progress',
};

/** include/net/tcp.h: TCP_TIMEWAIT_LEN is 60 s. */
const TCP_TIMEWAIT_LEN_S = 60;
/** TCP_RTO_MAX = 120 s, TCP_RTO_MIN = HZ/5, TCP_TIMEOUT_INIT = 1 s, TCP_TIMEOUT_MIN = 2 jiffies. */
const TCP_RTO_MAX_S = 120;
const TCP_TIMEOUT_MIN = 2;

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

interface BindBucket {
  port: number;
  /** fastreuse: -1 when created by connect() (__inet_hash_connect), >= 0 by bind(). */
  fastreuse: number;
  /** The sockets bound to the port (tb->owners; only whether one conflicts matters, not the order). */
  owners: (TcpSock | TimewaitSock)[];
}

const key = (laddr: number, lport: number, raddr: number, rport: number): string =>
  `${laddr}:${lport}>${raddr}:${rport}`;

/**
 * The established hash as a lookup structure: an IntTable keyed by a small integer folded
 * from the port pair (IntTable keys are below 2^31), with the rare entries
 * that share a key in a short list; entries are told apart by all four fields. Dump order is
 * computed separately (inetEhashfn).
 */
const ehashKey = (lport: number, rport: number): number => ((lport << 15) ^ rport) & 0x3fffffff;
const sameTuple = (s: AnySock, laddr: number, lport: number, raddr: number, rport: number): boolean =>
  s.sport === lport && s.dport === rport && s.saddr === laddr && s.daddr === raddr;

export class Ehash {
  private m = new IntTable<AnySock | AnySock[]>(1024);
  size = 0;
  get(laddr: number, lport: number, raddr: number, rport: number): AnySock | undefined {
    const e = this.m.get(ehashKey(lport, rport));
    if (e === undefined) return undefined;
    if (!Array.isArray(e)) return sameTuple(e, laddr, lport, raddr, rport) ? e : undefined;
    return e.find((s) => sameTuple(s, laddr, lport, raddr, rport));
  }
  has(laddr: number, lport: number, raddr: number, rport: number): boolean {
    return this.get(laddr, lport, raddr, rport) !== undefined;
  }
  /** Insert s, replacing an entry with the same 4-tuple. */
  set(s: AnySock): void {
    const k = ehashKey(s.sport, s.dport);
    const e = this.m.get(k);
    if (e === undefined) {
      this.m.set(k, s);
      this.size++;
    } else if (!Array.isArray(e)) {
      if (sameTuple(e, s.saddr, s.sport, s.daddr, s.dport)) this.m.set(k, s);
      else {
        this.m.set(k, [e, s]);
        this.size++;
      }
    } else {
      const old = e.find((x) => sameTuple(x, s.saddr, s.sport, s.daddr, s.dport));
      if (old) remove(e, old); // the replaced entry leaves, s goes to the end (as delete + insert)
      else this.size++;
      e.push(s);
    }
  }
  delete(s: AnySock): boolean {
    const k = ehashKey(s.sport, s.dport);
    const e = this.m.get(k);
    if (e === undefined) return false;
    if (!Array.isArray(e)) {
      if (e !== s) return false;
      this.m.delete(k);
    } else {
      if (!remove(e, s)) return false;
      if (e.length === 1) this.m.set(k, e[0]);
    }
    this.size--;
    return true;
  }
  *values(): IterableIterator<AnySock> {
    for (const e of this.m.values()) {
      if (Array.isArray(e)) yield* e;
      else yield e;
    }
  }
}

const EMPTY = new Uint8Array(0);
/**
 * Option objects without a value are shared by every segment (options are never mutated,
 * except the TS option of a SYN that kfreeSkb() recycled, which is that SYN's own).
 */
const OPT_NOP: TcpOption = { kind: 'nop' };
const OPT_SACK_OK: TcpOption = { kind: 'sackOK' };
/** 2^38: realtimeClock64() needs bits 6..37 of the ns clock. */
const TWO_38 = 274877906944;
/** The 4.8+ timer wheel at LVL_CLK_SHIFT 3: level n starts at 63 << 3(n-1) jiffies, granule 8^n. */
const LVL_START = [0, 63, 504, 4032, 32256, 258048, 2064384, 16515072, 132120576];
const LVL_GRAN = [1, 8, 64, 512, 4096, 32768, 262144, 2097152, 16777216];

export interface KernelOptions {
  profile: Profile;
  seed: number;
  /** CLOCK_REALTIME at boot, ns since the epoch (pcap timestamps, ISN clock). */
  realtimeBaseNs?: number;
  /** Pin the secret of secure_tcp_seq() (net_secret), a boot-time random value. */
  isnSecret?: number;
  sim?: Sim;
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
  private readonly isnSecret: [number, number];
  private readonly ehashSecret: number;
  private readonly portSecret: number;
  private readonly ehashMask = 0xffff;
  /** One-shot override of the ISN-to-SYN latency for the next connect() (a chance input). */
  isnLeadOnce: number | null = null;
  /** 4.4: the static `hint` of __inet_hash_connect(). */
  portHint = 0;
  private nextId = 1;
  private nextInode = 20000;
  private nextSegId = 0;
  private hashSeq = 0;
  readonly listening = new Map<number, TcpSock[]>();
  readonly ehash = new Ehash();
  readonly bhash = new IntTable<BindBucket>(1024);
  readonly socks = new IdTable<TcpSock>();
  readonly taps = new Set<CaptureTap>();
  readonly mib: Record<string, number> = {};
  /** Segments transmitted on lo and receive verdicts, counted even when the trace is off. */
  /** Segments put on lo, segments received, and SYNs refilled from skbPool (tcpSendSyn). */
  readonly stats = { xmit: 0, rcv: 0, skbRecycled: 0 };
  /** Observers of every transmitted segment (scripted peers, packetdrill-style tests). */
  private xmitHooks: ((seg: Segment) => void)[] = [];
  /** 4.4 global challenge-ACK budget (tcp_send_challenge_ack). */
  private challengeTimestamp = -1;
  private challengeCount = 0;
  /**
   * End of the softirq work in flight: on lo, dev_queue_xmit() ends with local_bh_enable(), so
   * the receive path (and any reply chain) runs before the sending syscall returns.
   */
  softirqUntil = 0;
  /** Remote addresses whose segments are not delivered locally (scripted peers). */
  readonly remotePeers = new Set<number>();

  constructor(opts: KernelOptions) {
    this.sim = opts.sim ?? new Sim();
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

  // ───────────────────────────── clocks ─────────────────────────────

  /** jiffies, starting at INITIAL_JIFFIES = -300*HZ (so 32-bit jiffies wrap 5 min after boot). */
  get jiffies(): number {
    // a handler reads jiffies several times at one instant: the division is done once per instant
    const now = this.sim.now;
    if (now !== this.jiffiesAt) {
      this.jiffiesAt = now;
      this.jiffiesThen = Math.floor(now / this.jiffyNs) - 300 * this.HZ;
    }
    return this.jiffiesThen;
  }
  private jiffiesAt = -1;
  private jiffiesThen = 0;
  /** Start time (ns) of a jiffy. */
  jiffyStart(j: number): Ns {
    return (j + 300 * this.HZ) * this.jiffyNs;
  }
  /** CLOCK_REALTIME in ns, truncated to whole microseconds so the double is exact after /1000. */
  realtimeNs(): number {
    return (this.realtimeBaseUs + Math.floor(this.sim.now / 1000)) * 1000;
  }
  /** ktime_get_real_ns() >> 6 (seq_scale's 64 ns clock), mod 2^32, computed exactly. */
  private realtimeClock64(leadNs = 0): number {
    // (base * 1000 + d) >> 6 mod 2^32 only depends on the sum mod 2^38, and
    // (base mod 2^38) * 1000 + d stays below 2^53, so doubles give the exact result.
    const lo = (this.realtimeBaseUs % TWO_38) * 1000 + (this.sim.now - leadNs);
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(this.realtimeBaseUs)) {
      const ns = BigInt(this.realtimeBaseUs) * 1000n + BigInt(this.sim.now - leadNs);
      return Number((ns >> 6n) & 0xffffffffn);
    }
    const m = ((lo % TWO_38) + TWO_38) % TWO_38;
    return Math.floor(m / 64);
  }
  msToJiffies(ms: number): number {
    return Math.ceil((ms * this.HZ) / 1000);
  }
  /** TSval: tcp_time_stamp = jiffies (4.4) or the ms clock plus a per-4-tuple offset (6.18). */
  tcpTimeStamp(tsOffset: number): number {
    if (this.profile.behaviour.tsClock === 'jiffies') return u32(this.jiffies);
    return u32(Math.floor(this.sim.now / 1_000_000) + tsOffset);
  }

  /**
   * When a timer armed now with `expires` (jiffies) runs. 'exact': on the expiry jiffy (the
   * cascading wheel of < 4.8; a timer already due runs on the next tick). 'granular': the
   * 4.8+ wheel's calc_wheel_index()/calc_index() put it in a bucket of its level and round
   * up by one granule, so it never fires early and may fire up to a granule late.
   */
  timerFireTime(expires: number): Ns {
    const now = this.jiffies;
    let fire: number;
    if (this.profile.behaviour.timerWheel === 'exact') {
      fire = Math.max(expires, now + 1);
    } else {
      // kernel/time/timer.c: LVL_CLK_SHIFT 3, LVL_BITS 6, LVL_START(n) = 63 << 3(n-1)
      const delta = expires - now;
      if (delta < 0) {
        fire = now + 1;
      } else {
        let lvl = 0;
        while (lvl < 8 && delta >= LVL_START[lvl + 1]) lvl++;
        const gran = LVL_GRAN[lvl];
        // calc_index(): expires = (expires >> LVL_SHIFT(lvl)) + 1; bucket_expiry = expires << LVL_SHIFT(lvl)
        fire = (Math.floor(expires / gran) + 1) * gran;
      }
    }
    return this.jiffyStart(fire) + this.profile.costs.timerSoftirqNs;
  }

  private armTimer(fn: () => void, expires: number): SimEvent {
    return this.sim.at(this.timerFireTime(expires), fn);
  }

  // ───────────────────────────── trace helpers ─────────────────────────────

  private mibInc(counter: string, delta = 1): void {
    this.mib[counter] = (this.mib[counter] ?? 0) + delta;
    if (this.sim.traceDetail) this.sim.emit({ type: 'mib', t: this.now, counter, delta });
  }

  /** mibInc('ListenOverflows'); mibInc('ListenDrops'), with literal keys (the SYN-flood hot path). */
  private mibListenOverflow(): void {
    const mib = this.mib;
    mib['ListenOverflows'] = (mib['ListenOverflows'] ?? 0) + 1;
    if (this.sim.traceDetail) this.sim.emit({ type: 'mib', t: this.now, counter: 'ListenOverflows', delta: 1 });
    mib['ListenDrops'] = (mib['ListenDrops'] ?? 0) + 1;
    if (this.sim.traceDetail) this.sim.emit({ type: 'mib', t: this.now, counter: 'ListenDrops', delta: 1 });
  }

  private traceTimer(sock: number, timer: TimerKind, action: 'armed' | 'fired' | 'cleared', expires?: number, fireAt?: Ns, retrans?: number): void {
    if (this.sim.traceDetail)
      this.sim.emit({ type: 'timer', t: this.now, sock, timer, action, expiresJiffies: expires, fireAt, retrans });
  }

  private traceQueues(sk: TcpSock): void {
    if (!this.sim.traceDetail) return;
    const d = this.tcpDiagGetInfo(sk);
    this.sim.emit({ type: 'queues', t: this.now, sock: sk.id, rqueue: d.rqueue, wqueue: d.wqueue });
  }

  private traceAcceptq(l: TcpSock): void {
    if (this.sim.traceDetail)
      this.sim.emit({ type: 'acceptq', t: this.now, listener: l.id, queue: l.acceptQueue.map((c) => c.id) });
  }

  newSockId(): number {
    return this.nextId++;
  }

  // ───────────────────────────── socket tables ─────────────────────────────

  /** inet_ehashfn(): the bucket an entry lives in; dump order follows bucket index. */
  inetEhashfn(laddr: number, lport: number, faddr: number, fport: number): number {
    return jhash3(laddr, faddr, fport, u32(this.ehashSecret + lport)) & this.ehashMask;
  }

  private ehashInsert(s: AnySock): void {
    this.ehash.set(s);
    s.hashed = true;
    s.hashSeq = ++this.hashSeq;
    if (this.sim.traceDetail) this.sim.emit({ type: 'hash', t: this.now, sock: s.id, hashed: true });
  }

  private ehashRemove(s: AnySock): void {
    this.ehash.delete(s);
    if (s.hashed && this.sim.traceDetail) this.sim.emit({ type: 'hash', t: this.now, sock: s.id, hashed: false });
    s.hashed = false;
  }

  private ehashReplace(old: AnySock, s: AnySock): void {
    this.ehashRemove(old);
    this.ehashInsert(s);
  }

  tcpSetState(sk: TcpSock, state: TcpState): void {
    const from = sk.state;
    if (from === state) return;
    sk.state = state;
    if (this.sim.traceDetail) this.sim.emit({ type: 'state', t: this.now, sock: sk.id, from, to: state });
    if (state === TCP_CLOSE) {
      // sk->sk_prot->unhash(sk); inet_put_port(sk) — unless the port is owned by a user
      // bind (SOCK_BINDPORT_LOCK), which we do not model separately.
      if (from === TCP_LISTEN) this.listenUnhash(sk);
      else this.ehashRemove(sk);
      this.inetPutPort(sk);
    }
  }

  private listenUnhash(sk: TcpSock): void {
    const arr = this.listening.get(sk.sport);
    if (!arr) return;
    remove(arr, sk);
    if (!arr.length) this.listening.delete(sk.sport);
    if (sk.hashed && this.sim.traceDetail) this.sim.emit({ type: 'hash', t: this.now, sock: sk.id, hashed: false });
    sk.hashed = false;
  }

  /**
   * inet_bind_hash(sk, tb, port): join the port's bind bucket tb, which the caller looked up, or,
   * when there is none, create it (inet_bind_bucket_create) with s as its first owner.
   */
  private inetBindHash(s: TcpSock | TimewaitSock, tb: BindBucket | undefined, port: number, fastreuse: number): void {
    if (!tb) this.bhash.set(port, { port, fastreuse, owners: [s] }); // an exact-size array: most ports have one owner
    else if (!tb.owners.includes(s)) tb.owners.push(s);
    s.bindPort = port;
  }

  /** inet_put_port(): leave the bind bucket; an empty bucket is freed. */
  inetPutPort(s: TcpSock | TimewaitSock): void {
    if (!s.bindPort) return;
    const tb = this.bhash.get(s.bindPort);
    if (tb) {
      remove(tb.owners, s);
      if (!tb.owners.length) this.bhash.delete(s.bindPort);
    }
    s.bindPort = 0;
  }

  /**
   * inet_csk_bind_conflict(): does binding `sk` to `port` clash with an owner of the bucket?
   * A timewait socket keeps the SO_REUSEADDR of the socket it replaced (tw_reuse); nc's
   * client sockets set none, so even a new socket with SO_REUSEADDR conflicts with it.
   */
  inetCskBindConflict(sk: TcpSock, tb: BindBucket): boolean {
    for (const sk2 of tb.owners) {
      if (sk2 === sk) continue;
      const state2 = sk2.kind === 'timewait' ? sk2.substate : sk2.state;
      const reuseOk = sk.reuse && sk2.reuse && state2 !== TCP_LISTEN;
      const reuseportOk = sk.reuseport && sk2.reuseport && sk2.kind === 'full' && sk2.uid === sk.uid;
      if (reuseOk || reuseportOk) continue;
      if (!sk2.saddr || !sk.saddr || sk2.saddr === sk.saddr) return true;
    }
    return false;
  }

  /** inet_csk_get_port(): bind to a given port (snum > 0) or pick one (snum == 0). */
  inetCskGetPort(sk: TcpSock, snum: number): number {
    if (snum === 0) {
      // bind(0)/listen autobind: prefer odd ports since 4.6; we scan from the low end.
      const [lo, hi] = this.sysctl['net.ipv4.ip_local_port_range'];
      for (let p = Math.max(lo, 1) | 1; p <= Math.min(hi, 65535); p += 2) {
        const tb = this.bhash.get(p);
        if (!tb || !this.inetCskBindConflict(sk, tb)) {
          this.inetBindHash(sk, tb, p, sk.reuse ? 1 : 0);
          sk.sport = p;
          return 0;
        }
      }
      return -EADDRINUSE;
    }
    const tb = this.bhash.get(snum);
    if (tb && this.inetCskBindConflict(sk, tb)) return -EADDRINUSE;
    this.inetBindHash(sk, tb, snum, sk.reuse ? 1 : 0);
    sk.sport = snum;
    return 0;
  }

  /** secure_ipv4_port_ephemeral(): keyed hash of (saddr, daddr, dport). */
  private securePortEphemeral(saddr: number, daddr: number, dport: number): number {
    return jhash3(saddr, daddr, dport, this.portSecret);
  }

  /**
   * Make the next ephemeral port chosen for (saddr, daddr, dport) be `port`, as if other
   * connections on the box had advanced the kernel's hint. Used to pin a chance value.
   */
  pinEphemeralPort(port: number, saddr: number, daddr: number, dport: number): void {
    const [lo] = this.sysctl['net.ipv4.ip_local_port_range'];
    this.portHint = u32(port - lo - this.securePortEphemeral(saddr, daddr, dport));
  }

  /** __inet_hash_connect(): choose a local port for connect() and hash the socket. */
  inetHashConnect(sk: TcpSock): number {
    if (sk.sport) {
      const tb = this.bhash.get(sk.sport);
      const alone = tb && tb.owners.length === 1 && tb.owners[0] === sk;
      if (!alone && this.ehash.has(sk.saddr, sk.sport, sk.daddr, sk.dport)) return -EADDRNOTAVAIL;
      this.ehashInsert(sk);
      return 0;
    }
    const range = this.sysctl['net.ipv4.ip_local_port_range'];
    const low = range[0];
    const remaining = range[1] - low + 1;
    // a range no kernel accepts (ipv4_local_port_range() refuses it with -EINVAL): no port
    if (!(low >= 1 && range[1] <= 65535 && remaining > 0)) return -EADDRNOTAVAIL;
    const offset = (u32(this.portHint + this.securePortEphemeral(sk.saddr, sk.daddr, sk.dport)) & ~1) >>> 0;
    // port = low + (offset + i) % remaining, with one modulo instead of one per candidate
    let idx = offset % remaining;
    for (let i = 0; i < remaining; i++, idx = idx + 1 === remaining ? 0 : idx + 1) {
      const port = low + idx;
      const tb = this.bhash.get(port);
      if (tb) {
        if (tb.fastreuse >= 0) continue;
        if (this.ehash.has(sk.saddr, port, sk.daddr, sk.dport)) continue;
      }
      this.portHint = u32(this.portHint + ((i + 2) & ~1));
      this.inetBindHash(sk, tb, port, -1);
      sk.sport = port;
      this.ehashInsert(sk);
      return 0;
    }
    return -EADDRNOTAVAIL;
  }

  // ───────────────────────────── ISNs, ids, windows ─────────────────────────────

  /**
   * secure_tcp_seq(): a keyed hash of the 4-tuple plus the 64 ns clock (seq_scale), so the
   * same 4-tuple later gets an ISN advanced by Δt/64ns. 6.18 derives the TS offset from the
   * other half of the same hash (secure_tcp_seq_and_ts_off).
   */
  secureTcpSeq(saddr: number, daddr: number, sport: number, dport: number, leadNs = 0): number {
    const h = jhash3(saddr, daddr, u32((sport << 16) | dport), this.isnSecret[0]);
    return u32(h + this.realtimeClock64(leadNs));
  }

  /** The TS offset of secure_tcp_seq_and_ts_off() (4.10+; 0 before, with a global TS clock). */
  secureTcpTsOff(saddr: number, daddr: number, sport: number, dport: number): number {
    if (this.profile.behaviour.tsClock !== 'ms-offset') return 0;
    return jhash3(daddr, saddr, u32((dport << 16) | sport), this.isnSecret[1]);
  }

  private initialInetId(sk: TcpSock): number {
    if (this.profile.behaviour.inetIdInit === 'random') return this.rng.nextU32() & 0xffff;
    return (sk.writeSeq ^ u32(this.jiffies)) & 0xffff;
  }

  /** tcp_select_window(): the raw 16-bit window field of a non-SYN segment. */
  tcpSelectWindow(sk: { rcvWnd: number; rcvWscale: number }): number {
    return Math.min(0xffff, Math.ceil(sk.rcvWnd / (1 << sk.rcvWscale)));
  }

  // ───────────────────────────── output ─────────────────────────────

  /** Put a segment on lo: every tap sees it, then it is delivered after loRxNs. */
  private ipOutput(seg: Segment, sock: number | null): void {
    this.stats.xmit++;
    if (this.sim.observed) this.sim.emit({ type: 'xmit', t: this.now, seg, sock });
    if (this.taps.size)
      for (const tap of this.taps) {
        if (!tap.active || !tap.filter(seg)) continue;
        tap.receivedByFilter += 2;
        tap.frames.push({ realtimeNs: this.realtimeNs(), seg });
        tap.times.push(this.now);
      }
    for (let i = 0; i < this.xmitHooks.length; i++) this.xmitHooks[i](seg);
    if (this.remotePeers.size && this.remotePeers.has(seg.daddr)) return;
    this.softirqUntil = Math.max(this.softirqUntil, this.now + this.profile.costs.loRxNs);
    this.sim.postAfter(this.profile.costs.loRxNs, Kernel.deliver, this, seg);
  }

  /** The receive side of lo, as a shared event function (no closure per segment). */
  private static deliver(k: Kernel, seg: Segment): void {
    k.tcpV4Rcv(seg);
  }

  private mkSeg(p: Omit<Segment, 'id' | 'urgent' | 'payload' | 'ttl' | 'df' | 'tos'> & { payload?: Uint8Array }): Segment {
    return this.newSeg(p.saddr, p.daddr, p.sport, p.dport, p.seq, p.ack, p.flags, p.window, p.options, p.payload ?? EMPTY, p.ipId, p.csum);
  }

  /** A segment from its fields (every segment has the same shape, in this key order). */
  private newSeg(saddr: number, daddr: number, sport: number, dport: number, seq: number, ack: number, flags: number, window: number, options: TcpOption[], payload: Uint8Array, ipId: number, csum: 'partial' | 'full'): Segment {
    // a socket's sequence numbers are signed 32-bit (see TcpSock): a segment's must be unsigned
    if (seq >>> 0 !== seq || ack >>> 0 !== ack) throw new Error(`segment seq/ack must be unsigned 32-bit, got ${seq}/${ack}`);
    return {
      id: this.nextSegId++,
      saddr,
      daddr,
      sport,
      dport,
      seq,
      ack,
      flags,
      window,
      urgent: 0,
      options,
      payload,
      ipId,
      ttl: 64,
      df: true,
      tos: 0,
      csum,
    };
  }

  /** The last MSS and window-scale options built, shared by the segments that carry the same value. */
  private mssOpt: { kind: 'mss'; value: number } | null = null;
  private wscaleOpt: { kind: 'wscale'; shift: number } | null = null;

  private synOptions(mss: number, ts: boolean, tsVal: number, tsEcr: number, sack: boolean, wscale: number | null): TcpOption[] {
    if (tsEcr >>> 0 !== tsEcr) throw new Error(`TS ecr must be unsigned 32-bit, got ${tsEcr}`);
    // tcp_options_write(): MSS | SACK_PERM+TS (or NOP NOP TS) | NOP+WSCALE
    let mssOpt = this.mssOpt;
    if (mssOpt === null || mssOpt.value !== mss) this.mssOpt = mssOpt = { kind: 'mss', value: mss };
    // one exact-size array literal per layout (push() would reallocate with spare capacity)
    if (wscale === null) {
      if (sack && ts) return [mssOpt, OPT_SACK_OK, { kind: 'ts', val: tsVal, ecr: tsEcr }];
      if (ts) return [mssOpt, OPT_NOP, OPT_NOP, { kind: 'ts', val: tsVal, ecr: tsEcr }];
      if (sack) return [mssOpt, OPT_NOP, OPT_NOP, OPT_SACK_OK];
      return [mssOpt];
    }
    let wsOpt = this.wscaleOpt;
    if (wsOpt === null || wsOpt.shift !== wscale) this.wscaleOpt = wsOpt = { kind: 'wscale', shift: wscale };
    if (sack && ts) return [mssOpt, OPT_SACK_OK, { kind: 'ts', val: tsVal, ecr: tsEcr }, OPT_NOP, wsOpt];
    if (ts) return [mssOpt, OPT_NOP, OPT_NOP, { kind: 'ts', val: tsVal, ecr: tsEcr }, OPT_NOP, wsOpt];
    if (sack) return [mssOpt, OPT_NOP, OPT_NOP, OPT_SACK_OK, OPT_NOP, wsOpt];
    return [mssOpt, OPT_NOP, wsOpt];
  }

  private tsOpts(sk: { tstampOk: boolean; tsOffset: number; tsRecent: number }): TcpOption[] {
    if (!sk.tstampOk) return [];
    return [OPT_NOP, OPT_NOP, { kind: 'ts', val: this.tcpTimeStamp(sk.tsOffset), ecr: sk.tsRecent >>> 0 }];
  }

  /** tcp_transmit_skb() for a full socket. */
  private tcpTransmit(sk: TcpSock, flags: number, seq: number, payload?: Uint8Array): void {
    const seg = this.mkSeg({
      saddr: sk.saddr,
      daddr: sk.daddr,
      sport: sk.sport,
      dport: sk.dport,
      seq: seq >>> 0,
      ack: flags & TH_ACK ? sk.rcvNxt >>> 0 : 0,
      flags,
      window: this.tcpSelectWindow(sk),
      options: this.tsOpts(sk),
      ipId: sk.inetId,
      csum: 'partial',
      payload,
    });
    sk.inetId = (sk.inetId + 1) & 0xffff;
    sk.rcvWup = sk.rcvNxt;
    if (flags & TH_ACK) this.inetCskClearXmitTimer(sk, 'delack');
    this.ipOutput(seg, sk.id);
  }

  /** tcp_send_ack() */
  tcpSendAck(sk: TcpSock): void {
    if (sk.state === TCP_CLOSE) return;
    this.tcpTransmit(sk, TH_ACK, sk.sndNxt);
  }

  /**
   * tcp_v4_send_reset(): the per-netns control socket answers `skb` with a RST. No options,
   * IP id 0, DF, checksum computed in software. seq = the segment's ack if it had ACK,
   * otherwise seq 0 with ACK of everything it occupied.
   */
  tcpV4SendReset(skb: Segment): void {
    if (skb.flags & TH_RST) return;
    let seq = 0;
    let ack = 0;
    let flags = TH_RST;
    if (skb.flags & TH_ACK) {
      seq = skb.ack;
    } else {
      flags |= TH_ACK;
      ack = u32(skb.seq + (skb.flags & TH_SYN ? 1 : 0) + (skb.flags & TH_FIN ? 1 : 0) + skb.payload.length);
    }
    const seg = this.mkSeg({
      saddr: skb.daddr,
      daddr: skb.saddr,
      sport: skb.dport,
      dport: skb.sport,
      seq,
      ack,
      flags,
      window: 0,
      options: [],
      ipId: 0,
      csum: 'full',
    });
    this.mibInc('OutRsts');
    this.ipOutput(seg, null);
  }

  /** tcp_send_active_reset(): RST|ACK from a full socket (listener close, abort). */
  tcpSendActiveReset(sk: TcpSock): void {
    this.mibInc('OutRsts');
    this.tcpTransmit(sk, TH_RST | TH_ACK, sk.sndNxt);
  }

  // ───────────────────────────── timers ─────────────────────────────

  private inetCskClearXmitTimer(sk: TcpSock, what: 'retrans' | 'delack'): void {
    if (what === 'retrans') {
      if (sk.retransTimer) {
        this.sim.cancel(sk.retransTimer);
        sk.retransTimer = null;
        this.traceTimer(sk.id, 'retrans', 'cleared');
      }
      sk.pending = 'none';
    } else {
      if (sk.delackTimer) {
        this.sim.cancel(sk.delackTimer);
        sk.delackTimer = null;
        this.traceTimer(sk.id, 'delack', 'cleared');
      }
      sk.ackPending = false;
    }
  }

  /**
   * inet_csk_reset_xmit_timer(sk, ICSK_TIME_RETRANS, when): sk_reset_timer() on the timer the
   * socket embeds (a pending one is simply moved: its old queue entry goes stale).
   */
  private inetCskResetXmitTimer(sk: TcpSock, when: number): void {
    sk.pending = 'retrans';
    sk.timeout = this.jiffies + when;
    sk.fn = Kernel.retransmitTimerFired;
    sk.a = this;
    sk.b = sk;
    sk.retransTimer = this.sim.rearm(sk, this.timerFireTime(sk.timeout));
    this.traceTimer(sk.id, 'retrans', 'armed', sk.timeout, sk.retransTimer.t, sk.retransmits);
  }

  /**
   * tcp_send_delayed_ack(). A zero ato (a fresh child, or a FIN that is not data) makes the
   * timer due at once: it runs on the next tick, which is what the capture shows (the
   * CLOSE-WAIT child ACKs the FIN within one jiffy).
   */
  private tcpSendDelayedAck(sk: TcpSock): void {
    sk.ackPending = true;
    if (sk.delackTimer) return;
    sk.delackExpires = this.jiffies + sk.ato;
    sk.delackTimer = this.armTimer(() => {
      sk.delackTimer = null;
      this.traceTimer(sk.id, 'delack', 'fired');
      if (sk.ackPending && sk.state !== TCP_CLOSE && !sk.freed) this.tcpSendAck(sk);
    }, sk.delackExpires);
    this.traceTimer(sk.id, 'delack', 'armed', sk.delackExpires, sk.delackTimer.t);
  }

  private static retransmitTimerFired(k: Kernel, sk: TcpSock): void {
    k.tcpRetransmitTimer(sk);
  }

  /** tcp_retransmit_timer() / tcp_write_timeout() */
  private tcpRetransmitTimer(sk: TcpSock): void {
    sk.retransTimer = null;
    sk.pending = 'none';
    this.traceTimer(sk.id, 'retrans', 'fired', undefined, undefined, sk.retransmits);
    if (sk.freed || sk.state === TCP_CLOSE) return;
    if (sk.sndUna === sk.sndNxt) return; // nothing outstanding
    if (this.tcpWriteTimeout(sk)) return;
    const linear = sk.state === TCP_SYN_SENT ? this.sysctl['net.ipv4.tcp_syn_linear_timeouts'] : 0;
    // retransmit the head of the write queue: the SYN or the FIN
    if (sk.state === TCP_SYN_SENT) this.tcpSendSyn(sk);
    else if (sk.state === TCP_FIN_WAIT1 || sk.state === TCP_LAST_ACK || sk.state === TCP_CLOSING)
      this.tcpTransmit(sk, TH_FIN | TH_ACK, u32(sk.sndNxt - 1));
    // mibInc('TCPTimeouts') with a literal key (a named property access on the hot path)
    const mib = this.mib;
    mib['TCPTimeouts'] = (mib['TCPTimeouts'] ?? 0) + 1;
    if (this.sim.traceDetail) this.sim.emit({ type: 'mib', t: this.now, counter: 'TCPTimeouts', delta: 1 });
    sk.retransmits++;
    sk.totalRto++;
    sk.backoff++;
    // ccce324dabfe (6.5): while total_rto <= tcp_syn_linear_timeouts the RTO is not doubled.
    if (!(sk.state === TCP_SYN_SENT && sk.totalRto <= linear)) sk.rto = Math.min(sk.rto * 2, TCP_RTO_MAX_S * this.HZ);
    this.inetCskResetXmitTimer(sk, sk.rto);
  }

  /** tcp_write_timeout(): give up after tcp_syn_retries (+ the linear ones on 6.5+). */
  private tcpWriteTimeout(sk: TcpSock): boolean {
    let limit: number;
    if (sk.state === TCP_SYN_SENT) {
      limit = this.sysctl['net.ipv4.tcp_syn_retries'] + this.sysctl['net.ipv4.tcp_syn_linear_timeouts'];
    } else if (sk.dead) {
      limit = 8; // tcp_orphan_retries 0 means 8
    } else {
      limit = 15; // tcp_retries2
    }
    if (sk.retransmits < limit) return false;
    // tcp_write_err(): sk_err = sk_err_soft ?: ETIMEDOUT; tcp_done()
    sk.skErr = ETIMEDOUT;
    this.tcpDone(sk);
    return true;
  }

  // ───────────────────────────── connect ─────────────────────────────

  /** tcp_v4_connect() + tcp_connect(): returns 0 once the SYN is out, or -errno. */
  tcpV4Connect(sk: TcpSock, daddr: number, dport: number): number {
    sk.daddr = daddr;
    sk.dport = dport;
    if (!sk.saddr) sk.saddr = daddr >>> 24 === 127 ? daddr : 0x7f000001;
    this.tcpSetState(sk, TCP_SYN_SENT);
    const err = this.inetHashConnect(sk);
    if (err) {
      this.tcpSetState(sk, TCP_CLOSE);
      sk.daddr = 0;
      sk.dport = 0;
      return err;
    }
    // tcp_v4_connect() computes the ISN before tcp_connect() builds and sends the SYN; the
    // gap (a few µs, more on a cold path) is a chance input, pinned with isnLeadOnce.
    const lead = this.isnLeadOnce ?? this.profile.costs.isnLeadNs;
    this.isnLeadOnce = null;
    const isn = this.secureTcpSeq(sk.saddr, sk.daddr, sk.sport, sk.dport, lead);
    const tsOff = this.secureTcpTsOff(sk.saddr, sk.daddr, sk.sport, sk.dport);
    sk.isn = isn | 0;
    sk.writeSeq = isn | 0;
    sk.tsOffset = tsOff | 0;
    sk.inetId = this.initialInetId(sk);
    // tcp_connect_init()
    const b = this.profile.behaviour;
    sk.rcvWscale = b.rcvWscale;
    sk.rcvWnd = b.rcvWnd;
    sk.sndUna = isn | 0;
    sk.sndNxt = (isn + 1) | 0;
    sk.writeSeq = (isn + 1) | 0;
    sk.rcvNxt = 0;
    sk.rto = this.HZ; // TCP_TIMEOUT_INIT
    sk.retransmits = 0;
    sk.totalRto = 0;
    sk.backoff = 0;
    sk.retransStamp = this.jiffies;
    this.tcpSendSyn(sk);
    this.traceQueues(sk);
    this.inetCskResetXmitTimer(sk, sk.rto);
    return 0;
  }

  private tcpSendSyn(sk: TcpSock): void {
    const sys = this.sysctl;
    const b = this.profile.behaviour;
    const ts = !!sys['net.ipv4.tcp_timestamps'];
    const tsVal = ts ? this.tcpTimeStamp(sk.tsOffset) : 0;
    const sack = !!sys['net.ipv4.tcp_sack'];
    const wscale = sys['net.ipv4.tcp_window_scaling'] ? b.rcvWscale : null;
    // a SYN freed by the last drop of a SYN flood is refilled instead of allocating one
    let seg = this.skbPool.length ? this.refillSyn(this.skbPool.pop()!, sk, ts, tsVal, sack, wscale) : null;
    if (seg !== null) this.stats.skbRecycled++;
    else seg = this.newSeg(sk.saddr, sk.daddr, sk.sport, sk.dport, sk.isn >>> 0, 0, TH_SYN, b.synWindow, this.synOptions(b.advmss, ts, tsVal, 0, sack, wscale), EMPTY, sk.inetId, 'partial');
    sk.inetId = (sk.inetId + 1) & 0xffff;
    this.ipOutput(seg, sk.id);
  }

  /**
   * SYN segments freed by kfreeSkb(), for tcpSendSyn() to refill: a SYN flood against a full
   * accept queue (the bench) then allocates nothing per segment. Only used while nobody can
   * hold a segment (no trace, no listener, no capture, no xmit hook): see kfreeSkb().
   * The pool never holds more SYNs than were once in flight together: on 4.8+ the timer
   * wheel's coarse levels fire the retransmit timers of thousands of SYN-SENT sockets in one
   * tick (a 32 s timeout has a granule of 512 jiffies), so a burst can be that large.
   */
  private skbPool: Segment[] = [];
  private static readonly SKB_POOL_MAX = 1 << 16;

  /**
   * kfree_skb() at a drop that ends a segment's life. When no trace, capture or hook may have
   * kept a reference, a SYN goes back to skbPool to be reused (its id, fields and the TS
   * option are all rewritten); otherwise it is left to the garbage collector, as every other
   * segment is.
   */
  private kfreeSkb(skb: Segment): void {
    if (skb.flags !== TH_SYN || this.sim.observed || this.taps.size || this.xmitHooks.length || this.skbPool.length >= Kernel.SKB_POOL_MAX) return;
    this.skbPool.push(skb);
  }

  /**
   * Rewrite a pooled SYN as the SYN tcpSendSyn() would build for sk, keeping its options
   * array when it has the layout this SYN needs (only the TS value changes between two SYNs
   * of the same settings); null when it does not fit (the caller allocates).
   */
  private refillSyn(seg: Segment, sk: TcpSock, ts: boolean, tsVal: number, sack: boolean, wscale: number | null): Segment | null {
    const b = this.profile.behaviour;
    const o = seg.options;
    // the layout synOptions() gives for MSS, SACK_PERM, TS, NOP, WSCALE (the Linux default)
    if (!(ts && sack && wscale !== null && o.length === 5)) return null;
    const mss = o[0], t = o[2], ws = o[4];
    if (mss.kind !== 'mss' || mss.value !== b.advmss || t.kind !== 'ts' || ws.kind !== 'wscale' || ws.shift !== wscale || o[1] !== OPT_SACK_OK || o[3] !== OPT_NOP) return null;
    t.val = tsVal;
    t.ecr = 0;
    seg.id = this.nextSegId++;
    seg.saddr = sk.saddr;
    seg.daddr = sk.daddr;
    seg.sport = sk.sport;
    seg.dport = sk.dport;
    seg.seq = sk.isn >>> 0;
    seg.ack = 0;
    seg.flags = TH_SYN;
    seg.window = b.synWindow;
    seg.urgent = 0;
    seg.payload = EMPTY;
    seg.ipId = sk.inetId;
    seg.ttl = 64;
    seg.df = true;
    seg.tos = 0;
    seg.csum = 'partial';
    return seg;
  }

  // ───────────────────────────── receive ─────────────────────────────

  /** A scripted remote peer injects a segment as if it arrived on lo. */
  inject(seg: Omit<Segment, 'id'>): Segment {
    const full: Segment = { ...seg, id: this.nextSegId++ };
    this.sim.emit({ type: 'xmit', t: this.now, seg: full, sock: null });
    for (const tap of this.taps) {
      if (!tap.active || !tap.filter(full)) continue;
      tap.receivedByFilter += 2;
      tap.frames.push({ realtimeNs: this.realtimeNs(), seg: full });
      tap.times.push(this.now);
    }
    this.tcpV4Rcv(full);
    return full;
  }

  /** Observe what the stack sends (for scripted peers and packetdrill-style expectations). */
  onXmit(h: (seg: Segment) => void): void {
    this.xmitHooks.push(h);
  }

  private rcvVerdict(seg: Segment, sock: number | null, verdict: 'accepted' | 'dropped', reason?: DropReason): void {
    this.stats.rcv++;
    if (this.sim.observed) this.sim.emit({ type: 'rcv', t: this.now, segId: seg.id, sock, verdict, reason });
  }

  /**
   * After processing a segment, a reply leaves `ns` later (receive-path cost): fn(this, a) then.
   * The replies are shared static functions, so the receive path allocates no closure.
   */
  private later<A>(ns: number, fn: (k: Kernel, a: A) => void, a: A): void {
    this.softirqUntil = Math.max(this.softirqUntil, this.now + ns);
    this.sim.postAfter(ns, fn, this, a);
  }
  private static sendResetEv(k: Kernel, skb: Segment): void {
    k.tcpV4SendReset(skb);
  }
  private static sendSynackEv(k: Kernel, req: RequestSock): void {
    k.tcpV4SendSynack(req);
  }
  private static sendAckEv(k: Kernel, sk: TcpSock): void {
    if (!sk.freed) k.tcpSendAck(sk);
  }
  private static timewaitAckEv(k: Kernel, tw: TimewaitSock): void {
    k.tcpV4TimewaitAck(tw);
  }

  /** tcp_v4_rcv(): demultiplex to ehash (full, request, timewait) then listeners. */
  tcpV4Rcv(skb: Segment): void {
    const est = this.ehash.get(skb.daddr, skb.dport, skb.saddr, skb.sport);
    if (est) {
      if (est.kind === 'timewait') return this.tcpV4TimewaitRcv(est, skb);
      if (est.kind === 'request') return this.tcpCheckReq(est, skb);
      return this.tcpV4DoRcv(est, skb);
    }
    const l = this.inetLookupListener(skb.daddr, skb.dport);
    if (l) return this.tcpV4DoRcv(l, skb);
    // no socket: "reset" (tcp_v4_send_reset with sk == NULL)
    this.rcvVerdict(skb, null, 'dropped', 'no-socket');
    this.mibInc('InErrs', 0);
    this.later(this.profile.costs.ackReplyNs, Kernel.sendResetEv, skb);
  }

  private inetLookupListener(daddr: number, dport: number): TcpSock | null {
    const arr = this.listening.get(dport);
    if (!arr) return null;
    // compute_score(): an exact address beats the wildcard; with SO_REUSEPORT the first wins here.
    let best: TcpSock | null = null;
    for (const l of arr) {
      if (l.saddr === daddr) return l;
      if (!l.saddr && !best) best = l;
    }
    return best;
  }

  /** tcp_v4_do_rcv() */
  private tcpV4DoRcv(sk: TcpSock, skb: Segment): void {
    if (sk.state === TCP_ESTABLISHED || sk.state !== TCP_LISTEN) {
      if (this.tcpRcvStateProcess(sk, skb)) this.later(this.profile.costs.ackReplyNs, Kernel.sendResetEv, skb);
      return;
    }
    // LISTEN
    if (skb.flags & TH_RST) return this.rcvVerdict(skb, sk.id, 'dropped', 'rst-ignored');
    if (skb.flags & TH_ACK) {
      // tcp_v4_cookie_check(): an ACK may complete a SYN-cookie handshake
      const cookie = this.cookieCheck(sk, skb);
      if (cookie === 'discard') return;
      this.rcvVerdict(skb, sk.id, 'dropped', 'no-socket');
      this.later(this.profile.costs.ackReplyNs, Kernel.sendResetEv, skb);
      return;
    }
    if (skb.flags & TH_SYN) return this.tcpConnRequest(sk, skb);
    this.rcvVerdict(skb, sk.id, 'dropped', 'filtered');
  }

  // ───────────────────── listener: tcp_conn_request & friends ─────────────────────

  /** sk_acceptq_is_full(): `>` since 64a146513f8f (2007), so backlog N holds N + 1. */
  skAcceptqIsFull(sk: TcpSock): boolean {
    return sk.acceptQueue.length > sk.maxAckBacklog;
  }

  /** reqsk_queue_len(): the listener's request socks (its SYN queue). */
  private reqskQueueLen(sk: TcpSock): number {
    return sk.reqs === null ? 0 : sk.reqs.size;
  }

  /** inet_csk_reqsk_queue_is_full(): `>=` in 4.4 (ef547f2ac16b), `>` since the 2025 fix. */
  inetCskReqskQueueIsFull(sk: TcpSock): boolean {
    return this.profile.behaviour.reqskQueueFullGe
      ? this.reqskQueueLen(sk) >= sk.maxAckBacklog
      : this.reqskQueueLen(sk) > sk.maxAckBacklog;
  }

  private sentCookies = new Map<string, { isn: number; rcvIsn: number; ts: number; wscale: number | null; sack: boolean; tsOk: boolean; tsOff: number }>();

  /** tcp_conn_request() */
  private tcpConnRequest(sk: TcpSock, skb: Segment, twIsn = 0): void {
    let wantCookie = false;
    const syncookies = this.sysctl['net.ipv4.tcp_syncookies'];
    if ((syncookies === 2 || this.inetCskReqskQueueIsFull(sk)) && !twIsn) {
      // tcp_syn_flood_action()
      if (syncookies) {
        wantCookie = true;
        this.mibInc('TCPReqQFullDoCookies');
        if (!sk.synfloodWarned) {
          sk.synfloodWarned = true;
          this.sim.emit({ type: 'note', t: this.now, text: `TCP: request_sock_TCP: Possible SYN flooding on port ${sk.sport}. Sending cookies.  Check SNMP counters.` });
        }
      } else {
        this.mibInc('TCPReqQFullDrop');
        return this.rcvVerdict(skb, sk.id, 'dropped', 'syn-queue-full');
      }
    }
    if (this.profile.behaviour.synDropOnFullAcceptQueue) {
      // 5ea8ea2cb7f1 (4.10): drop SYN packets if the accept queue is full
      if (this.skAcceptqIsFull(sk)) {
        this.mibListenOverflow();
        this.rcvVerdict(skb, sk.id, 'dropped', 'listen-overflow');
        return this.kfreeSkb(skb);
      }
    } else if (this.skAcceptqIsFull(sk) && sk.young > 1) {
      this.mibListenOverflow();
      this.rcvVerdict(skb, sk.id, 'dropped', 'listen-overflow');
      return this.kfreeSkb(skb);
    }
    this.rcvVerdict(skb, sk.id, 'accepted');
    const opt = parseOptions(skb.options);
    const req = new RequestSock(this.newSockId(), sk, skb.daddr, skb.dport, skb.saddr, skb.sport);
    req.rcvIsn = skb.seq | 0;
    req.tstampOk = !!opt.ts && !!this.sysctl['net.ipv4.tcp_timestamps'];
    req.tsRecent = (opt.ts?.val ?? 0) | 0;
    req.sackOk = opt.sackOK && !!this.sysctl['net.ipv4.tcp_sack'];
    req.wscaleOk = opt.wscale !== undefined && !!this.sysctl['net.ipv4.tcp_window_scaling'];
    req.sndWscale = opt.wscale ?? 0;
    req.rcvWscale = req.wscaleOk ? this.profile.behaviour.rcvWscale : 0;
    req.mss = Math.min(opt.mss ?? 536, this.profile.behaviour.advmss);
    req.sntIsn = (twIsn || (wantCookie ? this.cookieIsn(skb) : this.secureTcpSeq(skb.daddr, skb.saddr, skb.dport, skb.sport))) | 0;
    req.tsOffset = this.secureTcpTsOff(skb.daddr, skb.saddr, skb.dport, skb.sport) | 0;
    if (wantCookie) {
      this.sentCookies.set(key(req.saddr, req.sport, req.daddr, req.dport), {
        isn: req.sntIsn, rcvIsn: req.rcvIsn, ts: req.tsRecent, wscale: req.wscaleOk ? req.sndWscale : null,
        sack: req.sackOk, tsOk: req.tstampOk, tsOff: req.tsOffset,
      });
      this.mibInc('SyncookiesSent');
      this.later(this.profile.costs.synAckNs, Kernel.sendSynackEv, req);
      return;
    }
    // inet_csk_reqsk_queue_hash_add(): the request sock goes into ehash (NEW_SYN_RECV)
    (sk.reqs ??= new Set<RequestSock>()).add(req);
    sk.young++;
    this.ehashInsert(req);
    if (this.sim.traceDetail)
      this.sim.emit({ type: 'sock-new', t: this.now, sock: req.id, kind: 'request', state: TCP_SYN_RECV, saddr: req.saddr, sport: req.sport, daddr: req.daddr, dport: req.dport, inode: 0, parent: sk.id });
    req.expires = this.jiffies + this.HZ; // TCP_TIMEOUT_INIT
    req.timer = this.sim.call(this.timerFireTime(req.expires), Kernel.reqskTimerFired, this, req);
    this.traceTimer(req.id, 'synack', 'armed', req.expires, req.timer.t, 0);
    this.later(this.profile.costs.synAckNs, Kernel.sendSynackEv, req);
  }

  private cookieIsn(skb: Segment): number {
    return jhash3(skb.saddr ^ skb.seq, skb.daddr, u32((skb.sport << 16) | skb.dport), this.isnSecret[1] ^ 0x5a5a5a5a);
  }

  /** cookie_v4_check() via tcp_v4_cookie_check(): 'discard' when the ACK was a valid cookie. */
  private cookieCheck(l: TcpSock, skb: Segment): 'discard' | 'none' {
    const k = key(skb.daddr, skb.dport, skb.saddr, skb.sport);
    const c = this.sentCookies.get(k);
    if (!c || skb.flags & TH_SYN || u32(c.isn + 1) !== skb.ack) return 'none';
    this.sentCookies.delete(k);
    this.mibInc('SyncookiesRecv');
    const req = new RequestSock(this.newSockId(), l, skb.daddr, skb.dport, skb.saddr, skb.sport);
    req.sntIsn = c.isn;
    req.rcvIsn = c.rcvIsn;
    req.tsRecent = c.ts;
    req.tstampOk = c.tsOk;
    req.sackOk = c.sack;
    req.wscaleOk = c.wscale !== null;
    req.sndWscale = c.wscale ?? 0;
    req.rcvWscale = req.wscaleOk ? this.profile.behaviour.rcvWscale : 0;
    req.tsOffset = c.tsOff;
    const child = this.tcpV4SynRecvSock(l, skb, req);
    if (!child) {
      this.rcvVerdict(skb, l.id, 'dropped', 'listen-overflow');
      return 'discard';
    }
    this.rcvVerdict(skb, child.id, 'accepted');
    this.ehashInsert(child);
    this.inetCskReqskQueueAdd(l, child);
    return 'discard';
  }

  /** tcp_v4_send_synack() from a request sock: IP id 0 (ip_build_and_send_pkt with DF). */
  private tcpV4SendSynack(req: RequestSock): void {
    const ts = req.tstampOk;
    const tsVal = ts ? this.tcpTimeStamp(req.tsOffset) : 0;
    const seg = this.mkSeg({
      saddr: req.saddr,
      daddr: req.daddr,
      sport: req.sport,
      dport: req.dport,
      seq: req.sntIsn >>> 0,
      ack: u32(req.rcvIsn + 1),
      flags: TH_SYN | TH_ACK,
      window: this.profile.behaviour.synAckWindow,
      options: this.synOptions(this.profile.behaviour.advmss, ts, tsVal, ts ? req.tsRecent >>> 0 : 0, req.sackOk, req.wscaleOk ? req.rcvWscale : null),
      ipId: 0,
      csum: 'partial',
    });
    this.ipOutput(seg, req.id);
  }

  private static reqskTimerFired(k: Kernel, req: RequestSock): void {
    k.reqskTimerHandler(req);
  }

  /** reqsk_timer_handler(): SYN-ACK retransmits with exponential backoff, then drop. */
  private reqskTimerHandler(req: RequestSock): void {
    req.timer = null;
    this.traceTimer(req.id, 'synack', 'fired', undefined, undefined, req.numTimeout);
    const l = req.listener;
    if (!req.hashed || l.state !== TCP_LISTEN) return;
    const maxRetries = this.sysctl['net.ipv4.tcp_synack_retries'];
    let thresh = maxRetries;
    const qlen = this.reqskQueueLen(l);
    if (qlen << 1 > Math.max(8, l.maxAckBacklog)) {
      let young = l.young << 1;
      while (thresh > 2) {
        if (qlen < young) break;
        thresh--;
        young <<= 1;
      }
    }
    const expire = req.numTimeout >= thresh;
    if (!expire) {
      this.tcpV4SendSynack(req);
      req.numRetrans++;
      this.mibInc('TCPSynRetrans');
      if (req.numTimeout++ === 0) l.young--;
      const timeo = Math.min(this.HZ << req.numTimeout, TCP_RTO_MAX_S * this.HZ);
      req.expires = this.jiffies + timeo;
      req.timer = this.sim.call(this.timerFireTime(req.expires), Kernel.reqskTimerFired, this, req);
      this.traceTimer(req.id, 'synack', 'armed', req.expires, req.timer.t, req.numTimeout);
      return;
    }
    this.inetCskReqskQueueDrop(l, req);
  }

  private inetCskReqskQueueDrop(l: TcpSock, req: RequestSock): void {
    if (!l.reqs?.delete(req)) return;
    if (req.numTimeout === 0) l.young--;
    this.ehashRemove(req);
    if (req.timer) this.sim.cancel(req.timer);
    req.timer = null;
    if (this.sim.traceDetail) this.sim.emit({ type: 'sock-free', t: this.now, sock: req.id });
  }

  /** tcp_check_req(): a segment for a request sock (NEW_SYN_RECV). */
  private tcpCheckReq(req: RequestSock, skb: Segment): void {
    const l = req.listener;
    if (skb.flags & TH_SYN && !(skb.flags & TH_ACK) && (skb.seq | 0) === req.rcvIsn) {
      // a retransmitted SYN: resend the SYN-ACK (rate limited by tcp_oow_rate_limited)
      this.rcvVerdict(skb, req.id, 'accepted');
      this.later(this.profile.costs.synAckNs, Kernel.sendSynackEv, req);
      return;
    }
    if (skb.flags & TH_ACK && skb.ack !== u32(req.sntIsn + 1)) {
      // "Reset" the embryonic connection: the listener answers with a RST
      this.rcvVerdict(skb, req.id, 'dropped', 'bad-ack');
      this.later(this.profile.costs.ackReplyNs, Kernel.sendResetEv, skb);
      return;
    }
    if (skb.flags & TH_RST) {
      this.rcvVerdict(skb, req.id, 'accepted');
      this.inetCskReqskQueueDrop(l, req);
      return;
    }
    if (!(skb.flags & TH_ACK)) return this.rcvVerdict(skb, req.id, 'dropped', 'filtered');
    const opt = parseOptions(skb.options);
    if (opt.ts) req.tsRecent = opt.ts.val | 0;
    const child = this.tcpV4SynRecvSock(l, skb, req);
    if (!child) {
      // listen_overflow:
      if (!this.sysctl['net.ipv4.tcp_abort_on_overflow']) {
        req.acked = true;
        return this.rcvVerdict(skb, req.id, 'dropped', 'listen-overflow');
      }
      // embryonic_reset:
      this.rcvVerdict(skb, req.id, 'dropped', 'listen-overflow');
      this.mibInc('EmbryonicRsts');
      this.later(this.profile.costs.ackReplyNs, Kernel.sendResetEv, skb);
      this.inetCskReqskQueueDrop(l, req);
      return;
    }
    this.rcvVerdict(skb, child.id, 'accepted');
    // inet_csk_complete_hashdance(): the child replaces the request sock in ehash
    l.reqs?.delete(req);
    if (req.numTimeout === 0) l.young--;
    if (req.timer) this.sim.cancel(req.timer);
    req.timer = null;
    this.ehashReplace(req, child);
    if (this.sim.traceDetail) this.sim.emit({ type: 'sock-free', t: this.now, sock: req.id });
    this.inetCskReqskQueueAdd(l, child);
    // tcp_child_process(): the ACK may carry data or a FIN
    if (skb.payload.length || skb.flags & TH_FIN) this.tcpDataQueue(child, skb);
  }

  /** tcp_v4_syn_recv_sock(): null when the accept queue is full (exit_overflow). */
  private tcpV4SynRecvSock(l: TcpSock, skb: Segment, req: RequestSock): TcpSock | null {
    if (this.skAcceptqIsFull(l)) {
      this.mibListenOverflow();
      return null;
    }
    const child = newTcpSock(this.newSockId(), this.nextInode++, TCP_ESTABLISHED);
    this.socks.set(child.id, child);
    child.saddr = req.saddr;
    child.sport = req.sport;
    child.daddr = req.daddr;
    child.dport = req.dport;
    child.isn = req.sntIsn;
    child.sndUna = (req.sntIsn + 1) | 0;
    child.sndNxt = child.sndUna;
    child.writeSeq = child.sndUna;
    child.rcvNxt = (req.rcvIsn + 1) | 0;
    child.copiedSeq = child.rcvNxt;
    child.rcvWup = child.rcvNxt;
    child.tstampOk = req.tstampOk;
    child.tsRecent = req.tsRecent;
    child.tsRecentStamp = this.jiffies;
    child.tsOffset = req.tsOffset;
    child.sackOk = req.sackOk;
    child.wscaleOk = req.wscaleOk;
    child.sndWscale = req.sndWscale;
    child.rcvWscale = req.rcvWscale;
    child.rcvWnd = this.profile.behaviour.rcvWnd;
    child.sndWnd = skb.window << child.sndWscale;
    child.rto = this.HZ / 5; // TCP_RTO_MIN on lo
    child.ss = 'connected';
    child.inetId = this.initialInetId(child);
    child.uid = l.uid;
    // sk_clone_lock() copies the listener, so the child keeps SO_REUSEADDR/SO_REUSEPORT
    // (and so will its timewait socket: tw_reuse)
    child.reuse = l.reuse;
    child.reuseport = l.reuseport;
    child.parent = l;
    // __inet_inherit_port(): the child joins the listener's bind bucket
    const tb = this.bhash.get(l.sport);
    this.inetBindHash(child, tb, l.sport, tb?.fastreuse ?? 0);
    if (this.sim.traceDetail)
      this.sim.emit({ type: 'sock-new', t: this.now, sock: child.id, kind: 'full', state: TCP_ESTABLISHED, saddr: child.saddr, sport: child.sport, daddr: child.daddr, dport: child.dport, inode: child.inode, parent: l.id });
    return child;
  }

  /** inet_csk_reqsk_queue_add() + sk_acceptq_added(): wake the accept()er. */
  private inetCskReqskQueueAdd(l: TcpSock, child: TcpSock): void {
    l.acceptQueue = append(l.acceptQueue, child);
    this.traceAcceptq(l);
    this.traceQueues(l);
    this.wake(l);
  }

  // ───────────────────── established sockets: tcp_rcv_state_process ─────────────────────

  /**
   * tcp_rcv_state_process() for every state but LISTEN (handled by the caller). Returns
   * true when the caller must answer with a RST (tcp_v4_do_rcv's `reset:` label).
   */
  private tcpRcvStateProcess(sk: TcpSock, skb: Segment): boolean {
    if (sk.state === TCP_CLOSE) {
      this.rcvVerdict(skb, sk.id, 'dropped', 'closed');
      return false;
    }
    if (sk.state === TCP_SYN_SENT) return this.tcpRcvSynsentStateProcess(sk, skb);
    if (!(skb.flags & (TH_ACK | TH_RST | TH_SYN))) {
      this.rcvVerdict(skb, sk.id, 'dropped', 'filtered');
      return false;
    }
    if (!this.tcpValidateIncoming(sk, skb)) return false;
    // step 5: check the ACK field (tcp_ack)
    if (!(skb.flags & TH_ACK)) {
      this.rcvVerdict(skb, sk.id, 'dropped', 'filtered');
      return false;
    }
    if (after(skb.ack, sk.sndNxt)) {
      // ACK of something we never sent: tcp_ack() returns -1; send a dupack (rate-limited)
      this.rcvVerdict(skb, sk.id, 'dropped', 'out-of-window');
      this.tcpSendDupack(sk);
      return false;
    }
    this.rcvVerdict(skb, sk.id, 'accepted');
    const opt = parseOptions(skb.options);
    if (opt.ts && sk.tstampOk && !before(skb.seq, sk.rcvWup) && !after(skb.seq, sk.rcvNxt)) {
      // tcp_store_ts_recent()
      sk.tsRecent = opt.ts.val | 0;
      sk.tsRecentStamp = this.jiffies;
    }
    if (after(skb.ack, sk.sndUna)) {
      sk.sndUna = skb.ack | 0;
      if (sk.sndUna === sk.sndNxt) {
        this.inetCskClearXmitTimer(sk, 'retrans');
        sk.retransmits = 0;
        sk.backoff = 0;
      }
      this.traceQueues(sk);
    }
    sk.sndWnd = skb.window << sk.sndWscale;
    const finAcked = sk.sndUna === sk.sndNxt;
    switch (sk.state) {
      case TCP_FIN_WAIT1:
        if (finAcked) {
          this.tcpSetState(sk, TCP_FIN_WAIT2);
          sk.skShutdown |= SEND_SHUTDOWN;
          if (!sk.dead) {
            this.wake(sk);
            break;
          }
          // orphaned: tcp_fin_time()
          const tmo = this.tcpFinTime(sk);
          const hasFin = !!(skb.flags & TH_FIN);
          if (tmo > TCP_TIMEWAIT_LEN_S * this.HZ) {
            this.inetCskResetKeepaliveTimer(sk, tmo - TCP_TIMEWAIT_LEN_S * this.HZ);
          } else if (hasFin) {
            this.inetCskResetKeepaliveTimer(sk, tmo);
          } else {
            this.tcpTimeWait(sk, TCP_FIN_WAIT2, tmo);
            return false;
          }
        }
        break;
      case TCP_CLOSING:
        if (finAcked) {
          this.tcpTimeWait(sk, TCP_TIME_WAIT, 0);
          return false;
        }
        break;
      case TCP_LAST_ACK:
        if (finAcked) {
          this.tcpDone(sk);
          return false;
        }
        break;
    }
    // step 7: process the segment text
    switch (sk.state) {
      case TCP_CLOSE_WAIT:
      case TCP_CLOSING:
      case TCP_LAST_ACK:
        if (!before(skb.seq, sk.rcvNxt)) break; // data after FIN: ignored
      // fallthrough
      case TCP_FIN_WAIT1:
      case TCP_FIN_WAIT2:
        if (sk.skShutdown & RCV_SHUTDOWN && skb.payload.length && after(u32(skb.seq + skb.payload.length), sk.rcvNxt)) {
          // RFC 793: data after the user closed → reset
          this.mibInc('TCPAbortOnData');
          this.tcpReset(sk);
          return true;
        }
      // fallthrough
      case TCP_ESTABLISHED:
        this.tcpDataQueue(sk, skb);
        break;
    }
    return false;
  }

  /** tcp_data_queue() + tcp_fin() + __tcp_ack_snd_check() for in-order segments. */
  private tcpDataQueue(sk: TcpSock, skb: Segment): void {
    if ((skb.seq | 0) !== sk.rcvNxt) {
      if (skb.payload.length || skb.flags & TH_FIN) this.tcpSendDupack(sk);
      return;
    }
    let queued = false;
    if (skb.payload.length) {
      sk.rcvQueue = append(sk.rcvQueue, skb.payload);
      sk.rcvNxt = (sk.rcvNxt + skb.payload.length) | 0;
      queued = true;
    }
    if (skb.flags & TH_FIN) {
      sk.rcvNxt = (sk.rcvNxt + 1) | 0;
      this.tcpFin(sk);
      queued = true;
    }
    if (queued) {
      this.traceQueues(sk);
      this.wake(sk);
      if (skb.flags & TH_FIN && sk.state !== TCP_CLOSE_WAIT) return; // tcp_fin() acked already
      if (skb.payload.length) this.later(this.profile.costs.ackReplyNs, Kernel.sendAckEv, sk);
      else this.tcpSendDelayedAck(sk);
    }
  }

  /** tcp_fin(): the peer closed its side. */
  private tcpFin(sk: TcpSock): void {
    sk.skShutdown |= RCV_SHUTDOWN;
    sk.finQueued = true;
    sk.done = true;
    switch (sk.state) {
      case TCP_SYN_RECV:
      case TCP_ESTABLISHED:
        this.tcpSetState(sk, TCP_CLOSE_WAIT);
        sk.pingpong = true; // "Move to CLOSE_WAIT" ... icsk_ack.pingpong = 1
        break;
      case TCP_FIN_WAIT1:
        // simultaneous close: ACK the FIN now, move to CLOSING
        this.tcpSendAck(sk);
        this.tcpSetState(sk, TCP_CLOSING);
        break;
      case TCP_FIN_WAIT2:
        // received a FIN: send the ACK now and enter TIME-WAIT
        this.tcpSendAck(sk);
        this.tcpTimeWait(sk, TCP_TIME_WAIT, 0);
        break;
    }
  }

  /** tcp_send_dupack() with tcp_oow_rate_limited() */
  private tcpSendDupack(sk: TcpSock): void {
    if (this.tcpOowRateLimited(sk, 'TCPACKSkippedSeq')) return;
    this.later(this.profile.costs.ackReplyNs, Kernel.sendAckEv, sk);
  }

  /** __tcp_oow_rate_limited(): at most one out-of-window ACK per tcp_invalid_ratelimit. */
  private tcpOowRateLimited(s: { lastOowAckTime: number }, mib: string): boolean {
    const now = u32(this.jiffies);
    if (s.lastOowAckTime) {
      const elapsed = (now - s.lastOowAckTime) | 0;
      if (elapsed >= 0 && elapsed < this.msToJiffies(this.sysctl['net.ipv4.tcp_invalid_ratelimit'])) {
        this.mibInc(mib);
        return true;
      }
    }
    s.lastOowAckTime = now || 1;
    return false;
  }

  /**
   * tcp_validate_incoming(): PAWS, RFC 793 step 1 (sequence), step 2 (RST, RFC 5961 §3.2)
   * and step 4 (SYN, RFC 5961 §4: challenge ACK). Returns false when the segment is consumed.
   */
  tcpValidateIncoming(sk: TcpSock, skb: Segment): boolean {
    const opt = parseOptions(skb.options);
    const isSyn = !!(skb.flags & TH_SYN);
    const isRst = !!(skb.flags & TH_RST);
    // PAWS (tcp_paws_discard)
    if (opt.ts && sk.tstampOk && sk.tsRecent && ((sk.tsRecent - opt.ts.val) | 0) > 0 && !isRst) {
      if (isSyn && this.profile.behaviour.pawsSynChallenge) return this.synChallenge(sk, skb);
      this.mibInc('PAWSEstabRejected');
      this.rcvVerdict(skb, sk.id, 'dropped', 'paws');
      this.tcpSendDupack(sk);
      return false;
    }
    // Step 1: check sequence number (tcp_sequence)
    const endSeq = u32(skb.seq + skb.payload.length + (isSyn ? 1 : 0) + (skb.flags & TH_FIN ? 1 : 0));
    const rcvWnd = Math.max(0, u32(sk.rcvWup + sk.rcvWnd - sk.rcvNxt) | 0);
    if (before(endSeq, sk.rcvWup) || after(skb.seq, u32(sk.rcvNxt + rcvWnd))) {
      if (isRst) {
        this.rcvVerdict(skb, sk.id, 'dropped', 'out-of-window');
        return false;
      }
      if (isSyn) return this.synChallenge(sk, skb);
      this.rcvVerdict(skb, sk.id, 'dropped', 'out-of-window');
      this.tcpSendDupack(sk);
      return false;
    }
    // Step 2: check RST bit (RFC 5961 3.2: only an exact match resets)
    if (isRst) {
      if ((skb.seq | 0) === sk.rcvNxt) {
        this.rcvVerdict(skb, sk.id, 'accepted');
        this.tcpReset(sk);
      } else {
        this.rcvVerdict(skb, sk.id, 'dropped', 'out-of-window');
        this.tcpSendChallengeAck(sk);
      }
      return false;
    }
    // Step 4: RFC 5961 4.2: send a challenge ACK to any SYN
    if (isSyn) return this.synChallenge(sk, skb);
    return true;
  }

  private synChallenge(sk: TcpSock, skb: Segment): false {
    this.mibInc('TCPSYNChallenge');
    const sent = this.tcpSendChallengeAck(sk);
    this.rcvVerdict(skb, sk.id, 'dropped', sent ? 'syn-challenge' : 'challenge-ack-ratelimited');
    return false;
  }

  /**
   * tcp_send_challenge_ack(): per-socket rate limit (083ae308280d, 4.7; in 4.4.155), then the
   * global budget: ~limit per second randomised (75ff39ccc1bd) on 4.4, per-netns and off by
   * default since 79e3602caa6f (6.0). The ACK itself is a plain tcp_send_ack().
   */
  tcpSendChallengeAck(sk: TcpSock): boolean {
    if (this.tcpOowRateLimited(sk, 'TCPACKSkippedChallenge')) return false;
    const limit = this.sysctl['net.ipv4.tcp_challenge_ack_limit'];
    if (this.profile.behaviour.challengeAckGlobal === 'per-second-random' || limit < 2147483647) {
      const nowSec = Math.floor(this.jiffies / this.HZ);
      if (nowSec !== this.challengeTimestamp) {
        const half = (limit + 1) >> 1;
        this.challengeTimestamp = nowSec;
        this.challengeCount = half + this.rng.below(limit);
      }
      if (this.challengeCount <= 0) {
        this.mibInc('TCPChallengeACKLimited');
        return false;
      }
      this.challengeCount--;
    }
    this.mibInc('TCPChallengeACK');
    this.later(this.profile.costs.ackReplyNs, Kernel.sendAckEv, sk);
    return true;
  }

  /** tcp_rcv_synsent_state_process() */
  private tcpRcvSynsentStateProcess(sk: TcpSock, skb: Segment): boolean {
    if (skb.flags & TH_ACK) {
      // "If SEG.ACK =< ISS, or SEG.ACK > SND.NXT, send a reset" (RFC 793)
      if (!after(skb.ack, sk.sndUna) || after(skb.ack, sk.sndNxt)) {
        // 9603d47bad46 (5.6): "Previous FIN/ACK or RST/ACK might be ignored."
        if (this.profile.behaviour.fastSynResendOnBadAck && sk.retransmits === 0)
          this.inetCskResetXmitTimer(sk, TCP_TIMEOUT_MIN);
        this.rcvVerdict(skb, sk.id, 'dropped', 'bad-ack');
        return true; // reset_and_undo
      }
      if (skb.flags & TH_RST) {
        this.rcvVerdict(skb, sk.id, 'accepted');
        this.tcpReset(sk);
        return false;
      }
      if (!(skb.flags & TH_SYN)) {
        this.rcvVerdict(skb, sk.id, 'dropped', 'filtered');
        return false;
      }
      // SYN-ACK: the connection is established
      this.rcvVerdict(skb, sk.id, 'accepted');
      const opt = parseOptions(skb.options);
      sk.tstampOk = !!opt.ts && !!this.sysctl['net.ipv4.tcp_timestamps'];
      sk.tsRecent = (opt.ts?.val ?? 0) | 0;
      sk.tsRecentStamp = this.jiffies;
      sk.sackOk = !!opt.sackOK && !!this.sysctl['net.ipv4.tcp_sack'];
      sk.wscaleOk = opt.wscale !== undefined && !!this.sysctl['net.ipv4.tcp_window_scaling'];
      sk.sndWscale = sk.wscaleOk ? opt.wscale! : 0;
      if (!sk.wscaleOk) sk.rcvWscale = 0;
      sk.rcvNxt = (skb.seq + 1) | 0;
      sk.copiedSeq = sk.rcvNxt;
      sk.rcvWup = sk.rcvNxt;
      sk.sndUna = skb.ack | 0;
      sk.sndWnd = skb.window;
      this.inetCskClearXmitTimer(sk, 'retrans');
      sk.retransmits = 0;
      sk.backoff = 0;
      sk.rto = this.HZ / 5;
      this.tcpSetState(sk, TCP_ESTABLISHED);
      this.traceQueues(sk);
      this.wake(sk);
      this.later(this.profile.costs.handshakeAckNs, Kernel.sendAckEv, sk);
      return false;
    }
    if (skb.flags & TH_RST) {
      this.rcvVerdict(skb, sk.id, 'dropped', 'rst-ignored');
      return false;
    }
    // a SYN without ACK would be a simultaneous open: not modelled, dropped
    this.rcvVerdict(skb, sk.id, 'dropped', 'filtered');
    return false;
  }

  /** tcp_reset(): the peer reset us; sk_err depends on the state (EPIPE in CLOSE-WAIT). */
  tcpReset(sk: TcpSock): void {
    switch (sk.state) {
      case TCP_SYN_SENT:
        sk.skErr = ECONNREFUSED;
        break;
      case TCP_CLOSE_WAIT:
        sk.skErr = EPIPE;
        break;
      case TCP_CLOSE:
        return;
      default:
        sk.skErr = ECONNRESET;
    }
    this.mibInc('EstabResets', sk.state === TCP_ESTABLISHED || sk.state === TCP_CLOSE_WAIT ? 1 : 0);
    this.tcpDone(sk);
  }

  /**
   * tcp_done(): TCP_CLOSE, unhash (invisible to inet_diag), stop timers, SHUTDOWN_MASK.
   * A child still in an accept queue is not orphaned: it keeps its slot there.
   */
  tcpDone(sk: TcpSock): void {
    this.tcpSetState(sk, TCP_CLOSE);
    this.inetCskClearXmitTimer(sk, 'retrans');
    this.inetCskClearXmitTimer(sk, 'delack');
    this.clearKeepalive(sk);
    sk.skShutdown = SHUTDOWN_MASK;
    this.traceQueues(sk);
    if (!sk.dead) this.wake(sk);
    else this.inetCskDestroySock(sk);
  }

  private inetCskDestroySock(sk: TcpSock): void {
    if (sk.freed) return;
    sk.freed = true;
    this.inetCskClearXmitTimer(sk, 'retrans');
    this.inetCskClearXmitTimer(sk, 'delack');
    this.clearKeepalive(sk);
    if (sk.hashed) this.ehashRemove(sk);
    this.inetPutPort(sk);
    this.socks.delete(sk.id);
    if (this.sim.traceDetail) this.sim.emit({ type: 'sock-free', t: this.now, sock: sk.id });
  }

  /** tcp_fin_time(): linger2 ?: tcp_fin_timeout, at least 3.5 RTO. */
  private tcpFinTime(sk: TcpSock): number {
    const finTimeout = this.sysctl['net.ipv4.tcp_fin_timeout'] * this.HZ;
    const rto35 = (sk.rto << 2) - (sk.rto >> 1);
    return Math.max(finTimeout, rto35);
  }

  private inetCskResetKeepaliveTimer(sk: TcpSock, len: number): void {
    this.clearKeepalive(sk);
    sk.keepaliveExpires = this.jiffies + len;
    sk.keepaliveTimer = this.armTimer(() => {
      sk.keepaliveTimer = null;
      this.traceTimer(sk.id, 'keepalive', 'fired');
      // tcp_keepalive_timer() for an orphaned FIN_WAIT2: move to the timewait socket or die
      if (sk.state === TCP_FIN_WAIT2 && sk.dead) {
        const tmo = this.tcpFinTime(sk) - TCP_TIMEWAIT_LEN_S * this.HZ;
        if (tmo > 0) this.tcpTimeWait(sk, TCP_FIN_WAIT2, tmo);
        else this.tcpDone(sk);
      }
    }, sk.keepaliveExpires);
    this.traceTimer(sk.id, 'keepalive', 'armed', sk.keepaliveExpires, sk.keepaliveTimer.t);
  }

  private clearKeepalive(sk: TcpSock): void {
    if (sk.keepaliveTimer) {
      this.sim.cancel(sk.keepaliveTimer);
      sk.keepaliveTimer = null;
      this.traceTimer(sk.id, 'keepalive', 'cleared');
    }
  }

  // ───────────────────────────── timewait ─────────────────────────────

  /**
   * tcp_time_wait(): replace a full socket by a timewait mini-socket (substate FIN_WAIT2 or
   * TIME_WAIT) that keeps the 4-tuple in ehash and the port in its bind bucket.
   */
  tcpTimeWait(sk: TcpSock, state: TcpState, timeo: number): void {
    const tw = new TimewaitSock(this.newSockId(), state);
    tw.saddr = sk.saddr;
    tw.sport = sk.sport;
    tw.daddr = sk.daddr;
    tw.dport = sk.dport;
    tw.rcvNxt = sk.rcvNxt;
    tw.sndNxt = sk.sndNxt;
    tw.rcvWnd = sk.rcvWnd;
    tw.rcvWscale = sk.rcvWscale;
    tw.tsRecent = sk.tsRecent;
    tw.tsRecentStamp = sk.tsRecentStamp;
    tw.tsOffset = sk.tsOffset;
    tw.tstampOk = sk.tstampOk;
    tw.reuse = sk.reuse;
    tw.reuseport = sk.reuseport;
    const rto35 = (sk.rto << 2) - (sk.rto >> 1);
    if (timeo < rto35) timeo = rto35;
    if (state === TCP_TIME_WAIT) timeo = TCP_TIMEWAIT_LEN_S * this.HZ;
    const port = sk.bindPort;
    if (this.sim.traceDetail)
      this.sim.emit({ type: 'sock-new', t: this.now, sock: tw.id, kind: 'timewait', state, saddr: tw.saddr, sport: tw.sport, daddr: tw.daddr, dport: tw.dport, inode: 0 });
    // inet_twsk_hashdance(): tw takes sk's place in ehash and in the bind bucket
    this.ehashReplace(sk, tw);
    if (port) {
      const tb = this.bhash.get(port);
      this.inetBindHash(tw, tb, port, tb?.fastreuse ?? -1);
    }
    this.inetTwskSchedule(tw, timeo);
    this.mibInc(state === TCP_TIME_WAIT ? 'TW' : 'TCPFinWait2', 0);
    // tcp_done(sk) for the full socket; it is orphaned, so it is destroyed
    sk.hashed = false;
    this.tcpSetState(sk, TCP_CLOSE);
    this.clearKeepalive(sk);
    this.inetCskClearXmitTimer(sk, 'retrans');
    this.inetCskClearXmitTimer(sk, 'delack');
    sk.skShutdown = SHUTDOWN_MASK;
    if (sk.dead) this.inetCskDestroySock(sk);
    else this.wake(sk);
  }

  private inetTwskSchedule(tw: TimewaitSock, timeo: number): void {
    if (tw.timer) this.sim.cancel(tw.timer);
    tw.expires = this.jiffies + timeo;
    tw.timer = this.armTimer(() => this.twTimerHandler(tw), tw.expires);
    this.traceTimer(tw.id, 'timewait', 'armed', tw.expires, tw.timer.t);
  }

  private twTimerHandler(tw: TimewaitSock): void {
    tw.timer = null;
    this.traceTimer(tw.id, 'timewait', 'fired');
    this.inetTwskKill(tw);
  }

  private inetTwskKill(tw: TimewaitSock): void {
    if (tw.timer) this.sim.cancel(tw.timer);
    tw.timer = null;
    this.ehashRemove(tw);
    this.inetPutPort(tw);
    if (this.sim.traceDetail) this.sim.emit({ type: 'sock-free', t: this.now, sock: tw.id });
  }

  /** tcp_v4_rcv() → tcp_timewait_state_process() → TCP_TW_{SUCCESS,ACK,RST,SYN} */
  private tcpV4TimewaitRcv(tw: TimewaitSock, skb: Segment): void {
    const res = this.tcpTimewaitStateProcess(tw, skb);
    if (res.kind === 'syn') {
      const l = this.inetLookupListener(skb.daddr, skb.dport);
      if (l) {
        this.inetTwskKill(tw);
        this.tcpConnRequest(l, skb, res.isn);
        return;
      }
      // no listener any more: "Fall through to ACK" (4.4) / fallthrough to TCP_TW_ACK (6.x) —
      // the TIME-WAIT socket answers with tcp_v4_timewait_ack() and stays
      this.rcvVerdict(skb, tw.id, 'dropped', 'timewait');
      this.later(this.profile.costs.ackReplyNs, Kernel.timewaitAckEv, tw);
      return;
    }
    if (res.kind === 'ack') this.later(this.profile.costs.ackReplyNs, Kernel.timewaitAckEv, tw);
    if (res.kind === 'rst') this.later(this.profile.costs.ackReplyNs, Kernel.sendResetEv, skb);
  }

  tcpTimewaitStateProcess(tw: TimewaitSock, skb: Segment): { kind: 'success' | 'ack' | 'rst' } | { kind: 'syn'; isn: number } {
    const opt = parseOptions(skb.options);
    const isSyn = !!(skb.flags & TH_SYN);
    const endSeq = u32(skb.seq + skb.payload.length + (isSyn ? 1 : 0) + (skb.flags & TH_FIN ? 1 : 0));
    const pawsReject = !!(opt.ts && tw.tstampOk && tw.tsRecent && ((tw.tsRecent - opt.ts.val) | 0) > 0 && !(skb.flags & TH_RST));
    if (tw.substate === TCP_FIN_WAIT2) {
      const inWindow = !before(endSeq, tw.rcvNxt) && !after(skb.seq, u32(tw.rcvNxt + tw.rcvWnd));
      if (pawsReject || !inWindow) {
        this.rcvVerdict(skb, tw.id, 'dropped', pawsReject ? 'paws' : 'out-of-window');
        return this.tcpTimewaitCheckOowRateLimit(tw, 'TCPACKSkippedFinWait2');
      }
      if (skb.flags & TH_RST) {
        this.rcvVerdict(skb, tw.id, 'accepted');
        this.inetTwskKill(tw);
        return { kind: 'success' };
      }
      if (isSyn && !before(skb.seq, tw.rcvNxt)) {
        this.rcvVerdict(skb, tw.id, 'dropped', 'timewait');
        return { kind: 'rst' };
      }
      if (!(skb.flags & TH_ACK) || !after(endSeq, tw.rcvNxt) || endSeq === skb.seq) {
        this.rcvVerdict(skb, tw.id, 'dropped', 'dup-ack');
        return { kind: 'success' };
      }
      if (!(skb.flags & TH_FIN) || endSeq !== u32(tw.rcvNxt + 1)) {
        this.rcvVerdict(skb, tw.id, 'dropped', 'timewait');
        return { kind: 'rst' };
      }
      // FIN arrived: enter the true TIME-WAIT
      this.rcvVerdict(skb, tw.id, 'accepted');
      const from = tw.substate;
      tw.substate = TCP_TIME_WAIT;
      if (this.sim.traceDetail) this.sim.emit({ type: 'state', t: this.now, sock: tw.id, from, to: TCP_TIME_WAIT });
      tw.rcvNxt = endSeq | 0;
      if (opt.ts) {
        tw.tsRecent = opt.ts.val | 0;
        tw.tsRecentStamp = this.jiffies;
      }
      this.inetTwskSchedule(tw, TCP_TIMEWAIT_LEN_S * this.HZ);
      return { kind: 'ack' };
    }
    // Real TIME_WAIT
    if (!pawsReject && (skb.seq | 0) === tw.rcvNxt && (skb.seq === endSeq || skb.flags & TH_RST)) {
      if (skb.flags & TH_RST) {
        if (!this.sysctl['net.ipv4.tcp_rfc1337']) {
          this.rcvVerdict(skb, tw.id, 'accepted');
          this.inetTwskKill(tw);
          return { kind: 'success' };
        }
      } else {
        this.inetTwskSchedule(tw, TCP_TIMEWAIT_LEN_S * this.HZ);
      }
      this.rcvVerdict(skb, tw.id, 'dropped', 'timewait');
      return { kind: 'success' };
    }
    if (isSyn && !(skb.flags & TH_RST) && !(skb.flags & TH_ACK) && !pawsReject &&
      (after(skb.seq, tw.rcvNxt) || (opt.ts && tw.tstampOk && ((tw.tsRecent - opt.ts.val) | 0) < 0))) {
      // "a new connection": the listener gets it with ISN = tw_snd_nxt + 65535 + 2
      let isn = u32(tw.sndNxt + 65535 + 2);
      if (isn === 0) isn++;
      this.rcvVerdict(skb, tw.id, 'accepted');
      return { kind: 'syn', isn };
    }
    if (pawsReject) this.mibInc('PAWSEstabRejected');
    if (!(skb.flags & TH_RST)) {
      if (pawsReject || skb.flags & TH_ACK) this.inetTwskSchedule(tw, TCP_TIMEWAIT_LEN_S * this.HZ);
      this.rcvVerdict(skb, tw.id, 'dropped', 'timewait');
      return this.tcpTimewaitCheckOowRateLimit(tw, 'TCPACKSkippedTimeWait');
    }
    this.rcvVerdict(skb, tw.id, 'dropped', 'timewait');
    return { kind: 'success' };
  }

  private tcpTimewaitCheckOowRateLimit(tw: TimewaitSock, mib: string): { kind: 'success' | 'ack' } {
    return this.tcpOowRateLimited(tw, mib) ? { kind: 'success' } : { kind: 'ack' };
  }

  /** tcp_v4_timewait_ack(): via the control socket (IP id 0, software checksum). */
  private tcpV4TimewaitAck(tw: TimewaitSock): void {
    const seg = this.mkSeg({
      saddr: tw.saddr,
      daddr: tw.daddr,
      sport: tw.sport,
      dport: tw.dport,
      seq: tw.sndNxt >>> 0,
      ack: tw.rcvNxt >>> 0,
      flags: TH_ACK,
      window: this.tcpSelectWindow(tw),
      options: tw.tstampOk ? [OPT_NOP, OPT_NOP, { kind: 'ts', val: this.tcpTimeStamp(tw.tsOffset), ecr: tw.tsRecent >>> 0 }] : [],
      ipId: 0,
      csum: 'full',
    });
    this.ipOutput(seg, null);
  }

  // ───────────────────────────── close ─────────────────────────────

  /** tcp_close(): the last reference to the socket's file went away. */
  tcpClose(sk: TcpSock): void {
    sk.skShutdown = SHUTDOWN_MASK;
    if (sk.state === TCP_LISTEN) {
      this.tcpSetState(sk, TCP_CLOSE);
      this.inetCskListenStop(sk);
      sk.dead = true;
      this.inetCskDestroySock(sk);
      return;
    }
    let unread = 0;
    for (const b of sk.rcvQueue) unread += b.length;
    sk.rcvQueue = [];
    sk.dead = true; // sock_orphan()
    if (unread) {
      // RFC 2525 §2.17: close with unread data sends a RST
      this.mibInc('TCPAbortOnClose');
      this.tcpSetState(sk, TCP_CLOSE);
      this.tcpSendActiveReset(sk);
    } else if (this.tcpCloseState(sk)) {
      this.tcpSendFin(sk);
    }
    if (sk.state === TCP_FIN_WAIT2 && !sk.keepaliveTimer) {
      const tmo = this.tcpFinTime(sk);
      if (tmo > TCP_TIMEWAIT_LEN_S * this.HZ) this.inetCskResetKeepaliveTimer(sk, tmo - TCP_TIMEWAIT_LEN_S * this.HZ);
      else this.tcpTimeWait(sk, TCP_FIN_WAIT2, tmo);
      return;
    }
    if (sk.state === TCP_CLOSE) this.inetCskDestroySock(sk);
  }

  /** tcp_close_state(): the state after close(), and whether a FIN must be sent. */
  private tcpCloseState(sk: TcpSock): boolean {
    const next: Record<number, [TcpState, boolean]> = {
      [TCP_ESTABLISHED]: [TCP_FIN_WAIT1, true],
      [TCP_SYN_SENT]: [TCP_CLOSE, false],
      [TCP_SYN_RECV]: [TCP_FIN_WAIT1, true],
      [TCP_FIN_WAIT1]: [TCP_FIN_WAIT1, false],
      [TCP_FIN_WAIT2]: [TCP_FIN_WAIT2, false],
      [TCP_TIME_WAIT]: [TCP_CLOSE, false],
      [TCP_CLOSE]: [TCP_CLOSE, false],
      [TCP_CLOSE_WAIT]: [TCP_LAST_ACK, true],
      [TCP_LAST_ACK]: [TCP_LAST_ACK, false],
      [TCP_LISTEN]: [TCP_CLOSE, false],
      [TCP_CLOSING]: [TCP_CLOSING, false],
    };
    const [ns, fin] = next[sk.state] ?? [TCP_CLOSE, false];
    this.tcpSetState(sk, ns);
    return fin;
  }

  /** tcp_send_fin() */
  private tcpSendFin(sk: TcpSock): void {
    const seq = sk.writeSeq;
    sk.writeSeq = (sk.writeSeq + 1) | 0;
    sk.sndNxt = sk.writeSeq;
    this.tcpTransmit(sk, TH_FIN | TH_ACK, seq);
    this.traceQueues(sk);
    this.inetCskResetXmitTimer(sk, sk.rto || this.HZ / 5);
  }

  /** shutdown(SHUT_WR) on a connected socket: FIN now, keep receiving. */
  tcpShutdown(sk: TcpSock, how: number): void {
    if (how & SEND_SHUTDOWN && (sk.state === TCP_ESTABLISHED || sk.state === TCP_CLOSE_WAIT || sk.state === TCP_SYN_RECV)) {
      if (this.tcpCloseState(sk)) this.tcpSendFin(sk);
    }
  }

  /**
   * inet_csk_listen_stop(): every request sock is dropped silently; every child still in the
   * accept queue is disconnected (a RST if tcp_need_reset()) and destroyed.
   */
  inetCskListenStop(l: TcpSock): void {
    for (const req of [...(l.reqs ?? [])]) this.inetCskReqskQueueDrop(l, req);
    const queue = l.acceptQueue;
    l.acceptQueue = [];
    this.traceAcceptq(l);
    for (const child of queue) {
      child.parent = null;
      this.inetChildForget(child);
    }
  }

  /** inet_child_forget() → tcp_disconnect() → tcp_send_active_reset() when needed. */
  private inetChildForget(child: TcpSock): void {
    const old = child.state;
    if (old !== TCP_CLOSE) this.tcpSetState(child, TCP_CLOSE);
    const needReset = [TCP_ESTABLISHED, TCP_CLOSE_WAIT, TCP_FIN_WAIT1, TCP_FIN_WAIT2, TCP_SYN_RECV].includes(old);
    if (needReset) {
      this.tcpSendActiveReset(child);
      child.skErr = ECONNRESET;
    }
    child.dead = true;
    this.inetCskDestroySock(child);
  }

  // ───────────────────────────── listen / accept ─────────────────────────────

  /** inet_csk_listen_start(): into the listening hash; autobind if needed. */
  inetCskListenStart(sk: TcpSock, backlog: number): number {
    sk.maxAckBacklog = backlog;
    if (!sk.sport) {
      const err = this.inetCskGetPort(sk, 0);
      if (err) return err;
    } else {
      // re-check the bind conflict against listeners (reuseport groups, SO_REUSEADDR)
      const tb = this.bhash.get(sk.sport);
      if (tb) {
        for (const o of tb.owners) {
          if (o !== sk && o.kind === 'full' && o.state === TCP_LISTEN && !(sk.reuseport && o.reuseport) && (!o.saddr || !sk.saddr || o.saddr === sk.saddr))
            return -EADDRINUSE;
        }
      }
    }
    this.tcpSetState(sk, TCP_LISTEN);
    const arr = this.listening.get(sk.sport) ?? [];
    arr.push(sk);
    this.listening.set(sk.sport, arr);
    sk.hashed = true;
    sk.hashSeq = ++this.hashSeq;
    if (this.sim.traceDetail) this.sim.emit({ type: 'hash', t: this.now, sock: sk.id, hashed: true });
    this.traceQueues(sk);
    return 0;
  }

  /** reqsk_queue_remove() + sk_acceptq_removed(): the oldest child, dead or alive. */
  inetCskAcceptDequeue(l: TcpSock): TcpSock | null {
    const child = l.acceptQueue.length ? l.acceptQueue.shift()! : null;
    if (child) {
      child.parent = null;
      this.traceAcceptq(l);
      this.traceQueues(l);
    }
    return child;
  }

  // ───────────────────────────── wait queues ─────────────────────────────

  wake(sk: TcpSock): void {
    const ws = sk.waiters;
    if (ws.size === 0) return;
    if (ws.size === 1) {
      // one waiter: no snapshot needed
      ws.first().wake();
      return;
    }
    for (const w of [...ws]) w.wake();
  }

  // ───────────────────────────── data ─────────────────────────────

  /** tcp_sendmsg() core for the simple case: one segment, PSH|ACK. */
  tcpSendmsg(sk: TcpSock, data: Uint8Array): void {
    const seq = sk.writeSeq;
    sk.writeSeq = (sk.writeSeq + data.length) | 0;
    sk.sndNxt = sk.writeSeq;
    this.tcpTransmit(sk, TH_PSH | TH_ACK, seq, data);
    this.traceQueues(sk);
    if (sk.pending !== 'retrans') this.inetCskResetXmitTimer(sk, sk.rto || this.HZ / 5);
  }

  // ───────────────────────────── inet_diag ─────────────────────────────

  /** tcp_diag_get_info(): Recv-Q/Send-Q as ss shows them. */
  tcpDiagGetInfo(sk: TcpSock): { rqueue: number; wqueue: number } {
    if (sk.state === TCP_LISTEN) return { rqueue: sk.acceptQueue.length, wqueue: sk.maxAckBacklog };
    return {
      rqueue: Math.max(0, u32(sk.rcvNxt - sk.copiedSeq) | 0),
      wqueue: u32(sk.writeSeq - sk.sndUna),
    };
  }

  /** EXPIRES_IN_MS (4.4 full sockets, may be negative) / jiffies_delta_to_msecs (6.x, >= 0). */
  private expiresMs(expires: number, clampZero: boolean): number {
    const delta = expires - this.jiffies;
    const ms = Math.ceil((delta * 1000) / this.HZ);
    return clampZero ? Math.max(0, ms) : ms;
  }

  /**
   * inet_diag dump of TCP sockets in kernel order: the listening hash (by port bucket),
   * then ehash buckets in index order, newest first within a bucket.
   */
  inetDiagDump(): SockDiag[] {
    const rows: SockDiag[] = [];
    const exact = this.profile.behaviour.timerWheel === 'exact';
    const ports = [...this.listening.keys()].sort((a, b) => (a & 31) - (b & 31) || a - b);
    for (const p of ports) {
      for (const l of [...this.listening.get(p)!].reverse()) {
        const q = this.tcpDiagGetInfo(l);
        rows.push({ state: TCP_LISTEN, saddr: l.saddr, sport: l.sport, daddr: 0, dport: 0, ...q, timer: DIAG_TIMER_OFF, expiresMs: 0, retrans: 0, inode: l.inode, uid: l.uid, sockId: l.id });
      }
    }
    const entries = [...this.ehash.values()].map((s) => ({ s, b: this.inetEhashfn(s.saddr, s.sport, s.daddr, s.dport) }));
    entries.sort((x, y) => x.b - y.b || y.s.hashSeq - x.s.hashSeq);
    for (const { s } of entries) {
      if (s.kind === 'timewait') {
        rows.push({ state: s.substate, saddr: s.saddr, sport: s.sport, daddr: s.daddr, dport: s.dport, rqueue: 0, wqueue: 0, timer: DIAG_TIMER_TIMEWAIT, expiresMs: this.expiresMs(s.expires, true), retrans: 0, inode: 0, uid: 0, sockId: s.id });
      } else if (s.kind === 'request') {
        rows.push({ state: TCP_SYN_RECV, saddr: s.saddr, sport: s.sport, daddr: s.daddr, dport: s.dport, rqueue: 0, wqueue: 0, timer: DIAG_TIMER_ON, expiresMs: this.expiresMs(s.expires, true), retrans: s.numTimeout, inode: 0, uid: 0, sockId: s.id });
      } else {
        const q = this.tcpDiagGetInfo(s);
        let timer = DIAG_TIMER_OFF;
        let expiresMs = 0;
        let retrans = 0;
        if (s.pending === 'retrans') {
          timer = DIAG_TIMER_ON;
          expiresMs = this.expiresMs(s.timeout, !exact);
          retrans = s.retransmits;
        } else if (s.pending === 'probe0') {
          timer = DIAG_TIMER_PERSIST;
          expiresMs = this.expiresMs(s.timeout, !exact);
          retrans = s.probesOut;
        } else if (s.keepaliveTimer) {
          timer = DIAG_TIMER_KEEPALIVE;
          expiresMs = this.expiresMs(s.keepaliveExpires, !exact);
          retrans = s.probesOut;
        }
        rows.push({ state: s.state, saddr: s.saddr, sport: s.sport, daddr: s.daddr, dport: s.dport, ...q, timer, expiresMs, retrans, inode: s.inode, uid: s.uid, sockId: s.id });
      }
    }
    return rows;
  }

  /** A new full socket (sys_socket). */
  sockCreate(): TcpSock {
    const sk = newTcpSock(this.newSockId(), this.nextInode++, TCP_CLOSE);
    this.socks.set(sk.id, sk);
    if (this.sim.traceDetail)
      this.sim.emit({ type: 'sock-new', t: this.now, sock: sk.id, kind: 'full', state: TCP_CLOSE, saddr: 0, sport: 0, daddr: 0, dport: 0, inode: sk.inode });
    return sk;
  }

  /** Add a capture tap (tcpdump's packet socket with a BPF filter). */
  openTap(filter: (seg: Segment) => boolean): CaptureTap {
    const tap: CaptureTap = { filter, frames: [], times: [], receivedByFilter: 0, active: true, openedNs: this.now };
    this.taps.add(tap);
    return tap;
  }
}

/** tcp_parse_options() */
export function parseOptions(options: TcpOption[]): { mss?: number; sackOK: boolean; ts?: { val: number; ecr: number }; wscale?: number } {
  const r: { mss?: number; sackOK: boolean; ts?: { val: number; ecr: number }; wscale?: number } = { sackOK: false };
  for (const o of options) {
    if (o.kind === 'mss') r.mss = o.value;
    else if (o.kind === 'sackOK') r.sackOK = true;
    else if (o.kind === 'ts') r.ts = { val: o.val, ecr: o.ecr };
    else if (o.kind === 'wscale') r.wscale = Math.min(o.shift, 14);
  }
  return r;
}
