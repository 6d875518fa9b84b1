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

/** The detection columns of a detect → crop → classify bundle's rows, after the path. */
export const BOX_COLUMNS = [
  'box_x',
  'box_y',
  'box_w',
  'box_h',
  'detection',
  'detection_confidence',
] as const;

/**
 * The header of a bundle's predictions when it detects first: path, the frame when
 * multi-frame files were given, the box (normalised x, y, width, height), its category and
 * confidence, then the columns of predictionsHeader.
 */
export function boxPredictionsHeader(
  classes: readonly string[],
  withDecision = false,
  withFrame = false,
): string {
  return csvLine([
    'path',
    ...(withFrame ? ['frame'] : []),
    ...BOX_COLUMNS,
    'label',
    'confidence',
    ...classes,
    ...(withDecision ? ['decision'] : []),
    'error',
  ]);
}

/** One line of a detecting bundle's predictions: a box, an image's 'empty' row, or an error. */
export function boxPredictionLine(
  row: ImagePrediction,
  classes: readonly string[],
  withDecision = false,
  withFrame = false,
): string {
  const box = row.box ?? [null, null, null, null];
  return csvLine([
    row.path,
    ...(withFrame ? [row.frame ?? null] : []),
    ...box,
    row.detection ?? null,
    row.detectionConfidence ?? null,
    row.label,
    row.confidence,
    ...classes.map((_, i) => row.probabilities?.[i] ?? null),
    ...(withDecision ? [row.decision ?? null] : []),
    row.error,
  ]);
}
