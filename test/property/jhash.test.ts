/**
 * jhash3 (lib/jhash.h's jhash_3words, keyed by the boot secrets: ISNs, TS offsets, ephemeral
 * port offsets, ehash buckets) against a transcription of jhash_3words and __jhash_final in
 * BigInt u32 arithmetic, statement for statement as in the kernel, over any inputs.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { jhash3 } from '../../src/model/rng.ts';

const M = 0xffffffffn;
const rol32 = (x: bigint, k: bigint): bigint => ((x << k) | (x >> (32n - k))) & M;
function reference(a0: number, b0: number, c0: number, initval: number): number {
  const init = (BigInt(initval) + 0xdeadbeefn + (3n << 2n)) & M; // initval + JHASH_INITVAL + (3 << 2)
  let a = (BigInt(a0) + init) & M;
  let b = (BigInt(b0) + init) & M;
  let c = (BigInt(c0) + init) & M;
  // __jhash_final(a, b, c)
  c ^= b; c = (c - rol32(b, 14n)) & M; // prettier-ignore
  a ^= c; a = (a - rol32(c, 11n)) & M; // prettier-ignore
  b ^= a; b = (b - rol32(a, 25n)) & M; // prettier-ignore
  c ^= b; c = (c - rol32(b, 16n)) & M; // prettier-ignore
  a ^= c; a = (a - rol32(c, 4n)) & M; // prettier-ignore
  b ^= a; b = (b - rol32(a, 14n)) & M; // prettier-ignore
  c ^= b; c = (c - rol32(b, 24n)) & M; // prettier-ignore
  return Number(c);
}

describe('jhash3 (lib/jhash.h jhash_3words)', () => {
  it('equals the kernel arithmetic for any four u32 inputs', () => {
    const u32 = fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(0, 1, 0x7fffffff, 0x80000000, 0xffffffff));
    fc.assert(
      fc.property(u32, u32, u32, u32, (a, b, c, k) => {
        expect(jhash3(a, b, c, k)).toBe(reference(a, b, c, k));
      }),
      { numRuns: 2000 },
    );
  });
});
