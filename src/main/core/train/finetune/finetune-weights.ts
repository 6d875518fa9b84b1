import * as tf from '@tensorflow/tfjs-core';
import type Database from 'better-sqlite3';
import {
  loadLayersModel,
  model as functionalModel,
  type LayersModel,
  type SymbolicTensor,
} from '@tensorflow/tfjs-layers';
import { diskModelHandler } from '../../ml/model-io';
import { predictHead, type HeadWeights } from '../../model/head';
import { applyLayerWeights } from './full-net';
import type { TopWeights } from './top-net';

/**
 * What a fine-tuned run keeps, in table `run_weights` (one row per run):
 *
 * - `meta` (JSON, format `ocellus-finetune/1`): the base model (`baseModelId`, `modelSha` of
 *   its model.json), `featureLayer` (whose output, globally average-pooled when 4-D, feeds
 *   the head), `path` ('cached' or 'full'), `cutLayer` (cached path), and `tensors`: for
 *   each stored weight `{ layer, weight, shape, offset, length }` — `layer` is a layer name
 *   of the base, `weight` its Keras short name (kernel, bias, depthwise_kernel…), `offset`
 *   and `length` count float32 elements into `data`.
 * - `data` (BLOB): those tensors, float32 little-endian, back to back.
 *
 * The weights are plain Keras layer weights (BatchNorm was never folded into them), so
 * loading the base and `setWeights` on the listed layers gives the fine-tuned network; the
 * head is the run's `head` column (see run-store), as for feature-mode runs.
 */
export interface FinetuneMeta {
  format: 'ocellus-finetune/1';
  baseModelId: string;
  modelSha: string;
  featureLayer: string;
  path: 'cached' | 'full';
  cutLayer: string | null;
  tensors: { layer: string; weight: string; shape: number[]; offset: number; length: number }[];
}

/** Stores a run's fine-tuned layer weights (replacing any). */
export function saveFinetuneWeights(
  db: Database.Database,
  runId: number,
  meta: Omit<FinetuneMeta, 'format' | 'tensors'>,
  weights: TopWeights,
): void {
  const tensors: FinetuneMeta['tensors'] = [];
  const parts: Buffer[] = [];
  let offset = 0;
  for (const [layer, entry] of Object.entries(weights)) {
    for (const [weight, { shape, data }] of Object.entries(entry)) {
      tensors.push({ layer, weight, shape, offset, length: data.length });
      parts.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      offset += data.length;
    }
  }
  const full: FinetuneMeta = { format: 'ocellus-finetune/1', ...meta, tensors };
  db.prepare('INSERT OR REPLACE INTO run_weights (run_id, meta, data) VALUES (?, ?, ?)').run(
    runId,
    JSON.stringify(full),
    Buffer.concat(parts),
  );
}

/** A run's fine-tuned layer weights, or null for a feature-mode run. */
export function loadFinetuneWeights(
  db: Database.Database,
  runId: number,
): { meta: FinetuneMeta; weights: TopWeights } | null {
  const row = db.prepare('SELECT meta, data FROM run_weights WHERE run_id = ?').get(runId) as
    { meta: string; data: Buffer } | undefined;
  if (!row) return null;
  const meta = JSON.parse(row.meta) as FinetuneMeta;
  const all = new Float32Array(
    row.data.buffer.slice(row.data.byteOffset, row.data.byteOffset + row.data.byteLength),
  );
  const weights: TopWeights = {};
  for (const t of meta.tensors) {
    const entry = (weights[t.layer] ??= {});
    entry[t.weight] = { shape: t.shape, data: all.slice(t.offset, t.offset + t.length) };
  }
  return { meta, weights };
}

/** A fine-tuned classifier: the base with its tuned layers, cut at the feature layer, plus the head. */
export interface FinetunedClassifier {
  /** The base model with the run's weights applied (full network; cut at `featureLayer`). */
  readonly model: LayersModel;
  readonly featureLayer: string;
  /** [n, h, w, 3] normalised images → [n × classes] probabilities. */
  predict(images: tf.Tensor4D): Float32Array;
  dispose(): void;
}

/** Loads the base from `modelJson`, applies a run's tuned weights, and joins its head. */
export async function loadFinetunedClassifier(
  modelJson: string,
  stored: { meta: FinetuneMeta; weights: TopWeights },
  head: HeadWeights,
): Promise<FinetunedClassifier> {
  const base = await loadLayersModel(diskModelHandler(modelJson));
  applyLayerWeights(base, stored.weights);
  const layer = base.getLayer(stored.meta.featureLayer);
  const cut = functionalModel({ inputs: base.inputs, outputs: layer.output as SymbolicTensor });
  return {
    model: base,
    featureLayer: stored.meta.featureLayer,
    predict: (images) => {
      const features = tf.tidy(() => {
        const out = cut.predict(images) as tf.Tensor;
        const pooled = out.rank === 4 ? tf.mean(out, [1, 2]) : out;
        return tf.reshape(pooled, [images.shape[0], -1]).dataSync() as Float32Array;
      });
      return predictHead(head, features);
    },
    dispose: () => base.dispose(),
  };
}
