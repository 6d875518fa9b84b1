import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { initBackend, skippedBackends } from '../../../../../src/main/core/ml/tf-runtime';
import { writeJpeg } from '../../../../helpers/image-fixtures';
import { nativeBackend } from '../../../../helpers/native-backend';
import { sharedMobileNetV2 } from '../../../../helpers/nsfw-models';
import { makeTestService, jobFinished as finished } from '../../../../helpers/service';

const native = nativeBackend();

describe('the native TensorFlow backend', () => {
  let t: ReturnType<typeof makeTestService>;
  beforeEach(() => {
    delete process.env['OCELLUS_BACKEND'];
    t = makeTestService();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('is chosen first when it loads, and runs convolution gradients', async (ctx) => {
    ctx.skip(!native.available, native.reason);
    expect(await initBackend(null)).toBe('tensorflow');
    expect(tf.getBackend()).toBe('tensorflow');
    expect(skippedBackends()).toEqual([]);
    const status = await t.service.api.ml.status();
    expect(status.backend).toBe('tensorflow');
    const g = tf.grad((x: tf.Tensor) =>
      tf.conv2d(x as tf.Tensor4D, tf.ones([3, 3, 1, 1]) as tf.Tensor4D, 1, 'same').sum(),
    );
    expect(g(tf.ones([1, 4, 4, 1])).dataSync()[5]).toBe(9);
    // Forcing another backend still works once the native one is loaded.
    expect(await initBackend('wasm')).toBe('wasm');
    expect(await initBackend('tensorflow')).toBe('tensorflow');
  });

  it('leaves embeddings on ONNX Runtime, the faster engine, and says so', async (ctx) => {
    ctx.skip(!native.available, native.reason);
    const photos = path.join(t.dir, 'photos');
    for (const [i, colour] of ['#cc2222', '#22cc22', '#2222cc'].entries()) {
      await writeJpeg(path.join(photos, `${i}.jpg`), { width: 96, height: 64, color: colour });
    }
    await t.service.api.project.create({ path: path.join(t.dir, 'p.ocellus') });
    await t.service.api.library.addRoot(photos);
    await t.service.whenIdle();
    const model = await t.service.api.ml.importModel(path.dirname(await sharedMobileNetV2()));
    const job = await t.service.api.ml.embed(model.id);
    expect((await finished(t.service, job.id)).error).toBeNull();
    const status = await t.service.api.ml.status();
    expect(status).toMatchObject({ backend: 'tensorflow', engine: 'onnx' });
    expect((await t.service.api.ml.embeddingStatus(model.id)).embedded).toBe(3);
  }, 120_000);
});
