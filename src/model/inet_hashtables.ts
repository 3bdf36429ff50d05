/**
 * net/ipv4/inet_hashtables.c (Linux 4.4 and 6.18): the established hash (full, request and
 * timewait sockets in one table, as since 4.4), the listening hash, the bind hash of ports
 * and the choice of an ephemeral port for connect() (__inet_hash_connect).
 *
 * Deliberate differences: the established hash is a lookup table plus inet_ehashfn() for the
 * dump order (the kernel's buckets are only modelled where `ss` shows them); the listening
 * hash is a map by port; one netns, so no net_hash_mix().
 */
import type { Kernel } from './kernel.ts';
import { IntTable } from './inttable.ts';
import { jhash3 } from './rng.ts';
import { secureIpv4PortEphemeral } from './secure_seq.ts';
import { u32 } from './seq.ts';
import { remove, type AnySock, type TcpSock, type TimewaitSock } from './sock.ts';
import { EADDRNOTAVAIL } from './errno.ts';

/** struct inet_bind_bucket */
export interface BindBucket {
  port: number;
  /** fastreuse: -1 when created by connect() (__inet_hash_connect), >= 0 by bind(). */
  fastreuse: number;
  /** The sockets bound to the port (tb->owners; only whether one conflicts matters, not the order). */
  owners: (TcpSock | TimewaitSock)[];
}

/** A 4-tuple as a string key. */
export const key = (laddr: number, lport: number, raddr: number, rport: number): string =>
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

/**
 * inet_ehashfn(): the hash of a 4-tuple under the boot's secret; its low bits
 * (& ehash_mask, inet_ehash_bucket()) are the bucket an entry lives in, and dump order follows
 * bucket index; SO_REUSEPORT picks a listener with all of it.
 */
export function inetEhashfn(k: Kernel, laddr: number, lport: number, faddr: number, fport: number): number {
  return jhash3(laddr, faddr, fport, u32(k.ehashSecret + lport));
}

/** inet_ehash_insert(sk, NULL) */
export function ehashInsert(k: Kernel, s: AnySock): void {
  k.ehash.set(s);
  s.hashed = true;
  s.hashSeq = ++k.hashSeq;
  if (k.sim.traceDetail) k.sim.emit({ type: 'hash', t: k.now, sock: s.id, hashed: true });
}

/** The established half of inet_unhash(). */
export function ehashRemove(k: Kernel, s: AnySock): void {
  k.ehash.delete(s);
  if (s.hashed && k.sim.traceDetail) k.sim.emit({ type: 'hash', t: k.now, sock: s.id, hashed: false });
  s.hashed = false;
}

/** inet_ehash_insert(sk, osk): s takes old's place. */
export function ehashReplace(k: Kernel, old: AnySock, s: AnySock): void {
  ehashRemove(k, old);
  ehashInsert(k, s);
}

/**
 * sk_reuseport_cb (6.x): a listener's reuseport group, struct sock_reuseport's socks[] in the
 * order the sockets joined; one array shared by the members.
 */
const reuseportCb = new WeakMap<TcpSock, TcpSock[]>();

/**
 * inet_reuseport_add_sock() (6.x): a listener with SO_REUSEPORT joins the group of one already
 * listening on the same port and address with it, by the same user (reuseport_add_sock appends
 * it), or starts its own (reuseport_alloc).
 */
function inetReuseportAddSock(k: Kernel, sk: TcpSock, arr: TcpSock[]): void {
  const sk2 = arr.find((o) => o !== sk && o.reuseport && o.uid === sk.uid && o.saddr === sk.saddr && reuseportCb.has(o));
  const group = sk2 ? reuseportCb.get(sk2)! : [];
  group.push(sk);
  reuseportCb.set(sk, group);
}

/** reuseport_detach_sock() (6.x): the group's last socket takes the leaving one's place. */
function reuseportDetachSock(sk: TcpSock): void {
  const group = reuseportCb.get(sk);
  if (!group) return;
  reuseportCb.delete(sk);
  const last = group.pop()!;
  if (last !== sk) group[group.indexOf(sk)] = last;
}

/** reciprocal_scale(): val scaled to [0, n) by its high bits. */
const reciprocalScale = (val: number, n: number): number => Math.floor(((val >>> 0) * n) / 0x100000000);

/** next_pseudo_random32(): the LCG 4.4's listener lookup steps its hash with. */
const nextPseudoRandom32 = (seed: number): number => u32(Math.imul(seed, 1664525) + 1013904223);

/** __inet_hash() of a listener: into the listening hash (and its reuseport group, 6.x). */
export function inetHash(k: Kernel, sk: TcpSock): void {
  const arr = k.listening.get(sk.sport) ?? [];
  if (sk.reuseport && k.profile.behaviour.reuseport === 'groups') inetReuseportAddSock(k, sk, arr);
  arr.push(sk);
  k.listening.set(sk.sport, arr);
  sk.hashed = true;
  sk.hashSeq = ++k.hashSeq;
  if (k.sim.traceDetail) k.sim.emit({ type: 'hash', t: k.now, sock: sk.id, hashed: true });
}

/** The listening half of inet_unhash(). */
export function listenUnhash(k: Kernel, sk: TcpSock): void {
  const arr = k.listening.get(sk.sport);
  if (!arr) return;
  remove(arr, sk);
  reuseportDetachSock(sk);
  if (!arr.length) k.listening.delete(sk.sport);
  if (sk.hashed && k.sim.traceDetail) k.sim.emit({ type: 'hash', t: k.now, sock: sk.id, hashed: false });
  sk.hashed = false;
}

