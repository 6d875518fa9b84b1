/**
 * Multi-class classification figures with scikit-learn's definitions. Where a ratio has a
 * zero denominator (a class never predicted, or with no support) it is 0, as sklearn's
 * `zero_division=0`; such classes still count in macro averages, and weigh 0 in weighted ones.
 */

export interface ClassFigures {
  precision: number;
  recall: number;
  f1: number;
  /** Images whose true class this is. */
  support: number;
}

export interface AverageFigures {
  precision: number;
  recall: number;
  f1: number;
}

/** Index of the largest probability in each row of a row-major `n × k` matrix. */
export function argmaxRows(probs: ArrayLike<number>, k: number): Int32Array {
  const n = Math.floor(probs.length / k);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if ((probs[i * k + c] ?? 0) > (probs[i * k + best] ?? 0)) best = c;
    out[i] = best;
  }
  return out;
}

/** Counts: true class by row, predicted class by column. */
export function confusionMatrix(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  k: number,
): number[][] {
  const m = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < yTrue.length; i++) {
    const row = m[yTrue[i] ?? -1];
    const p = yPred[i] ?? -1;
    if (row && p >= 0 && p < k) row[p] = (row[p] ?? 0) + 1;
  }
  return m;
}

/** Each row divided by its sum (the recall view); rows with no support stay all 0. */
export function rowNormalise(m: readonly (readonly number[])[]): number[][] {
  return m.map((row) => {
    const sum = row.reduce((a, b) => a + b, 0);
    return row.map((v) => (sum > 0 ? v / sum : 0));
  });
}

/** Share of correct predictions; 0 for no items. */
export function accuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  let right = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) right++;
  return yTrue.length > 0 ? right / yTrue.length : 0;
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);

/** Precision, recall, F1 and support of each class from a confusion matrix. */
export function perClassFigures(m: readonly (readonly number[])[]): ClassFigures[] {
  return m.map((row, c) => {
    const tp = row[c] ?? 0;
    const support = row.reduce((a, b) => a + b, 0);
    const predicted = m.reduce((a, r) => a + (r[c] ?? 0), 0);
    const precision = ratio(tp, predicted);
    const recall = ratio(tp, support);
    // sklearn ≥ 1.3: F1 = 2tp / (2tp + fp + fn), 0 when that denominator is 0.
    const f1 = ratio(2 * tp, predicted + support);
    return { precision, recall, f1, support };
  });
}

/** Unweighted mean over classes (macro) and mean weighted by support (weighted). */
export function averages(perClass: readonly ClassFigures[]): {
  macro: AverageFigures;
  weighted: AverageFigures;
} {
  const k = perClass.length;
  const total = perClass.reduce((a, c) => a + c.support, 0);
  const mean = (f: (c: ClassFigures) => number) =>
    k > 0 ? perClass.reduce((a, c) => a + f(c), 0) / k : 0;
  const wmean = (f: (c: ClassFigures) => number) =>
    ratio(
      perClass.reduce((a, c) => a + f(c) * c.support, 0),
      total,
    );
  return {
    macro: {
      precision: mean((c) => c.precision),
      recall: mean((c) => c.recall),
      f1: mean((c) => c.f1),
    },
    weighted: {
      precision: wmean((c) => c.precision),
      recall: wmean((c) => c.recall),
      f1: wmean((c) => c.f1),
    },
  };
}

/**
 * Share of items whose true class is among the `k` most probable. Tied probabilities rank
 * the higher class index first, as sklearn's top_k_accuracy_score (a stable ascending sort,
 * reversed) does; k ≥ the class count is always 1.
 */
export function topKAccuracy(
  yTrue: ArrayLike<number>,
  probs: ArrayLike<number>,
  classes: number,
  k: number,
): number {
  const n = yTrue.length;
  if (n === 0) return 0;
  let hits = 0;
  for (let i = 0; i < n; i++) {
    const t = yTrue[i] ?? 0;
    const pt = probs[i * classes + t] ?? 0;
    // Rank of the true class: classes scoring higher, or equal with a higher index.
    let rank = 0;
    for (let c = 0; c < classes; c++) {
      const pc = probs[i * classes + c] ?? 0;
      if (pc > pt || (pc === pt && c > t)) rank++;
    }
    if (rank < k) hits++;
  }
  return hits / n;
}
