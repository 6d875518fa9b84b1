import type { EvaluationReport, MisclassifiedImage } from '../../../shared/types';
import { downloadCsv } from './download';

/** The confusion matrix (counts or row-normalised) as CSV. */
export function exportMatrix(r: EvaluationReport, normalised: boolean): void {
  const m = normalised ? r.confusionMatrixNormalised : r.confusionMatrix;
  downloadCsv(
    `run-${r.runId}-confusion${normalised ? '-normalised' : ''}.csv`,
    ['true \\ predicted', ...r.classes],
    m.map((row, i) => [r.classes[i] ?? '', ...row]),
  );
}

/** The per-class table with its averages as CSV. */
export function exportPerClass(r: EvaluationReport): void {
  downloadCsv(
    `run-${r.runId}-per-class.csv`,
    ['class', 'precision', 'recall', 'f1', 'support', 'auc', 'average_precision'],
    [
      ...r.perClass.map((c) => [
        c.name,
        c.precision,
        c.recall,
        c.f1,
        c.support,
        c.auc,
        c.averagePrecision,
      ]),
      ['macro avg', r.macro.precision, r.macro.recall, r.macro.f1, r.count, null, null],
      ['weighted avg', r.weighted.precision, r.weighted.recall, r.weighted.f1, r.count, null, null],
    ],
  );
}

/** The headline figures with their intervals as CSV. */
export function exportHeadline(r: EvaluationReport): void {
  const rows: (string | number | null)[][] = [
    [
      'accuracy',
      r.accuracy,
      r.intervals.accuracy?.lower ?? null,
      r.intervals.accuracy?.upper ?? null,
    ],
    [
      'macro_f1',
      r.macro.f1,
      r.intervals.macroF1?.lower ?? null,
      r.intervals.macroF1?.upper ?? null,
    ],
    ['ece', r.calibration.ece, null, null],
    ...r.topK.map((t) => [`top_${t.k}_accuracy`, t.accuracy, null, null]),
  ];
  const b = r.binary;
  if (b) {
    rows.push(['roc_auc', b.auc, b.intervals.auc?.lower ?? null, b.intervals.auc?.upper ?? null]);
    rows.push([
      'average_precision',
      b.averagePrecision,
      b.intervals.averagePrecision?.lower ?? null,
      b.intervals.averagePrecision?.upper ?? null,
    ]);
    for (const k of ['sensitivity', 'specificity', 'ppv', 'npv'] as const)
      rows.push([
        `${k}@${b.atThreshold.threshold}`,
        b.atThreshold[k],
        b.intervals[k]?.lower ?? null,
        b.intervals[k]?.upper ?? null,
      ]);
  }
  downloadCsv(`run-${r.runId}-figures.csv`, ['figure', 'value', 'ci95_lower', 'ci95_upper'], rows);
}

/** Every operating point of the two-class figures as CSV. */
export function exportThresholds(r: EvaluationReport): void {
  const b = r.binary;
  if (!b) return;
  downloadCsv(
    `run-${r.runId}-thresholds-${b.positiveClass}.csv`,
    ['threshold', 'tp', 'fp', 'tn', 'fn', 'sensitivity', 'specificity', 'ppv', 'npv'],
    b.operatingPoints.map((p) => [
      p.threshold,
      p.tp,
      p.fp,
      p.tn,
      p.fn,
      p.sensitivity,
      p.specificity,
      p.ppv,
      p.npv,
    ]),
  );
}

/** The reliability bins as CSV. */
export function exportCalibration(r: EvaluationReport): void {
  downloadCsv(
    `run-${r.runId}-calibration.csv`,
    ['lower', 'upper', 'count', 'mean_confidence', 'accuracy'],
    r.calibration.bins.map((b) => [b.lower, b.upper, b.count, b.confidence, b.accuracy]),
  );
}

/** The misclassified images as CSV. */
export function exportMistakes(r: EvaluationReport, mistakes: MisclassifiedImage[]): void {
  downloadCsv(
    `run-${r.runId}-misclassified.csv`,
    ['image_id', 'path', 'true_class', 'predicted_class', 'confidence', 'run_class', 'relabelled'],
    mistakes.map((m) => [
      m.imageId,
      m.relPath,
      m.trueClass,
      m.predictedClass,
      m.confidence,
      m.runClass,
      m.relabelled ? 1 : 0,
    ]),
  );
}
