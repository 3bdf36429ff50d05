/**
 * Socket objects of the model: full sockets, request socks and timewait mini-sockets,
 * with the kernel's field names (camelCased) so the code reads like net/ipv4: struct sock
 * (include/net/sock.h), inet_connection_sock, tcp_sock, request_sock and
 * inet_timewait_sock of Linux 4.4 and 6.18, with the two inline helpers of sock.h the model
 * needs (sk_acceptq_is_full, the default wake-ups and release_sock()'s backlog of net/core/sock.c).
 *
 * Deliberate differences: a full socket is one flat object (not struct sock embedded in
 * inet_sock in inet_connection_sock in tcp_sock), and only the fields the model uses exist.
 */
import type { Kernel } from './kernel.ts';
import type { SimEvent } from './sim.ts';
import type { Segment, TcpState } from './types.ts';

/** sk_shutdown bits */
export const RCV_SHUTDOWN = 1;
export const SEND_SHUTDOWN = 2;
export const SHUTDOWN_MASK = 3;

/** ICSK_TIME_* pending kinds for inet_diag. */
export type IcskPending = 'none' | 'retrans' | 'probe0' | 'reo' | 'tlp';

/**
 * The empty accept queue and receive queue every socket starts with, shared and frozen (a
 * mutation would throw): a socket gets its own array on its first child or first data. Most
 * sockets of a large scenario never do, and an array per socket costs memory and GC time.
 */
export const NO_CHILDREN: TcpSock[] = Object.freeze([]) as unknown as TcpSock[];
export const NO_DATA: Uint8Array[] = Object.freeze([]) as unknown as Uint8Array[];

/**
 * One skb of a socket's write queue (sk_write_queue, the rtx queue of 4.15+ kept in the same
 * list): the sequence space [seq, end) with its payload and, for the last one, the FIN. Those
 * before sk.sendHead are sent and not yet fully acked, the others wait (tcp_send_head()).
 */
export interface WSkb {
  seq: number; // int32, like the socket's sequence-space fields
  end: number; // seq + data.length + (fin ? 1 : 0), int32
  data: Uint8Array;
  fin: boolean;
  /** TCPHDR_PSH, set by tcp_mark_push() (the last skb of a write, or forced_push()). */
  psh: boolean;
  /** tcp_skb_pcount() > 0 and its first transmission's jiffies (for an RTT sample), 0 if retransmitted. */
  sentAt: number;
  retransmitted: boolean;
  /** TCP_SKB_CB(skb)->sacked: TCPCB_SACKED_ACKED | TCPCB_SACKED_RETRANS | TCPCB_LOST | TCPCB_EVER_RETRANS. */
  sacked?: number;
  /** TCP_SKB_CB(skb)->eor: MSG_EOR ends this skb, tcp_skb_can_collapse_to() adds nothing to it. */
  eor?: boolean;
  /** tcp_skb_pcount() as it was sent (what packets_out counts for it). */
  pcount?: number;
  /** TCP_SKB_CB(skb)->tx (tcp_rate_skb_sent()): first_tx_mstamp, delivered_mstamp (us), delivered, is_app_limited. */
  txFirstTx?: number;
  txDeliveredMstamp?: number;
  txDelivered?: number;
  txAppLimited?: boolean;
}
export const NO_SKBS: WSkb[] = Object.freeze([]) as unknown as WSkb[];

/**
 * A new write-queue skb, every field present from the start in one order (the optional ones
 * undefined until set): skbs made in different places then share one V8 map, and the rtx-queue
 * walks (tcp_clean_rtx_queue(), the SACK scoreboard, tcp_rate) stay monomorphic.
 */
export function newWSkb(seq: number, end: number, data: Uint8Array, fin: boolean, psh: boolean, sentAt: number, retransmitted: boolean): WSkb {
  return {
    seq,
    end,
    data,
    fin,
    psh,
    sentAt,
    retransmitted,
    sacked: undefined,
    eor: undefined,
    pcount: undefined,
    txFirstTx: undefined,
    txDeliveredMstamp: undefined,
    txDelivered: undefined,
    txAppLimited: undefined,
  };
}

/** An skb of the out-of-order queue: [seq, end) with its payload, end counting a FIN. */
export interface OfoSkb {
  seq: number; // int32
  end: number; // int32
  data: Uint8Array;
  fin: boolean;
  /** truesize less payload (0 for an skb the model charges its payload). */
  extra: number;
}
export const NO_OFO: OfoSkb[] = Object.freeze([]) as unknown as OfoSkb[];
export const NO_EXTRA: number[] = Object.freeze([]) as unknown as number[];

