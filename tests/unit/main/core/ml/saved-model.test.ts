import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nativeBackend } from '../../../../helpers/native-backend';
import { writeJpeg } from '../../../../helpers/image-fixtures';
import { makeTestService, jobFinished as finished } from '../../../../helpers/service';

// Written by tests/fixtures/saved-model/make_saved_model.py with the tensorflow-cpu wheel.
const FIXTURE = path.resolve('tests/fixtures/saved-model/tiny-cnn');
const native = nativeBackend();

describe('TensorFlow SavedModel import (native backend)', () => {
  let t: ReturnType<typeof makeTestService>;
  beforeEach(async () => {
    t = makeTestService();
    const photos = path.join(t.dir, 'photos');
    for (const [name, colour] of [
      ['red', { r: 200, g: 40, b: 40 }],
      ['blue', { r: 40, g: 40, b: 200 }],
    ] as const) {
      for (let i = 0; i < 8; i++) {
        const d = (i * 11) % 40;
        await writeJpeg(path.join(photos, name, `${i}.jpg`), {
          width: 80,
          height: 60,
          color: { r: colour.r - d, g: colour.g + d, b: colour.b - d },
        });
      }
    }
    await t.service.api.project.create({ path: path.join(t.dir, 'p.ocellus') });
    await t.service.api.library.addRoot(photos, { labelsFromFolders: true });
    await t.service.whenIdle();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('lists signatures and detects the feature output', async (ctx) => {
    ctx.skip(!native.available, native.reason);
    const info = await t.service.api.ml.inspectSavedModel(FIXTURE);
    expect(info?.signatures.map((s) => s.name).sort()).toEqual(['embed', 'serving_default']);
    expect(info?.signature).toBe('serving_default');
    // "features" beats the classifier's "probabilities".
    expect(info?.featureOutput).toBe('features');
    const serving = info?.signatures.find((s) => s.name === 'serving_default');
    expect(serving?.inputs).toEqual([{ name: 'image', dtype: 'float32', shape: [-1, 64, 64, 3] }]);
    expect(serving?.outputs.find((o) => o.name === 'probabilities')?.shape).toEqual([-1, 5]);
    expect(info?.note).toMatch(/native TensorFlow backend only/);
    // A TF.js folder is not a SavedModel.
    expect(await t.service.api.ml.inspectSavedModel(t.dir)).toBeNull();
  });

  it('imports with a chosen signature and declared preprocessing, embeds, and trains on it', async (ctx) => {
    ctx.skip(!native.available, native.reason);
    const model = await t.service.api.ml.importModel(FIXTURE, {
      signature: 'embed',
      preprocessing: { normalization: { kind: 'range', min: 0, max: 1 }, resize: 'squash' },
    });
    expect(model).toMatchObject({ format: 'savedmodel', inputSize: [64, 64], source: 'imported' });
    const stored = path.join(t.dir, 'appdata', 'models', model.id);
    const descriptor = JSON.parse(fs.readFileSync(path.join(stored, 'model.json'), 'utf8')) as {
      savedModel: { signature: string; output: string; featureSize: number };
      preprocessing: { resize: string };
    };
    expect(descriptor.savedModel).toMatchObject({
      signature: 'embed',
      output: 'output_0',
      featureSize: 32,
    });
    expect(descriptor.preprocessing.resize).toBe('squash');
    // The same folder again is the same model.
    expect((await t.service.api.ml.importModel(FIXTURE, { signature: 'embed' })).id).not.toBe('');

    const job = await t.service.api.ml.embed(model.id);
    expect((await finished(t.service, job.id)).error).toBeNull();
    const status = await t.service.api.ml.embeddingStatus(model.id);
    expect(status).toMatchObject({ embedded: 16, total: 16, failed: 0, dim: 32 });
    const ml = await t.service.api.ml.status();
    expect(ml.backend).toBe('tensorflow');
    expect(ml.engine).toBe('tfjs');
    expect(ml.engineNote).toMatch(/SavedModel runs on the native TensorFlow backend only/);

    const run = await t.service.api.train.start({
      baseModel: model.id,
      epochs: 30,
      validationFraction: 0.25,
      groupBy: 'none',
      seed: 3,
    });
    await finished(t.service, run.jobId);
    const done = await t.service.api.train.run(run.id);
    expect(done.error).toBeNull();
    expect(done.status).toBe('done');
    // Red against blue through a random CNN: the features separate them.
    expect(done.best?.valAccuracy).toBe(1);

    await expect(
      t.service.api.train.plan({ baseModel: model.id, mode: 'finetune', groupBy: 'none' }),
    ).rejects.toThrow(/Fine-tuning needs a Layers model; .* is a TensorFlow SavedModel/);
  }, 120_000);

  it('refuses a SavedModel folder holding a link, and an output it does not have', async (ctx) => {
    ctx.skip(!native.available, native.reason);
    const copy = path.join(t.dir, 'sm');
    fs.cpSync(FIXTURE, copy, { recursive: true });
    await expect(
      t.service.api.ml.importModel(copy, { featureOutput: 'nope' }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: /has no output "nope"/ });
    fs.symlinkSync('/etc/hostname', path.join(copy, 'variables', 'extra'));
    await expect(t.service.api.ml.importModel(copy)).rejects.toMatchObject({
      code: 'UNSUPPORTED',
      message: /not a regular file/,
    });
  });
});
