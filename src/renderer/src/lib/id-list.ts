/**
 * Image ids in listing order, in one growable Int32Array: a million ids cost 4 MB and no
 * objects, so the page can hold a whole listing (positions, ranges, a frozen copy for the
 * image view) without its heap growing with what was scrolled.
 */
export class IdList {
  private a: Int32Array;
  private n = 0;

  constructor(capacity = 1024) {
    this.a = new Int32Array(Math.max(16, capacity));
  }

  get length(): number {
    return this.n;
  }

  /** The id at a position, or undefined outside the list. */
  at(i: number): number | undefined {
    return i >= 0 && i < this.n ? this.a[i] : undefined;
  }

  push(ids: readonly number[]): void {
    if (this.n + ids.length > this.a.length) {
      let size = this.a.length;
      while (size < this.n + ids.length) size *= 2;
      const grown = new Int32Array(size);
      grown.set(this.a.subarray(0, this.n));
      this.a = grown;
    }
    for (let i = 0; i < ids.length; i++) this.a[this.n + i] = ids[i] as number;
    this.n += ids.length;
  }

  /** Ids from `from` (inclusive) to `to` (exclusive), clamped to the list. */
  slice(from: number, to: number): number[] {
    const a = Math.max(0, from);
    const b = Math.min(this.n, to);
    return b > a ? Array.from(this.a.subarray(a, b)) : [];
  }

  /** Position of an id, searching outwards from `near` first (a linear scan at worst). */
  indexOf(id: number, near = 0): number {
    // Only the first n slots are the list: past them lie stale ids of earlier removals.
    const start = Math.min(Math.max(0, near), this.n - 1);
    for (let d = 0; d < 64; d++) {
      if (start + d < this.n && this.a[start + d] === id) return start + d;
      if (start - d >= 0 && start - d < this.n && this.a[start - d] === id) return start - d;
    }
    return this.a.subarray(0, this.n).indexOf(id);
  }

  /** Removes the ids in `gone`, keeping the order; returns which of them were here. */
  remove(gone: ReadonlySet<number>): number[] {
    const removed: number[] = [];
    let w = 0;
    for (let r = 0; r < this.n; r++) {
      const id = this.a[r] as number;
      if (gone.has(id)) removed.push(id);
      else this.a[w++] = id;
    }
    this.n = w;
    return removed;
  }

  /** Of `ids`, those that are in the list (one pass). */
  present(ids: ReadonlySet<number>): Set<number> {
    const out = new Set<number>();
    for (let r = 0; r < this.n && out.size < ids.size; r++) {
      const id = this.a[r] as number;
      if (ids.has(id)) out.add(id);
    }
    return out;
  }

  /** An independent copy (the image view's frozen list). */
  copy(): IdList {
    const c = new IdList(this.n);
    c.a.set(this.a.subarray(0, this.n));
    c.n = this.n;
    return c;
  }

  /** Calls `fn` for every id in order. */
  forEach(fn: (id: number, index: number) => void): void {
    for (let i = 0; i < this.n; i++) fn(this.a[i] as number, i);
  }
}

/**
 * Which changed images leave a listing and whether any join it: `matching` are those of
 * `changed` the filter still holds. Leaving ones are listed and no longer match; a joining
 * one matches and is not listed (it needs a reload to find its place).
 */
export function membership(
  list: IdList,
  changed: readonly number[],
  matching: readonly number[],
): { leaving: Set<number>; joining: boolean } {
  const here = list.present(new Set(changed));
  const still = new Set(matching);
  const leaving = new Set([...here].filter((id) => !still.has(id)));
  return { leaving, joining: matching.some((id) => !here.has(id)) };
}
