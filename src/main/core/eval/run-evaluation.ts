import type Database from 'better-sqlite3';
import { OcellusError } from '../../../shared/errors';
import type {
  EvaluateOptions,
  EvaluationReport,
  MisclassifiedImage,
  RunSummary,
} from '../../../shared/types';
import { readEmbedding, type EmbedModel } from '../ml/embedder';
import { withHeadProbabilities, type HeadWeights } from '../model/head';
import { evaluationFigures } from './report';
import { classNames, currentClassIndex, currentImages, runLabelState } from '../train/run-labels';
import { readRunDataset } from '../train/run-store';
import { predictBoxValidation } from './box-evaluation';

import type { PredictedImage, ValidationPredictions } from './validation-predictions';

export type { PredictedImage, ValidationPredictions };

/**
 * The run's probabilities for each image of its validation split, from the cached
 * embeddings and the run's head, with true classes from the current human labels. Images
 * gone, unreadable, unlabelled, relabelled into a class the run does not know, or without
 * an embedding are counted out, not guessed.
 */
export function predictValidation(
  db: Database.Database,
  run: RunSummary,
  head: HeadWeights | null,
  model: EmbedModel,
): ValidationPredictions {
  if (run.status !== 'done' || !head) {
    throw new OcellusError(
      'INVALID_ARGUMENT',
      `Run ${run.id} is ${run.status}: only a finished run can be evaluated`,
    );
  }
  const { split, labels } = readRunDataset(db, run.id);
  const validation = split?.validation ?? [];
  if (validation.length === 0)
    throw new OcellusError('INVALID_ARGUMENT', `Run ${run.id} has no validation images`);
  if (run.config.unit === 'box') return predictBoxValidation(db, run, head, model);
  const images = currentImages(db, validation);
  const names = classNames(db);
  const recorded = new Map(labels?.labels ?? []);
  const excluded = { missing: 0, unlabelled: 0, otherClass: 0, noEmbedding: 0 };
  const kept: { item: Omit<PredictedImage, 'probs'>; vector: Float32Array }[] = [];
  for (const id of validation) {
    const image = images.get(id);
    if (!image || !image.usable || !image.hash) {
      excluded.missing++;
      continue;
    }
    const trueIndex = currentClassIndex(image, labels, (c) => names.get(c), run.classes);
    if (trueIndex === null) {
      if (image.classIds.length === 0) excluded.unlabelled++;
      else excluded.otherClass++;
      continue;
    }
    const vector = readEmbedding(db, model, image.hash);
    if (!vector || vector.length !== head.dim) {
      excluded.noEmbedding++;
      continue;
    }
    kept.push({
      item: {
        imageId: id,
        relPath: image.relPath,
        thumbVersion: image.thumbVersion,
        trueIndex,
        runIndex: recorded.get(id) ?? null,
      },
      vector,
    });
  }
  return {
    run,
    items: withHeadProbabilities(head, kept),
    excluded,
    labels: runLabelState(db, run.id, run.classes),
  };
}

export interface ReportSettings extends EvaluateOptions {
  resamples?: number;
  seed?: number;
}

/** The full evaluation report of a run's validation predictions. */
export function evaluationReport(
  p: ValidationPredictions,
  options: ReportSettings = {},
): EvaluationReport {
  const classes = p.run.classes;
  const k = classes.length;
  if (p.items.length === 0) {
    throw new OcellusError(
      'INVALID_ARGUMENT',
      `No validation image of run ${p.run.id} can be evaluated (all gone, unlabelled or relabelled)`,
    );
  }
  let positiveIndex = k === 2 ? 1 : 0;
  if (options.positiveClass !== undefined) {
    positiveIndex = classes.indexOf(options.positiveClass);
    if (positiveIndex < 0)
      throw new OcellusError(
        'INVALID_ARGUMENT',
        `Run ${p.run.id} has no class "${options.positiveClass}" (classes: ${classes.join(', ')})`,
      );
  }
  const threshold = options.threshold ?? 0.5;
  if (!Number.isFinite(threshold) || threshold < 0 || threshold > 1)
    throw new OcellusError('INVALID_ARGUMENT', 'The threshold must be between 0 and 1');
  const probs = new Float32Array(p.items.length * k);
  p.items.forEach((it, i) => probs.set(it.probs, i * k));
  const figures = evaluationFigures({
    classes,
    yTrue: Int32Array.from(p.items, (it) => it.trueIndex),
    probs,
    positiveIndex,
    threshold,
    resamples: options.resamples,
    seed: options.seed ?? p.run.config.seed,
  });
  return { runId: p.run.id, ...figures, excluded: p.excluded, labels: p.labels };
}

/**
 * Validation images the run got wrong, most confident first: wrong against the current
 * label, or against the label it had at training time (so an image fixed here stays listed,
 * marked relabelled).
 */
export function misclassifiedImages(p: ValidationPredictions): MisclassifiedImage[] {
  const classes = p.run.classes;
  const out: MisclassifiedImage[] = [];
  for (const it of p.items) {
    let predicted = 0;
    it.probs.forEach((v, c) => {
      if (v > (it.probs[predicted] ?? 0)) predicted = c;
    });
    const wrongNow = predicted !== it.trueIndex;
    const wrongThen = it.runIndex !== null && predicted !== it.runIndex;
    if (!wrongNow && !wrongThen) continue;
    out.push({
      imageId: it.imageId,
      ...(it.boxId === undefined ? {} : { boxId: it.boxId }),
      relPath: it.relPath,
      thumbVersion: it.thumbVersion,
      trueClass: classes[it.trueIndex] ?? '',
      predictedClass: classes[predicted] ?? '',
      confidence: it.probs[predicted] ?? 0,
      trueProbability: it.probs[it.trueIndex] ?? 0,
      runClass: it.runIndex === null ? null : (classes[it.runIndex] ?? null),
      relabelled: it.runIndex !== null && it.runIndex !== it.trueIndex,
    });
  }
  return out.sort((a, b) => b.confidence - a.confidence || a.imageId - b.imageId);
}
