import type Database from 'better-sqlite3';
import * as tf from '@tensorflow/tfjs-core';
import type { RunSummary } from '../../../shared/types';
import { readEmbedding, type EmbedModel } from '../ml/embedder';
import type { HeadWeights } from '../model/head';
import { headProbabilities } from './predict';
import { boxValidationMetrics } from './box-metrics';
import { metricsFromConfusion, type ValidationMetrics } from './confusion-metrics';

export type { ClassMetrics, ValidationMetrics } from './confusion-metrics';

/**
 * Precision, recall and F1 per class on the run's validation split, from the cached
 * embeddings and the run's head. Images are scored with their current human label; those
 * no longer labelled with one of the run's classes are left out.
 */
export function validationMetrics(
  db: Database.Database,
  run: RunSummary,
  head: HeadWeights,
  model: EmbedModel,
): ValidationMetrics {
  if (run.config.unit === 'box') return boxValidationMetrics(db, run, head, model);
  const row = db.prepare('SELECT split FROM runs WHERE id = ?').get(run.id) as
    { split: string | null } | undefined;
  const ids = row?.split ? (JSON.parse(row.split) as { validation: number[] }).validation : [];
  const labelOf = db.prepare(
    `SELECT i.hash, c.name FROM images i JOIN labels l ON l.image_id = i.id AND l.source = 'human'
       JOIN classes c ON c.id = l.class_id WHERE i.id = ?`,
  );
  const k = run.classes.length;
  const x: number[] = [];
  const y: number[] = [];
  for (const id of ids) {
    const labels = labelOf.all(id) as { hash: string; name: string }[];
    if (labels.length !== 1) continue;
    const cls = run.classes.indexOf(labels[0]!.name);
    const emb = cls >= 0 ? readEmbedding(db, model, labels[0]!.hash) : null;
    if (!emb || emb.length !== head.dim) continue;
    x.push(...emb);
    y.push(cls);
  }
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  if (y.length > 0) {
    const probs = tf.tidy(() =>
      headProbabilities(head, tf.tensor2d(x, [y.length, head.dim]))
        .argMax(1)
        .dataSync(),
    );
    y.forEach((t, i) => {
      const p = probs[i] ?? 0;
      confusion[t]![p]!++;
    });
  }
  return metricsFromConfusion(run.classes, confusion);
}
