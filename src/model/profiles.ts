/**
 * Kernel profiles: sysctl defaults, behaviour switches (each with the commit that
 * introduced it) and machine costs. A profile is data; experiments override sysctls.
 */
import type { ProfileName } from './types.ts';
import { sysctlWrite } from './sysctl_net_ipv4.ts';

export interface Sysctls {
  'net.core.somaxconn': number;
  'net.ipv4.tcp_fin_timeout': number; // seconds
  'net.ipv4.tcp_syn_retries': number;
  'net.ipv4.tcp_synack_retries': number;
  /** 6.5+, ccce324dabfe; 0 = exponential backoff from the first retransmission. */
  'net.ipv4.tcp_syn_linear_timeouts': number;
  'net.ipv4.tcp_abort_on_overflow': number;
  'net.ipv4.tcp_syncookies': number;
  'net.ipv4.tcp_challenge_ack_limit': number;
  'net.ipv4.tcp_invalid_ratelimit': number; // ms
  'net.ipv4.ip_local_port_range': [number, number];
  'net.ipv4.tcp_max_syn_backlog': number;
  'net.ipv4.tcp_timestamps': number;
  'net.ipv4.tcp_window_scaling': number;
  'net.ipv4.tcp_sack': number;
  'net.ipv4.tcp_rfc1337': number;
  'net.ipv4.tcp_tw_reuse': number;
  /** min, default (sk_rcvbuf of a new socket), max; bytes. */
  'net.ipv4.tcp_rmem': [number, number, number];
  /** min, default (sk_sndbuf of a new socket), max; bytes. */
  'net.ipv4.tcp_wmem': [number, number, number];
  /** tcp_cwnd_restart() after an idle RTO (tcp_slow_start_after_idle_check(), tcp_cwnd_validate()). */
  'net.ipv4.tcp_slow_start_after_idle': number;
  /** tcp_tso_should_defer(): send now when a 1/divisor of the window is free (0: the 3-segment rule). */
  'net.ipv4.tcp_tso_win_divisor': number;
  /** tcp_tso_segs(): the fewest segments tcp_tso_autosize() makes a TSO packet. */
  'net.ipv4.tcp_min_tso_segs': number;
  /** The congestion control a new socket gets (tcp_assign_congestion_control()): cubic or reno. */
  'net.ipv4.tcp_congestion_control': string;
  /** SO_KEEPALIVE: idle seconds before the first probe, seconds between probes, probes before ETIMEDOUT (tcp_keepalive_timer()). */
  'net.ipv4.tcp_keepalive_time': number;
  'net.ipv4.tcp_keepalive_intvl': number;
  'net.ipv4.tcp_keepalive_probes': number;
  /** tcp_write_timeout(): an established socket gives up after tcp_model_timeout() of this many RTOs from TCP_RTO_MIN (15: 924.6 s); also tcp_probe_timer()'s max_probes. */
  'net.ipv4.tcp_retries2': number;
}

