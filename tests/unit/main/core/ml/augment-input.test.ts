import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cropModelInput } from '../../../../../src/main/core/library/crop-input';
import { cropPixelsWith, orientedPixels } from '../../../../../src/main/core/library/crop-steps';
import { loadAugmentedCropInput } from '../../../../../src/main/core/ml/augment-input';
import { prepareItems } from '../../../../../src/main/core/ml/embed-engine';
import { mirror, normalise } from '../../../../../src/main/core/ml/preprocess';
import type { PreprocessingSpec } from '../../../../../src/main/core/ml/zoo-types';
import { viewParams } from '../../../../../src/main/core/train/finetune/augment';
import type { CropBox } from '../../../../../src/shared/crop';
import { makeTmpDir } from '../../../../helpers/tmp-dir';
import { MIRROR_ONLY } from '../../../../helpers/views';

const SPEC: PreprocessingSpec = {
  inputSize: [32, 32],
  resize: 'squash',
  normalization: { kind: 'range', min: -1, max: 1 },
};
/** The red block's box in the scene below (normalised). */
const RED: CropBox = [40 / 400, 20 / 200, 80 / 400, 40 / 200];

let tmp: { dir: string; cleanup: () => void };
let scene: string;

beforeAll(async () => {
  tmp = makeTmpDir('ocellus-augcrop-');
  scene = path.join(tmp.dir, 'scene.png');
  // A grey scene, a red block split by a white bar on its left (so mirroring shows) and a green block.
  const block = (w: number, h: number, background: string) => ({
    create: { width: w, height: h, channels: 3 as const, background },
  });
  await sharp({ create: { width: 400, height: 200, channels: 3, background: '#808080' } })
    .composite([
      { input: block(80, 40, '#ff0000'), left: 40, top: 20 },
      { input: block(10, 40, '#ffffff'), left: 50, top: 20 },
      { input: block(40, 80, '#00ff00'), left: 300, top: 100 },
    ])
    .png()
    .toFile(scene);
});
afterAll(() => tmp.cleanup());

function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return m;
}

function meanDiff(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs((a[i] ?? 0) - (b[i] ?? 0));
  return s / a.length;
}

/** Mean red minus mean green of an [h, w, 3] input. */
function redOverGreen(x: Float32Array): number {
  let d = 0;
  for (let i = 0; i < x.length; i += 3) d += (x[i] ?? 0) - (x[i + 1] ?? 0);
  return d / (x.length / 3);
}

describe('augmented views of a box’s crop', () => {
  it('feeds view 0 of a crop exactly as ocellus predict and the bundle cut it', async () => {
    const batch = await prepareItems([{ key: 'k', file: scene, box: RED, view: null }], SPEC);
    const embedded = batch.pixels[0];
    if (!embedded) throw new Error(batch.errors[0] ?? 'no input');
    const predicted = normalise(await cropModelInput(scene, RED, SPEC), SPEC);
    const image = await orientedPixels(sharp(fs.readFileSync(scene)));
    const bundled = normalise(await cropPixelsWith(sharp, image, RED, SPEC), SPEC);
    expect(maxDiff(embedded, predicted)).toBeLessThanOrEqual(1e-6);
    expect(maxDiff(embedded, bundled)).toBeLessThanOrEqual(1e-6);
  });

  it('augments the crop’s own pixels: a mirror-only view is the plain crop mirrored', async () => {
    const plain = await loadAugmentedCropInput(scene, RED, SPEC, null);
    const flipped = await loadAugmentedCropInput(scene, RED, SPEC, MIRROR_ONLY);
    expect(maxDiff(flipped, mirror(plain, SPEC))).toBeLessThanOrEqual(1e-6);
    // The white bar sits left in the plain crop and right in the view: the crop was flipped, not the scene.
    expect(meanDiff(flipped, plain)).toBeGreaterThan(0.1);
  });

  it('draws the same view for the same crop, view and seed, and another for another seed', async () => {
    const a = { flip: true, crop: 0.7, rotation: 10, colour: 0.2 };
    const key = 'content#box:0.1,0.1,0.2,0.2:m0.1';
    const view = (seed: number) =>
      loadAugmentedCropInput(scene, RED, SPEC, viewParams(a, key, 2, seed));
    const [first, again, other] = await Promise.all([view(3), view(3), view(4)]);
    expect(maxDiff(first, again)).toBe(0);
    expect(maxDiff(first, other)).toBeGreaterThan(0.05);
    // Still the red block (the grey scene around it has as much green as red).
    expect(redOverGreen(first)).toBeGreaterThan(0.8);
    expect(redOverGreen(other)).toBeGreaterThan(0.8);
  });
});
