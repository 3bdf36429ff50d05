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

/** rol32() on int32 values (the result is an int32 with the same 32 bits). */
const rol32 = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

/**
 * jhash_3words(a, b, c, initval): __jhash_final of the kernel's lib/jhash.h. Computed on int32
 * values (`| 0` wraps mod 2^32 like the kernel's u32 arithmetic, and V8 keeps int32 values in
 * registers where unsigned values above 2^31 would be doubles); unsigned again at the end.
 */
export function jhash3(a0: number, b0: number, c0: number, initval: number): number {
  const JHASH_INITVAL = 0xdeadbeef;
  let a = (a0 + JHASH_INITVAL + 12 + initval) | 0;
  let b = (b0 + JHASH_INITVAL + 12 + initval) | 0;
  let c = (c0 + JHASH_INITVAL + 12 + initval) | 0;
  c = ((c ^ b) - rol32(b, 14)) | 0;
  a = ((a ^ c) - rol32(c, 11)) | 0;
  b = ((b ^ a) - rol32(a, 25)) | 0;
  c = ((c ^ b) - rol32(b, 16)) | 0;
  a = ((a ^ c) - rol32(c, 4)) | 0;
  b = ((b ^ a) - rol32(a, 14)) | 0;
  c = ((c ^ b) - rol32(b, 24)) | 0;
  return c >>> 0;
}