export interface Behaviour {
  /**
   * SO_REUSEPORT listeners: 'groups' is ef456144da8e (v4.5, "soreuseport: define reuseport
   * groups"): a struct sock_reuseport per group, reuseport_select_sock() picks
   * socks[reciprocal_scale(hash, n)] in join order; 4.4's __inet_lookup_listener() walks the
   * listening chain (newest first) and keeps a match with chance 1/matches.
   */
  reuseport: 'chain' | 'groups';
  /**
   * tcp_write_timeout() in SYN-SENT: 'time' is 4.4's retransmits_timed_out(syn_set): tcp_syn_retries
   * as a duration, tcp_model_timeout(); 'count-or-time' is 6.18's: icsk_retransmits >=
   * tcp_syn_retries + tcp_syn_linear_timeouts (ccce324dabfe, v6.5), or that duration, whichever
   * comes first.
   */
  synWriteTimeout: 'time' | 'count-or-time';
  /** 5ea8ea2cb7f1 (v4.10): tcp_conn_request() drops the SYN when the accept queue is full. */
  synDropOnFullAcceptQueue: boolean;
  /** 9603d47bad46 (v5.6): a suspicious ACK in SYN-SENT re-arms the SYN timer to TCP_TIMEOUT_MIN. */
  fastSynResendOnBadAck: boolean;
  /** ef547f2ac16b (v4.4) made inet_csk_reqsk_queue_is_full() `>=`; fixed to `>` in 2025 (6.x). */
  reqskQueueFullGe: boolean;
  /** Timer wheel: 'exact' (cascading, < 4.8) or 'granular' (4.8+ calc_index() rounding). */
  timerWheel: 'exact' | 'granular';
  /** TCP timestamp clock: jiffies without offset (4.4) or ms with a per-4-tuple offset (6.18). */
  tsClock: 'jiffies' | 'ms-offset';
  /** Initial inet_id of a connected socket: write_seq ^ jiffies (4.4) or get_random_u16() (6.x). */
  inetIdInit: 'xor-jiffies' | 'random';
  /** 79e3602caa6f (v6.0): the global challenge-ACK limit is per-netns and off by default. */
  challengeAckGlobal: 'per-second-random' | 'per-netns';
  /**
   * tcp_ack(): an ACK below snd_una - max_window gets a challenge ACK (RFC 5961 5.2, both);
   * 3d501dd326fb (v6.7, "tcp: do not accept ACK of bytes we never sent", CVE-2023-52881;
   * backported to stable 4.19.302 and later, never to 4.4) takes min(max_window, bytes_acked).
   */
  oldAckBytesAcked: boolean;
  /**
   * tcp_check_req(): a RST in SYN-RECEIVED is validated as RFC 5961 3.2 asks, before the ACK:
   * only one at rcv_nxt resets the request, others in the window get a challenge ACK (6.18:
   * tcp_rfc5961_rst-syn-recv.pkt passes on 6.18.44). 4.4 resets the request on any RST in the
   * window, after the ACK check.
   */
  rstChallengeSynRecv: boolean;
  /** RFC 5961 SYN handling: PAWS failure on a SYN goes to syn_challenge (6.x) or a dupack (4.4). */
  pawsSynChallenge: boolean;
  /**
   * tcp_select_initial_window() (tcp_output.c): '4.4' caps the initial window at
   * TCP_DEFAULT_INIT_RCVWND (10) segments of up to 1460 bytes and lets it exceed 64 KB;
   * 'u16-max' is a337531b942b (v4.19, "tcp: up initial rmem to 128KB and SYN rwin to around
   * 64KB"): no segment cap, the window at most U16_MAX, the scale from ilog2(space) - 15.
   */
  initialWindow: '4.4' | 'u16-max';
  /**
   * net.core.rmem_max (sysctl_rmem_max, net/core/sock.c), which bounds the window scale from
   * below: SK_RMEM_MAX (212992) on 4.4; 4194304 on the 6.18 kernel measured (a fresh
   * network namespace reads 4194304 there, with no sysctl.d override).
   */
  rmemMax: number;
  /** ephemeral port search: 4.4 (hint + offset, even first) or 4.6+ (all even first, then odd). */
  ephemeralSearch: '4.4' | '4.6+';
}

/** Simulated machine costs in ns: how long things take on the box the profile stands for. */
export interface Costs {
  /** From a segment's transmit on lo (capture time) to its receive processing. */
  loRxNs: number;
  /** Receive processing until an immediate reply (challenge ACK, RST, handshake ACK) is transmitted. */
  ackReplyNs: number;
  /** tcp_conn_request() → SYN-ACK on the wire. */
  synAckNs: number;
  /** SYN-ACK received in SYN-SENT → final ACK on the wire. */
  handshakeAckNs: number;
  /** Latency from a jiffy boundary to the timer softirq running a due timer. */
  timerSoftirqNs: number;
  /** A syscall that does not block. */
  syscallNs: number;
  /** fork + execve of a small program (bash spawning ss, grep, sleep). */
  forkExecNs: number;
  /** Run time of `ss -natp` (netlink dump plus the /proc fd scan for -p). */
  ssRunNs: number;
  /** Extra time nanosleep() takes beyond the requested time (hrtimer slack). */
  sleepSlackNs: number;
  /** nc start-up: exec, dynamic loading, getaddrinfo("localhost"). */
  ncStartupNs: number;
  /** tcp_v4_connect(): from computing the ISN to the SYN leaving (tcp_connect()). */
  isnLeadNs: number;
}

export interface Profile {
  name: ProfileName;
  description: string;
  release: string;
  HZ: number;
  sysctl: Sysctls;
  behaviour: Behaviour;
  costs: Costs;
  /** Tool versions the profile's userland renders. */
  tools: { iproute2: '4.3' | '6.1' | '6.11'; tcpdump: '4.7' | '4.99'; netcat: '1.105' | '1.219'; wireshark: '2.x' | '4.0' };
}

