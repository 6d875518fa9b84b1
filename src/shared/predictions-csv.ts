import { csvLine } from './csv';
import type { ImagePrediction } from './types';

/**
 * The header of a predictions CSV: path, the frame (0-based) when multi-frame files were
 * given, label, confidence, one column per class, the decision when there is an operating
 * point, error.
 */
export function predictionsHeader(
  classes: readonly string[],
  withDecision = false,
  withFrame = false,
): string {
  return csvLine([
    'path',
    ...(withFrame ? ['frame'] : []),
    'label',
    'confidence',
    ...classes,
    ...(withDecision ? ['decision'] : []),
    'error',
  ]);
}

/** One predictions CSV line. */
export function predictionLine(
  row: ImagePrediction,
  classes: readonly string[],
  withDecision = false,
  withFrame = false,
): string {
  return csvLine([
    row.path,
    ...(withFrame ? [row.frame ?? null] : []),
    row.label,
    row.confidence,
    ...classes.map((_, i) => row.probabilities?.[i] ?? null),
    ...(withDecision ? [row.decision ?? null] : []),
    row.error,
  ]);
}
