/**
 * Shared data types of the tcp-lab model: the contract between the simulation
 * core (src/model), the userland programs (src/userland), the renderers
 * (src/render) and the pipeline (src/experiment, scripts/).
 *
 * Pure data only. No DOM, no Node APIs, no clocks, no randomness.
 *
 * Units:
 *   - Time values are integer nanoseconds since the simulated boot ("mono"), named `t`
 *     or `...Ns`. CLOCK_REALTIME is `realtimeBaseNs + t` (see SimClock).
 *   - IPv4 addresses are unsigned 32-bit numbers (127.0.0.1 = 0x7f000001).
 *   - Sequence numbers are unsigned 32-bit numbers; use the helpers in seq.ts.
 */
import type { TcpInfo } from './tcp.ts';

export type Ns = number;
export type Ip4 = number;

/** TCP header flag bits, as on the wire. */
export const TH_FIN = 0x01;
export const TH_SYN = 0x02;
export const TH_RST = 0x04;
export const TH_PSH = 0x08;
export const TH_ACK = 0x10;
export const TH_URG = 0x20;
export const TH_ECE = 0x40;
export const TH_CWR = 0x80;

/** One TCP option, in the order it appears on the wire. */
export type TcpOption =
  | { kind: 'mss'; value: number }
  | { kind: 'sackOK' }
  | { kind: 'ts'; val: number; ecr: number }
  | { kind: 'nop' }
  | { kind: 'wscale'; shift: number }
  /** SACK blocks [start, end) (tcp_options_write(): a D-SACK first, then tp->selective_acks), unsigned. */
  | { kind: 'sack'; blocks: [number, number][] }
  | { kind: 'eol' };

/** Encoded length of one option (tcp_options_write()). */
export function optionLength(o: TcpOption): number {
  switch (o.kind) {
    case 'mss': return 4;
    case 'sackOK': return 2;
    case 'ts': return 10;
    case 'wscale': return 3;
    case 'nop': return 1;
    case 'eol': return 1;
    case 'sack': return 2 + 8 * o.blocks.length;
  }
}

/** TCP header length (bytes) of a segment: 20 and its options, padded to 4 bytes. */
export function tcpHeaderLength(seg: { options: TcpOption[] }): number {
  let raw = 0;
  for (let i = 0; i < seg.options.length; i++) raw += optionLength(seg.options[i]);
  return 20 + ((raw + 3) & ~3);
}

/**
 * One IPv4/TCP segment as it crosses `lo`. Carries every field a pcap writer
 * needs: the renderers never invent header values.
 */
export interface Segment {
  /** Unique, increasing id within one simulation (0, 1, 2, ...). */
  id: number;
  saddr: Ip4;
  daddr: Ip4;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  /** Bitwise OR of TH_* flags. */
  flags: number;
  /** Raw 16-bit window field (unscaled). */
  window: number;
  urgent: number;
  options: TcpOption[];
  /** Payload bytes (usually empty in these experiments). */
  payload: Uint8Array;
  /**
   * skb->truesize and gso_size of a segment whose receive cost the model knows (packetdrill's
   * tun packets, see run.ts). On lo truesize is absent (the sender-side truesize,
   * tcpStreamSkbTruesize(), is charged) and gso_size is the sender's mss for an skb of several
   * segments (tcp_set_skb_tso_segs()).
   */
  truesize?: number;
  gsoSize?: number;
  /** IPv4 header fields. */
  ipId: number;
  ttl: number;
  df: boolean;
  tos: number;
  /**
   * How the TCP checksum looks in a capture on lo:
   *  - 'partial': CHECKSUM_PARTIAL offload; the capture holds only the pseudo-header sum
   *    (tcpdump -v says "incorrect"), as for every segment built by a full socket on lo;
   *  - 'full': computed in software (RSTs from the per-netns control socket).
   */
  csum: 'partial' | 'full';
}

/** TCP states, numbered as in include/net/tcp_states.h. */
export const TCP_ESTABLISHED = 1;
export const TCP_SYN_SENT = 2;
export const TCP_SYN_RECV = 3;
export const TCP_FIN_WAIT1 = 4;
export const TCP_FIN_WAIT2 = 5;
export const TCP_TIME_WAIT = 6;
export const TCP_CLOSE = 7;
export const TCP_CLOSE_WAIT = 8;
export const TCP_LAST_ACK = 9;
export const TCP_LISTEN = 10;
export const TCP_CLOSING = 11;
export const TCP_NEW_SYN_RECV = 12;
export type TcpState = number;

export const TCP_STATE_NAMES: Record<number, string> = {
  1: 'ESTABLISHED', 2: 'SYN_SENT', 3: 'SYN_RECV', 4: 'FIN_WAIT1', 5: 'FIN_WAIT2', 6: 'TIME_WAIT',
  7: 'CLOSE', 8: 'CLOSE_WAIT', 9: 'LAST_ACK', 10: 'LISTEN', 11: 'CLOSING', 12: 'NEW_SYN_RECV',
};

/** Timer kinds as reported by inet_diag (idiag_timer), used by `ss -o`. */
export const DIAG_TIMER_OFF = 0;
export const DIAG_TIMER_ON = 1; // retransmit / loss probe / reorder
export const DIAG_TIMER_KEEPALIVE = 2;
export const DIAG_TIMER_TIMEWAIT = 3;
export const DIAG_TIMER_PERSIST = 4;