/** struct tcp_sack_block: [start_seq, end_seq), int32. */
export interface SackBlock {
  start: number;
  end: number;
}
export const NO_SACKS: SackBlock[] = Object.freeze([]) as unknown as SackBlock[];

/** sk_userlocks bits (include/net/sock.h). */
export const SOCK_SNDBUF_LOCK = 1;
export const SOCK_RCVBUF_LOCK = 2;
/** TCP_SKB_MIN_TRUESIZE = 2048 + SKB_DATA_ALIGN(sizeof(struct sk_buff)); SOCK_MIN_SNDBUF is twice it, SOCK_MIN_RCVBUF once. */
const TCP_SKB_MIN_TRUESIZE = 2048 + 256;
export const SOCK_MIN_SNDBUF = 2 * TCP_SKB_MIN_TRUESIZE;
export const SOCK_MIN_RCVBUF = TCP_SKB_MIN_TRUESIZE;

/**
 * sk_setsockopt()'s SO_SNDBUF and SO_RCVBUF (net/core/sock.c; sock_setsockopt() in 4.4, the same
 * rule): the value, capped at net.core.wmem_max / rmem_max, is doubled ("to allow for the
 * sk_buff overhead"), at least SOCK_MIN_SNDBUF (4608) / SOCK_MIN_RCVBUF (2304), and the buffer
 * is locked (SOCK_SNDBUF_LOCK / SOCK_RCVBUF_LOCK): tcp_init_buffer_space() no longer sizes it.
 * A writer waiting for memory is woken (sk->sk_write_space()).
 */
export function sockSetBuf(k: { profile: { behaviour: { rmemMax: number } } }, sk: TcpSock, opt: 'SO_SNDBUF' | 'SO_RCVBUF', val: number): void {
  // net.core.wmem_max equals rmem_max on both kernels modelled (212992 on 4.4, 4194304 on 6.18)
  const v = Math.min(val >>> 0, k.profile.behaviour.rmemMax);
  if (opt === 'SO_SNDBUF') {
    sk.userlocks |= SOCK_SNDBUF_LOCK;
    sk.sndbuf = Math.max(v * 2, SOCK_MIN_SNDBUF);
    if (sk.waiters.size && sk.sndbuf - sk.wmemQueued >= sk.wmemQueued >> 1) sockDefWakeup(sk);
  } else {
    sk.userlocks |= SOCK_RCVBUF_LOCK;
    sk.rcvbuf = Math.max(v * 2, SOCK_MIN_RCVBUF);
  }
}

/** tp->nonagle bits (include/net/tcp.h): TCP_NODELAY sets OFF, TCP_CORK sets CORK. */
export const TCP_NAGLE_OFF = 1;
export const TCP_NAGLE_CORK = 2;
export const TCP_NAGLE_PUSH = 4;

/**
 * list with x appended: a list that is still one of the shared frozen empty ones (NO_CHILDREN,
 * NO_DATA, a task's first reports) is replaced by an exact-size array of its own.
 */
export function append<T>(list: T[], x: T): T[] {
  if (list.length === 0 && Object.isFrozen(list)) return [x];
  list.push(x);
  return list;
}

/** Take x out of list (its first occurrence); false when it was not there. */
export function remove<T>(list: T[], x: T): boolean {
  const i = list.indexOf(x);
  if (i < 0) return false;
  // (not splice(), which allocates the array of removed elements)
  for (let j = i + 1; j < list.length; j++) list[j - 1] = list[j];
  list.pop();
  return true;
}

/**
 * A small set kept in the order its members came, held without an array in the usual case of
 * one member: null (empty), the member itself, or an array of two or more. Its members are never
 * arrays. A socket's waiters and a task's wait queues are held this way: 10,000 sockets or tasks
 * (npm run bench) would otherwise each carry an array or a Set.
 */
export type Few<T> = T | T[] | null;

/** `few` with x added (at the end, unless it is there already): an array one grows in place. */
export function fewAdd<T>(few: Few<T>, x: T): Few<T> {
  if (few === null) return x;
  if (Array.isArray(few)) {
    if (!few.includes(x)) few.push(x);
    return few;
  }
  return few === x ? few : [few as T, x];
}

