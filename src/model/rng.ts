/**
 * Deterministic randomness for the model. A SplitMix32-style generator seeded by the
 * experiment, and Bob Jenkins' jhash (lib/jhash.h) for keyed hashes of 4-tuples, so
 * "random" kernel secrets are reproducible from the seed.
 */
import { u32 } from './seq.ts';

export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = u32(seed ^ 0x9e3779b9);
  }
  /** Next uniformly distributed unsigned 32-bit value. */
  nextU32(): number {
    this.state = u32(this.state + 0x9e3779b9);
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return u32(z ^ (z >>> 16));
  }
  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor((this.nextU32() / 0x100000000) * n);
  }
}

const rol32 = (x: number, k: number): number => u32((x << k) | (x >>> (32 - k)));

/** jhash_3words(a, b, c, initval): __jhash_final of the kernel's lib/jhash.h. */
export function jhash3(a0: number, b0: number, c0: number, initval: number): number {
  const JHASH_INITVAL = 0xdeadbeef;
  let a = u32(a0 + JHASH_INITVAL + 12 + initval);
  let b = u32(b0 + JHASH_INITVAL + 12 + initval);
  let c = u32(c0 + JHASH_INITVAL + 12 + initval);
  c = u32((c ^ b) - rol32(b, 14));
  a = u32((a ^ c) - rol32(c, 11));
  b = u32((b ^ a) - rol32(a, 25));
  c = u32((c ^ b) - rol32(b, 16));
  a = u32((a ^ c) - rol32(c, 4));
  b = u32((b ^ a) - rol32(a, 14));
  c = u32((c ^ b) - rol32(b, 24));
  return c;
}
