import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAugmentedInput, type ViewParams } from '../../../../../src/main/core/ml/augment-input';
import type { PreprocessingSpec } from '../../../../../src/main/core/ml/zoo-types';
import { augmentationKey, viewParams } from '../../../../../src/main/core/train/finetune/augment';
import type { AugmentationConfig } from '../../../../../src/shared/types';

const SPEC: PreprocessingSpec = {
  inputSize: [32, 32],
  resize: 'squash',
  normalization: { kind: 'range', min: 0, max: 1 },
};
const PLAIN: ViewParams = {
  flip: false,
  zoom: 1,
  x: 0,
  y: 0,
  degrees: 0,
  brightness: 1,
  contrast: 1,
  saturation: 1,
};
const BASE: AugmentationConfig = { flip: true, crop: 0.85, rotation: 0, colour: 0.15 };

/** Pixel (x, y) of a [32, 32, 3] input, as 0..255. */
const at = (x: Float32Array, px: number, py: number) =>
  [0, 1, 2].map((c) => Math.round((x[(py * 32 + px) * 3 + c] ?? NaN) * 255));

describe('augmented views: greys and the colour behind transparency', () => {
  let dir: string;
  let file: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocellus-aug-'));
    file = path.join(dir, 'icon.png');
    // A red square in the middle of a transparent 32 × 32 canvas.
    const square = await sharp({
      create: { width: 16, height: 16, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 1 } },
    })
      .png()
      .toBuffer();
    await sharp({
      create: { width: 32, height: 32, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } },
    })
      .composite([{ input: square, left: 8, top: 8 }])
      .png()
      .toFile(file);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('puts transparency on white unless a view names a background colour', async () => {
    const plain = await loadAugmentedInput({ original: file }, SPEC, PLAIN);
    expect(at(plain, 1, 1)).toEqual([255, 255, 255]);
    expect(at(plain, 16, 16)).toEqual([255, 0, 0]);
    const onBlue = await loadAugmentedInput({ original: file }, SPEC, {
      ...PLAIN,
      background: [0, 0, 255],
    });
    expect(at(onBlue, 1, 1)).toEqual([0, 0, 255]);
    expect(at(onBlue, 16, 16)).toEqual([255, 0, 0]);
  });

  it('turns a grey view into equal channels (luma), still three of them', async () => {
    const grey = await loadAugmentedInput({ original: file }, SPEC, { ...PLAIN, grey: true });
    expect(grey).toHaveLength(32 * 32 * 3);
    const [r, g, b] = at(grey, 16, 16);
    expect(r).toBe(g);
    expect(g).toBe(b);
    expect(r).toBeCloseTo(0.299 * 255, -1);
    expect(at(grey, 1, 1)).toEqual([255, 255, 255]);
  });

  it('draws the new settings after the old ones: views of older settings stay the same', () => {
    for (let v = 1; v < 6; v++) {
      const old = viewParams(BASE, 'abc', v, 3);
      const on = viewParams({ ...BASE, grayscale: 1, background: true }, 'abc', v, 3);
      expect(old?.grey).toBe(false);
      expect(old?.background).toBeNull();
      expect({ ...on, grey: false, background: null }).toEqual(old);
      expect(on?.grey).toBe(true);
      expect(on?.background).toHaveLength(3);
      expect(viewParams({ ...BASE, grayscale: 1, background: true }, 'abc', v, 3)).toEqual(on);
    }
    // Half the views grey at 0.5, give or take.
    const greys = Array.from(
      { length: 200 },
      (_, v) => viewParams({ ...BASE, grayscale: 0.5 }, 'h', v + 1, 1)?.grey,
    ).filter(Boolean).length;
    expect(greys).toBeGreaterThan(70);
    expect(greys).toBeLessThan(130);
  });

  it('keys caches of older settings as before, and the new settings apart', () => {
    expect(augmentationKey(BASE, 1)).toBe('flip1:crop0.85:rot0:col0.15:seed1');
    expect(augmentationKey({ ...BASE, grayscale: 0.2, background: true }, 1)).toBe(
      'flip1:crop0.85:rot0:col0.15:grey0.2:bg1:seed1',
    );
  });
});
