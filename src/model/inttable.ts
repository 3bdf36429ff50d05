/**
 * A hash table from small non-negative integers (0 .. 2^31 - 1) to values: open addressing
 * with linear probing, keys in an Int32Array, backward-shift deletion (no tombstones).
 *
 * Used for the kernel's lookups by port and by port pair, which the bench does tens
 * of thousands of times per run. A Map does the same job, but its entries are scattered over
 * a larger chained table, and a lookup that misses the cache (10,000 sockets are well beyond
 * this machine's caches) costs about twice as much. Iteration order is slot order, not
 * insertion order: no caller depends on it (the ss dump sorts, see tcpDiagDump).
 */
const FREE = -1;

export class IntTable<V> {
  private ks: Int32Array;
  private vals: (V | undefined)[];
  private mask: number;
  /** 32 - log2(capacity): the top bits of a Fibonacci hash pick the home slot. */
  private shift: number;
  size = 0;

  constructor(capacity = 16) {
    let cap = 16;
    while (cap < capacity) cap *= 2;
    this.ks = new Int32Array(cap).fill(FREE);
    this.vals = new Array<V | undefined>(cap); // holes read as undefined (fill() would cost a pass)
    this.mask = cap - 1;
    this.shift = 32 - Math.log2(cap);
  }

  private home(key: number): number {
    return Math.imul(key, 0x9e3779b1) >>> this.shift;
  }

  /** The slot holding key, or -1. */
  private find(key: number): number {
    if (key !== (key & 0x7fffffff)) throw new RangeError(`IntTable key must be an integer in 0 .. 2^31-1, got ${key}`);
    const keys = this.ks;
    const mask = this.mask;
    for (let i = this.home(key); ; i = (i + 1) & mask) {
      const k = keys[i];
      if (k === key) return i;
      if (k === FREE) return -1;
    }
  }

  get(key: number): V | undefined {
    const i = this.find(key);
    return i < 0 ? undefined : this.vals[i];
  }

  has(key: number): boolean {
    return this.find(key) >= 0;
  }

  set(key: number, v: V): this {
    if (key !== (key & 0x7fffffff)) throw new RangeError(`IntTable key must be an integer in 0 .. 2^31-1, got ${key}`);
    // one walk of the probe run: the key's slot, or the free slot that ends the run
    let keys = this.ks;
    let mask = this.mask;
    let i = this.home(key);
    for (let k = keys[i]; k !== FREE; k = keys[i]) {
      if (k === key) {
        this.vals[i] = v;
        return this;
      }
      i = (i + 1) & mask;
    }
    if (2 * (this.size + 1) > keys.length) {
      this.grow();
      keys = this.ks;
      mask = this.mask;
      i = this.home(key);
      while (keys[i] !== FREE) i = (i + 1) & mask;
    }
    keys[i] = key;
    this.vals[i] = v;
    this.size++;
    return this;
  }

  delete(key: number): boolean {
    let i = this.find(key);
    if (i < 0) return false;
    const keys = this.ks;
    const vals = this.vals;
    const mask = this.mask;
    // backward-shift: move each later entry of the probe run into the hole when the hole lies
    // between its home slot and where it sits (cyclically), so no lookup ever stops early
    for (let j = (i + 1) & mask; keys[j] !== FREE; j = (j + 1) & mask) {
      const h = this.home(keys[j]);
      const stays = i <= j ? i < h && h <= j : i < h || h <= j;
      if (stays) continue;
      keys[i] = keys[j];
      vals[i] = vals[j];
      i = j;
    }
    keys[i] = FREE;
    vals[i] = undefined;
    this.size--;
    return true;
  }

