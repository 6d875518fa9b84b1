import type { OperatingPoint } from '../../../shared/types';

/**
 * Two-class curves with scikit-learn's definitions: every distinct score is a threshold,
 * an item is called positive when its score is ≥ the threshold, and tied scores move
 * together (one step of the curve), so ties get the diagonal (half) credit in the ROC AUC.
 */

/** Cumulative counts at each distinct score, highest score first. */
export interface ThresholdCounts {
  thresholds: number[];
  /** True positives among items scoring ≥ thresholds[i]. */
  tps: number[];
  /** False positives among items scoring ≥ thresholds[i]. */
  fps: number[];
  positives: number;
  negatives: number;
}

/** Item indices by descending score: the one sort the weighted counts below reuse. */
export function descendingOrder(scores: ArrayLike<number>): Int32Array {
  return Int32Array.from({ length: scores.length }, (_, i) => i).sort(
    (a, b) => (scores[b] ?? 0) - (scores[a] ?? 0),
  );
}

/** Counts per distinct threshold, like sklearn's `_binary_clf_curve`. */
export function thresholdCounts(
  positive: ArrayLike<boolean>,
  scores: ArrayLike<number>,
): ThresholdCounts {
  return weightedThresholdCounts(positive, scores, descendingOrder(scores), null);
}

/**
 * The same counts with each item counted `weights[i]` times (a bootstrap resample), walking
 * a precomputed descending `order`; items of weight 0 are absent.
 */
export function weightedThresholdCounts(
  positive: ArrayLike<boolean>,
  scores: ArrayLike<number>,
  order: ArrayLike<number>,
  weights: ArrayLike<number> | null,
): ThresholdCounts {
  const thresholds: number[] = [];
  const tps: number[] = [];
  const fps: number[] = [];
  let tp = 0;
  let fp = 0;
  let open = false;
  for (let j = 0; j < order.length; j++) {
    const i = order[j] ?? 0;
    const w = weights ? (weights[i] ?? 0) : 1;
    if (w > 0) {
      if (positive[i]) tp += w;
      else fp += w;
      open = true;
    }
    const next = order[j + 1];
    // Close a step only where the score changes, so tied items share one threshold.
    if (open && (next === undefined || scores[next] !== scores[i])) {
      thresholds.push(scores[i] ?? 0);
      tps.push(tp);
      fps.push(fp);
      open = false;
    }
  }
  return { thresholds, tps, fps, positives: tp, negatives: fp };
}

export interface RocCurve {
  fpr: number[];
  tpr: number[];
  /** Area by the trapezoid rule over all distinct thresholds; null without both classes. */
  auc: number | null;
}

/** ROC curve from (0, 0) through every distinct threshold, and its area. */
export function rocCurve(c: ThresholdCounts): RocCurve {
  const fpr = [0, ...c.fps.map((f) => (c.negatives > 0 ? f / c.negatives : 0))];
  const tpr = [0, ...c.tps.map((t) => (c.positives > 0 ? t / c.positives : 0))];
  if (c.positives === 0 || c.negatives === 0) return { fpr, tpr, auc: null };
  let auc = 0;
  for (let i = 1; i < fpr.length; i++) {
    auc += ((fpr[i] ?? 0) - (fpr[i - 1] ?? 0)) * (((tpr[i] ?? 0) + (tpr[i - 1] ?? 0)) / 2);
  }
  return { fpr, tpr, auc };
}

export interface PrCurve {
  /** Recall rising from 0; the first point is (recall 0, precision 1), as sklearn ends its curve. */
  recall: number[];
  precision: number[];
  /** Σ (Rₙ − Rₙ₋₁) Pₙ over thresholds (sklearn's average_precision_score); null without positives. */
  averagePrecision: number | null;
}

/** Precision–recall curve over every distinct threshold, and the average precision. */
export function precisionRecallCurve(c: ThresholdCounts): PrCurve {
  const recall = [0];
  const precision = [1];
  let ap = 0;
  let prevRecall = 0;
  for (let i = 0; i < c.thresholds.length; i++) {
    const tp = c.tps[i] ?? 0;
    const fp = c.fps[i] ?? 0;
    const r = c.positives > 0 ? tp / c.positives : 0;
    const p = tp + fp > 0 ? tp / (tp + fp) : 0;
    recall.push(r);
    precision.push(p);
    ap += (r - prevRecall) * p;
    prevRecall = r;
  }
  return { recall, precision, averagePrecision: c.positives > 0 ? ap : null };
}

const share = (a: number, b: number) => (b > 0 ? a / b : null);

/** The four figures from the counts of a 2 × 2 table. */
export function figuresFromCounts(
  threshold: number,
  tp: number,
  fp: number,
  positives: number,
  negatives: number,
): OperatingPoint {
  const fn = positives - tp;
  const tn = negatives - fp;
  return {
    threshold,
    tp,
    fp,
    tn,
    fn,
    sensitivity: share(tp, positives),
    specificity: share(tn, negatives),
    ppv: share(tp, tp + fp),
    npv: share(tn, tn + fn),
  };
}

/** Figures when items scoring ≥ `threshold` are called positive. */
export function figuresAtThreshold(
  positive: ArrayLike<boolean>,
  scores: ArrayLike<number>,
  threshold: number,
): OperatingPoint {
  let tp = 0;
  let fp = 0;
  let pos = 0;
  for (let i = 0; i < scores.length; i++) {
    const called = (scores[i] ?? 0) >= threshold;
    if (positive[i]) {
      pos++;
      if (called) tp++;
    } else if (called) fp++;
  }
  return figuresFromCounts(threshold, tp, fp, pos, scores.length - pos);
}

/** The figures at every distinct threshold, highest first (what a threshold slider steps through). */
export function operatingPoints(c: ThresholdCounts): OperatingPoint[] {
  return c.thresholds.map((t, i) =>
    figuresFromCounts(t, c.tps[i] ?? 0, c.fps[i] ?? 0, c.positives, c.negatives),
  );
}