/** `few` without x: an array one shrinks in place. */
export function fewDelete<T>(few: Few<T>, x: T): Few<T> {
  if (few === null) return null;
  if (Array.isArray(few)) {
    remove(few, x);
    return few;
  }
  return few === x ? null : few;
}

/** The members of `few`, in order. */
export function fewList<T>(few: Few<T>): readonly T[] {
  return few === null ? [] : Array.isArray(few) ? few : [few as T];
}

/** The number of members of `few`. */
export function fewSize<T>(few: Few<T>): number {
  return few === null ? 0 : Array.isArray(few) ? few.length : 1;
}

export interface Waiter {
  wake(): void;
}

/**
 * A wait queue (wait_queue_head_t): its waiters in the order they came. A Set<Waiter> is one
 * (the process table's queues are Sets); a socket's is a SockWaitQueue.
 */
export interface WaitQueue extends Iterable<Waiter> {
  add(w: Waiter): unknown;
  delete(w: Waiter): boolean;
  readonly size: number;
}

/**
 * A socket's wait queue (sk_wq) as a small array: a socket has at most a waiter or two, and a
 * Set costs several times the memory, which counts with 10,000 sockets (npm run bench).
 */
export class SockWaitQueue implements WaitQueue {
  private ws: Few<Waiter> = null;
  get size(): number {
    return fewSize(this.ws);
  }
  add(w: Waiter): this {
    this.ws = fewAdd(this.ws, w);
    return this;
  }
  delete(w: Waiter): boolean {
    const before = fewSize(this.ws);
    this.ws = fewDelete(this.ws, w);
    return fewSize(this.ws) < before;
  }
  /** The first waiter (size > 0). */
  first(): Waiter {
    const ws = this.ws!;
    return Array.isArray(ws) ? ws[0] : ws;
  }
  [Symbol.iterator](): Iterator<Waiter> {
    return fewList(this.ws).values();
  }
}

interface SockCommon {
  id: number;
  saddr: number; // local address (inet_rcv_saddr)
  sport: number; // local port (inet_num)
  daddr: number; // remote address
  dport: number; // remote port
  /** Chain position in its ehash bucket: newer entries are dumped first (hlist_add_head). */
  hashSeq: number;
  hashed: boolean;
}

/**
 * A full socket: struct sock, inet_connection_sock and tcp_sock, flattened. Made by newTcpSock().
 */
