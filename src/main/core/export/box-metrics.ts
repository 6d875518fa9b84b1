import type Database from 'better-sqlite3';
import type { RunSummary } from '../../../shared/types';
import { predictBoxValidation } from '../eval/box-evaluation';
import type { EmbedModel } from '../ml/embedder';
import type { HeadWeights } from '../model/head';
import { metricsFromConfusion, type ValidationMetrics } from './confusion-metrics';

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
  return metricsFromConfusion(run.classes, confusion);
}
