/**
 * IntTable (the kernel's tables by port, port pair, socket id and pid) against a Map: any
 * sequence of set/delete on keys that collide a lot (few distinct keys in a small table, so
 * probe runs wrap around the end and deletions shift entries back) leaves the same contents.
 * The same for the established hash built on it, against a Map keyed by the 4-tuple.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { IdTable, IntTable } from '../../src/model/inttable.ts';
import { Ehash } from '../../src/model/kernel.ts';
import type { AnySock } from '../../src/model/sock.ts';

type Op = { op: 'set'; key: number; v: number } | { op: 'delete'; key: number } | { op: 'get'; key: number };

const key = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 0x7fffffff }), fc.constantFrom(0, 16, 32, 0x7fffffff));
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('set' as const), key, v: fc.integer() }),
  fc.record({ op: fc.constant('delete' as const), key }),
  fc.record({ op: fc.constant('get' as const), key }),
);

describe('IntTable', () => {
  it('behaves as a Map under any sequence of set, delete and get', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const t = new IntTable<number>();
        const m = new Map<number, number>();
        for (const o of ops) {
          if (o.op === 'set') {
            t.set(o.key, o.v);
            m.set(o.key, o.v);
          } else if (o.op === 'delete') expect(t.delete(o.key)).toBe(m.delete(o.key));
          else expect(t.get(o.key)).toBe(m.get(o.key));
          expect(t.size).toBe(m.size);
        }
        for (const [k, v] of m) {
          expect(t.has(k)).toBe(true);
          expect(t.get(k)).toBe(v);
        }
        expect([...t.keys()].sort((a, b) => a - b)).toEqual([...m.keys()].sort((a, b) => a - b));
        expect([...t.values()].sort((a, b) => a - b)).toEqual([...m.values()].sort((a, b) => a - b));
      }),
      { numRuns: 300 },
    );
  });

  it('finds every key after growing and after deleting most of them', () => {
    const t = new IntTable<string>();
    for (let i = 0; i < 5000; i++) t.set(i * 7919, `v${i}`);
    for (let i = 0; i < 5000; i += 3) t.delete(i * 7919);
    for (let i = 0; i < 5000; i++) expect(t.get(i * 7919)).toBe(i % 3 ? `v${i}` : undefined);
    expect(t.size).toBe(5000 - Math.ceil(5000 / 3));
  });

  it('rejects a key that is not an integer in 0 .. 2^31-1 with a clear error', () => {
    const t = new IntTable<number>();
    for (const bad of [-1, 1.5, 2 ** 31, NaN]) expect(() => t.set(bad, 1)).toThrow(/IntTable key must be an integer in 0 \.\. 2\^31-1/);
  });
});

describe('IdTable', () => {
  it('behaves as a Map under any sequence of set, delete and get, and iterates in id order', () => {
    const id = fc.oneof(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 60_000, max: 4_194_303 }), fc.integer({ min: 65_000, max: 66_000 }));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('set', 'delete', 'get'), id, fc.integer()), { maxLength: 300 }), (ops) => {
        const t = new IdTable<number>();
        const m = new Map<number, number>();
        for (const [o, k, v] of ops) {
          if (o === 'set') {
            t.set(k, v);
            m.set(k, v);
          } else if (o === 'delete') expect(t.delete(k)).toBe(m.delete(k));
          else expect(t.get(k)).toBe(m.get(k));
          expect(t.size).toBe(m.size);
        }
        const ids = [...m.keys()].sort((a, b) => a - b);
        expect([...t.keys()]).toEqual(ids);
        expect([...t.values()]).toEqual(ids.map((k) => m.get(k)));
      }),
      { numRuns: 300 },
    );
  });

  it('rejects a negative or fractional id and an undefined value', () => {
    const t = new IdTable<number | undefined>();
    expect(() => t.set(-1, 1)).toThrow(/non-negative integer/);
    expect(() => t.set(0.5, 1)).toThrow(/non-negative integer/);
    expect(() => t.set(1, undefined)).toThrow(/undefined/);
  });
});

describe('Ehash (the established hash: entries told apart by the 4-tuple)', () => {
  // few addresses and ports whose folded keys collide (ports 2^15 apart, same ports on other
  // addresses), so entries share a key's list, replace each other and leave it
  const tuple = fc.tuple(fc.constantFrom(1, 2), fc.constantFrom(5, 32773), fc.constantFrom(1, 2), fc.constantFrom(7, 32775));
  type T = [number, number, number, number];
  type Op = { op: 'set' | 'delete' | 'get'; t: T };
  it('behaves as a Map keyed by the 4-tuple under any sequence of insert (replacing), delete and lookup', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ op: fc.constantFrom('set', 'set', 'delete', 'get'), t: tuple }) as fc.Arbitrary<Op>, { maxLength: 200 }), (ops) => {
        const h = new Ehash();
        const m = new Map<string, AnySock>();
        let id = 0;
        for (const { op, t } of ops) {
          const [saddr, sport, daddr, dport] = t;
          const k = t.join(':');
          if (op === 'set') {
            const s = { kind: 'timewait', id: id++, saddr, sport, daddr, dport } as unknown as AnySock;
            h.set(s);
            m.set(k, s);
          } else if (op === 'delete') {
            const s = m.get(k);
            if (s) {
              expect(h.delete(s)).toBe(true);
              m.delete(k);
            } else expect(h.delete({ kind: 'timewait', id: -1, saddr, sport, daddr, dport } as unknown as AnySock)).toBe(false);
          } else expect(h.get(saddr, sport, daddr, dport)).toBe(m.get(k));
          expect(h.size).toBe(m.size);
        }
        for (const [k, s] of m) expect(h.get(...(k.split(':').map(Number) as T))).toBe(s);
        expect([...h.values()].map((s) => s.id).sort((a, b) => a - b)).toEqual([...m.values()].map((s) => s.id).sort((a, b) => a - b));
      }),
      { numRuns: 300 },
    );
  });
});