export interface TcpSock extends SockCommon, SimEvent {
  readonly kind: 'full';
  id: number;
  inode: number;
  state: TcpState;
  saddr: number;
  sport: number;
  daddr: number;
  dport: number;
  hashSeq: number;
  hashed: boolean;
  /** Bound to a bind bucket (inet_csk(sk)->icsk_bind_hash). */
  bindPort: number;
  /** SO_REUSEADDR / SO_REUSEPORT (sk_reuse, sk_reuseport). */
  reuse: boolean;
  reuseport: boolean;
  uid: number;
  /** struct socket state: SS_UNCONNECTED / SS_CONNECTING / SS_CONNECTED. */
  ss: 'unconnected' | 'connecting' | 'connected';
  /** Listener fields: sk_max_ack_backlog, the accept queue, request socks. */
  maxAckBacklog: number;
  acceptQueue: TcpSock[];
  /** Request socks of a listener, created on first use (most sockets never listen). */
  reqs: Set<RequestSock> | null;
  young: number;
  synfloodWarned: boolean;
  /** A child's listener while it sits in the accept queue. */
  parent: TcpSock | null;
  // tcp_sock. Sequence-space values (isn, snd_una, snd_nxt, write_seq, rcv_nxt, copied_seq,
  // rcv_wup, ts_recent, the TS offset) are kept as signed 32-bit integers (`x | 0`), in every
  // kind of socket: V8 keeps an int32 field inline, where an unsigned value above 2^31 would be
  // a separate boxed double per field and socket. Compare them with before()/after() or after
  // `| 0`; a segment gets `x >>> 0` (newSeg() rejects anything else).
  isn: number;
  sndUna: number;
  sndNxt: number;
  writeSeq: number;
  rcvNxt: number;
  copiedSeq: number;
  rcvWup: number;
  rcvWnd: number;
  sndWnd: number;
  /** The largest window the peer has offered (tp->max_window), and bytes it has acked in all. */
  maxWindow: number;
  bytesAcked: number;
  mss: number;
  /** The MSS this socket advertises (tp->advmss: its route's ipv4_default_advmss()). */
  advmss: number;
  /** sk_rcvbuf: tcp_rmem[1] when created (tcp_init_sock()), inherited by a child. */
  rcvbuf: number;
  tstampOk: boolean;
  sackOk: boolean;
  wscaleOk: boolean;
  sndWscale: number;
  rcvWscale: number;
  tsRecent: number;
  tsRecentStamp: number;
  tsOffset: number;
  inetId: number;
  lastOowAckTime: number;
  /**
   * Received bytes not yet read, in order, and whether the FIN sits in the receive queue. The
   * bytes are views, one per run of bytes that follow one another in one buffer (not one per
   * skb: see tcpChargeSkb()), the last one extended by rcvTailGrow bytes of its buffer not yet
   * in the view (rcvTailWiden()); the skbs' charges are rcvQueueCharges, pairs (end seq,
   * truesize beyond the payload) of each queued skb that has one, in queue order.
   */
  rcvQueue: Uint8Array[];
  rcvTailGrow: number;
  rcvQueueCharges: number[];
  /**
   * The start seq of the first skb in rcvQueueCharges, and the bytes of it a read has copied
   * already (counted in rmemExtra: sk_rmem_alloc keeps an skb's whole truesize until
   * sk_eat_skb() frees it, so a part read gives nothing back).
   */
  rcvChargeStart: number;
  rcvHeadCopied: number;
  finQueued: boolean;
  /** tp->out_of_order_queue (an rbtree in Linux): segments beyond rcv_nxt, sorted, disjoint (OfoSkb). */
  outOfOrderQueue: OfoSkb[];
  /** tp->selective_acks[0..num_sacks) and rx_opt.dsack with duplicate_sack[0]: the SACK blocks of the next ACK. */
  selectiveAcks: SackBlock[];
  dsack: SackBlock | null;
  /** sk_userlocks: SOCK_SNDBUF_LOCK / SOCK_RCVBUF_LOCK once SO_SNDBUF / SO_RCVBUF set the buffer. */
  userlocks: number;
  /** icsk_user_timeout: TCP_USER_TIMEOUT in ms (0: none). */
  userTimeout: number;
  /**
   * tp->scaling_ratio (6.x: TCP_DEFAULT_SCALING_RATIO 128 until an skb with a known truesize
   * measures it) and what sk_rmem_alloc holds beyond the queued payload: truesize less payload of
   * the queued skbs that have a truesize (tcpChargeSkb()).
   */
  scalingRatio: number;
  rmemExtra: number;
  /**
   * The start seq of the receive queue's tail skb while it is still the sender's clone (a lo skb
   * queued on its own, whose original waits in the sender's retransmit queue), else null: what
   * skb_try_coalesce()'s skb_cloned(to) test needs (tcpTryCoalesce()).
   */
  rcvTailClone: number | null;
  /** SOCK_KEEPOPEN (SO_KEEPALIVE) and tp->keepalive_time / _intvl (jiffies) / _probes (TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT; 0: the sysctl). */
  keepOpen: boolean;
  keepaliveTime: number;
  keepaliveIntvl: number;
  keepaliveProbes: number;
  // the data path (tcp_sendmsg(), tcp_write_xmit(), tcp_select_window(), tcp_rtt_estimator())
  /** sk_write_queue (see WSkb) and the index of its send head; sk_wmem_queued; sk_sndbuf. */
  writeQueue: WSkb[];
  sendHead: number;
  wmemQueued: number;
  sndbuf: number;
  /** tp->nonagle (TCP_NAGLE_*) and snd_sml, the end of the last small segment sent (Minshall). */
  nonagle: number;
  sndSml: number;
  /** tp->pushed_seq: write_seq when tcp_mark_push() last marked an skb. */
  pushedSeq: number;
  /** SO_LINGER: sk_lingertime in jiffies (Infinity: MAX_SCHEDULE_TIMEOUT) while SOCK_LINGER is set, else -1. */
  linger: number;
  /** tp->rcv_ssthresh, tp->window_clamp, icsk_ack.rcv_mss. */
  rcvSsthresh: number;
  /** rx_opt.mss_clamp: the peer's MSS option (tcp_sync_mss() clamps to it). */
  mssClamp: number;
  windowClamp: number;
  rcvMss: number;
  /** RTT state of tcp_rtt_estimator() in microseconds (srtt_us is 8 x srtt), rtt_seq. */
  srttUs: number;
  mdevUs: number;
  mdevMaxUs: number;
  rttvarUs: number;
  rttSeq: number;
  // congestion control (tcp_input.c, tcp_output.c, tcp_cong.c; names of struct tcp_sock)
  /** snd_cwnd (packets; TCP_INIT_CWND 10), snd_ssthresh (TCP_INFINITE_SSTHRESH), snd_cwnd_cnt, snd_cwnd_stamp (jiffies). */
  sndCwnd: number;
  sndSsthresh: number;
  sndCwndCnt: number;
  sndCwndStamp: number;
  /** packets_out, sacked_out, lost_out, retrans_out: the scoreboard's counts (tcp_packets_in_flight()). */
  packetsOut: number;
  sackedOut: number;
  lostOut: number;
  retransOut: number;
  /** prior_cwnd, prior_ssthresh, high_seq, undo_marker, undo_retrans, icsk_ca_state. */
  priorCwnd: number;
  priorSsthresh: number;
  highSeq: number;
  undoMarker: number;
  undoRetrans: number;
  caState: 'Open' | 'Disorder' | 'CWR' | 'Recovery' | 'Loss';
  /** prr_delivered, prr_out (RFC 6937), reordering (tcp_reordering sysctl), tlp_high_seq. */
  prrDelivered: number;
  prrOut: number;
  reordering: number;
  tlpHighSeq: number;
  /** The congestion control's private state (icsk_ca_priv: cubic's struct bictcp), its name (icsk_ca_ops->name). */
  caName: string;
  caPriv: Record<string, number> | null;
  /** is_cwnd_limited, max_packets_out, snd_cwnd_used, lsndtime (jiffies of the last data sent). */
  isCwndLimited: boolean;
  maxPacketsOut: number;
  sndCwndUsed: number;
  /** tcp_info counters: total_retrans, bytes_received, segs_out/in, data_segs_out/in, delivered. */
  totalRetrans: number;
  bytesReceived: number;
  segsOut: number;
  segsIn: number;
  dataSegsOut: number;
  dataSegsIn: number;
  delivered: number;
  /** rcvq_space.space, .seq and .time (tcp_rcv_space_adjust(); time in tcp_mstamp us on 6.x, jiffies on 4.4). */
  rcvSpace: number;
  rcvqSeq: number;
  rcvqTime: number;
  /**
   * rcv_rtt_est (tcp_rcv_rtt_update()): rtt_us x 8 on 6.x (rtt in jiffies x 8 on 4.4), the seq and
   * time a window measurement started; rcv_rtt_last_tsecr (6.x); tcp_mstamp, the µs clock as the
   * socket last read it (tcp_mstamp_refresh()).
   */
  rcvRttEst: number;
  rcvRttSeq: number;
  rcvRttTime: number;
  rcvRttLastTsecr: number;
  tcpMstamp: number;
  /** last_data_recv / lsndtime / rcv_tstamp (jiffies). */
  lastDataRecv: number;
  lastDataSent: number;
  lastAckRecv: number;
  /** chrono_stat[TCP_CHRONO_RWND_LIMITED / SNDBUF_LIMITED] (us), the running chrono and its start (ns). */
  rwndLimited: number;
  sndbufLimited: number;
  chronoType: number;
  chronoStart: number;
  /** app_limited: delivered + packets in flight when the sender ran out of data (0: not limited). */
  appLimited: number;
  /** cwnd_usage_seq (tcp_cwnd_validate()), sk_pacing_rate (bytes/s, Infinity = ~0UL until the first update), tcp_min_rtt() (us, 0 = none). */
  cwndUsageSeq: number;
  pacingRate: number;
  rttMin: number;
  /** tcp_wstamp_ns: when the last data went out (ns of the simulation), for tcp_tso_should_defer(). */
  wstampNs: number;
  /** chrono_stat[TCP_CHRONO_BUSY] (us): tcpi_busy_time counts it with the two limited chronos. */
  busyTime: number;
  /** tp->rack (tcp_recovery.c): send time (ns) and end_seq of the newest skb delivered, its RTT (us), reo_wnd_steps; reord_seen. */
  rackMstamp: number;
  rackEndSeq: number;
  rackRttUs: number;
  rackReoWndSteps: number;
  reordSeen: number;
  /** tcpi_bytes_sent (every data byte put on the wire, again when retransmitted) and tcpi_bytes_retrans. */
  bytesSent: number;
  bytesRetrans: number;
  /** tcp_rate.c: first_tx_mstamp, delivered_mstamp (us), rate_delivered, rate_interval_us, rate_app_limited. */
  firstTxMstamp: number;
  deliveredMstamp: number;
  rateDelivered: number;
  rateIntervalUs: number;
  rateAppLimited: boolean;
  done: boolean; // SOCK_DONE
  // inet_connection_sock
  retransmits: number;
  backoff: number;
  totalRto: number;
  rto: number; // jiffies
  pending: IcskPending;
  timeout: number; // icsk_timeout, jiffies
  retransStamp: number; // jiffies of the first SYN (retrans_stamp)
  ackPending: boolean;
  pingpong: boolean;
  ato: number;
  /** icsk_ack.quick: the ACKs still to send at once (tcp_incr_quickack(), tcp_dec_quickack_mode()). */
  ackQuick: number;
  /** The retransmit timer while armed: the socket itself (see t, order, fn, a, b, cancelled), or null. */
  retransTimer: SimEvent | null;
  delackTimer: SimEvent | null;
  delackExpires: number;
  keepaliveTimer: SimEvent | null;
  keepaliveExpires: number;
  probesOut: number;
  // struct sock
  skErr: number;
  skShutdown: number;
  dead: boolean; // SOCK_DEAD: orphaned
  freed: boolean;
  fileRefs: number;
  waiters: SockWaitQueue;
  // icsk_retransmit_timer, embedded: the SimEvent fields (t is the instant it fires, in ns, while
  // armed). Sim runs sk.fn(sk.a, sk.b), which inetCskResetXmitTimer() sets.
  t: number;
  order: number;
  fn: (a: any, b: any) => void;
  a: unknown;
  b: unknown;
  cancelled: boolean;
}

