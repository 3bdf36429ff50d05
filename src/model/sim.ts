/**
 * Discrete-event scheduler with integer-nanosecond time and a trace.
 *
 * Events at the same instant run in insertion order, so simultaneity is resolved by
 * the code, never by chance. Cancelled events stay queued and are skipped.
 *
 * Layout (for throughput): events are grouped in buckets, each a FIFO of events due at one
 * instant in insertion order, and the buckets are ordered by (time, creation). Many events
 * share an instant (timers fire on jiffy boundaries, replies leave a fixed cost later), so an
 * event costs an array append instead of a sift.
 * A new event joins the newest bucket of its instant when a small direct-mapped table of
 * buckets (indexed by a hash of the time) still holds it, or else opens a new bucket; an
 * instant may so have several buckets, and since they run in creation order, the order is
 * still exactly (t, insertion order), as with one heap of (t, order) pairs. (The table
 * replaces a Map keyed by time: most times are above 2^31 ns, 2.1 s, beyond the small
 * integers V8 hashes quickly.)
 * The buckets wait in two queues: a run of buckets in ascending order (`near`), which takes
 * a new bucket that is due at or after the last one in it, or whose place is among its first
 * few (the usual cases: a timer a second ahead, or a syscall's return or a segment's delivery a
 * few µs ahead while timers wait), and a binary min-heap for the rest. The next
 * bucket is the earlier of the two heads, so the two queues merge in (time, creation) order.
 * (Without `near`, a typical new bucket sifted up through a heap of hundreds of timer buckets
 * and back down when it ran; with a run that only took buckets at its end, one timer bucket
 * that entered it first sent every later reply to the heap until the timer fired.)
 */
import type { Ns, TraceEvent } from './types.ts';

/**
 * A cancellable event. Any object with these fields is one: a full socket is the event of its
 * own retransmit timer, as struct inet_connection_sock embeds icsk_retransmit_timer (see
 * newTcpSock), which saves a separate object, and a cache miss, per socket and timeout.
 */
export interface SimEvent {
  t: Ns;
  /** Its insertion number while queued: a queue entry whose order differs is stale (see rearm()). */
  order: number;
  /** Called as fn(a, b): hot paths pass a shared function and its arguments instead of a closure. */
  fn: (a: any, b: any) => void;
  a: unknown;
  b: unknown;
  cancelled: boolean;
}

/**
 * All events due at one instant, in insertion order, three slots each: a SimEvent, the order it
 * was queued with, an unused slot; or, for an event nobody can cancel (post()), its function and
 * two arguments. A SimEvent entry runs only if the event still has that order and is not
 * cancelled (the check reads only the event, which its function is about to touch anyway).
 * `i` is the slot of the next one to run.
 */
interface Bucket {
  t: Ns;
  /** Creation number: orders the buckets of one instant. */
  seq: number;
  /** Slots in use are q[0 .. n); a reused bucket keeps its array (and its capacity). */
  q: unknown[];
  n: number;
  i: number;
}

type Fn2 = (a: any, b: any) => void;

/** Size of the bucket table (a power of two) and the slot of an instant (Fibonacci hashing of its low 32 bits). */
const SLOTS = 256;
/** At most this many array slots (8 bytes each) are kept in emptied buckets for reuse. */
const SPARE_SLOTS = 1 << 18;
/** A bucket due before the head of `near` goes in front of it by unshift() only while `near` is this short. */
const NEAR_UNSHIFT_MAX = 16;
/** How far past its head `near` is searched for the place of a new bucket (else it goes to the heap). */
const NEAR_SCAN = 8;
const slotOf = (t: Ns): number => Math.imul(t | 0, 0x9e3779b1) >>> 24;
/** The order in which buckets run: by time, then by creation (an instant's older bucket first). */
const earlier = (a: Bucket, b: Bucket): boolean => a.t < b.t || (a.t === b.t && a.seq < b.seq);

export class Sim {
  now: Ns = 0;
  private order = 0;
  /** Min-heap of buckets by (time, creation number). */
  private heap: Bucket[] = [];
  /** Buckets in ascending (time, creation) order, from near[nearHead] on (see the class comment). */
  private near: Bucket[] = [];
  private nearHead = 0;
  /** Whether the bucket front() returned is the head of `near` (else the top of the heap). */
  private frontIsNear = false;
  /**
   * Direct-mapped table, by slotOf(t): the newest bucket of an instant, while no bucket of
   * another instant with the same slot has replaced it. A bucket of t is only ever replaced by
   * a newer one, so a hit is always the newest bucket of its instant.
   */
  private slots: (Bucket | null)[] = new Array<Bucket | null>(SLOTS).fill(null);
  private bucketSeq = 0;
  /** The bucket the last event went into (most events cluster on a few instants). */
  private last: Bucket | null = null;
  /** Emptied buckets kept for reuse, with their arrays (SPARE_SLOTS slots in all, at most). */
  private spare: Bucket[] = [];
  private spareSlots = 0;
  readonly trace: TraceEvent[] = [];
  /** When false, only segments and their fates are traced (large scenarios). */
  traceDetail = true;
  /** When false, nothing is kept: listeners still see every event (benchmarks). */
  keepTrace = true;
  /** Observers called for every trace event (widgets, recorders of live runs). */
  private listeners: ((ev: TraceEvent) => void)[] = [];

