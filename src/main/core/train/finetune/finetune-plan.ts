import * as tf from '@tensorflow/tfjs-core';
import { model as functionalModel, type SymbolicTensor } from '@tensorflow/tfjs-layers';
import type { TrainConfig, TrainPlan } from '../../../../shared/types';
import { collectTrainingSet } from '../dataset';
import { loadBase, type FinetuneDeps, type Loaded } from './finetune-run';
import { ACTIVATION_BUDGET_BYTES, buildFullNet } from './full-net';
import { buildTopNet, type CutPlan } from './top-net';

/** The training set's size and the notes gathered so far, for the plan. */
interface PlanSizes {
  images: number;
  trainImages: number;
  steps: number;
  notes: string[];
}

/** Seconds one call takes, after a first call that warms the backend up. */
function timed(f: () => tf.Tensor | tf.Tensor[]): number {
  tf.dispose(f());
  const started = performance.now();
  tf.dispose(f());
  return (performance.now() - started) / 1000;
}

/**
 * What a fine-tune run would train and roughly how long it takes: the cut, each layer
 * above it (training or why not), the cache size, and a duration from one timed step.
 */
export async function planFinetune(config: TrainConfig, deps: FinetuneDeps): Promise<TrainPlan> {
  let images = 0;
  const notes: string[] = [];
  try {
    images = collectTrainingSet(deps.db, config.groupBy).images.length;
  } catch (err) {
    notes.push(err instanceof Error ? err.message : String(err));
  }
  const loaded = await loadBase(config, deps);
  try {
    const trainImages = Math.round(images * (1 - config.validationFraction));
    const steps = config.epochs * Math.ceil(trainImages / config.batchSize);
    const sizes = { images, trainImages, steps, notes };
    return loaded.cut
      ? planCached(config, deps, loaded, loaded.cut, sizes)
      : planFull(config, deps, loaded, sizes);
  } finally {
    loaded.base.dispose();
  }
}

/** The plan of the cached path: activations at the cut are cached, the top trains on them. */
function planCached(
  config: TrainConfig,
  deps: FinetuneDeps,
  loaded: Loaded,
  cut: CutPlan,
  { images, trainImages, steps, notes }: PlanSizes,
): TrainPlan {
  const [h, w] = deps.model.preprocessing.inputSize;
  const cutModel = functionalModel({
    inputs: loaded.base.inputs,
    outputs: loaded.base.getLayer(cut.cutLayer).output as SymbolicTensor,
  });
  const perImage = timed(() =>
    tf.tidy(() => cutModel.predict(tf.zeros([1, h, w, 3])) as tf.Tensor),
  );
  const top = buildTopNet(loaded.base, cut, loaded.featureLayer);
  const n = Math.min(config.batchSize, 32);
  const perStep =
    timed(() =>
      tf.tidy(() => {
        const x = tf.zeros([n, ...cut.cutShape]) as unknown as tf.Tensor4D;
        const { value, grads } = tf.variableGrads(
          () => tf.sum(top.forward(x)) as tf.Scalar,
          top.variables,
        );
        return [value, ...Object.values(grads)];
      }),
    ) *
    (config.batchSize / n);
  top.dispose();
  const views = images + trainImages * (config.viewsPerImage - 1);
  const size = cut.cutShape.reduce((a, b) => a * b, 1);
  if (cut.trainable.length < config.unfreezeLayers) {
    notes.push(
      `${config.unfreezeLayers - cut.trainable.length} of the ${config.unfreezeLayers} layers asked for cannot train on ${loaded.backend}${cut.limitedBy ? ` (${cut.limitedBy}; nothing below it learns)` : ''}`,
    );
  }
  notes.push('Activations already cached (same model, cut and augmentation) are reused.');
  return {
    mode: 'finetune',
    path: 'cached',
    backend: loaded.backend,
    cutLayer: cut.cutLayer,
    cutShape: cut.cutShape,
    layers: cut.top
      .filter((l) => l.reason !== null || l.trains)
      .map((l) => ({ name: l.name, kind: l.kind, trains: l.trains, reason: l.reason }))
      .reverse(),
    cacheBytes: views * (68 + size * 2),
    images,
    estimatedSeconds: views * perImage + steps * perStep,
    notes,
  };
}

/** The plan of the full path: the whole network runs forward and back for every batch. */
function planFull(
  config: TrainConfig,
  deps: FinetuneDeps,
  loaded: Loaded,
  { images, trainImages, steps, notes }: PlanSizes,
): TrainPlan {
  const [h, w] = deps.model.preprocessing.inputSize;
  const full = buildFullNet(loaded.base, loaded.featureLayer, config.unfreezeLayers);
  // Timed on one micro-batch, as training runs: one image at a time cost about five times
  // as much per image, and the estimate said 35 minutes for a 7-minute run.
  const micro = Math.max(1, full.microBatch);
  const perImage =
    timed(() =>
      tf.tidy(() => {
        const x = tf.zeros([micro, h, w, 3]) as tf.Tensor4D;
        const { value, grads } = tf.variableGrads(
          () => tf.sum(full.forward(x)) as tf.Scalar,
          full.variables,
        );
        return [value, ...Object.values(grads)];
      }),
    ) / micro;
  notes.push(
    `Batches run as micro-batches of ${full.microBatch} images, keeping the activations held for the backward pass under ${ACTIVATION_BUDGET_BYTES / 2 ** 30} GiB; cancelling stops within a batch.`,
  );
  if (config.warmupEpochs > 0) {
    notes.push("The head first warms up on the frozen network's features (one pass).");
  }
  return {
    mode: 'finetune',
    path: 'full',
    backend: loaded.backend,
    cutLayer: null,
    cutShape: null,
    layers: [...full.trainable].reverse().map((name) => ({
      name,
      kind: loaded.base.getLayer(name).getClassName(),
      trains: true,
      reason: null,
    })),
    cacheBytes: 0,
    images,
    // Training steps, plus forward passes alone (about a third of a step's cost per image):
    // the warm-up's features of every image and each epoch's validation.
    estimatedSeconds:
      steps * config.batchSize * perImage +
      ((images + config.epochs * (images - trainImages)) * perImage) / 3,
    notes,
  };
}