/** The function of a socket's retransmit timer before it is first armed (never run: cancelled). */
const noTimer = (): void => {};

/**
 * A new full socket, as an object literal rather than a class: V8 allocates the objects of a
 * literal whose objects keep surviving straight into the old generation (allocation-site
 * pretenuring), which it never does for `new`. With 10,000 long-lived sockets (npm run bench)
 * the young-generation collector then no longer copies every socket twice.
 * The literal's key order is the object's memory layout: the fields a retransmit timer and a
 * SYN touch come first, so that a socket that has dropped out of the cache (the bench's
 * 10,000 SYN-SENT sockets) costs fewer cache lines per retransmission.
 */
export function newTcpSock(id: number, inode: number, state: TcpState): TcpSock {
  return {
    // the embedded retransmit timer first: Sim checks order and cancelled before running it.
    // t starts as a double (NaN, not armed), since it will hold nanoseconds beyond 2^31: a
    // field that started as a small integer would change representation on the first arming,
    // and V8 would then migrate every existing socket to a new layout.
    t: NaN,
    order: -1,
    fn: noTimer,
    a: null,
    b: null,
    cancelled: true,
    kind: 'full',
    id,
    state,
    freed: false,
    pending: 'none',
    retransTimer: null,
    retransmits: 0,
    totalRto: 0,
    backoff: 0,
    rto: 0,
    timeout: 0,
    sndUna: 0,
    sndNxt: 0,
    isn: 0,
    tsOffset: 0,
    inetId: 0,
    saddr: 0,
    sport: 0,
    daddr: 0,
    dport: 0,
    dead: false,
    inode,
    hashSeq: 0,
    hashed: false,
    bindPort: 0,
    reuse: false,
    reuseport: false,
    uid: 0,
    ss: 'unconnected',
    maxAckBacklog: 0,
    acceptQueue: NO_CHILDREN,
    reqs: null,
    young: 0,
    synfloodWarned: false,
    parent: null,
    writeSeq: 0,
    rcvNxt: 0,
    copiedSeq: 0,
    rcvWup: 0,
    rcvWnd: 0,
    sndWnd: 0,
    maxWindow: 0,
    bytesAcked: 0,
    mss: 536, // mss_cache: TCP_MSS_DEFAULT until tcp_sync_mss()
    advmss: 65495,
    rcvbuf: 0,
    tstampOk: false,
    sackOk: false,
    wscaleOk: false,
    sndWscale: 0,
    rcvWscale: 0,
    tsRecent: 0,
    tsRecentStamp: 0,
    lastOowAckTime: 0,
    rcvQueue: NO_DATA, rcvTailGrow: 0, rcvQueueCharges: NO_EXTRA, rcvChargeStart: 0, rcvHeadCopied: 0,
    finQueued: false,
    outOfOrderQueue: NO_OFO,
    selectiveAcks: NO_SACKS,
    dsack: null,
    userlocks: 0,
    userTimeout: 0,
    scalingRatio: 128,
    rmemExtra: 0, rcvTailClone: null,
    keepOpen: false, keepaliveTime: 0, keepaliveIntvl: 0, keepaliveProbes: 0,
    writeQueue: NO_SKBS,
    sendHead: 0,
    wmemQueued: 0,
    sndbuf: 0,
    nonagle: 0,
    sndSml: 0,
    pushedSeq: 0,
    linger: -1,
    rcvSsthresh: 0,
    mssClamp: 536,
    windowClamp: 0,
    rcvMss: 536,
    srttUs: 0,
    mdevUs: 0,
    mdevMaxUs: 0,
    rttvarUs: 0,
    rttSeq: 0,
    // tcp_init_sock(): snd_cwnd = TCP_INIT_CWND, snd_ssthresh = TCP_INFINITE_SSTHRESH, reordering = sysctl_tcp_reordering
    sndCwnd: 10, sndSsthresh: 0x7fffffff, sndCwndCnt: 0, sndCwndStamp: 0,
    packetsOut: 0, sackedOut: 0, lostOut: 0, retransOut: 0,
    priorCwnd: 0, priorSsthresh: 0, highSeq: 0, undoMarker: 0, undoRetrans: 0, caState: 'Open',
    prrDelivered: 0, prrOut: 0, reordering: 3, tlpHighSeq: 0, caName: 'cubic', caPriv: null,
    isCwndLimited: false, maxPacketsOut: 0, sndCwndUsed: 0,
    totalRetrans: 0, bytesReceived: 0, segsOut: 0, segsIn: 0, dataSegsOut: 0, dataSegsIn: 0, delivered: 0,
    rcvSpace: 0, rcvqSeq: 0, rcvqTime: 0, rcvRttEst: 0, rcvRttSeq: 0, rcvRttTime: 0, rcvRttLastTsecr: 0, tcpMstamp: 0, lastDataRecv: 0, lastDataSent: 0, lastAckRecv: 0,
    rwndLimited: 0, sndbufLimited: 0, chronoType: 0, chronoStart: 0, appLimited: -1, // app_limited = ~0U
    cwndUsageSeq: 0, pacingRate: Infinity, rttMin: 0, wstampNs: 0, busyTime: 0,
    rackMstamp: 0, rackEndSeq: 0, rackRttUs: 0, rackReoWndSteps: 1, reordSeen: 0, bytesSent: 0, bytesRetrans: 0, firstTxMstamp: 0, deliveredMstamp: 0, rateDelivered: 0, rateIntervalUs: 0, rateAppLimited: false,
    done: false,
    retransStamp: 0,
    ackPending: false,
    pingpong: false,
    ato: 0, ackQuick: 0,
    delackTimer: null,
    delackExpires: 0,
    keepaliveTimer: null,
    keepaliveExpires: 0,
    probesOut: 0,
    skErr: 0,
    skShutdown: 0,
    fileRefs: 0,
    waiters: new SockWaitQueue(),
  };
}

