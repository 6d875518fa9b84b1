import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { loadLayersModel } from '@tensorflow/tfjs-layers';
import type { EmbedModel } from '../ml/embedder';
import { diskModelHandler, saveModel } from '../ml/model-io';
import { applyLayerWeights } from './finetune/full-net';
import { loadFinetuneWeights } from './finetune/finetune-weights';

/**
 * The network whose pooled features a run's head reads: the base model for feature-mode
 * runs; for fine-tuned runs, the base with the run's tuned layers, written once as a model
 * folder under `cacheDir/tuned/` (rebuilt from the project's run_weights when missing).
 * Embeddings, evaluation, suggestions, heat maps and bundles then treat both alike; the
 * content hash in modelSha keeps a tuned model's embeddings apart from the base's.
 */
export async function runFeatureModel(
  db: Database.Database,
  runId: number,
  base: EmbedModel,
  cacheDir: string,
): Promise<EmbedModel> {
  const stored = loadFinetuneWeights(db, runId);
  if (!stored) return base;
  const hash = crypto.createHash('sha256').update(base.modelSha);
  for (const t of stored.meta.tensors) {
    const w = stored.weights[t.layer]?.[t.weight];
    hash.update(`${t.layer}/${t.weight}:${t.shape.join('x')}`);
    if (w) hash.update(Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength));
  }
  const modelSha = hash.digest('hex');
  const dir = path.join(cacheDir, 'tuned', modelSha.slice(0, 24));
  const modelJson = path.join(dir, 'model.json');
  if (!fs.existsSync(modelJson)) {
    const model = await loadLayersModel(diskModelHandler(base.modelJson));
    try {
      applyLayerWeights(model, stored.weights);
      // Written aside and renamed, so a crash never leaves a half-written model folder.
      const tmp = `${dir}.${process.pid}.tmp`;
      fs.rmSync(tmp, { recursive: true, force: true });
      await saveModel(model, tmp);
      fs.rmSync(dir, { recursive: true, force: true });
      fs.renameSync(tmp, dir);
    } finally {
      model.dispose();
    }
  }
  return {
    id: `${base.id}~run${runId}`,
    modelJson,
    modelSha,
    featureOutput: stored.meta.featureLayer,
    preprocessing: base.preprocessing,
  };
}
