import { describe, expect, it } from 'vitest';
import { IdList } from '../../../../src/renderer/src/lib/id-list';
import { IdSet } from '../../../../src/renderer/src/lib/id-set';

describe('IdList', () => {
  it('grows, slices, finds, removes in order and copies independently', () => {
    const list = new IdList(2);
    list.push([5, 9, 2]);
    list.push(Array.from({ length: 3000 }, (_, i) => 100 + i));
    expect(list.length).toBe(3003);
    expect([list.at(0), list.at(2), list.at(3002), list.at(3003), list.at(-1)]).toEqual([
      5,
      2,
      3099,
      undefined,
      undefined,
    ]);
    expect(list.slice(1, 4)).toEqual([9, 2, 100]);
    expect(list.slice(3001, 9999)).toEqual([3098, 3099]);
    expect([list.indexOf(2), list.indexOf(3000, 10), list.indexOf(7)]).toEqual([2, 2903, -1]);
    const copy = list.copy();
    expect(list.remove(new Set([9, 101, 77]))).toEqual([9, 101]);
    expect(list.slice(0, 4)).toEqual([5, 2, 100, 102]);
    expect(copy.slice(0, 4)).toEqual([5, 9, 2, 100]);
    // Slots past the end keep stale ids after a removal: never found there.
    const short = new IdList();
    short.push([1, 2, 3, 4]);
    short.remove(new Set([2]));
    expect([short.indexOf(4, 3), short.indexOf(4, 99), short.indexOf(2, 3)]).toEqual([2, 2, -1]);
    expect([...list.present(new Set([5, 9, 102]))].sort()).toEqual([102, 5]);
  });
});

describe('IdSet', () => {
  it('adds, deletes and counts ids of any size; retains what a list holds', () => {
    const set = new IdSet();
    for (const id of [1, 31, 32, 1_000_000, 31]) set.add(id);
    expect(set.size).toBe(4);
    expect([set.has(31), set.has(30), set.has(1_000_000), set.has(5_000_000)]).toEqual([
      true,
      false,
      true,
      false,
    ]);
    expect(set.toArray()).toEqual([1, 31, 32, 1_000_000]);
    expect(set.delete(31)).toBe(true);
    expect(set.delete(31)).toBe(false);
    const list = new IdList();
    list.push([32, 7, 1_000_000]);
    set.retain(list);
    expect(set.toArray()).toEqual([32, 1_000_000]);
    set.clear();
    expect([set.size, set.toArray()]).toEqual([0, []]);
  });
});