export class RequestSock implements SockCommon {
  readonly kind = 'request' as const;
  id: number;
  saddr: number;
  sport: number;
  daddr: number;
  dport: number;
  hashSeq = 0;
  hashed = false;
  listener: TcpSock;
  sntIsn = 0;
  rcvIsn = 0;
  tsRecent = 0;
  tstampOk = false;
  sackOk = false;
  wscaleOk = false;
  sndWscale = 0;
  rcvWscale = 0;
  mss = 0;
  /** The MSS of the SYN-ACK (the route's advmss) and its window (rsk_rcv_wnd, tcp_openreq_init_rwin()). */
  advmss = 65495;
  rcvWnd = 0;
  /** rsk_window_clamp when SO_RCVBUF limited it (tcpRcvbufClamp()), else 0. */
  windowClamp = 0;
  /** snt_synack: when the last SYN-ACK left (ns), for tcp_synack_rtt_meas(). */
  sntSynack = 0;
  /** tcp_oow_rate_limited() state of the request's challenge ACKs. */
  lastOowAckTime = 0;
  tsOffset = 0;
  numRetrans = 0;
  numTimeout = 0;
  acked = false;
  timer: SimEvent | null = null;
  expires = 0; // jiffies

  constructor(id: number, listener: TcpSock, saddr: number, sport: number, daddr: number, dport: number) {
    this.id = id;
    this.listener = listener;
    this.saddr = saddr;
    this.sport = sport;
    this.daddr = daddr;
    this.dport = dport;
  }
}

