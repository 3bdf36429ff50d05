/**
 * Discrete-event scheduler with integer-nanosecond time and a trace.
 *
 * Events at the same instant run in insertion order, so simultaneity is resolved by
 * the code, never by chance. Cancelled events stay in the heap and are skipped.
 */
import type { Ns, TraceEvent } from './types.ts';

export interface SimEvent {
  t: Ns;
  order: number;
  fn: () => void;
  cancelled: boolean;
}

export class Sim {
  now: Ns = 0;
  private order = 0;
  private heap: SimEvent[] = [];
  readonly trace: TraceEvent[] = [];
  /** When false, only segments and their fates are traced (large scenarios). */
  traceDetail = true;
  /** When false, nothing is kept: listeners still see every event (benchmarks). */
  keepTrace = true;
  /** Observers called for every trace event (widgets, recorders of live runs). */
  private listeners: ((ev: TraceEvent) => void)[] = [];

  at(t: Ns, fn: () => void): SimEvent {
    if (!Number.isInteger(t)) throw new Error(`event time must be an integer ns, got ${t}`);
    const ev: SimEvent = { t: Math.max(t, this.now), order: this.order++, fn, cancelled: false };
    this.push(ev);
    return ev;
  }

  after(dt: Ns, fn: () => void): SimEvent {
    return this.at(this.now + Math.round(dt), fn);
  }

  cancel(ev: SimEvent | null | undefined): void {
    if (ev) ev.cancelled = true;
  }

  emit(ev: TraceEvent): void {
    if (this.keepTrace) this.trace.push(ev);
    for (const l of this.listeners) l(ev);
  }

  /** Is anybody looking at trace events? (Hot paths skip building them when not.) */
  get observed(): boolean {
    return this.keepTrace || this.listeners.length > 0;
  }

  onTrace(l: (ev: TraceEvent) => void): void {
    this.listeners.push(l);
  }

  /** Time of the next pending event, or Infinity. */
  peek(): Ns {
    while (this.heap.length && this.heap[0].cancelled) this.pop();
    return this.heap.length ? this.heap[0].t : Infinity;
  }

  /** Run events up to and including time `until` (inclusive); leaves now = until. */
  runUntil(until: Ns): void {
    for (;;) {
      const t = this.peek();
      if (t > until) break;
      const ev = this.pop()!;
      this.now = ev.t;
      ev.fn();
    }
    if (until > this.now && until !== Infinity) this.now = until;
  }

  /** Run until no events remain or `limit` events ran. Returns the number run. */
  runAll(limit = 10_000_000): number {
    let n = 0;
    while (n < limit && this.peek() !== Infinity) {
      const ev = this.pop()!;
      this.now = ev.t;
      ev.fn();
      n++;
    }
    return n;
  }

  private less(a: SimEvent, b: SimEvent): boolean {
    return a.t < b.t || (a.t === b.t && a.order < b.order);
  }

  private push(ev: SimEvent): void {
    const h = this.heap;
    let i = h.length;
    h.push(ev);
    // sift up with a hole instead of swaps
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p];
      if (!(ev.t < parent.t || (ev.t === parent.t && ev.order < parent.order))) break;
      h[i] = parent;
      i = p;
    }
    h[i] = ev;
  }

  private pop(): SimEvent | undefined {
    const h = this.heap;
    if (!h.length) return undefined;
    const top = h[0];
    const last = h.pop()!;
    const n = h.length;
    if (n) {
      // sift down with a hole
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let m = l;
        if (r < n && this.less(h[r], h[l])) m = r;
        if (!this.less(h[m], last)) break;
        h[i] = h[m];
        i = m;
      }
      h[i] = last;
    }
    return top;
  }
}
