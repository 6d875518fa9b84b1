import { describe, expect, it } from 'vitest';
import {
  figuresAtThreshold,
  operatingPoints,
  precisionRecallCurve,
  rocCurve,
  thresholdCounts,
  weightedThresholdCounts,
} from '../../../../../src/main/core/eval/curves';

const pos = (ys: number[]) => ys.map((y) => y === 1);

describe('ROC and precision–recall curves', () => {
  it("match sklearn's documented example (roc_auc 0.75, average precision 0.8333)", () => {
    const c = thresholdCounts(pos([0, 0, 1, 1]), [0.1, 0.4, 0.35, 0.8]);
    expect(c.thresholds).toEqual([0.8, 0.4, 0.35, 0.1]);
    const roc = rocCurve(c);
    expect(roc.fpr).toEqual([0, 0, 0.5, 0.5, 1]);
    expect(roc.tpr).toEqual([0, 0.5, 0.5, 1, 1]);
    expect(roc.auc).toBeCloseTo(0.75, 12);
    const pr = precisionRecallCurve(c);
    // 0.5·1 + 0·0.5 + 0.5·(2/3) + 0·0.5
    expect(pr.averagePrecision).toBeCloseTo(0.5 + 1 / 3, 12);
    expect(pr.recall).toEqual([0, 0.5, 0.5, 1, 1]);
  });

  it('treats tied scores as one threshold: half credit in the AUC, one step in AP', () => {
    // Positives score 0.9 and 0.5; both negatives 0.5. Pairs: 2 won, 2 tied → AUC 3/4.
    const c = thresholdCounts(pos([0, 1, 0, 1]), [0.5, 0.5, 0.5, 0.9]);
    expect(c.thresholds).toEqual([0.9, 0.5]);
    expect(c.tps).toEqual([1, 2]);
    expect(c.fps).toEqual([0, 2]);
    expect(rocCurve(c).auc).toBeCloseTo(0.75, 12);
    // Recall 0.5 at precision 1, then recall 1 at precision 0.5: 0.5 + 0.25.
    expect(precisionRecallCurve(c).averagePrecision).toBeCloseTo(0.75, 12);
    const all = thresholdCounts(pos([0, 1]), [0.5, 0.5]);
    expect(rocCurve(all).auc).toBeCloseTo(0.5, 12);
    expect(precisionRecallCurve(all).averagePrecision).toBeCloseTo(0.5, 12);
  });

  it('has no AUC without both classes, and no AP without positives', () => {
    const c = thresholdCounts(pos([0, 0, 0]), [0.2, 0.3, 0.9]);
    expect(rocCurve(c).auc).toBeNull();
    expect(precisionRecallCurve(c).averagePrecision).toBeNull();
    expect(rocCurve(thresholdCounts(pos([1, 1]), [0.2, 0.3])).auc).toBeNull();
  });

  it('counts repeated items by their weight, as a resample with repeats would', () => {
    const y = pos([0, 0, 1, 1]);
    const s = [0.1, 0.4, 0.35, 0.8];
    const order = [3, 1, 2, 0];
    const w = weightedThresholdCounts(y, s, order, [2, 0, 1, 1]);
    const explicit = thresholdCounts(pos([0, 0, 1, 1]), [0.1, 0.1, 0.35, 0.8]);
    expect(w).toEqual(explicit);
  });
});

describe('figures at a threshold', () => {
  it('calls ≥ threshold positive and gives sensitivity, specificity, PPV and NPV', () => {
    const f = figuresAtThreshold(pos([0, 0, 1, 1, 0]), [0.1, 0.4, 0.35, 0.8, 0.5], 0.5);
    expect(f).toMatchObject({ tp: 1, fp: 1, tn: 2, fn: 1 });
    expect(f.sensitivity).toBe(0.5);
    expect(f.specificity).toBeCloseTo(2 / 3, 12);
    expect(f.ppv).toBe(0.5);
    expect(f.npv).toBeCloseTo(2 / 3, 12);
  });

  it('leaves undefined ratios null (nothing called positive)', () => {
    const f = figuresAtThreshold(pos([0, 1]), [0.1, 0.2], 0.9);
    expect(f.ppv).toBeNull();
    expect(f.sensitivity).toBe(0);
    expect(f.specificity).toBe(1);
  });

  it('lists an operating point per distinct score that agrees with the direct count', () => {
    const y = pos([0, 1, 0, 1, 1]);
    const s = [0.2, 0.7, 0.7, 0.9, 0.4];
    const points = operatingPoints(thresholdCounts(y, s));
    expect(points.map((p) => p.threshold)).toEqual([0.9, 0.7, 0.4, 0.2]);
    for (const p of points) expect(p).toEqual(figuresAtThreshold(y, s, p.threshold));
  });
});
