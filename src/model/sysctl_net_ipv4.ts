/**
 * What a write to /proc/sys/net/{ipv4,core}/<name> accepts, per profile, as the kernel's proc
 * handler decides it (named after net/ipv4/sysctl_net_ipv4.c; somaxconn is in
 * net/core/sysctl_net_core.c). The parser and withOverrides() both ask this table, so an
 * experiment and a host built in code accept the same values and refuse the same nonsense.
 *
 * Read from the kernel sources (not from memory):
 *  - linux-4.4: net/ipv4/sysctl_net_ipv4.c of a 4.4.y tree (Moxa-Linux/linux-4.4 at 654097a2):
 *    the TCP sysctls below live in the global ipv4_table, ip_local_port_range in
 *    ipv4_net_table; every one is proc_dointvec except tcp_syn_retries
 *    (proc_dointvec_minmax, 1..MAX_TCP_SYNCNT), tcp_fin_timeout (proc_dointvec_jiffies),
 *    tcp_invalid_ratelimit (proc_dointvec_ms_jiffies) and ip_local_port_range
 *    (ipv4_local_port_range(): proc_dointvec_minmax with {1,1}..{65535,65535}, then
 *    -EINVAL when high < low). somaxconn is proc_dointvec in 4.4.
 *  - linux-6.x: the same file in mainline as of 6.18 (gregkh/linux at ee6bf57a): everything is
 *    per-netns in ipv4_net_table and most booleans and counters became u8
 *    (proc_dou8vec_minmax: 0..255 unless extra1/extra2 narrow it). tcp_tw_reuse is 0..2,
 *    tcp_syn_retries 1..MAX_TCP_SYNCNT, tcp_syn_linear_timeouts 0..MAX_TCP_SYNCNT (the sysctl
 *    exists since v6.5, ccce324dabfe); ipv4_local_port_range() also refuses a low end below
 *    net.ipv4.ip_unprivileged_port_start (1024 by default, 4548b683b781, v4.11).
 *    net/core/sysctl_net_core.c: somaxconn is proc_dointvec_minmax with extra1 = SYSCTL_ZERO.
 *  - tcp_retries2: proc_dointvec in 4.4 (any int; tcp_write_timeout() passes it to
 *    retransmits_timed_out() as an unsigned boundary), proc_dou8vec_minmax without extra1/extra2
 *    on 6.x (0..255; a fresh netns of 6.18.44 refuses 256 and -1 with EINVAL).
 *  - tcp_rmem and tcp_wmem (both versions): three ints through proc_dointvec_minmax with
 *    extra1 = 1 (SYSCTL_ONE; &one in 4.4); the packetdrill selftests write them.
 *  - kernel/sysctl.c: proc_dointvec refuses what does not fit in an int (do_proc_dointvec_conv);
 *    proc_dointvec_jiffies takes seconds with |v| <= INT_MAX / HZ, negative values included
 *    (do_proc_dointvec_jiffies_conv); proc_dou8vec_minmax refuses negative strings and values
 *    outside [extra1 or 0, extra2 or 255]; proc_dointvec_ms_jiffies stores
 *    msecs_to_jiffies(v), which is out of int range for a negative v (MAX_JIFFY_OFFSET).
 *
 * Two rules of ipv4_local_port_range() are warnings only, not errors, in both versions:
 * set_local_port_range() prints "prefer different parity for start/end values" when both ends
 * have the same parity, and accepts them.
 *
 * Pure data and pure functions (src/model rules).
 */
import type { ProfileName } from './types.ts';

export const INT_MAX = 2147483647;
export const INT_MIN = -2147483648;
/** include/net/tcp.h: the most SYN retransmissions tcp_syn_retries may ask for. */
export const MAX_TCP_SYNCNT = 127;
/** net.ipv4.ip_unprivileged_port_start's default (PROT_SOCK), the floor of ip_local_port_range on 6.x. */
export const PROT_SOCK = 1024;
const EINVAL = 22;
const ENOENT = 2;

