import type Database from 'better-sqlite3';
import type { RunSummary } from '../../../shared/types';
import { predictBoxValidation } from '../eval/box-evaluation';
import type { EmbedModel } from '../ml/embedder';
import type { HeadWeights } from '../model/head';
import type { ValidationMetrics } from './bundle-metrics';

/**
 * A box-level run's validation metrics for its model card: per box, from the crops' cached
 * embeddings (eval/box-evaluation.ts), with each box's current label.
 */
export function boxValidationMetrics(
  db: Database.Database,
  run: RunSummary,
  head: HeadWeights,
  model: EmbedModel,
): ValidationMetrics {
  const k = run.classes.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const { items } = predictBoxValidation(db, run, head, model);
  for (const it of items) {
    let predicted = 0;
    it.probs.forEach((v, c) => {
      if (v > (it.probs[predicted] ?? 0)) predicted = c;
    });
    const row = confusion[it.trueIndex];
    if (row) row[predicted] = (row[predicted] ?? 0) + 1;
  }
  const perClass = run.classes.map((name, c) => {
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
  const correct = confusion.reduce((a, r, i) => a + (r[i] ?? 0), 0);
  return {
    images: items.length,
    accuracy: items.length ? correct / items.length : null,
    perClass,
    confusion,
  };
}