const common = {
  'net.ipv4.tcp_fin_timeout': 60,
  'net.ipv4.tcp_syn_retries': 6,
  'net.ipv4.tcp_synack_retries': 5,
  'net.ipv4.tcp_abort_on_overflow': 0,
  'net.ipv4.tcp_syncookies': 1,
  'net.ipv4.tcp_invalid_ratelimit': 500,
  'net.ipv4.ip_local_port_range': [32768, 60999] as [number, number],
  'net.ipv4.tcp_timestamps': 1,
  'net.ipv4.tcp_window_scaling': 1,
  'net.ipv4.tcp_sack': 1,
  'net.ipv4.tcp_rfc1337': 0,
  'net.ipv4.tcp_slow_start_after_idle': 1,
  'net.ipv4.tcp_tso_win_divisor': 3,
  'net.ipv4.tcp_min_tso_segs': 2,
  'net.ipv4.tcp_congestion_control': 'cubic',
  // TCP_KEEPALIVE_TIME (2 h), TCP_KEEPALIVE_INTVL (75 s), TCP_KEEPALIVE_PROBES (9)
  'net.ipv4.tcp_keepalive_time': 7200,
  'net.ipv4.tcp_keepalive_intvl': 75,
  'net.ipv4.tcp_keepalive_probes': 9,
  // TCP_RETR2 (include/net/tcp.h)
  'net.ipv4.tcp_retries2': 15,
};

export const LINUX_4_4: Profile = {
  name: 'linux-4.4',
  description: 'Ubuntu 16.04 (Linux 4.4, HZ=250), iproute2 4.3, netcat-openbsd 1.105, tcpdump 4.7',
  release: '4.4.0-21-generic',
  HZ: 250,
  sysctl: {
    ...common,
    'net.core.somaxconn': 128,
    'net.ipv4.tcp_syn_linear_timeouts': 0,
    'net.ipv4.tcp_challenge_ack_limit': 1000,
    'net.ipv4.tcp_max_syn_backlog': 128,
    'net.ipv4.tcp_tw_reuse': 0,
    // tcp_init() (net/ipv4/tcp.c, 4.4): tcp_rmem[1] 87380, tcp_rmem[2] max(87380, min(6 MB, limit))
    'net.ipv4.tcp_rmem': [4096, 87380, 6291456],
    'net.ipv4.tcp_wmem': [4096, 16384, 4194304],
  },
  behaviour: {
    reuseport: 'chain',
    synWriteTimeout: 'time',
    synDropOnFullAcceptQueue: false,
    fastSynResendOnBadAck: false,
    reqskQueueFullGe: true,
    timerWheel: 'exact',
    tsClock: 'jiffies',
    inetIdInit: 'xor-jiffies',
    challengeAckGlobal: 'per-second-random',
    oldAckBytesAcked: false,
    rstChallengeSynRecv: false,
    pawsSynChallenge: false,
    initialWindow: '4.4',
    rmemMax: 212992,
    ephemeralSearch: '4.4',
  },
  costs: {
    loRxNs: 2_000,
    ackReplyNs: 6_000,
    synAckNs: 17_000,
    handshakeAckNs: 9_000,
    timerSoftirqNs: 1_000,
    syscallNs: 1_000,
    forkExecNs: 1_500_000,
    ssRunNs: 20_900_000,
    sleepSlackNs: 89_000,
    ncStartupNs: 2_000_000,
    isnLeadNs: 2_000,
  },
  tools: { iproute2: '4.3', tcpdump: '4.7', netcat: '1.105', wireshark: '2.x' },
};

export const LINUX_6_X: Profile = {
  name: 'linux-6.x',
  description: 'Linux 6.18 (HZ=250) as measured on Debian 12: iproute2 6.1, netcat-openbsd 1.219, tcpdump 4.99',
  release: '6.18.44',
  HZ: 250,
  sysctl: {
    ...common,
    'net.core.somaxconn': 4096,
    'net.ipv4.tcp_syn_linear_timeouts': 4,
    'net.ipv4.tcp_challenge_ack_limit': 2147483647,
    'net.ipv4.tcp_max_syn_backlog': 2048,
    'net.ipv4.tcp_tw_reuse': 2,
    // as read on 6.18.44 (24 GB): tcp_rmem[1] 131072 since a337531b942b (v4.19), tcp_rmem[2]
    // min(32 MB, a share of memory)
    'net.ipv4.tcp_rmem': [4096, 131072, 33554432],
    'net.ipv4.tcp_wmem': [4096, 16384, 4194304],
  },
  behaviour: {
    reuseport: 'groups',
    synWriteTimeout: 'count-or-time',
    synDropOnFullAcceptQueue: true,
    fastSynResendOnBadAck: true,
    reqskQueueFullGe: false,
    timerWheel: 'granular',
    tsClock: 'ms-offset',
    inetIdInit: 'random',
    challengeAckGlobal: 'per-netns',
    oldAckBytesAcked: true,
    rstChallengeSynRecv: true,
    pawsSynChallenge: true,
    initialWindow: 'u16-max',
    rmemMax: 4194304,
    ephemeralSearch: '4.6+',
  },
  costs: {
    loRxNs: 2_000,
    ackReplyNs: 7_000,
    synAckNs: 14_000,
    handshakeAckNs: 10_000,
    timerSoftirqNs: 1_000,
    syscallNs: 1_000,
    forkExecNs: 1_000_000,
    ssRunNs: 25_000_000,
    sleepSlackNs: 60_000,
    ncStartupNs: 1_500_000,
    isnLeadNs: 2_000,
  },
  tools: { iproute2: '6.1', tcpdump: '4.99', netcat: '1.219', wireshark: '4.0' },
};