  at(t: Ns, fn: () => void): SimEvent {
    return this.call(t, fn, undefined, undefined);
  }

  after(dt: Ns, fn: () => void): SimEvent {
    return this.call(this.now + Math.round(dt), fn, undefined, undefined);
  }

  /** Schedule fn(a, b) at t (as at(), without a closure per event). */
  call<A, B>(t: Ns, fn: (a: A, b: B) => void, a: A, b: B): SimEvent {
    if (!Number.isInteger(t)) throw new Error(`event time must be an integer ns, got ${t}`);
    if (t < this.now) t = this.now;
    const order = this.order++;
    const ev: SimEvent = { t, order, fn, a, b, cancelled: false };
    this.enqueue(t, ev, order, undefined);
    return ev;
  }

  /**
   * Schedule fn(a, b) at t like call(), for an event that is never cancelled: no SimEvent
   * is made (the hot paths: segment delivery, a task's return to user space).
   */
  post<A, B>(t: Ns, fn: (a: A, b: B) => void, a: A, b: B): void {
    if (!Number.isInteger(t)) throw new Error(`event time must be an integer ns, got ${t}`);
    if (t < this.now) t = this.now;
    this.order++;
    this.enqueue(t, fn, a, b);
  }

  /** post() dt from now (as after()). */
  postAfter<A, B>(dt: Ns, fn: (a: A, b: B) => void, a: A, b: B): void {
    this.post(this.now + Math.round(dt), fn, a, b);
  }

  private enqueue(t: Ns, x: SimEvent | Fn2, a: unknown, b: unknown): void {
    let bucket = this.last;
    if (bucket === null || bucket.t !== t) {
      const slot = slotOf(t);
      const hit = this.slots[slot];
      bucket = hit !== null && hit.t === t ? hit : this.newBucket(t, slot);
      this.last = bucket;
    }
    const q = bucket.q;
    const n = bucket.n;
    if (n < q.length) {
      q[n] = x;
      q[n + 1] = a;
      q[n + 2] = b;
    } else q.push(x, a, b);
    bucket.n = n + 3;
  }

  /** Schedule fn(a, b) dt from now (as after()). */
  callAfter<A, B>(dt: Ns, fn: (a: A, b: B) => void, a: A, b: B): SimEvent {
    return this.call(this.now + Math.round(dt), fn, a, b);
  }

  /**
   * Queue ev (again) at t with its fn, a and b: the same as call(t, ev.fn, ev.a, ev.b), without
   * a new object (mod_timer() on an embedded timer). An entry still queued for ev, from an
   * earlier call, is stale from now on and never runs: ev runs once, at t.
   */
  rearm(ev: SimEvent, t: Ns): SimEvent {
    if (!Number.isInteger(t)) throw new Error(`event time must be an integer ns, got ${t}`);
    if (t < this.now) t = this.now;
    const order = this.order++;
    ev.t = t;
    ev.order = order;
    ev.cancelled = false;
    this.enqueue(t, ev, order, undefined);
    return ev;
  }

  cancel(ev: SimEvent | null | undefined): void {
    if (ev) ev.cancelled = true;
  }

  emit(ev: TraceEvent): void {
    if (this.keepTrace) this.trace.push(ev);
    const ls = this.listeners;
    for (let i = 0; i < ls.length; i++) ls[i](ev);
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
    const b = this.front();
    return b === null ? Infinity : b.t;
  }

  /** Run events up to and including time `until` (inclusive); leaves now = until. */
  runUntil(until: Ns): void {
    for (;;) {
      const b = this.front();
      if (b === null || b.t > until) break;
      this.runBucket(b, Infinity);
    }
    if (until > this.now && until !== Infinity) this.now = until;
  }

  /**
   * runUntil(until) with a budget: runs at most `max` events (cancelled ones not counted) and
   * returns how many ran. Fewer than `max` means every event up to `until` ran and now = until;
   * otherwise call it again (a run with limits checks them between calls, off the hot path).
   */
  runUntilAtMost(until: Ns, max: number): number {
    let n = 0;
    for (;;) {
      const b = this.front();
      if (b === null || b.t > until) break;
      if (n >= max) return n;
      n += this.runBucket(b, max - n);
    }
    if (until > this.now && until !== Infinity) this.now = until;
    return n;
  }

  /** Run until no events remain or `limit` events ran. Returns the number run. */
  runAll(limit = 10_000_000): number {
    let n = 0;
    while (n < limit) {
      const b = this.front();
      if (b === null) break;
      n += this.runBucket(b, limit - n);
    }
    return n;
  }

