/** Validation metrics of a model card, from a confusion matrix (image and box runs alike). */

export interface ClassMetrics {
  class: string;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  /** Validation images (or boxes) of this class. */
  support: number;
}

export interface ValidationMetrics {
  images: number;
  accuracy: number | null;
  perClass: ClassMetrics[];
  /** confusion[true][predicted], in the run's class order. */
  confusion: number[][];
}

/** Accuracy and per-class precision, recall and F1 of confusion[true][predicted]. */
export function metricsFromConfusion(classes: string[], confusion: number[][]): ValidationMetrics {
  const perClass = classes.map((name, c) => {
    const tp = confusion[c]?.[c] ?? 0;
    const support = (confusion[c] ?? []).reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((a, r) => a + (r[c] ?? 0), 0);
    const precision = predicted > 0 ? tp / predicted : null;
    const recall = support > 0 ? tp / support : null;
    const f1 =
      precision !== null && recall !== null && precision + recall > 0
        ? (2 * precision * recall) / (precision + recall)
        : null;
    return { class: name, precision, recall, f1, support };
  });
  const images = confusion.reduce((a, r) => a + r.reduce((s, v) => s + v, 0), 0);
  const correct = confusion.reduce((a, r, i) => a + (r[i] ?? 0), 0);
  return { images, accuracy: images ? correct / images : null, perClass, confusion };
}