/**
 * inet_bind_hash(sk, tb, port): join the port's bind bucket tb, which the caller looked up, or,
 * when there is none, create it (inet_bind_bucket_create) with s as its first owner.
 */
export function inetBindHash(k: Kernel, s: TcpSock | TimewaitSock, tb: BindBucket | undefined, port: number, fastreuse: number): void {
  if (!tb) k.bhash.set(port, { port, fastreuse, owners: [s] }); // an exact-size array: most ports have one owner
  else if (!tb.owners.includes(s)) tb.owners.push(s);
  s.bindPort = port;
}

/** inet_put_port(): leave the bind bucket; an empty bucket is freed. */
export function inetPutPort(k: Kernel, s: TcpSock | TimewaitSock): void {
  if (!s.bindPort) return;
  const tb = k.bhash.get(s.bindPort);
  if (tb) {
    remove(tb.owners, s);
    if (!tb.owners.length) k.bhash.delete(s.bindPort);
  }
  s.bindPort = 0;
}

/**
 * Make the next ephemeral port chosen for (saddr, daddr, dport) be `port`, as if other
 * connections on the box had advanced the kernel's hint. Used to pin a chance value.
 */
export function pinEphemeralPort(k: Kernel, port: number, saddr: number, daddr: number, dport: number): void {
  const [lo] = k.sysctl['net.ipv4.ip_local_port_range'];
  k.portHint = u32(port - lo - secureIpv4PortEphemeral(k, saddr, daddr, dport));
}

/** __inet_hash_connect(): choose a local port for connect() and hash the socket. */
export function inetHashConnect(k: Kernel, sk: TcpSock): number {
  if (sk.sport) {
    const tb = k.bhash.get(sk.sport);
    const alone = tb && tb.owners.length === 1 && tb.owners[0] === sk;
    if (!alone && k.ehash.has(sk.saddr, sk.sport, sk.daddr, sk.dport)) return -EADDRNOTAVAIL;
    ehashInsert(k, sk);
    return 0;
  }
  const range = k.sysctl['net.ipv4.ip_local_port_range'];
  const low = range[0];
  const remaining = range[1] - low + 1;
  // a range no kernel accepts (ipv4_local_port_range() refuses it with -EINVAL): no port
  if (!(low >= 1 && range[1] <= 65535 && remaining > 0)) return -EADDRNOTAVAIL;
  const offset = (u32(k.portHint + secureIpv4PortEphemeral(k, sk.saddr, sk.daddr, sk.dport)) & ~1) >>> 0;
  // port = low + (offset + i) % remaining, with one modulo instead of one per candidate
  let idx = offset % remaining;
  for (let i = 0; i < remaining; i++, idx = idx + 1 === remaining ? 0 : idx + 1) {
    const port = low + idx;
    const tb = k.bhash.get(port);
    if (tb) {
      if (tb.fastreuse >= 0) continue;
      if (k.ehash.has(sk.saddr, port, sk.daddr, sk.dport)) continue;
    }
    k.portHint = u32(k.portHint + ((i + 2) & ~1));
    inetBindHash(k, sk, tb, port, -1);
    sk.sport = port;
    ehashInsert(k, sk);
    return 0;
  }
  return -EADDRNOTAVAIL;
}

/**
 * __inet_lookup_listener(): the listener with the best compute_score() (an exact address beats
 * the wildcard). Among SO_REUSEPORT listeners the hash of the 4-tuple (inet_ehashfn(daddr,
 * hnum, saddr, sport)) chooses: 6.x, reuseport_select_sock() → socks[reciprocal_scale(hash,
 * n)] of the first best listener's group (join order); 4.4, the walk of the listening chain
 * (newest first) replaces its pick by the m-th equal match when reciprocal_scale(phash, m) is
 * 0, stepping phash with next_pseudo_random32().
 */
export function inetLookupListener(k: Kernel, saddr: number, sport: number, daddr: number, dport: number): TcpSock | null {
  const arr = k.listening.get(dport);
  if (!arr) return null;
  const score = (l: TcpSock): number => (l.saddr ? (l.saddr === daddr ? 2 : -1) : 1);
  if (k.profile.behaviour.reuseport === 'chain') {
    let result: TcpSock | null = null;
    let hiscore = 0;
    let reuseport = false;
    let phash = 0;
    let matches = 0;
    for (let i = arr.length - 1; i >= 0; i--) {
      const l = arr[i];
      const s = score(l);
      if (s > hiscore) {
        result = l;
        hiscore = s;
        reuseport = l.reuseport;
        if (reuseport) {
          phash = inetEhashfn(k, daddr, dport, saddr, sport);
          matches = 1;
        }
      } else if (s === hiscore && reuseport) {
        matches++;
        if (reciprocalScale(phash, matches) === 0) result = l;
        phash = nextPseudoRandom32(phash);
      }
    }
    return result;
  }
  let best: TcpSock | null = null;
  for (let i = arr.length - 1; i >= 0; i--) if (score(arr[i]) > (best ? score(best) : 0)) best = arr[i];
  const group = best && best.reuseport ? reuseportCb.get(best) : undefined;
  if (!group || !group.length) return best;
  // reuseport_select_sock_by_hash(): listeners only here, none is ESTABLISHED
  return group[reciprocalScale(inetEhashfn(k, daddr, dport, saddr, sport), group.length)];
}
