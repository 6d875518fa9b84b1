import { describe, expect, it } from 'vitest';
import {
  foldsFor,
  kFolds,
  meanSd,
  shouldRefit,
  tooSmallToRank,
  wilsonInterval,
} from '../../../../../src/main/core/train/estimate';
import type { TrainConfig } from '../../../../../src/shared/types';

describe('the estimate', () => {
  it('gives the Wilson interval of a proportion', () => {
    // 8 of 10: the textbook interval is 0.490–0.943.
    const [lo, hi] = wilsonInterval(8, 10) ?? [NaN, NaN];
    expect(lo).toBeCloseTo(0.4902, 3);
    expect(hi).toBeCloseTo(0.9433, 3);
    expect(wilsonInterval(0, 0)).toBeNull();
    expect(wilsonInterval(10, 10)?.[1]).toBeCloseTo(1, 10);
  });

  it('knows when a validation split is too small to rank epochs (under 10 a class)', () => {
    expect(tooSmallToRank(56, 7)).toBe(true);
    expect(tooSmallToRank(70, 7)).toBe(false);
  });

  it('refits below 3,000 images on auto, always or never on request', () => {
    expect(shouldRefit('auto', 2999)).toBe(true);
    expect(shouldRefit('auto', 3000)).toBe(false);
    expect(shouldRefit('always', 100_000)).toBe(true);
    expect(shouldRefit('never', 10)).toBe(false);
  });

  it('cross-validates small feature-mode sets by default, never fine-tuning', () => {
    const c = { mode: 'features', crossValidation: 0 } as TrainConfig;
    expect(foldsFor(c, 999)).toBe(5);
    expect(foldsFor(c, 1000)).toBe(1);
    expect(foldsFor({ ...c, crossValidation: 3 }, 50_000)).toBe(3);
    expect(foldsFor({ ...c, mode: 'finetune' }, 100)).toBe(1);
  });

  it('makes stratified folds that never split a group', () => {
    // 3 classes; groups of 1–4 images (bursts), all of one class.
    const items = Array.from({ length: 120 }, (_, i) => ({
      id: i,
      label: i % 3,
      group: `g${i % 3}-${Math.floor(i / 9)}`,
    }));
    const folds = kFolds(items, 5, 42, 3);
    expect(folds).toHaveLength(5);
    expect(folds.flat().sort((a, b) => a - b)).toEqual(items.map((i) => i.id));
    const foldOf = new Map(folds.flatMap((f, k) => f.map((id) => [id, k] as const)));
    const groupFolds = new Map<string, Set<number>>();
    for (const it of items) {
      const s = groupFolds.get(it.group) ?? new Set<number>();
      s.add(foldOf.get(it.id) ?? -1);
      groupFolds.set(it.group, s);
    }
    for (const s of groupFolds.values()) expect(s.size).toBe(1);
    for (const f of folds) {
      for (let c = 0; c < 3; c++) {
        const n = f.filter((id) => id % 3 === c).length;
        expect(n).toBeGreaterThanOrEqual(5);
        expect(n).toBeLessThanOrEqual(11);
      }
    }
    expect(kFolds(items, 5, 42, 3)).toEqual(folds);
  });

  it('gives the mean and sample standard deviation', () => {
    expect(meanSd([0.5, 0.7, 0.6])).toEqual({ mean: 0.6, sd: expect.closeTo(0.1, 10) as number });
  });
});