export const PROFILES: Record<ProfileName, Profile> = { 'linux-4.4': LINUX_4_4, 'linux-6.x': LINUX_6_X };

export type SysctlName = keyof Sysctls;
export const SYSCTL_NAMES = Object.keys(LINUX_6_X.sysctl) as SysctlName[];

/** A rejected override: the errno the kernel's proc handler returns (-EINVAL, -ENOENT) and why. */
export class SysctlError extends Error {
  readonly errno: number;
  readonly sysctl: string;
  constructor(errno: number, name: string, message: string) {
    super(`${name}: ${message}`);
    this.name = 'SysctlError';
    this.errno = errno;
    this.sysctl = name;
  }
}

/**
 * CONFIG_HZ choices the model can run: those whose tick is a whole number of ns (HZ_300's is
 * not). The profiles are HZ=250, as the kernels measured; the kernel's packetdrill selftests
 * ask for CONFIG_HZ=1000 (their `config`), where a 40 ms delayed ACK is 40 jiffies.
 */
export const HZ_CHOICES = [100, 250, 1000] as const;

/** A profile on a kernel built with another CONFIG_HZ. */
export function withHz(base: Profile, hz: number): Profile {
  if (!(HZ_CHOICES as readonly number[]).includes(hz)) throw new SysctlError(-22, 'HZ', `${hz} is not a CONFIG_HZ the model runs, expected one of ${HZ_CHOICES.join(', ')}`);
  if (hz === base.HZ) return base;
  return { ...base, HZ: hz, description: base.description.replace(/HZ=\d+/, `HZ=${hz}`) };
}

export const COST_NAMES = Object.keys(LINUX_6_X.costs) as (keyof Costs)[];
/** A machine cost override: whole ns, at most 1 s; a syscall and a fork+exec always take time. */
export const MAX_COST_NS = 1_000_000_000;
const COST_MIN: Partial<Record<keyof Costs, number>> = { syscallNs: 1, forkExecNs: 1 };

/** Why a cost override is refused, or null. */
export function checkCost(name: string, v: unknown): string | null {
  if (!(COST_NAMES as string[]).includes(name)) return `unknown cost \`${name}\`, expected one of ${COST_NAMES.join(', ')}`;
  const min = COST_MIN[name as keyof Costs] ?? 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > MAX_COST_NS) return `${String(v)} is out of range, expected whole ns within ${min}..${MAX_COST_NS}`;
  return null;
}

/**
 * A profile with sysctl (and cost) overrides applied. Each sysctl value goes through the
 * kernel's proc handler rules for this profile (sysctl_net_ipv4.ts): a value the kernel would
 * refuse with -EINVAL, or a name it does not have (-ENOENT), throws a SysctlError; nothing is
 * accepted silently.
 */
export function withOverrides(
  base: Profile,
  sysctl: Record<string, number | number[] | string> = {},
  costs: Partial<Costs> = {},
): Profile {
  const merged = { ...base.sysctl } as Record<string, unknown>;
  for (const [k, v] of Object.entries(sysctl)) {
    const w = sysctlWrite(base.name, base.HZ, k, v);
    if (w.err) throw new SysctlError(w.err, k, (w as { message: string }).message);
    // a vector sysctl written with fewer values keeps the rest (proc_dointvec writes what it reads)
    merged[k] = Array.isArray(v) ? (merged[k] as number[]).map((old, i) => (i < v.length ? v[i] : old)) : v;
  }
  for (const [k, v] of Object.entries(costs)) {
    const why = checkCost(k, v);
    if (why) throw new SysctlError(-22, `cost.${k}`, why);
  }
  return { ...base, sysctl: merged as unknown as Sysctls, costs: { ...base.costs, ...costs } };
}