/** How a sysctl's proc handler parses and bounds a write. */
export type ProcHandler =
  /** One int, INT_MIN..INT_MAX. */
  | { handler: 'proc_dointvec' }
  /**
   * One int within [min, max] (extra1/extra2; a missing bound is the int's own); with `count`,
   * a vector of up to `count` ints each within [min, max] (a shorter write keeps the rest).
   */
  | { handler: 'proc_dointvec_minmax'; min: number; max: number; extra: string; count?: number }
  /** One u8 within [min, max] (0..255 when extra1/extra2 are absent); no negative strings. */
  | { handler: 'proc_dou8vec_minmax'; min: number; max: number; extra: string }
  /** Seconds, stored as seconds * HZ in an int: |v| <= INT_MAX / HZ. */
  | { handler: 'proc_dointvec_jiffies' }
  /** Milliseconds, stored as msecs_to_jiffies(v) in an int: 0..INT_MAX. */
  | { handler: 'proc_dointvec_ms_jiffies' }
  /** Two ints low high, 1..65535 each, low <= high, low >= ip_unprivileged_port_start where it exists. */
  | { handler: 'ipv4_local_port_range'; minLow: number }
  /** A congestion control's name, one the model has (proc_tcp_congestion_control(): -ENOENT otherwise). */
  | { handler: 'proc_tcp_congestion_control' };

export interface SysctlSpec {
  /** The kernel file whose ctl_table holds it. */
  file: 'net/ipv4/sysctl_net_ipv4.c' | 'net/core/sysctl_net_core.c';
  proc: ProcHandler;
  /** When a version introduced the rule, or the sysctl itself. */
  since?: string;
}

const dointvec: SysctlSpec = { file: 'net/ipv4/sysctl_net_ipv4.c', proc: { handler: 'proc_dointvec' } };
const u8 = (min = 0, max = 255, extra = 'no extra1/extra2'): SysctlSpec => ({ file: 'net/ipv4/sysctl_net_ipv4.c', proc: { handler: 'proc_dou8vec_minmax', min, max, extra } });
/** tcp_rmem / tcp_wmem: three ints (min, default, max), each at least 1. */
const bufVector: SysctlSpec = { file: 'net/ipv4/sysctl_net_ipv4.c', proc: { handler: 'proc_dointvec_minmax', min: 1, max: INT_MAX, extra: 'extra1 = SYSCTL_ONE (4.4: &one), each of min default max', count: 3 } };
const synRetries: ProcHandler = { handler: 'proc_dointvec_minmax', min: 1, max: MAX_TCP_SYNCNT, extra: 'extra1 = tcp_syn_retries_min (1), extra2 = tcp_syn_retries_max (MAX_TCP_SYNCNT)' };