/**
 * One row of an inet_diag dump (what `ss` receives over netlink), in kernel dump order:
 * listening hash first, then ehash buckets in index order.
 */
export interface SockDiag {
  /** Kernel TCP state number (for request socks: TCP_SYN_RECV; for timewait: the substate). */
  state: TcpState;
  saddr: Ip4;
  sport: number;
  daddr: Ip4;
  dport: number;
  /** idiag_rqueue / idiag_wqueue, see tcp_diag_get_info(). */
  rqueue: number;
  wqueue: number;
  /** idiag_timer (DIAG_TIMER_*), idiag_expires in ms (may be <= 0 when overdue), idiag_retrans. */
  timer: number;
  expiresMs: number;
  retrans: number;
  /** Socket inode; 0 for timewait and request socks (no `users:` possible). */
  inode: number;
  uid: number;
  /** Stable model id of the socket, for widgets and tests (not shown by ss). */
  sockId: number;
  /**
   * INET_DIAG_INFO (struct tcp_info from tcp_get_info()) and INET_DIAG_CONG (the congestion
   * control's name), for a full socket when the dump asked for them (`ss -i`).
   */
  info?: { tcp: TcpInfo; cong: string };
}

/** What `ss -p` finds by scanning /proc/<pid>/fd: processes holding a socket inode. */
export interface FdOwner {
  comm: string;
  pid: number;
  fd: number;
}

/** A socket-table snapshot plus the /proc fd scan, as `ss -p` sees the world at one instant. */
export interface SocketTable {
  t: Ns;
  rows: SockDiag[];
  /** inode -> owners, in /proc scan order (ascending pid, ascending fd). */
  owners: Map<number, FdOwner[]>;
}

export type DropReason =
  | 'no-socket' // no matching socket: answered by RST (or dropped when the segment was a RST)
  | 'listen-overflow' // SYN or final ACK dropped because the accept queue is full (LINUX_MIB_LISTENOVERFLOWS)
  | 'syn-challenge' // SYN on a synchronized socket: discarded after sending a challenge ACK
  | 'challenge-ack-ratelimited'
  | 'paws'
  | 'out-of-window'
  | 'bad-ack' // unacceptable ACK in SYN-SENT: discarded after sending a RST
  | 'rst-ignored'
  | 'dup-ack'
  | 'syn-queue-full'
  | 'timewait'
  | 'closed'
  | 'filtered';

/** Everything the model does that a renderer may show. The trace is the single source of truth. */
export type TraceEvent =
  | { type: 'xmit'; t: Ns; seg: Segment; sock: number | null /* sender sockId, null = control socket */ }
  | { type: 'rcv'; t: Ns; segId: number; sock: number | null; verdict: 'accepted' | 'dropped'; reason?: DropReason }
  | { type: 'sock-new'; t: Ns; sock: number; kind: 'full' | 'request' | 'timewait'; state: TcpState; saddr: Ip4; sport: number; daddr: Ip4; dport: number; inode: number; parent?: number }
  | { type: 'state'; t: Ns; sock: number; from: TcpState; to: TcpState }
  | { type: 'hash'; t: Ns; sock: number; hashed: boolean } // visible to inet_diag or not
  | { type: 'queues'; t: Ns; sock: number; rqueue: number; wqueue: number }
  | { type: 'acceptq'; t: Ns; listener: number; queue: number[] /* child sockIds, FIFO */ }
  | { type: 'timer'; t: Ns; sock: number; timer: TimerKind; action: 'armed' | 'fired' | 'cleared'; expiresJiffies?: number; fireAt?: Ns; retrans?: number }
  | { type: 'sock-free'; t: Ns; sock: number }
  | { type: 'syscall'; t: Ns; pid: number; call: string; args: string; ret: number; errno?: string }
  | { type: 'fd'; t: Ns; pid: number; fd: number; inode: number; action: 'install' | 'close' }
  | { type: 'signal'; t: Ns; pid: number; sig: Signal }
  | { type: 'proc'; t: Ns; pid: number; comm: string; action: 'exec' | 'stop' | 'cont' | 'exit'; status?: number; argv?: string[]; tty?: string | null }
  | { type: 'output'; t: Ns; pid: number; tty: string | null; stream: 'stdout' | 'stderr' | 'echo'; text: string }
  | { type: 'mib'; t: Ns; counter: string; delta: number }
  | { type: 'note'; t: Ns; text: string };

export type TimerKind = 'retrans' | 'delack' | 'keepalive' | 'synack' | 'timewait' | 'probe';
export type Signal = 'SIGSTOP' | 'SIGTSTP' | 'SIGTTIN' | 'SIGCONT' | 'SIGINT' | 'SIGTERM' | 'SIGKILL' | 'SIGPIPE' | 'SIGHUP';

/** A captured frame: what tcpdump's packet socket sees (one per xmit on lo). */
export interface CapturedFrame {
  /** CLOCK_REALTIME in nanoseconds (pcap stores microseconds). */
  realtimeNs: number;
  seg: Segment;
}

export type ProfileName = 'linux-4.4' | 'linux-6.x';