  /** The values, in slot order. */
  *values(): IterableIterator<V> {
    const keys = this.ks;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== FREE) yield this.vals[i]!;
  }

  /** The keys, in slot order. */
  *keys(): IterableIterator<number> {
    const keys = this.ks;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== FREE) yield keys[i];
  }

  private grow(): void {
    const oldKeys = this.ks;
    const oldVals = this.vals;
    const cap = oldKeys.length * 2;
    this.ks = new Int32Array(cap).fill(FREE);
    this.vals = new Array<V | undefined>(cap);
    this.mask = cap - 1;
    this.shift--;
    const keys = this.ks;
    const mask = this.mask;
    for (let j = 0; j < oldKeys.length; j++) {
      const key = oldKeys[j];
      if (key === FREE) continue;
      let i = this.home(key);
      while (keys[i] !== FREE) i = (i + 1) & mask;
      keys[i] = key;
      this.vals[i] = oldVals[j];
    }
  }
}

/**
 * A table keyed by ids handed out in ascending order (socket ids, pids): an array indexed by
 * id, so lookups and inserts are an array access and iteration is in id order. Deleted ids
 * leave a hole. Ids from ID_DENSE on (a pinned pid of 4194303, say) go to a Map instead, so
 * that iterating never walks millions of holes (ss scans every task's fds).
 */
const ID_DENSE = 1 << 16;

export class IdTable<V> {
  private vals: (V | undefined)[] = [];
  /** Entries with ids from ID_DENSE on, or null while there are none. */
  private sparse: Map<number, V> | null = null;
  size = 0;

  get(id: number): V | undefined {
    if (id >= 0 && id < this.vals.length) {
      const v = this.vals[id];
      if (v !== undefined || this.sparse === null) return v;
    }
    return this.sparse === null ? undefined : this.sparse.get(id);
  }

  has(id: number): boolean {
    return this.get(id) !== undefined;
  }

  set(id: number, v: V): this {
    if (!Number.isSafeInteger(id) || id < 0) throw new RangeError(`IdTable id must be a non-negative integer, got ${id}`);
    if (v === undefined) throw new TypeError('IdTable cannot hold undefined');
    const vals = this.vals;
    if (id < vals.length) {
      if (vals[id] === undefined) {
        // the array grew past an id kept in the Map: it stays there
        if (this.sparse !== null && this.sparse.has(id)) {
          this.sparse.set(id, v);
          return this;
        }
        this.size++;
      }
    } else if (id >= ID_DENSE && id - vals.length > 64) {
      // far beyond the ids in use: a Map, not millions of holes (ids handed out in order,
      // however many, stay in the array)
      const sp = (this.sparse ??= new Map());
      if (!sp.has(id)) this.size++;
      sp.set(id, v);
      return this;
    } else if (this.sparse !== null && this.sparse.has(id)) {
      this.sparse.set(id, v);
      return this;
    } else {
      // pad a short gap with undefined (a packed array stays fast); a long one becomes a hole
      if (id - vals.length <= 64) while (vals.length < id) vals.push(undefined);
      this.size++;
    }
    vals[id] = v;
    return this;
  }

  delete(id: number): boolean {
    if (this.get(id) === undefined) return false;
    if (id < this.vals.length && this.vals[id] !== undefined) this.vals[id] = undefined;
    else this.sparse!.delete(id);
    this.size--;
    return true;
  }

  /** The ids of the sparse part, ascending. */
  private sparseIds(): number[] {
    return this.sparse === null || this.sparse.size === 0 ? [] : [...this.sparse.keys()].sort((a, b) => a - b);
  }

  /** The ids, ascending: the array's, merged with the Map's (which the array may have grown past). */
  *keys(): IterableIterator<number> {
    const vals = this.vals;
    const sp = this.sparseIds();
    let j = 0;
    for (let i = 0; i < vals.length; i++) {
      while (j < sp.length && sp[j] < i) yield sp[j++];
      if (vals[i] !== undefined) yield i;
    }
    while (j < sp.length) yield sp[j++];
  }

  /** The values, in ascending id order. */
  *values(): IterableIterator<V> {
    if (this.sparse === null || this.sparse.size === 0) {
      const vals = this.vals;
      for (let i = 0; i < vals.length; i++) {
        const v = vals[i];
        if (v !== undefined) yield v;
      }
      return;
    }
    for (const id of this.keys()) yield this.get(id)!;
  }
}
