import { describe, expect, it } from 'vitest';
import {
  accuracy,
  argmaxRows,
  averages,
  confusionMatrix,
  perClassFigures,
  rowNormalise,
  topKAccuracy,
} from '../../../../../src/main/core/eval/classification';

// Four classes; class 3 has no support but is predicted once. Figures worked out by hand,
// and equal to sklearn's precision_recall_fscore_support(labels=[0..3], zero_division=0).
const yTrue = [0, 0, 1, 1, 2, 2, 2];
const yPred = [0, 1, 1, 3, 2, 0, 2];

describe('classification figures', () => {
  it('counts the confusion matrix with true classes by row and normalises rows', () => {
    const m = confusionMatrix(yTrue, yPred, 4);
    expect(m).toEqual([
      [1, 1, 0, 0],
      [0, 1, 0, 1],
      [1, 0, 2, 0],
      [0, 0, 0, 0],
    ]);
    const r = rowNormalise(m);
    expect(r[2]).toEqual([1 / 3, 0, 2 / 3, 0]);
    expect(r[3]).toEqual([0, 0, 0, 0]);
    expect(accuracy(yTrue, yPred)).toBeCloseTo(4 / 7, 12);
  });

  it('gives per-class precision, recall, F1 and support, 0 where a denominator is 0', () => {
    const per = perClassFigures(confusionMatrix(yTrue, yPred, 4));
    expect(per.map((c) => c.support)).toEqual([2, 2, 3, 0]);
    expect(per[0]).toMatchObject({ precision: 0.5, recall: 0.5, f1: 0.5 });
    expect(per[2]?.precision).toBe(1);
    expect(per[2]?.recall).toBeCloseTo(2 / 3, 12);
    expect(per[2]?.f1).toBeCloseTo(0.8, 12);
    // No support: recall 0/0 → 0; predicted once, wrongly: precision 0; F1 0.
    expect(per[3]).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
  });

  it('averages over classes (macro, the class without support included) and by support (weighted)', () => {
    const { macro, weighted } = averages(perClassFigures(confusionMatrix(yTrue, yPred, 4)));
    expect(macro.precision).toBeCloseTo(0.5, 12);
    expect(macro.recall).toBeCloseTo((0.5 + 0.5 + 2 / 3) / 4, 12);
    expect(macro.f1).toBeCloseTo(0.45, 12);
    expect(weighted.precision).toBeCloseTo(5 / 7, 12);
    expect(weighted.recall).toBeCloseTo(4 / 7, 12);
    expect(weighted.f1).toBeCloseTo(4.4 / 7, 12);
  });

  it('gives 0 for a class neither present nor predicted', () => {
    const per = perClassFigures(confusionMatrix([0, 1], [0, 1], 3));
    expect(per[2]).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
    expect(averages(per).macro.f1).toBeCloseTo(2 / 3, 12);
    expect(averages(per).weighted.f1).toBe(1);
  });

  it('finds the top-k accuracy, ties ranking the higher class first as sklearn does', () => {
    const probs = [0.5, 0.3, 0.2, 0.4, 0.4, 0.2, 0.6, 0.3, 0.1];
    const truth = [2, 1, 0];
    expect(Array.from(argmaxRows(probs, 3))).toEqual([0, 0, 0]);
    expect(topKAccuracy(truth, probs, 3, 1)).toBeCloseTo(2 / 3, 12);
    expect(topKAccuracy(truth, probs, 3, 2)).toBeCloseTo(2 / 3, 12);
    expect(topKAccuracy(truth, probs, 3, 3)).toBe(1);
    // Class 0 tied with class 1 ranks after it.
    expect(topKAccuracy([0], [0.4, 0.4, 0.2], 3, 1)).toBe(0);
  });
});
