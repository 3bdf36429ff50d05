/**
 * The scheduler's one promise: events run in (time, insertion order), whatever the layout
 * (buckets per instant, a direct-mapped table of buckets, a heap, recycled buckets). Checked
 * against the obvious reference: sort every scheduled event by (t, sequence number).
 * A moved event (rearm() of a pending event, as sk_reset_timer() moves a socket's embedded
 * retransmit timer) runs once, at its new time, in the order of the move.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Sim } from '../../src/model/sim.ts';

/** An event spec: when (an offset from the time it is scheduled) and what it schedules when it runs. */
interface Spec {
  dt: number;
  kind: 'call' | 'post' | 'cancelled' | 'moved';
  /** For 'moved': where the event was queued first (an offset from the time it is scheduled). */
  first: number;
  children: Spec[];
}

const spec: fc.Memo<Spec> = fc.memo((depth) =>
  fc.record({
    // few distinct offsets (many events share an instant), some large ones (times above 2^30 ns,
    // many distinct instants: slots of the bucket table collide)
    dt: fc.oneof(fc.constantFrom(0, 0, 1, 4_000_000, 4_000_001), fc.integer({ min: 0, max: 3_000_000_000 })),
    kind: fc.constantFrom('call', 'call', 'post', 'cancelled', 'moved'),
    first: fc.oneof(fc.constantFrom(0, 1, 4_000_000), fc.integer({ min: 0, max: 3_000_000_000 })),
    children: depth > 1 ? fc.array(spec(depth - 1), { maxLength: 3 }) : fc.constant([]),
  }),
);

function run(roots: Spec[]): { ran: number[]; expected: number[] } {
  const sim = new Sim();
  const scheduled: { t: number; seq: number; id: number; cancelled: boolean }[] = [];
  const ran: number[] = [];
  let seq = 0;
  const schedule = (s: Spec): void => {
    const id = seq++;
    const t = sim.now + s.dt;
    const fire = (): void => {
      ran.push(id);
      for (const c of s.children) schedule(c);
    };
    scheduled.push({ t, seq: id, id, cancelled: s.kind === 'cancelled' });
    if (s.kind === 'post') sim.post(t, fire, undefined, undefined);
    else if (s.kind === 'moved') sim.rearm(sim.at(sim.now + s.first, fire), t);
    else {
      const ev = sim.at(t, fire);
      if (s.kind === 'cancelled') sim.cancel(ev);
    }
  };
  for (const r of roots) schedule(r);
  sim.runAll();
  // reference: events run by (t, scheduling order); an event scheduled while another runs is
  // never earlier than the running one, so a stable sort of everything scheduled is the answer
  const expected = scheduled
    .filter((e) => !e.cancelled)
    .sort((a, b) => a.t - b.t || a.seq - b.seq)
    .map((e) => e.id);
  return { ran, expected };
}

describe('Sim: (time, insertion order)', () => {
  it('runs any schedule, including events scheduled by running events, in (t, insertion) order', () => {
    fc.assert(
      fc.property(fc.array(spec(4), { minLength: 1, maxLength: 40 }), (roots) => {
        const { ran, expected } = run(roots);
        expect(ran).toEqual(expected);
      }),
      { numRuns: 300, seed: 20261201 },
    );
  });

  it('keeps order when running events schedule more on a grid of instants, some of which the bucket table forgot', () => {
    // instants on a 1 µs grid (like jiffies), a few or up to 600 steps ahead: hundreds of
    // instants are pending at once, more than the bucket table's slots, so an instant gets a
    // second bucket after its first was forgotten, and near buckets are placed mid-run
    const G = 1000;
    const step = fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 600 }));
    const plan = fc.array(fc.array(step, { minLength: 1, maxLength: 3 }), { minLength: 50, maxLength: 300 });
    fc.assert(
      fc.property(plan, (fanouts) => {
        const sim = new Sim();
        const ran: number[] = [];
        const scheduled: { t: number; id: number }[] = [];
        let id = 0;
        let next = 0;
        const schedule = (t: number): void => {
          const me = id++;
          scheduled.push({ t, id: me });
          const fire = (): void => {
            ran.push(me);
            const ks = fanouts[next++ % fanouts.length];
            for (const k of ks) if (id < 4000) schedule((Math.floor(sim.now / G) + k) * G);
          };
          if (me % 3 === 0) sim.post(t, fire, undefined, undefined);
          else sim.at(t, fire);
        };
        for (let i = 0; i < 300; i++) schedule((1 + ((i * 37) % 600)) * G);
        sim.runAll();
        expect(ran).toEqual(scheduled.sort((a, b) => a.t - b.t || a.id - b.id).map((e) => e.id));
      }),
      { numRuns: 100, seed: 20261201 },
    );
  });

  it('keeps order when many distinct instants share a slot of the bucket table', () => {
    // 5,000 instants above 2^30 ns, scheduled in a scrambled order, three events each
    const sim = new Sim();
    const ran: number[] = [];
    const want: { t: number; id: number }[] = [];
    let id = 0;
    for (let round = 0; round < 3; round++)
      for (let i = 0; i < 5000; i++) {
        const t = 2_000_000_000 + ((i * 7919) % 5000) * 4_000_000;
        const me = id++;
        want.push({ t, id: me });
        sim.post(t, () => ran.push(me), undefined, undefined);
      }
    sim.runAll();
    expect(ran).toEqual(want.sort((a, b) => a.t - b.t || a.id - b.id).map((e) => e.id));
  });
});