export class TimewaitSock implements SockCommon {
  readonly kind = 'timewait' as const;
  id: number;
  saddr = 0;
  sport = 0;
  daddr = 0;
  dport = 0;
  hashSeq = 0;
  hashed = false;
  bindPort = 0;
  /** TCP_FIN_WAIT2 or TCP_TIME_WAIT (tw_substate). */
  substate: TcpState;
  rcvNxt = 0;
  sndNxt = 0;
  rcvWnd = 0;
  rcvWscale = 0;
  tsRecent = 0;
  tsRecentStamp = 0;
  tsOffset = 0;
  tstampOk = false;
  reuse = false;
  reuseport = false;
  lastOowAckTime = 0;
  timer: SimEvent | null = null;
  expires = 0; // jiffies (tw_timer.expires)

  constructor(id: number, substate: TcpState) {
    this.id = id;
    this.substate = substate;
  }
}

export type AnySock = TcpSock | RequestSock | TimewaitSock;

/** sk_acceptq_is_full() (include/net/sock.h): `>` since 64a146513f8f (2007), so backlog N holds N + 1. */
export function skAcceptqIsFull(sk: TcpSock): boolean {
  return sk.acceptQueue.length > sk.maxAckBacklog;
}

/**
 * sock_def_wakeup() / sock_def_readable() (net/core/sock.c), the socket's sk_state_change and
 * sk_data_ready: wake every task waiting on the socket.
 */
