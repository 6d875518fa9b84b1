import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrainConfig } from '../../../../../../src/shared/types';
import * as tf from '@tensorflow/tfjs-core';
import { bundlePredictor } from '../../../../../../src/main/core/export/predict';
import { loadModelInput } from '../../../../../../src/main/core/ml/preprocess';
import {
  loadFinetunedClassifier,
  loadFinetuneWeights,
} from '../../../../../../src/main/core/train/finetune/finetune-weights';
import { RunStore } from '../../../../../../src/main/core/train/run-store';
import { seededRandom } from '../../../../../../src/main/core/util/rng';
import { nativeBackend } from '../../../../../helpers/native-backend';
import { sharedMobileNetV2 } from '../../../../../helpers/nsfw-models';
import { makeTestService, jobFinished as finished } from '../../../../../helpers/service';

const native = nativeBackend();
const SIZE = 64;

/**
 * A red|blue square on noise, or blue|red: which side is which is the class. Frozen
 * MobileNetV2 features (globally pooled) tell the two apart only partly; tuning the top of the
 * network learns the arrangement.
 */
async function writeParityImages(dir: string, perClass: number): Promise<void> {
  const r = seededRandom(11);
  const red = [200, 60, 60];
  const blue = [60, 60, 200];
  for (let i = 0; i < perClass * 2; i++) {
    const y = i % 2;
    const px = Buffer.alloc(SIZE * SIZE * 3);
    for (let k = 0; k < px.length; k++) px[k] = Math.max(0, Math.min(255, 128 + (r() - 0.5) * 60));
    const x0 = Math.floor(r() * (SIZE - 16));
    const y0 = Math.floor(r() * (SIZE - 16));
    for (let a = 0; a < 16; a++) {
      for (let b = 0; b < 16; b++) {
        const colour = b < 8 === (y === 0) ? red : blue;
        for (let c = 0; c < 3; c++) px[((y0 + a) * SIZE + x0 + b) * 3 + c] = colour[c] ?? 0;
      }
    }
    await sharp(px, { raw: { width: SIZE, height: SIZE, channels: 3 } })
      .png()
      .toFile(path.join(dir, y === 0 ? 'red-left' : 'blue-left', `${i}.png`));
  }
}

