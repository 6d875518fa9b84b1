import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cropModelInput,
  cropModelInputs,
  decodeOriented,
} from '../../../../../src/main/core/library/crop-input';
import type { InputGeometry } from '../../../../../src/main/core/library/model-input';
import { cropRect } from '../../../../../src/shared/crop';
import { makeTmpDir } from '../../../../helpers/tmp-dir';

let tmp: { dir: string; cleanup: () => void };
let scene: string;
let rotated: string;
const G: InputGeometry = { inputSize: [32, 32], resize: 'squash' };

/** A 400×200 grey scene with a red 80×40 block at (40, 20) and a green 40×80 block at (300, 100). */
function sceneImage() {
  const block = (w: number, h: number, background: string) => ({
    create: { width: w, height: h, channels: 3 as const, background },
  });
  return sharp({ create: { width: 400, height: 200, channels: 3, background: '#808080' } })
    .composite([
      { input: block(80, 40, '#ff0000'), left: 40, top: 20 },
      { input: block(40, 80, '#00ff00'), left: 300, top: 100 },
    ])
    .png();
}

beforeAll(async () => {
  tmp = makeTmpDir('ocellus-crop-');
  scene = path.join(tmp.dir, 'scene.png');
  await sceneImage().toFile(scene);
  // The same scene stored sideways with EXIF orientation 6 ("rotate 90° clockwise to view").
  const sideways = await sharp(await sceneImage().toBuffer())
    .rotate(-90)
    .jpeg({ quality: 100 })
    .toBuffer();
  rotated = path.join(tmp.dir, 'rotated.jpg');
  await sharp(sideways).withMetadata({ orientation: 6 }).toFile(rotated);
});
afterAll(() => tmp.cleanup());

/** The mean RGB of [h, w, 3] bytes. */
function mean(rgb: Buffer): [number, number, number] {
  const sum = [0, 0, 0];
  for (let i = 0; i < rgb.length; i++) sum[i % 3]! += rgb[i]!;
  const n = rgb.length / 3;
  return [sum[0]! / n, sum[1]! / n, sum[2]! / n];
}

describe('crop model inputs', () => {
  it('cuts the box with its margin and resizes it to the input size', async () => {
    // The red block exactly: its margin brings in 8 px of grey left and right, 4 above and below.
    const red = await cropModelInput(scene, [0.1, 0.1, 0.2, 0.2], G);
    expect(red.length).toBe(32 * 32 * 3);
    const [r, g, b] = mean(red);
    expect(r).toBeGreaterThan(200);
    expect(g).toBeLessThan(60);
    expect(b).toBeLessThan(60);
    // The margin is there: the corner pixel is grey, the centre red.
    expect([...red.subarray(0, 3)]).toEqual([128, 128, 128]);
    const centre = (16 * 32 + 16) * 3;
    expect([...red.subarray(centre, centre + 3)]).toEqual([255, 0, 0]);
  });

  it('cuts from the EXIF-oriented pixels', async () => {
    const oriented = await decodeOriented(rotated);
    expect([oriented.width, oriented.height]).toEqual([400, 200]);
    const [fromFile, fromRotated] = await Promise.all([
      cropModelInput(scene, [0.75, 0.5, 0.1, 0.4], G),
      cropModelInput(rotated, [0.75, 0.5, 0.1, 0.4], G),
    ]);
    const [r, g] = mean(fromRotated);
    expect(g).toBeGreaterThan(180);
    expect(r).toBeLessThan(80);
    // JPEG (chroma subsampling at the block's edges) costs a little; on average the crops agree.
    const diff = fromFile.reduce((s, v, i) => s + Math.abs(v - fromRotated[i]!), 0);
    expect(diff / fromFile.length).toBeLessThan(8);
  });

  it('equals a plain sharp pipeline over the shared rectangle (what any other side computes)', async () => {
    const box = [0.62, 0.33, 0.3, 0.5] as const;
    const meta = await sharp(scene).metadata();
    const rect = cropRect(box, meta.width, meta.height);
    const plain = await sharp(scene)
      .rotate()
      .extract(rect)
      .resize(32, 32, { fit: 'fill', kernel: 'cubic' })
      .removeAlpha()
      .raw()
      .toBuffer();
    expect((await cropModelInput(scene, box, G)).equals(plain)).toBe(true);
  });

  it('decodes once for several boxes, each equal to its own crop', async () => {
    const boxes = [
      [0.1, 0.1, 0.2, 0.2],
      [0.75, 0.5, 0.1, 0.4],
    ] as const;
    const many = await cropModelInputs({ original: scene, roots: [tmp.dir] }, boxes, {
      inputSize: [24, 24],
      resize: 'center-crop',
    });
    expect(many).toHaveLength(2);
    const one = await cropModelInput(scene, boxes[1], {
      inputSize: [24, 24],
      resize: 'center-crop',
    });
    expect(many[1]!.equals(one)).toBe(true);
  });

  it('refuses a file outside the roots and a box that is not one', async () => {
    await expect(
      cropModelInput(
        { original: scene, roots: [path.join(tmp.dir, 'elsewhere')] },
        [0, 0, 1, 1],
        G,
      ),
    ).rejects.toThrow();
    await expect(cropModelInput(scene, [0, 0, Number.NaN, 1], G)).rejects.toThrow(/Not a box/);
  });
});
