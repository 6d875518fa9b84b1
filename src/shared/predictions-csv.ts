import { csvLine } from './csv';
import type { ImagePrediction } from './types';

/** The header of a predictions CSV: path, label, confidence, one column per class, error. */
export function predictionsHeader(classes: readonly string[]): string {
  return csvLine(['path', 'label', 'confidence', ...classes, 'error']);
}

/** One predictions CSV line. */
export function predictionLine(row: ImagePrediction, classes: readonly string[]): string {
  return csvLine([
    row.path,
    row.label,
    row.confidence,
    ...classes.map((_, i) => row.probabilities?.[i] ?? null),
    row.error,
  ]);
}
