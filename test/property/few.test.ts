/**
 * Few<T> (a socket's waiters, a task's wait queues: nothing, the one member without an array, or
 * an array) against the obvious reference, an array kept as an ordered set.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fewAdd, fewDelete, fewList, fewSize, SockWaitQueue, type Few, type Waiter } from '../../src/model/sock.ts';

describe('Few', () => {
  it('behaves as an ordered set without duplicates under any sequence of add and delete', () => {
    const members = [{ n: 0 }, { n: 1 }, { n: 2 }, { n: 3 }];
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat(3)), { maxLength: 60 }), (ops) => {
        let few: Few<{ n: number }> = null;
        const ref: { n: number }[] = [];
        for (const [add, i] of ops) {
          const x = members[i];
          if (add) {
            few = fewAdd(few, x);
            if (!ref.includes(x)) ref.push(x);
          } else {
            few = fewDelete(few, x);
            const j = ref.indexOf(x);
            if (j >= 0) ref.splice(j, 1);
          }
          expect(fewList(few)).toEqual(ref);
          expect(fewSize(few)).toBe(ref.length);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('holds one member without an array, and SockWaitQueue reports what delete() removed', () => {
    const w: Waiter = { wake() {} };
    const v: Waiter = { wake() {} };
    expect(fewAdd(null, w)).toBe(w);
    const q = new SockWaitQueue();
    q.add(w).add(v).add(w);
    expect([...q]).toEqual([w, v]);
    expect(q.first()).toBe(w);
    expect(q.delete(w)).toBe(true);
    expect(q.delete(w)).toBe(false);
    expect(q.size).toBe(1);
    expect(q.first()).toBe(v);
  });
});
