import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import Database from 'better-sqlite3';
import { loadLayersModel } from '@tensorflow/tfjs-layers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TrainProgress } from '../../../../../../src/shared/types';
import { diskModelHandler } from '../../../../../../src/main/core/ml/model-io';
import { layerWeights } from '../../../../../../src/main/core/train/finetune/full-net';
import {
  loadFinetunedClassifier,
  loadFinetuneWeights,
} from '../../../../../../src/main/core/train/finetune/finetune-weights';
import { RunStore } from '../../../../../../src/main/core/train/run-store';
import { bundlePredictor } from '../../../../../../src/main/core/export/predict';
import { loadModelInput } from '../../../../../../src/main/core/ml/preprocess';
import { writeJpeg } from '../../../../../helpers/image-fixtures';
import { sharedMobileNetV2 } from '../../../../../helpers/nsfw-models';
import { makeTestService, jobFinished as finished } from '../../../../../helpers/service';

describe('fine-tuning, cached-activation path (real MobileNetV2, wasm)', () => {
  let t: ReturnType<typeof makeTestService>;
  let projectPath: string;
  beforeEach(async () => {
    process.env['OCELLUS_BACKEND'] = 'wasm';
    t = makeTestService();
    const photos = path.join(t.dir, 'photos');
    for (const [name, base] of [
      ['red', { r: 200, g: 40, b: 40 }],
      ['blue', { r: 40, g: 40, b: 200 }],
    ] as const) {
      for (let i = 0; i < 10; i++) {
        const d = (i * 13) % 50;
        await writeJpeg(path.join(photos, name, `${i}.jpg`), {
          width: 64,
          height: 64,
          color: { r: base.r - d, g: base.g + d, b: base.b - d },
        });
      }
    }
    projectPath = path.join(t.dir, 'p.ocellus');
    await t.service.api.project.create({ path: projectPath });
    await t.service.api.library.addRoot(photos, { labelsFromFolders: true });
    await t.service.whenIdle();
  });
  afterEach(async () => {
    delete process.env['OCELLUS_BACKEND'];
    await t.cleanup();
  });

  it('plans, caches activations at the cut, trains block 16 + head, and keeps the tuned layers', async () => {
    const model = await t.service.api.ml.importModel(path.dirname(await sharedMobileNetV2()));
    const config = {
      baseModel: model.id,
      mode: 'finetune' as const,
      epochs: 2,
      warmupEpochs: 1,
      batchSize: 8,
      hiddenUnits: 32,
      unfreezeLayers: 4,
      viewsPerImage: 2,
      validationFraction: 0.25,
      groupBy: 'none' as const,
      patience: 0,
      seed: 5,
    };
    const plan = await t.service.api.train.plan(config);
    expect(plan).toMatchObject({
      path: 'cached',
      backend: 'wasm',
      cutLayer: 'block_15_add',
      cutShape: [7, 7, 160],
      images: 20,
    });
    expect(plan.layers.filter((l) => l.trains).map((l) => l.name)).toEqual([
      'Conv_1',
      'block_16_project',
      'block_16_depthwise',
      'block_16_expand',
    ]);
    expect(plan.estimatedSeconds).toBeGreaterThan(0);
    expect(plan.cacheBytes).toBeGreaterThan(20 * 7 * 7 * 160 * 2);

    const progress: TrainProgress[] = [];
    t.service.bus.on('train:progress', (p) => progress.push(p));
    const run = await t.service.api.train.start(config);
    const job = await finished(t.service, run.jobId);
    const done = await t.service.api.train.run(run.id);
    expect(done.error).toBeNull();
    expect(job.state).toBe('done');
    expect(done.history).toHaveLength(2);
    for (const m of done.history) expect(m.valAccuracy).toBeGreaterThanOrEqual(0);
    expect(done.counts.validation).toBeGreaterThan(0);
    expect(progress.filter((p) => p.epochMetrics).length).toBe(2);

    const db = new Database(projectPath, { readonly: true });
    try {
      const stored = loadFinetuneWeights(db, run.id);
      const head = new RunStore(db).head(run.id);
      expect(stored?.meta).toMatchObject({
        format: 'ocellus-finetune/1',
        path: 'cached',
        cutLayer: 'block_15_add',
      });
      expect(stored?.meta.featureLayer).toMatch(/^(average_pooling2d_1|flatten_1)$/);
      expect(Object.keys(stored?.weights ?? {}).sort()).toEqual(
        ['Conv_1', 'block_16_depthwise', 'block_16_expand', 'block_16_project'].sort(),
      );
      const base = await loadLayersModel(diskModelHandler(await sharedMobileNetV2()));
      const original = layerWeights(base, [
        'Conv_1',
        'block_16_depthwise',
        'block_16_expand',
        'block_16_project',
      ]);
      base.dispose();
      // The best epoch's weights are kept: on this seeded, separable set it is the tuned one.
      expect(done.bestEpoch).toBe(2);
      for (const [layer, entry] of Object.entries(original)) {
        for (const [w, { data }] of Object.entries(entry)) {
          const after = stored?.weights[layer]?.[w]?.data ?? new Float32Array();
          expect(after.length).toBe(data.length);
          expect(after.some((v, i) => v !== data[i])).toBe(true);
        }
      }
      if (!stored || !head) throw new Error('nothing stored');
      const classifier = await loadFinetunedClassifier(await sharedMobileNetV2(), stored, head);
      try {
        // Frozen layers keep the base's weights, tuned ones carry the run's.
        const frozen = layerWeights(classifier.model, ['block_15_project', 'block_16_expand_BN']);
        const fresh = await loadLayersModel(diskModelHandler(await sharedMobileNetV2()));
        const want = layerWeights(fresh, ['block_15_project', 'block_16_expand_BN']);
        fresh.dispose();
        expect(frozen).toEqual(want);
        const probs = classifier.predict(tf.zeros([2, 224, 224, 3]) as tf.Tensor4D);
        expect(probs).toHaveLength(4);
        expect((probs[0] ?? 0) + (probs[1] ?? 0)).toBeCloseTo(1, 5);

        // Evaluation reads the tuned network's features (embedded when the run ended), so it
        // reproduces the run's own validation accuracy with no image left out.
        const report = await t.service.api.evaluate.run(run.id);
        expect(report.excluded.noEmbedding).toBe(0);
        expect(report.count).toBe(done.counts.validation);
        expect(report.accuracy).toBeCloseTo(done.best?.valAccuracy ?? NaN, 5);

        // The bundle carries the tuned layers: it predicts what the fine-tuned classifier does.
        const out = path.join(t.dir, 'bundle');
        const exported = await t.service.api.export.bundle({ runId: run.id, out });
        expect((await finished(t.service, exported.id)).error).toBeNull();
        const files = [
          path.join(t.dir, 'photos', 'red', '3.jpg'),
          path.join(t.dir, 'photos', 'blue', '4.jpg'),
        ];
        const bundle = await bundlePredictor(out);
        const got = await bundle.predict(files);
        const spec = bundle.preprocessing;
        bundle.dispose();
        const pixels = await Promise.all(files.map((f) => loadModelInput(f, spec)));
        const packed = new Float32Array(pixels.length * 224 * 224 * 3);
        pixels.forEach((p, i) => packed.set(p, i * 224 * 224 * 3));
        const expected = classifier.predict(tf.tensor4d(packed, [2, 224, 224, 3]));
        const flat = got.flatMap((r) => r.probabilities ?? []);
        expect(flat).toHaveLength(4);
        flat.forEach((p, i) => expect(Math.abs(p - (expected[i] ?? NaN))).toBeLessThan(1e-4));
      } finally {
        classifier.dispose();
      }
    } finally {
      db.close();
    }
  }, 240_000);

  it('cancels within a batch and leaves a consistent, cancelled run', async () => {
    const model = await t.service.api.ml.importModel(path.dirname(await sharedMobileNetV2()));
    let cancelled = false;
    let batchesAfter = 0;
    t.service.bus.on('train:progress', (p) => {
      if (cancelled) batchesAfter++;
      else if (p.epochMetrics === null) {
        cancelled = true;
        void t.service.api.jobs.cancel(jobId ?? '');
      }
    });
    let jobId: string | null = null;
    const run = await t.service.api.train.start({
      baseModel: model.id,
      mode: 'finetune',
      epochs: 5,
      batchSize: 4,
      viewsPerImage: 1,
      groupBy: 'none',
    });
    jobId = run.jobId;
    const job = await finished(t.service, run.jobId);
    expect(job.state).toBe('cancelled');
    expect(batchesAfter).toBeLessThanOrEqual(1);
    const after = await t.service.api.train.run(run.id);
    expect(after.status).toBe('cancelled');
    expect(after.history).toHaveLength(0);
    // A stopped run released nothing to estimate (it said "Estimated accuracy 0.0 %").
    expect(after.estimate).toBeNull();
  }, 120_000);
});