/** The table: every sysctl the model knows, per profile; null where the kernel has no such file. */
export const SYSCTL_TABLE: Record<ProfileName, Record<string, SysctlSpec | null>> = {
  'linux-4.4': {
    'net.core.somaxconn': { file: 'net/core/sysctl_net_core.c', proc: { handler: 'proc_dointvec' } },
    'net.ipv4.tcp_fin_timeout': { file: 'net/ipv4/sysctl_net_ipv4.c', proc: { handler: 'proc_dointvec_jiffies' } },
    'net.ipv4.tcp_syn_retries': { file: 'net/ipv4/sysctl_net_ipv4.c', proc: synRetries },
    'net.ipv4.tcp_synack_retries': dointvec,
    'net.ipv4.tcp_syn_linear_timeouts': null,
    'net.ipv4.tcp_abort_on_overflow': dointvec,
    'net.ipv4.tcp_syncookies': dointvec,
    'net.ipv4.tcp_challenge_ack_limit': dointvec,
    'net.ipv4.tcp_invalid_ratelimit': { file: 'net/ipv4/sysctl_net_ipv4.c', proc: { handler: 'proc_dointvec_ms_jiffies' } },
    'net.ipv4.ip_local_port_range': { file: 'net/ipv4/sysctl_net_ipv4.c', proc: { handler: 'ipv4_local_port_range', minLow: 1 } },
    'net.ipv4.tcp_max_syn_backlog': dointvec,
    'net.ipv4.tcp_timestamps': dointvec,
    'net.ipv4.tcp_window_scaling': dointvec,
    'net.ipv4.tcp_sack': dointvec,
    'net.ipv4.tcp_rfc1337': dointvec,
    'net.ipv4.tcp_tw_reuse': dointvec,
    'net.ipv4.tcp_rmem': bufVector,
    'net.ipv4.tcp_wmem': bufVector,
    'net.ipv4.tcp_slow_start_after_idle': dointvec,
    'net.ipv4.tcp_tso_win_divisor': dointvec,
    'net.ipv4.tcp_min_tso_segs': { file: 'net/ipv4/sysctl_net_ipv4.c', proc: { handler: 'proc_dointvec_minmax', min: 0, max: 65535, extra: 'extra1 = &zero, extra2 = &gso_max_segs' } },
    'net.ipv4.tcp_congestion_control': { file: 'net/ipv4/sysctl_net_ipv4.c', proc: { handler: 'proc_tcp_congestion_control' } },
    'net.ipv4.tcp_keepalive_time': { file: 'net/ipv4/sysctl_net_ipv4.c', proc: { handler: 'proc_dointvec_jiffies' } },
    'net.ipv4.tcp_keepalive_intvl': { file: 'net/ipv4/sysctl_net_ipv4.c', proc: { handler: 'proc_dointvec_jiffies' } },
    'net.ipv4.tcp_keepalive_probes': dointvec,
    'net.ipv4.tcp_retries2': dointvec,
  },
  'linux-6.x': {
    'net.core.somaxconn': { file: 'net/core/sysctl_net_core.c', proc: { handler: 'proc_dointvec_minmax', min: 0, max: INT_MAX, extra: 'extra1 = SYSCTL_ZERO' } },
    'net.ipv4.tcp_fin_timeout': { file: 'net/ipv4/sysctl_net_ipv4.c', proc: { handler: 'proc_dointvec_jiffies' } },
    'net.ipv4.tcp_syn_retries': { ...u8(), proc: { ...synRetries, handler: 'proc_dou8vec_minmax' } },
    'net.ipv4.tcp_synack_retries': u8(),
    'net.ipv4.tcp_syn_linear_timeouts': { ...u8(0, MAX_TCP_SYNCNT, 'extra1 = SYSCTL_ZERO, extra2 = tcp_syn_linear_timeouts_max (MAX_TCP_SYNCNT)'), since: 'v6.5 (ccce324dabfe)' },
    'net.ipv4.tcp_abort_on_overflow': u8(),
    'net.ipv4.tcp_syncookies': u8(),
    'net.ipv4.tcp_challenge_ack_limit': dointvec,
    'net.ipv4.tcp_invalid_ratelimit': { file: 'net/ipv4/sysctl_net_ipv4.c', proc: { handler: 'proc_dointvec_ms_jiffies' } },
    'net.ipv4.ip_local_port_range': { file: 'net/ipv4/sysctl_net_ipv4.c', proc: { handler: 'ipv4_local_port_range', minLow: PROT_SOCK }, since: 'low >= ip_unprivileged_port_start: v4.11 (4548b683b781)' },
    'net.ipv4.tcp_max_syn_backlog': dointvec,
    'net.ipv4.tcp_timestamps': u8(),
    'net.ipv4.tcp_window_scaling': u8(),
    'net.ipv4.tcp_sack': u8(),
    'net.ipv4.tcp_rfc1337': u8(),
    'net.ipv4.tcp_tw_reuse': u8(0, 2, 'extra1 = SYSCTL_ZERO, extra2 = SYSCTL_TWO'),
    'net.ipv4.tcp_rmem': bufVector,
    'net.ipv4.tcp_wmem': bufVector,
    'net.ipv4.tcp_slow_start_after_idle': u8(),
    'net.ipv4.tcp_tso_win_divisor': u8(),
    'net.ipv4.tcp_min_tso_segs': u8(1, 255, 'extra1 = SYSCTL_ONE'),
    'net.ipv4.tcp_congestion_control': { file: 'net/ipv4/sysctl_net_ipv4.c', proc: { handler: 'proc_tcp_congestion_control' } },
    'net.ipv4.tcp_keepalive_time': { file: 'net/ipv4/sysctl_net_ipv4.c', proc: { handler: 'proc_dointvec_jiffies' } },
    'net.ipv4.tcp_keepalive_intvl': { file: 'net/ipv4/sysctl_net_ipv4.c', proc: { handler: 'proc_dointvec_jiffies' } },
    'net.ipv4.tcp_keepalive_probes': u8(),
    'net.ipv4.tcp_retries2': u8(),
  },
};

