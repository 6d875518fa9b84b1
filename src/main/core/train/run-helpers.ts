import crypto from 'node:crypto';
import type { RunSummary, TrainProgress } from '../../../shared/types';
import type { JobContext } from '../jobs/job-registry';
import type { TrainingSet } from './dataset';
import type { HeadHooks } from './head-trainer';
import type { RunStore } from './run-store';
import type { Split } from './split';

const SMOOTHING = 0.9;

/** The counts a run record shows: split sizes per class and what was left out. */
export function runCounts(
  set: TrainingSet,
  split: Split,
  excludedNoEmbedding: number,
): RunSummary['counts'] {
  return {
    train: split.train.length,
    validation: split.validation.length,
    perClass: set.classes.map((c, i) => ({
      name: c.name,
      train: split.perClass[i]?.[0] ?? 0,
      validation: split.perClass[i]?.[1] ?? 0,
    })),
    excludedUnlabelled: set.excludedUnlabelled,
    excludedUnreadable: set.excludedUnreadable,
    excludedNoEmbedding,
  };
}

/** A digest of what a run learns from (inputs key + image ids and labels). */
export function datasetKey(
  inputsKey: string,
  images: readonly { id: number; label: number }[],
): string {
  return crypto
    .createHash('sha256')
    .update(JSON.stringify([inputsKey, images.map((u) => [u.id, u.label])]))
    .digest('hex');
}

/**
 * Training hooks that push smoothed per-batch metrics and per-epoch metrics as
 * `train:progress`, persist each epoch with the run, and stop on cancel.
 */
export function progressHooks(
  ctx: JobContext,
  runId: number,
  runs: RunStore,
  batchesPerEpoch: number,
  onProgress: (p: TrainProgress) => void,
  epochOffset = 0,
): HeadHooks {
  let loss = NaN;
  let acc = NaN;
  return {
    shouldStop: () => ctx.signal.aborted,
    onBatch: (epoch, batch, batches, l, a) => {
      loss = Number.isNaN(loss) ? l : SMOOTHING * loss + (1 - SMOOTHING) * l;
      acc = Number.isNaN(acc) ? a : SMOOTHING * acc + (1 - SMOOTHING) * a;
      ctx.progress((epoch - 1 + epochOffset) * batches + batch);
      onProgress({ runId, epoch, batch, batches, loss, accuracy: acc, epochMetrics: null });
    },
    onEpoch: (m) => {
      runs.addEpoch(runId, m);
      onProgress({
        runId,
        epoch: m.epoch,
        batch: batchesPerEpoch,
        batches: batchesPerEpoch,
        loss,
        accuracy: acc,
        epochMetrics: m,
      });
    },
  };
}
