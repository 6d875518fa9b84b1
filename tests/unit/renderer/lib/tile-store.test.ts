import { describe, expect, it } from 'vitest';
import { membership, IdList } from '../../../../src/renderer/src/lib/id-list';
import { TileStore } from '../../../../src/renderer/src/lib/tile-store';
import type { ImageTile } from '../../../../src/shared/types';

const tile = (id: number, classIds: number[] = []): ImageTile => ({
  id,
  rootId: 1,
  relPath: `${id}.jpg`,
  status: 'ok',
  error: null,
  width: 8,
  height: 8,
  takenAt: null,
  sequenceId: null,
  classIds,
  thumbVersion: null,
});

describe('TileStore', () => {
  it('keeps at most its capacity however much is scrolled past, the least recently asked going first', () => {
    const store = new TileStore(100);
    for (let start = 0; start < 5000; start += 50) {
      const ids = Array.from({ length: 50 }, (_, i) => start + i);
      const fetch = store.touch(ids);
      expect(fetch).toEqual(ids);
      store.put(
        fetch,
        fetch.map((id) => tile(id)),
      );
      store.settle(fetch);
      expect(store.size).toBeLessThanOrEqual(100);
    }
    expect([store.get(4999)?.id, store.get(4900)?.id, store.get(4899)]).toEqual([
      4999,
      4900,
      undefined,
    ]);
    // Touching an old tile keeps it through the next batch.
    store.touch([4900]);
    const next = Array.from({ length: 99 }, (_, i) => 9000 + i);
    store.put(
      store.touch(next),
      next.map((id) => tile(id)),
    );
    expect(store.get(4900)?.id).toBe(4900);
  });

  it('shows a stale tile until its new one arrives; gone images are not asked for again', () => {
    const store = new TileStore(10);
    store.put(store.touch([1, 2, 3]), [tile(1), tile(2)]);
    store.settle([1, 2, 3]);
    expect(store.isGone(3)).toBe(true);
    expect(store.touch([1, 2, 3])).toEqual([]);
    store.invalidate([1]);
    expect(store.get(1)?.classIds).toEqual([]);
    expect(store.isFresh(1)).toBe(false);
    expect(store.touch([1, 2])).toEqual([1]);
    // Already on its way: not asked twice.
    expect(store.touch([1])).toEqual([]);
    store.put([1], [tile(1, [7])]);
    store.settle([1]);
    expect(store.get(1)?.classIds).toEqual([7]);
    store.invalidate();
    expect(store.touch([1, 2, 3])).toEqual([1, 2, 3]);
    // Asked for again, 3 stays gone until its tile arrives: no key acts on it meanwhile.
    expect(store.isGone(3)).toBe(true);
    store.put([1, 2, 3], [tile(1), tile(2)]);
    store.settle([1, 2, 3]);
    expect(store.isGone(3)).toBe(true);
    store.invalidate([3]);
    expect(store.touch([3])).toEqual([3]);
    store.put([3], [tile(3)]);
    expect(store.isGone(3)).toBe(false);
  });
});

describe('membership', () => {
  it('says which changed images leave a listing and whether one joins it', () => {
    const list = new IdList();
    list.push([1, 2, 3, 4]);
    expect(membership(list, [2, 3, 9], [3])).toEqual({ leaving: new Set([2]), joining: false });
    expect(membership(list, [2, 9], [2, 9])).toEqual({ leaving: new Set(), joining: true });
  });
});
