import type { IdList } from './id-list';

/**
 * A set of image ids as a bitmap: selecting all of a million images costs 128 KB and a few
 * milliseconds, where a Set of numbers would cost tens of MB.
 */
export class IdSet {
  private bits = new Uint32Array(1024);
  private count = 0;

  get size(): number {
    return this.count;
  }

  has(id: number): boolean {
    const w = id >>> 5;
    return w < this.bits.length && ((this.bits[w] as number) & (1 << (id & 31))) !== 0;
  }

  add(id: number): void {
    const w = id >>> 5;
    if (w >= this.bits.length) {
      let size = this.bits.length;
      while (size <= w) size *= 2;
      const grown = new Uint32Array(size);
      grown.set(this.bits);
      this.bits = grown;
    }
    const mask = 1 << (id & 31);
    if (((this.bits[w] as number) & mask) === 0) {
      this.bits[w] = (this.bits[w] as number) | mask;
      this.count++;
    }
  }

  delete(id: number): boolean {
    if (!this.has(id)) return false;
    const w = id >>> 5;
    this.bits[w] = (this.bits[w] as number) & ~(1 << (id & 31));
    this.count--;
    return true;
  }

  clear(): void {
    this.bits.fill(0);
    this.count = 0;
  }

  /** Keeps only the ids that are also in `list`. */
  retain(list: IdList): void {
    if (this.count === 0) return;
    const kept = new IdSet();
    list.forEach((id) => {
      if (this.has(id)) kept.add(id);
    });
    this.bits = kept.bits;
    this.count = kept.count;
  }

  /** The ids, smallest first. */
  toArray(): number[] {
    const out: number[] = [];
    for (let w = 0; w < this.bits.length && out.length < this.count; w++) {
      let word = this.bits[w] as number;
      while (word !== 0) {
        const bit = 31 - Math.clz32(word & -word);
        out.push(w * 32 + bit);
        word &= word - 1;
      }
    }
    return out;
  }
}
