/** 32-bit sequence-number arithmetic, as include/net/tcp.h before()/after(). */
export const u32 = (x: number): number => x >>> 0;
/** (s32)(a - b) < 0 */
export const before = (a: number, b: number): boolean => ((a - b) | 0) < 0;
/** (s32)(b - a) < 0 */
export const after = (a: number, b: number): boolean => ((b - a) | 0) < 0;
/** Is a in [lo, hi] modulo 2^32? (between() in tcp.h) */
export const between = (a: number, lo: number, hi: number): boolean => u32(hi - lo) >= u32(a - lo);

export const ip4 = (s: string): number => {
  const p = s.split('.').map(Number);
  return u32((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]);
};
export const ip4str = (a: number): string => `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
export const LOOPBACK = 0x7f000001;
