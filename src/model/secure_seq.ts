/**
 * net/core/secure_seq.c (Linux 4.4 and 6.18): keyed hashes of the 4-tuple for initial
 * sequence numbers, TCP timestamp offsets (4.10+) and ephemeral port offsets.
 *
 * Deliberate difference: jhash over the addresses and ports with a seeded secret instead of
 * siphash (6.x) or md5 (4.4): the values are as unpredictable and as stable per 4-tuple,
 * not the same bits.
 */
import type { Kernel } from './kernel.ts';
import { jhash3 } from './rng.ts';
import { u32 } from './seq.ts';

/** 2^38: realtimeClock64() needs bits 6..37 of the ns clock. */
const TWO_38 = 274877906944;

/** seq_scale()'s clock: ktime_get_real_ns() >> 6 (64 ns), mod 2^32, computed exactly. */
function realtimeClock64(k: Kernel, leadNs = 0): number {
  // (base * 1000 + d) >> 6 mod 2^32 only depends on the sum mod 2^38, and
  // (base mod 2^38) * 1000 + d stays below 2^53, so doubles give the exact result.
  const lo = (k.realtimeBaseUs % TWO_38) * 1000 + (k.sim.now - leadNs);
  if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(k.realtimeBaseUs)) {
    const ns = BigInt(k.realtimeBaseUs) * 1000n + BigInt(k.sim.now - leadNs);
    return Number((ns >> 6n) & 0xffffffffn);
  }
  const m = ((lo % TWO_38) + TWO_38) % TWO_38;
  return Math.floor(m / 64);
}

/**
 * secure_tcp_seq(): a keyed hash of the 4-tuple plus the 64 ns clock (seq_scale), so the
 * same 4-tuple later gets an ISN advanced by Δt/64ns. 6.18 derives the TS offset from the
 * other half of the same hash (secure_tcp_seq_and_ts_off).
 */
export function secureTcpSeq(k: Kernel, saddr: number, daddr: number, sport: number, dport: number, leadNs = 0): number {
  const h = jhash3(saddr, daddr, u32((sport << 16) | dport), k.isnSecret[0]);
  return u32(h + realtimeClock64(k, leadNs));
}

/** The TS offset of secure_tcp_seq_and_ts_off() (4.10+; 0 before, with a global TS clock). */
export function secureTcpTsOff(k: Kernel, saddr: number, daddr: number, sport: number, dport: number): number {
  if (k.profile.behaviour.tsClock !== 'ms-offset') return 0;
  return jhash3(daddr, saddr, u32((dport << 16) | sport), k.isnSecret[1]);
}

/** secure_ipv4_port_ephemeral(): keyed hash of (saddr, daddr, dport). */
export function secureIpv4PortEphemeral(k: Kernel, saddr: number, daddr: number, dport: number): number {
  return jhash3(saddr, daddr, dport, k.portSecret);
}