describe('full-network fine-tuning on the native backend', () => {
  let t: ReturnType<typeof makeTestService>;
  let projectPath: string;
  let modelId: string;
  beforeAll(async () => {
    if (!native.available) return;
    t = makeTestService();
    const photos = path.join(t.dir, 'photos');
    for (const d of ['red-left', 'blue-left'])
      fs.mkdirSync(path.join(photos, d), { recursive: true });
    await writeParityImages(photos, 36);
    projectPath = path.join(t.dir, 'p.ocellus');
    await t.service.api.project.create({ path: projectPath });
    await t.service.api.library.addRoot(photos, { labelsFromFolders: true });
    await t.service.whenIdle();
    modelId = (await t.service.api.ml.importModel(path.dirname(await sharedMobileNetV2()))).id;
  }, 120_000);
  afterAll(async () => {
    await t?.cleanup();
  });

  const finetune = (
    over: Partial<TrainConfig> = {},
  ): Partial<TrainConfig> & { baseModel: string } => ({
    baseModel: modelId,
    mode: 'finetune',
    // The bundle is compared with the tuned classifier on each image as it is, unmirrored.
    tta: false,
    epochs: 10,
    warmupEpochs: 1,
    batchSize: 8,
    unfreezeLayers: 20,
    baseLearningRateFactor: 0.1,
    viewsPerImage: 1,
    // Mirroring would swap the classes (which side is red); crops and colour jitter do not.
    augmentation: { flip: false, crop: 0.85, rotation: 0, colour: 0.1 },
    validationFraction: 0.3,
    groupBy: 'none',
    patience: 0,
    seed: 1,
    ...over,
  });

  // About 2 minutes alone; on a machine shared with other heavy jobs it has taken 30.
  it('runs on tensorflow, not silently on wasm, and beats feature mode on the same split', async (ctx) => {
    ctx.skip(!native.available, native.reason);
    expect((await t.service.api.ml.status()).backend).toBe('tensorflow');
    const plan = await t.service.api.train.plan(finetune());
    expect(plan).toMatchObject({ path: 'full', backend: 'tensorflow', cutLayer: null });
    expect(plan.layers.filter((l) => l.trains)).toHaveLength(20);

    const features = await t.service.api.train.start({
      baseModel: modelId,
      mode: 'features',
      validationFraction: 0.3,
      groupBy: 'none',
      seed: 1,
    });
    await finished(t.service, features.jobId);
    const featureRun = await t.service.api.train.run(features.id);
    expect(featureRun.error).toBeNull();

    const started = await t.service.api.train.start(finetune());
    const job = await finished(t.service, started.jobId);
    expect(job.error ?? null).toBeNull();
    const tuned = await t.service.api.train.run(started.id);
    expect(tuned.status).toBe('done');
    expect(tuned.backend).toBe('tensorflow');
    // 'auto' does not refit fine-tuning: the released network is the one validated.
    expect(tuned.estimate?.refit).toBeNull();
    const featureAcc = featureRun.best?.valAccuracy ?? 1;
    // Released: the mean of the tuning steps' weights (weight averaging, the default); the
    // estimate is measured on them.
    expect(tuned.estimate?.notes.join(' ')).toMatch(
      /mean of every tuning step's in epochs \d+–\d+/,
    );
    const tunedAcc = tuned.estimate?.accuracy ?? 0;
    expect(featureAcc).toBeLessThan(0.9);
    expect(tunedAcc).toBeGreaterThan(featureAcc);

    const db = new Database(projectPath, { readonly: true });
    try {
      // Same images, seed and fraction: the same validation split.
      const splitOf = (id: number) =>
        (
          JSON.parse(
            (db.prepare('SELECT split FROM runs WHERE id = ?').get(id) as { split: string }).split,
          ) as { validation: number[] }
        ).validation.sort((a, b) => a - b);
      expect(splitOf(started.id)).toEqual(splitOf(features.id));
      const stored = loadFinetuneWeights(db, started.id);
      expect(stored?.meta).toMatchObject({ path: 'full', cutLayer: null });
      // Only convolution and dense kernels are kept: BatchNorm statistics never change.
      expect(Object.keys(stored?.weights ?? {})).toHaveLength(20);
      for (const name of Object.keys(stored?.weights ?? {})) expect(name).not.toMatch(/BN$/);
    } finally {
      db.close();
    }
    // Evaluation reads the tuned network's features and reproduces the run's figure.
    const report = await t.service.api.evaluate.run(started.id);
    expect(report.accuracy).toBeCloseTo(tunedAcc, 2);

    // The model bundle carries the tuned layers: it predicts what the run's classifier does.
    const out = path.join(t.dir, 'bundle');
    const exported = await t.service.api.export.bundle({ runId: started.id, out });
    expect((await finished(t.service, exported.id)).error).toBeNull();
    const files = ['red-left/0.png', 'blue-left/1.png'].map((f) => path.join(t.dir, 'photos', f));
    const bundle = await bundlePredictor(out);
    const got = (await bundle.predict(files)).flatMap((r) => r.probabilities ?? []);
    const spec = bundle.preprocessing;
    bundle.dispose();
    const db2 = new Database(projectPath, { readonly: true });
    const runHead = new RunStore(db2).head(started.id);
    const weights = loadFinetuneWeights(db2, started.id);
    db2.close();
    if (!runHead || !weights) throw new Error('the run kept no head or weights');
    const classifier = await loadFinetunedClassifier(await sharedMobileNetV2(), weights, runHead);
    const pixels = await Promise.all(files.map((f) => loadModelInput(f, spec)));
    const packed = new Float32Array(2 * 224 * 224 * 3);
    pixels.forEach((p, i) => packed.set(p, i * 224 * 224 * 3));
    const expected = classifier.predict(tf.tensor4d(packed, [2, 224, 224, 3]));
    classifier.dispose();
    expect(got).toHaveLength(4);
    got.forEach((p, i) => expect(Math.abs(p - (expected[i] ?? NaN))).toBeLessThan(1e-4));
  }, 1_800_000);

  it('refit: the released network trains again on every label for the chosen epochs', async (ctx) => {
    ctx.skip(!native.available, native.reason);
    const phases: string[] = [];
    const off = t.service.bus.on('job:updated', (j) => {
      if (j.detail && phases.at(-1) !== j.detail) phases.push(j.detail);
    });
    // Without weight averaging, so the estimate is the best epoch's own figure.
    const config = finetune({
      refit: 'always',
      epochs: 1,
      warmupEpochs: 1,
      unfreezeLayers: 4,
      weightAveraging: false,
    });
    const started = await t.service.api.train.start(config);
    const job = await finished(t.service, started.jobId);
    off();
    expect(job.error ?? null).toBeNull();
    const run = await t.service.api.train.run(started.id);
    expect(run.status).toBe('done');
    expect(run.counts.validation).toBeGreaterThan(0);
    // The tuning phase saw the training side only; the refit saw all 72 labelled images.
    expect(phases.join('\n')).toMatch(
      `Fine-tuning the top of the base on ${run.counts.train} images`,
    );
    expect(run.estimate?.epochs).toBe(1);
    expect(run.estimate?.refit).toEqual({ images: 72, epochs: 1 });
    expect(phases.join('\n')).toMatch(/Refitting on all 72 labelled images for 1 epoch$/m);
    // Released and estimate heads differ; evaluation keeps the figure of the validated one.
    const db = new Database(projectPath, { readonly: true });
    const store = new RunStore(db);
    const released = store.head(started.id);
    const estimate = store.estimateHead(started.id);
    db.close();
    expect(estimate).not.toBeNull();
    expect(Array.from(released?.w2 ?? [])).not.toEqual(Array.from(estimate?.w2 ?? []));
    expect(run.best?.valAccuracy).toBeCloseTo(run.estimate?.accuracy ?? NaN, 6);
  }, 600_000);

  it('cancelling during tuning leaves a cancelled run, no further batch', async (ctx) => {
    ctx.skip(!native.available, native.reason);
    let batches = 0;
    const run = await t.service.api.train.start(finetune({ batchSize: 32, warmupEpochs: 0 }));
    const ended = finished(t.service, run.jobId);
    const off = t.service.bus.on('train:progress', (p) => {
      if (p.runId !== run.id) return;
      if (++batches === 1) void t.service.api.jobs.cancel(run.jobId ?? '');
    });
    const final = await ended;
    off();
    expect(final.state).toBe('cancelled');
    expect(batches).toBe(1);
    expect((await t.service.api.train.run(run.id)).status).toBe('cancelled');
  }, 300_000);

  it('repeats a seeded run within 1e-3 of validation loss', async (ctx) => {
    ctx.skip(!native.available, native.reason);
    const config = finetune({ epochs: 1, warmupEpochs: 0, unfreezeLayers: 8 });
    const losses: number[][] = [];
    for (let k = 0; k < 2; k++) {
      const run = await t.service.api.train.start(config);
      await finished(t.service, run.jobId);
      const done = await t.service.api.train.run(run.id);
      expect(done.status).toBe('done');
      losses.push(done.history.map((h) => h.valLoss));
    }
    expect(losses[0]).toHaveLength(1);
    // TensorFlow's multi-threaded CPU kernels may sum in a different order from run to run,
    // so runs match closely, not bit for bit.
    losses[0]?.forEach((l, i) => expect(Math.abs(l - (losses[1]?.[i] ?? NaN))).toBeLessThan(1e-3));
  }, 300_000);
});
