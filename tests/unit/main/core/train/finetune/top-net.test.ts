import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs';
import {
  loadLayersModel,
  model as functionalModel,
  type SymbolicTensor,
} from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diskModelHandler } from '../../../../../../src/main/core/ml/model-io';
import { initBackend } from '../../../../../../src/main/core/ml/tf-runtime';
import { buildTopNet, planCut } from '../../../../../../src/main/core/train/finetune/top-net';
import { seededRandom } from '../../../../../../src/main/core/util/rng';
import { sharedMobileNetV2 } from '../../../../../helpers/nsfw-models';

describe('the top of MobileNetV2 rebuilt above a cut', () => {
  let base: Awaited<ReturnType<typeof loadLayersModel>>;
  beforeAll(async () => {
    await initBackend('wasm');
    base = await loadLayersModel(diskModelHandler(await sharedMobileNetV2()));
  }, 60_000);
  afterAll(() => base.dispose());

  it('cuts below block 16 for 4 layers, snapping past the residual add, and reports what trains', () => {
    const plan = planCut(base, 'flatten_1', 4, 'wasm');
    expect(plan.cutLayer).toBe('block_15_add');
    expect(plan.cutShape).toEqual([7, 7, 160]);
    expect(plan.trainable).toEqual([
      'block_16_expand',
      'block_16_depthwise',
      'block_16_project',
      'Conv_1',
    ]);
    const two = planCut(base, 'flatten_1', 2, 'wasm');
    expect(two.cutLayer).toBe('block_16_depthwise_relu');
    expect(two.trainable).toEqual(['block_16_project', 'Conv_1']);
    // Inside block 15 the cut must go below its skip connection.
    const six = planCut(base, 'flatten_1', 6, 'wasm');
    expect(six.cutLayer).toBe('block_14_add');
  });

  it('cuts just under the lowest layer the backend can train, and says which layer stops it', () => {
    // wasm has no gradient of a strided depthwise convolution: block 13's stops training.
    for (const n of [12, 24]) {
      const plan = planCut(base, 'flatten_1', n, 'wasm');
      expect(plan.cutLayer).toBe('block_13_depthwise_relu');
      expect(plan.cutShape).toEqual([7, 7, 576]);
      expect(plan.trainable).toHaveLength(11);
      expect(plan.trainable[0]).toBe('block_13_project');
      expect(plan.limitedBy).toMatch(/^block_13_depthwise: stride 2/);
    }
    expect(planCut(base, 'flatten_1', 4, 'wasm').limitedBy).toBeNull();
    // The CPU backend has that gradient: the cut goes down through block 13's padding.
    const cpu = planCut(base, 'flatten_1', 24, 'cpu');
    expect(cpu.trainable).toHaveLength(24);
    expect(cpu.top.map((l) => l.name)).toContain('block_13_pad');
    expect(cpu.limitedBy).toBeNull();
  });

  it.each([4, 24])(
    'gives the same features as the Keras graph above a %i-layer cut (BatchNorm in inference mode, zero padding)',
    (layers) => {
      const plan = planCut(base, 'flatten_1', layers, 'cpu');
      const top = buildTopNet(base, plan, 'flatten_1');
      const cut = functionalModel({
        inputs: base.inputs,
        outputs: [
          base.getLayer(plan.cutLayer).output as SymbolicTensor,
          base.getLayer('flatten_1').output as SymbolicTensor,
        ],
      });
      const r = seededRandom(3);
      const x = tf.tensor4d(
        Float32Array.from({ length: 2 * 224 * 224 * 3 }, () => r() * 2 - 1),
        [2, 224, 224, 3],
      );
      const [act, want] = cut.predict(x) as tf.Tensor[];
      const got = top.forward(act as tf.Tensor4D);
      const diff = tf.max(tf.abs(tf.sub(got, want as tf.Tensor))).dataSync()[0] ?? Infinity;
      const scale = tf.max(tf.abs(want as tf.Tensor)).dataSync()[0] ?? 0;
      expect(scale).toBeGreaterThan(0);
      expect(diff / scale).toBeLessThan(1e-4);
      tf.dispose([x, act, want, got] as tf.Tensor[]);
      top.dispose();
    },
  );
});
