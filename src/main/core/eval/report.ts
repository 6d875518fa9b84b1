import type {
  BinaryEvaluation,
  ClassEvaluation,
  EvaluationReport,
  OperatingPoint,
} from '../../../shared/types';
import { bootstrapIntervals, type Statistic } from './bootstrap';
import { calibration } from './calibration';
import {
  accuracy,
  argmaxRows,
  averages,
  confusionMatrix,
  perClassFigures,
  rowNormalise,
  topKAccuracy,
} from './classification';
import {
  descendingOrder,
  figuresAtThreshold,
  figuresFromCounts,
  operatingPoints,
  precisionRecallCurve,
  rocCurve,
  thresholdCounts,
  weightedThresholdCounts,
} from './curves';

export interface FiguresInput {
  classes: string[];
  /** True class index per item. */
  yTrue: Int32Array;
  /** Row-major n × classes probabilities. */
  probs: Float32Array;
  /** Class index scored for the two-class figures. */
  positiveIndex: number;
  threshold: number;
  resamples?: number;
  seed?: number;
}

export type EvaluationFigures = Omit<EvaluationReport, 'runId' | 'excluded' | 'labels'>;

const LEVEL = 0.95;

/** Every figure of an evaluation from true labels and predicted probabilities. */
export function evaluationFigures(input: FiguresInput): EvaluationFigures {
  const { classes, yTrue, probs } = input;
  const k = classes.length;
  const n = yTrue.length;
  const resamples = input.resamples ?? 1000;
  const seed = input.seed ?? 0;
  const yPred = argmaxRows(probs, k);
  const matrix = confusionMatrix(yTrue, yPred, k);
  const per = perClassFigures(matrix);
  const avg = averages(per);
  const correct = Array.from(yTrue, (t, i) => t === yPred[i]);
  const confidence = Array.from(yPred, (p, i) => probs[i * k + p] ?? 0);

  const perClass: ClassEvaluation[] = per.map((f, c) => {
    const counts = thresholdCounts(
      Array.from(yTrue, (t) => t === c),
      column(probs, k, c),
    );
    return {
      name: classes[c] ?? String(c),
      ...f,
      auc: rocCurve(counts).auc,
      averagePrecision: precisionRecallCurve(counts).averagePrecision,
    };
  });

  const accuracyStat: Statistic = (w) => {
    let right = 0;
    for (let i = 0; i < n; i++) if (correct[i]) right += w[i] ?? 0;
    return right / n;
  };
  const macroF1Stat: Statistic = (w) => {
    const m = Array.from({ length: k }, () => new Array<number>(k).fill(0));
    for (let i = 0; i < n; i++) {
      const row = m[yTrue[i] ?? 0];
      const p = yPred[i] ?? 0;
      if (row) row[p] = (row[p] ?? 0) + (w[i] ?? 0);
    }
    return averages(perClassFigures(m)).macro.f1;
  };
  const intervals = bootstrapIntervals(
    n,
    { accuracy: accuracyStat, macroF1: macroF1Stat },
    { resamples, level: LEVEL, seed },
  );

  return {
    classes,
    count: n,
    accuracy: accuracy(yTrue, yPred),
    confusionMatrix: matrix,
    confusionMatrixNormalised: rowNormalise(matrix),
    perClass,
    macro: avg.macro,
    weighted: avg.weighted,
    topK: Array.from({ length: Math.min(5, k) }, (_, i) => ({
      k: i + 1,
      accuracy: topKAccuracy(yTrue, probs, k, i + 1),
    })),
    intervals,
    binary:
      k >= 2 && n > 0
        ? binaryFigures(yTrue, probs, classes, input.positiveIndex, input.threshold, {
            resamples,
            seed,
          })
        : null,
    calibration: calibration(confidence, correct),
    bootstrap: { resamples, level: LEVEL, seed },
  };
}

/** ROC, PR, threshold figures and their intervals for one class against the rest. */
export function binaryFigures(
  yTrue: Int32Array,
  probs: Float32Array,
  classes: string[],
  positiveIndex: number,
  threshold: number,
  options: { resamples: number; seed: number },
): BinaryEvaluation {
  const { resamples, seed } = options;
  const k = classes.length;
  const n = yTrue.length;
  const positive = Array.from(yTrue, (t) => t === positiveIndex);
  const scores = column(probs, k, positiveIndex);
  const order = descendingOrder(scores);
  const counts = weightedThresholdCounts(positive, scores, order, null);
  const roc = rocCurve(counts);
  const pr = precisionRecallCurve(counts);
  const called = Array.from(scores, (s) => s >= threshold);
  // The 2 × 2 table of a resample at the chosen threshold.
  const table = (w: Int32Array) => {
    let tp = 0;
    let fp = 0;
    let pos = 0;
    let all = 0;
    for (let i = 0; i < n; i++) {
      const wi = w[i] ?? 0;
      all += wi;
      if (positive[i]) {
        pos += wi;
        if (called[i]) tp += wi;
      } else if (called[i]) fp += wi;
    }
    return figuresFromCounts(threshold, tp, fp, pos, all - pos);
  };
  const intervals = bootstrapIntervals(
    n,
    {
      auc: (w) => rocCurve(weightedThresholdCounts(positive, scores, order, w)).auc,
      averagePrecision: (w) =>
        precisionRecallCurve(weightedThresholdCounts(positive, scores, order, w)).averagePrecision,
      sensitivity: (w) => table(w).sensitivity,
      specificity: (w) => table(w).specificity,
      ppv: (w) => table(w).ppv,
      npv: (w) => table(w).npv,
    },
    { resamples, level: LEVEL, seed: seed + 1 },
  );
  const points: OperatingPoint[] = operatingPoints(counts);
  return {
    kind: k === 2 ? 'binary' : 'one-vs-rest',
    positiveClass: classes[positiveIndex] ?? String(positiveIndex),
    positives: counts.positives,
    negatives: counts.negatives,
    roc: { fpr: roc.fpr, tpr: roc.tpr },
    auc: roc.auc,
    pr: { recall: pr.recall, precision: pr.precision },
    averagePrecision: pr.averagePrecision,
    atThreshold: figuresAtThreshold(positive, scores, threshold),
    operatingPoints: points,
    intervals,
  };
}

function column(probs: Float32Array, k: number, c: number): Float64Array {
  const n = Math.floor(probs.length / k);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = probs[i * k + c] ?? 0;
  return out;
}
