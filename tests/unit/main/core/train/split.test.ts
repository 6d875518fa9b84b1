import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../../../src/main/core/util/rng';
import { splitTrainValidation, type SplitItem } from '../../../../../src/main/core/train/split';

function dataset(n: number, classes: number, groupSize: number, seed = 1): SplitItem[] {
  const r = seededRandom(seed);
  return Array.from({ length: n }, (_, id) => {
    const label = Math.floor(r() * classes);
    // Groups hold one class, like a burst of one animal.
    return { id, label, group: `${label}:${Math.floor(id / groupSize)}` };
  });
}

describe('splitTrainValidation', () => {
  it('never puts a group on both sides', () => {
    const items = dataset(2000, 4, 7);
    const split = splitTrainValidation(items, 0.2, 42, 4);
    const groupOf = new Map(items.map((i) => [i.id, i.group]));
    const trainGroups = new Set(split.train.map((id) => groupOf.get(id)));
    for (const id of split.validation) expect(trainGroups.has(groupOf.get(id))).toBe(false);
    expect(split.train.length + split.validation.length).toBe(2000);
  });

  it('keeps class proportions within one image of the target without groups', () => {
    const items = dataset(1000, 3, 1, 5).map((i) => ({ ...i, group: `g${i.id}` }));
    const split = splitTrainValidation(items, 0.25, 7, 3);
    split.perClass.forEach(([train, val]) => {
      expect(Math.abs(val - (train + val) * 0.25)).toBeLessThanOrEqual(1);
    });
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const items = dataset(500, 2, 5);
    const a = splitTrainValidation(items, 0.2, 1, 2);
    expect(splitTrainValidation(items, 0.2, 1, 2)).toEqual(a);
    expect(splitTrainValidation(items, 0.2, 2, 2).validation).not.toEqual(a.validation);
  });

  it('reports identical contents on both sides', () => {
    const items: SplitItem[] = [
      { id: 1, label: 0, group: 'a', hash: 'x' },
      { id: 2, label: 0, group: 'b', hash: 'x' },
      { id: 3, label: 0, group: 'c', hash: 'y' },
      { id: 4, label: 0, group: 'd', hash: 'z' },
    ];
    const split = splitTrainValidation(items, 0.5, 3, 1);
    const xSides = new Set([split.train.includes(1), split.train.includes(2)]);
    expect(split.leaks.hashes).toEqual(xSides.size === 2 ? ['x'] : []);
  });
});
