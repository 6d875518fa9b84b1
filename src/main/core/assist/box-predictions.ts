import path from 'node:path';
import type { RunSummary } from '../../../shared/types';
import { ClassStore } from '../labels/class-store';
import type { JobContext } from '../jobs/job-registry';
import { labelledBoxes, writeBoxSuggestions } from '../detect/detection-store';
import {
  cropEmbeddingHash,
  mirrorModel,
  readEmbedding,
  runEmbedding,
  type CropItem,
} from '../ml/embedder';
import { predictHead, type HeadWeights } from '../model/head';
import type { PredictDeps } from './predict-deps';

/**
 * A box run's suggestions: the class and confidence of every animal box without a person's
 * class, from its crop (embedded first, mirrored too with test-time augmentation), written
 * to the box as a classifier's result (never over a person's class). The boxes with the
 * lowest confidence are the uncertainty queue (detect.uncertainBoxes).
 */
export async function runBoxPredictions(
  ctx: JobContext,
  run: RunSummary,
  head: HeadWeights,
  deps: PredictDeps,
): Promise<{ predicted: number; skipped: number }> {
  const { db } = deps;
  const boxes = labelledBoxes(db, 'to-suggest');
  const crops: CropItem[] = [];
  for (const b of boxes) {
    const root = deps.embed.rootPath(b.rootId);
    if (root === null) continue;
    const file = path.join(root, ...b.relPath.split('/'));
    crops.push({ key: cropEmbeddingHash(b.hash, b.box), file, frame: b.frame, box: b.box });
  }
  const mirrored = run.config.tta ? mirrorModel(deps.embed.model) : null;
  // The mirrored crops in the same pass: each image is decoded once for all its boxes.
  await runEmbedding(ctx, { ...deps.embed, db, crops, cropViews: mirrored ? [mirrored] : [] });
  ctx.throwIfCancelled();
  const byName = new Map(new ClassStore(db).list().map((c) => [c.name, c.id]));
  const ids: number[] = [];
  const x: number[] = [];
  const xm: number[] = [];
  for (const b of boxes) {
    const key = cropEmbeddingHash(b.hash, b.box);
    const v = readEmbedding(db, deps.embed.model, key);
    const m = mirrored ? readEmbedding(db, mirrored, key) : null;
    if (!v || v.length !== head.dim || (mirrored && (!m || m.length !== head.dim))) continue;
    ids.push(b.id);
    x.push(...v);
    if (m) xm.push(...m);
  }
  const k = head.classes;
  const plain = ids.length ? predictHead(head, Float32Array.from(x)) : new Float32Array(0);
  const flipped = mirrored && ids.length ? predictHead(head, Float32Array.from(xm)) : null;
  writeBoxSuggestions(
    db,
    ids.map((id, i) => {
      let best = 0;
      let conf = -1;
      for (let c = 0; c < k; c++) {
        const p = flipped
          ? ((plain[i * k + c] ?? 0) + (flipped[i * k + c] ?? 0)) / 2
          : (plain[i * k + c] ?? 0);
        if (p > conf) [best, conf] = [c, p];
      }
      return { id, classId: byName.get(run.classes[best] ?? '') ?? null, confidence: conf };
    }),
  );
  return { predicted: ids.length, skipped: boxes.length - ids.length };
}