  /**
   * Run the events of the front bucket b (front() returned it), those its events add to it
   * included, up to `max` of them; cancelled ones are skipped. Returns how many ran. An event
   * added for the same instant to another bucket runs after b's (see the class comment).
   */
  private runBucket(b: Bucket, max: number): number {
    const q = b.q; // the same array while b runs (it only grows)
    const t = b.t;
    let ran = 0;
    while (ran < max && b.i < b.n) {
      const i = b.i;
      b.i = i + 3;
      const x = q[i];
      this.now = t;
      if (typeof x === 'function') (x as Fn2)(q[i + 1], q[i + 2]);
      else if ((x as SimEvent).order === q[i + 1] && !(x as SimEvent).cancelled) (x as SimEvent).fn((x as SimEvent).a, (x as SimEvent).b);
      else continue;
      ran++;
    }
    return ran;
  }

  /**
   * The earliest bucket whose next event is not cancelled (cancelled events and emptied
   * buckets are dropped on the way), or null when nothing is pending.
   */
  private front(): Bucket | null {
    const h = this.heap;
    const near = this.near;
    for (;;) {
      // the earlier head of the two queues
      let b: Bucket;
      if (this.nearHead < near.length) {
        b = near[this.nearHead];
        this.frontIsNear = true;
        if (h.length) {
          const top = h[0];
          if (earlier(top, b)) {
            b = top;
            this.frontIsNear = false;
          }
        }
      } else if (h.length) {
        b = h[0];
        this.frontIsNear = false;
      } else return null;
      const q = b.q;
      const n = b.n;
      let i = b.i;
      while (i < n) {
        const x = q[i];
        if (typeof x === 'function' || ((x as SimEvent).order === q[i + 1] && !(x as SimEvent).cancelled)) break;
        i += 3;
      }
      b.i = i;
      if (i < n) return b;
      this.dropFront();
    }
  }

  private newBucket(t: Ns, slot: number): Bucket {
    const reused = this.spare.pop();
    if (reused !== undefined) this.spareSlots -= reused.q.length;
    const b = reused ?? { t: 0, seq: 0, q: [], n: 0, i: 0 };
    b.t = t;
    b.seq = this.bucketSeq++;
    this.slots[slot] = b;
    // `near` stays in ascending (time, creation) order: b (the newest bucket) goes after its last
    // bucket if not earlier, or at its place among the first few; anything else to the heap
    const near = this.near;
    const head = this.nearHead;
    if (head === near.length || near[near.length - 1].t <= t) {
      near.push(b);
      return b;
    }
    if (head > 0) {
      // room before the head: b goes in front of the first bucket due after it, within a few
      // places of the head (typically timers a second ahead sit in `near` and a reply is due
      // in a µs), the buckets before that place moving one step forward
      const end = Math.min(near.length - 1, head + NEAR_SCAN);
      let p = head;
      while (p < end && near[p].t <= t) p++;
      if (t < near[p].t) {
        for (let j = head; j < p; j++) near[j - 1] = near[j];
        near[p - 1] = b;
        this.nearHead = head - 1;
        return b;
      }
    } else if (t < near[0].t && near.length <= NEAR_UNSHIFT_MAX) {
      near.unshift(b);
      return b;
    }
    // sift up with a hole (an instant's older buckets stay ahead of it)
    const h = this.heap;
    let i = h.length;
    h.push(b);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p];
      if (earlier(parent, b)) break;
      h[i] = parent;
      i = p;
    }
    h[i] = b;
    return b;
  }

  /** Remove the (exhausted) bucket front() found. */
  private dropFront(): void {
    let top: Bucket;
    if (this.frontIsNear) {
      const near = this.near;
      top = near[this.nearHead];
      near[this.nearHead++] = undefined as unknown as Bucket;
      if (this.nearHead === near.length) {
        near.length = 0;
        this.nearHead = 0;
      } else if (this.nearHead >= 1024 && this.nearHead * 2 >= near.length) {
        near.splice(0, this.nearHead); // compact: the run only ever grows at its end
        this.nearHead = 0;
      }
    } else top = this.popHeap();
    const slot = slotOf(top.t);
    if (this.slots[slot] === top) this.slots[slot] = null;
    if (this.last === top) this.last = null;
    // a bucket of a timer tick can hold thousands of events (4.8+ wheel levels fire many timers
    // at once): its array is kept too, within the budget
    if (this.spare.length < 256 && this.spareSlots + top.q.length <= SPARE_SLOTS) {
      this.spareSlots += top.q.length;
      // keep the array, not what it referenced
      const q = top.q;
      for (let i = 0, n = top.n; i < n; i++) q[i] = undefined; // (a loop: fill() is a runtime call, slow on short arrays)
      top.n = 0;
      top.i = 0;
      this.spare.push(top);
    }
  }

  /** Remove and return the top of the heap. */
  private popHeap(): Bucket {
    const h = this.heap;
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
        if (r < n && earlier(h[r], h[l])) m = r;
        const c = h[m];
        if (earlier(last, c)) break;
        h[i] = c;
        i = m;
      }
      h[i] = last;
    }
    return top;
  }
}
