import type Database from 'better-sqlite3';
import type { RunLabelState, RunSummary } from '../../../shared/types';
import { detectionById, labelledBoxes, type LabelledBox } from '../detect/detection-store';
import { cropEmbeddingHash, readEmbedding, type EmbedModel } from '../ml/embedder';
import { withHeadProbabilities, type HeadWeights } from '../model/head';
import { currentImages } from '../train/run-labels';
import { readRunDataset, type RunLabels } from '../train/run-store';
import type { PredictedImage, ValidationPredictions } from './validation-predictions';

/** A box's class index in the run's class list now, or why it has none. */
function boxClassIndex(
  db: Database.Database,
  id: number,
  box: LabelledBox | undefined,
  labels: RunLabels | null,
): number | 'missing' | 'unlabelled' | 'otherClass' {
  if (!box) {
    const d = detectionById(db, id);
    return !d || d.status === 'deleted' ? 'missing' : 'unlabelled';
  }
  const index = box.classId === null ? -1 : (labels?.classIds.indexOf(box.classId) ?? -1);
  return index < 0 ? 'otherClass' : index;
}

/**
 * A box run's probabilities for each box of its validation split, from the cached crop
 * embeddings and the run's head, with true classes from the boxes' current labels. Boxes
 * deleted, unlabelled, relabelled into a class the run does not know, or without a crop
 * embedding are counted out. Items carry the box's id and its image.
 */
export function predictBoxValidation(
  db: Database.Database,
  run: RunSummary,
  head: HeadWeights,
  model: EmbedModel,
): ValidationPredictions {
  const { split, labels } = readRunDataset(db, run.id);
  const validation = split?.validation ?? [];
  const boxes = new Map(labelledBoxes(db).map((b) => [b.id, b]));
  const images = currentImages(
    db,
    [...boxes.values()].map((b) => b.imageId),
  );
  const recorded = new Map(labels?.labels ?? []);
  const excluded = { missing: 0, unlabelled: 0, otherClass: 0, noEmbedding: 0 };
  const kept: { item: Omit<PredictedImage, 'probs'>; vector: Float32Array }[] = [];
  for (const id of validation) {
    const box = boxes.get(id);
    const trueIndex = boxClassIndex(db, id, box, labels);
    if (typeof trueIndex !== 'number' || !box) {
      excluded[typeof trueIndex === 'number' ? 'missing' : trueIndex]++;
      continue;
    }
    const vector = readEmbedding(db, model, cropEmbeddingHash(box.hash, box.box));
    if (!vector || vector.length !== head.dim) {
      excluded.noEmbedding++;
      continue;
    }
    const image = images.get(box.imageId);
    kept.push({
      item: {
        imageId: box.imageId,
        boxId: id,
        relPath: image?.relPath ?? box.relPath,
        thumbVersion: image?.thumbVersion ?? null,
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
    labels: boxLabelState(db, labels, new Set(validation), boxes),
  };
}

/** Which boxes of a box run have another label now than the one the run learned. */
function boxLabelState(
  db: Database.Database,
  labels: RunLabels | null,
  validation: ReadonlySet<number>,
  boxes: ReadonlyMap<number, LabelledBox>,
): RunLabelState {
  if (!labels) return { known: false, changed: 0, changedValidation: 0, stale: false };
  let changed = 0;
  let changedValidation = 0;
  for (const [id, index] of labels.labels) {
    if (boxClassIndex(db, id, boxes.get(id), labels) !== index) {
      changed++;
      if (validation.has(id)) changedValidation++;
    }
  }
  return { known: true, changed, changedValidation, stale: changed > 0 };
}
