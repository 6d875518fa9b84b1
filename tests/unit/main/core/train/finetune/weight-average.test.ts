import { describe, expect, it } from 'vitest';
import type { HeadWeights } from '../../../../../../src/main/core/model/head';
import type { TopWeights } from '../../../../../../src/main/core/train/finetune/top-net';
import {
  MAX_STARTS,
  WeightAverager,
} from '../../../../../../src/main/core/train/finetune/weight-average';

const head = (v: number): HeadWeights => ({
  w1: Float32Array.of(v, 2 * v),
  b1: Float32Array.of(v),
  w2: Float32Array.of(-v),
  b2: Float32Array.of(1),
  dim: 2,
  hidden: 1,
  classes: 1,
});
// Layers given in another key order each time: the averager must match them by name.
const top = (v: number, flip = false): TopWeights =>
  flip
    ? {
        b: { bias: { shape: [1], data: Float32Array.of(v + 1) } },
        a: { kernel: { shape: [2], data: Float32Array.of(v, 3 * v) } },
      }
    : {
        a: { kernel: { shape: [2], data: Float32Array.of(v, 3 * v) } },
        b: { bias: { shape: [1], data: Float32Array.of(v + 1) } },
      };

describe('WeightAverager (SWAD-style dense averaging)', () => {
  it('averages every step of the epochs whose validation loss is within the tolerance of the best', () => {
    const a = new WeightAverager();
    // Epoch 3: steps 1, 2; epoch 4: steps 3, 5; epoch 5: step 10; epoch 6: step 100.
    a.addStep(head(1), top(1));
    a.addStep(head(2), top(2, true));
    a.endEpoch(3, 0.9); // > 1.2 × 0.5: before the window
    a.addStep(head(3), top(3));
    a.addStep(head(5), top(5, true));
    a.endEpoch(4, 0.55);
    a.addStep(head(10), top(10));
    a.endEpoch(5, 0.5);
    a.addStep(head(100), top(100));
    a.endEpoch(6, 2); // overfitting: after the window
    expect(a.window()).toEqual([4, 5]);
    const m = a.average();
    expect(m?.epochs).toEqual([4, 5]);
    const mean = (3 + 5 + 10) / 3;
    expect(m?.head.w1[0]).toBeCloseTo(mean, 5);
    expect(m?.head.w1[1]).toBeCloseTo(2 * mean, 5);
    expect(m?.head.w2[0]).toBeCloseTo(-mean, 5);
    expect(m?.head.b2[0]).toBeCloseTo(1, 6);
    expect(m?.head.dim).toBe(2);
    expect(Array.from(m?.top['a']?.['kernel']?.data ?? [])).toEqual([
      expect.closeTo(mean, 5),
      expect.closeTo(3 * mean, 5),
    ]);
    expect(m?.top['a']?.['kernel']?.shape).toEqual([2]);
    expect(m?.top['b']?.['bias']?.data[0]).toBeCloseTo(mean + 1, 5);
  });

  it('keeps an epoch inside the window even when its loss is worse, between two near the best', () => {
    const a = new WeightAverager();
    for (const [epoch, loss, v] of [
      [1, 0.5, 1],
      [2, 0.9, 2],
      [3, 0.58, 6],
    ] as const) {
      a.addStep(head(v), top(v));
      a.endEpoch(epoch, loss);
    }
    expect(a.window()).toEqual([1, 3]);
    expect(a.average()?.head.b1[0]).toBeCloseTo(3, 5);
  });

  it('averages every epoch when asked or when there is no loss to rank by, and nothing before a step', () => {
    const all = new WeightAverager(true);
    const unranked = new WeightAverager();
    for (const a of [all, unranked]) {
      expect(a.average()).toBeNull();
      a.endEpoch(1, NaN); // a warm-up epoch records no step
      a.addStep(head(2), top(2));
      a.endEpoch(2, NaN);
      a.addStep(head(4), top(4));
      a.addStep(head(6), top(6));
      a.endEpoch(3, all === a ? 0.1 : NaN);
      expect(a.window()).toEqual([2, 3]);
      expect(a.average()?.head.b1[0]).toBeCloseTo(4, 5);
    }
  });

  it('holds a bounded number of sums however long it trains, and still finds the window', () => {
    const a = new WeightAverager();
    const held = () => (a as unknown as { starts: unknown[] }).starts.length; // what it keeps
    a.addStep(head(1), top(1));
    a.endEpoch(1, 2);
    a.addStep(head(2), top(2));
    a.endEpoch(2, 1.5); // 2 > 1.2 × 1.5: epoch 1 can never start the window again
    expect(held()).toBe(1);
    a.addStep(head(3), top(3));
    a.endEpoch(3, 1.7); // near, not a record: the window runs on to it
    a.addStep(head(4), top(4));
    a.endEpoch(4, 3); // overfitting: after the window
    expect(a.window()).toEqual([2, 3]);
    expect(a.average()?.head.b1[0]).toBeCloseTo(2.5, 5);
    // 1,000 epochs, each a new low by a hair: every one may start the window, few are kept.
    const long = new WeightAverager();
    for (let e = 1; e <= 1000; e++) {
      long.addStep(head(e), top(e));
      long.endEpoch(e, 1 - e * 1e-5);
    }
    expect((long as unknown as { starts: unknown[] }).starts.length).toBe(MAX_STARTS);
    expect(long.window()).toEqual([1000 - MAX_STARTS + 1, 1000]);
    expect(long.average()?.head.b1[0]).toBeCloseTo(1000 - (MAX_STARTS - 1) / 2, 3);
  });

  it('refuses weights whose shapes change between steps', () => {
    const a = new WeightAverager();
    a.addStep(head(1), top(1));
    expect(() => a.addStep({ ...head(1), w1: Float32Array.of(1) }, top(1))).toThrow(/shapes/);
  });
});
