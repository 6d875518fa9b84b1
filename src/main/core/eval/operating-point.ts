import { OcellusError } from '../../../shared/errors';
import type { OperatingPointTarget, RunOperatingPoint } from '../../../shared/types';
import { evaluationReport, type ValidationPredictions } from './run-evaluation';

/**
 * The threshold that meets a target on the run's validation split, with the figures and
 * bootstrap CIs there: for a sensitivity, the highest threshold whose sensitivity reaches
 * it; for a specificity, the lowest whose specificity reaches it; or the threshold given.
 */
export function chooseOperatingPoint(
  p: ValidationPredictions,
  target: OperatingPointTarget,
): RunOperatingPoint {
  const positive = p.run.classes.indexOf(target.positiveClass);
  if (positive < 0)
    throw new OcellusError(
      'INVALID_ARGUMENT',
      `Run ${p.run.id} has no class ${target.positiveClass}`,
    );
  if (!Number.isFinite(target.value) || target.value < 0 || target.value > 1)
    throw new OcellusError('INVALID_ARGUMENT', `The target ${target.by} must be between 0 and 1`);
  const threshold = thresholdFor(p, positive, target);
  const report = evaluationReport(p, { positiveClass: target.positiveClass, threshold });
  const b = report.binary;
  if (!b) throw new OcellusError('INVALID_ARGUMENT', 'No binary figures for this class');
  const at = b.atThreshold;
  return {
    runId: p.run.id,
    positiveClass: target.positiveClass,
    threshold,
    target,
    sensitivity: at.sensitivity,
    specificity: at.specificity,
    ppv: at.ppv,
    npv: at.npv,
    intervals: {
      sensitivity: b.intervals.sensitivity,
      specificity: b.intervals.specificity,
      ppv: b.intervals.ppv,
      npv: b.intervals.npv,
    },
    count: report.count,
    setAt: new Date().toISOString(),
  };
}

// Probabilities are float32: a step this small lies between two distinct scores.
const ABOVE = 1e-7;

function thresholdFor(
  p: ValidationPredictions,
  positive: number,
  target: OperatingPointTarget,
): number {
  if (target.by === 'threshold') return target.value;
  const scores = (wantPositive: boolean): number[] =>
    p.items
      .filter((it) => (it.trueIndex === positive) === wantPositive)
      .map((it) => it.probs[positive] ?? 0);
  if (target.by === 'sensitivity') {
    const pos = scores(true).sort((a, b) => b - a);
    if (pos.length === 0)
      throw new OcellusError('INVALID_ARGUMENT', 'The validation split has no positive image');
    // The k-th highest positive score keeps at least k positives at or above the threshold.
    const k = Math.max(1, Math.ceil(target.value * pos.length - 1e-9));
    return pos[k - 1] ?? 0;
  }
  const neg = scores(false).sort((a, b) => a - b);
  if (neg.length === 0)
    throw new OcellusError('INVALID_ARGUMENT', 'The validation split has no negative image');
  const m = Math.ceil(target.value * neg.length - 1e-9);
  if (m === 0) return 0;
  return Math.min(1, (neg[m - 1] ?? 0) + ABOVE);
}