export type SysctlWrite = { err: 0 } | { err: number; message: string };

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const show = (v: unknown): string => (Array.isArray(v) ? `[${v.map(show).join(', ')}]` : typeof v === 'number' || typeof v === 'string' ? String(v) : JSON.stringify(v) ?? String(v));

/**
 * proc_sys_write() of `value` to `name` on a profile's kernel with HZ `hz`: 0, or a negative
 * errno with a message saying what the handler accepts (the message does not repeat the name).
 */
export function sysctlWrite(profile: ProfileName, hz: number, name: string, value: unknown): SysctlWrite {
  const table = SYSCTL_TABLE[profile];
  if (!(name in table)) return { err: -ENOENT, message: `unknown sysctl, expected one of ${Object.keys(table).join(', ')}` };
  const spec = table[name];
  if (!spec) {
    const other = Object.entries(SYSCTL_TABLE).find(([, t]) => t[name])?.[1][name];
    return { err: -ENOENT, message: `does not exist on ${profile}${other?.since ? ` (added in ${other.since})` : ''}` };
  }
  const p = spec.proc;
  const where = `${p.handler} in ${spec.file} on ${profile}`;
  const bad = (range: string) => ({ err: -EINVAL, message: `${show(value)} is out of range, expected ${range} (${where})` });
  if (p.handler === 'ipv4_local_port_range') {
    if (!Array.isArray(value) || value.length !== 2 || !value.every(isInt)) return { err: -EINVAL, message: `${show(value)} is not two integers, expected [low, high] (${where})` };
    const [lo, hi] = value as number[];
    if (lo < Math.max(1, p.minLow) || hi < 1 || lo > 65535 || hi > 65535 || hi < lo)
      return bad(`two ports low <= high within ${p.minLow}..65535${p.minLow > 1 ? ' (the low end at or above net.ipv4.ip_unprivileged_port_start, 1024)' : ''}`);
    return { err: 0 };
  }
  if (p.handler === 'proc_dointvec_minmax' && p.count) {
    const v = Array.isArray(value) ? value : [value];
    if (!v.length || v.length > p.count || !v.every(isInt)) return { err: -EINVAL, message: `${show(value)} is not 1 to ${p.count} integers (${where})` };
    return v.some((x) => x < p.min || x > p.max) ? bad(`each within ${p.min}..${p.max}, ${p.extra}`) : { err: 0 };
  }
  if (p.handler === 'proc_tcp_congestion_control') {
    // tcp_set_default_congestion_control(): a name the kernel has (the model: cubic, reno)
    return value === 'cubic' || value === 'reno' ? { err: 0 } : { err: -ENOENT, message: `${show(value)} is not a congestion control the model has, expected cubic or reno (${where})` };
  }
  if (!isInt(value)) return { err: -EINVAL, message: `${show(value)} is not an integer, expected one integer (${where})` };
  switch (p.handler) {
    case 'proc_dointvec':
      return value < INT_MIN || value > INT_MAX ? bad(`an int, ${INT_MIN}..${INT_MAX}`) : { err: 0 };
    case 'proc_dointvec_minmax':
      return value < p.min || value > p.max ? bad(`${p.min}..${p.max}, ${p.extra}`) : { err: 0 };
    case 'proc_dou8vec_minmax':
      return value < p.min || value > p.max ? bad(`${p.min}..${p.max}, ${p.extra}`) : { err: 0 };
    case 'proc_dointvec_jiffies': {
      const m = Math.floor(INT_MAX / hz);
      return value < -m || value > m ? bad(`seconds within -${m}..${m} (INT_MAX / HZ, HZ=${hz})`) : { err: 0 };
    }
    case 'proc_dointvec_ms_jiffies':
      return value < 0 || value > INT_MAX ? bad(`milliseconds within 0..${INT_MAX} (msecs_to_jiffies() must fit in an int)`) : { err: 0 };
  }
}