export function sockDefWakeup(sk: TcpSock): void {
  const ws = sk.waiters;
  if (ws.size === 0) return;
  if (ws.size === 1) {
    // one waiter: no snapshot needed
    ws.first().wake();
    return;
  }
  for (const w of [...ws]) w.wake();
}

/**
 * tcp_sendmsg_locked()'s process_backlog: the skbs it allocated since the socket's backlog was
 * last taken, kept across the waits of one call. `flush` asks the caller for sk_flush_backlog().
 */
export interface SendBacklog {
  n: number;
  flush: boolean;
}

/**
 * Could sk_flush_backlog() find anything? On lo the softirq work a call starts runs in its own
 * context (loopback.ts): the skbs it sent reach the peer, whose ACKs wait in this socket's
 * backlog. The model stands for that with the softirq still busy or the socket's skbs and
 * backlog still waiting.
 */
function skBacklogPending(k: Kernel, sk: TcpSock): boolean {
  return k.softirqUntil > k.now || k.loTxPending.has(sk.id) || k.sockBacklog.has(sk.id);
}

/**
 * tcp_sendmsg_locked() before it allocates an skb: "if (unlikely(process_backlog >= 16)) {
 * process_backlog = 0; if (sk_flush_backlog(sk)) goto restart; }" (6.18; d41a69f1d390, 4.7, "tcp:
 * batch calls to sk_flush_backlog()" every 16 skbs, 5.4; so not in 4.4). True when the copy
 * should stop for the caller to take the backlog (ACKs that free acked skbs' truesize) and call
 * again (the restart: size_goal afresh); otherwise counts the skb the caller allocates.
 */
export function skFlushBacklogDue(k: Kernel, sk: TcpSock, bl?: SendBacklog): boolean {
  if (!bl) return false;
  if (bl.n >= 16) {
    bl.n = 0;
    if (k.profile.name !== 'linux-4.4' && skBacklogPending(k, sk)) {
      bl.flush = true;
      return true;
    }
  }
  bl.n++; // process_backlog++ for the skb the caller allocates now
  return false;
}

/**
 * release_sock() → __release_sock() (net/core/sock.c): the segments that arrived while a system
 * call owned the socket (tcp_add_backlog()) go through sk_backlog_rcv() (tcp_v4_do_rcv(), given as
 * `rcv`) in the order they came. Not modelled: tcp_add_backlog()'s coalescing of queued ACKs.
 */
export function releaseSock(k: Kernel, sk: TcpSock, rcv: (k: Kernel, sk: TcpSock, skb: Segment) => void): void {
  const q = k.sockBacklog.get(sk.id);
  if (!q) return;
  k.sockBacklog.delete(sk.id);
  for (let i = 0; i < q.length; i++) rcv(k, sk, q[i]);
}
