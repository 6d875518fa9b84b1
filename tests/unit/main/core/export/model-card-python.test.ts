/**
 * The model card's Python snippet, run as written (Pillow + numpy), gives the network about
 * the pixels the app gives it for every kind of image: colour profiles (Display P3, CMYK)
 * converted to sRGB, 16-bit grey brought to 8 bits, EXIF orientation, alpha on white.
 * Pictures twice the input size compare the handling of each kind; big JPEGs (decoded by
 * libvips at a reduced size), a small picture (enlarged) and an odd size compare the resampling,
 * which the snippet does as libvips does (export/python-resize.ts). Without the profile and
 * 16-bit steps the means were 5 to 127.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PreprocessingSpec } from '../../../../../src/main/core/ml/zoo-types';
import { modelCard } from '../../../../../src/main/core/export/model-card';
import { writeCmykProfile } from '../../../../../src/main/core/export/cmyk-profile';
import { networkPixels } from '../../../../../src/main/core/library/model-input';
import { cropModelInput } from '../../../../../src/main/core/library/crop-input';
import type { CropBox } from '../../../../../src/shared/crop';
import { pillowPython } from '../../../../helpers/pillow-python';
import { runSummary } from '../../../../helpers/run-summary';
import { makeTmpDir } from '../../../../helpers/tmp-dir';

const python = pillowPython();
const tmp = makeTmpDir();
afterAll(() => tmp.cleanup());

function card(p: PreprocessingSpec, unit: 'image' | 'box' = 'image'): string {
  const summary = runSummary(unit);
  const run = { ...summary, config: { ...summary.config, tta: false } };
  return modelCard({
    run,
    projectName: 'P',
    baseName: 'M',
    baseId: 'm',
    licence: 'MIT',
    featureLayer: 'f',
    preprocessing: p,
    metrics: { images: 2, accuracy: 1, perClass: [], confusion: [] },
    onnx: {
      file: 'model.onnx',
      input: 'input',
      output: 'probabilities',
      layout: 'NHWC',
      shape: [null, p.inputSize[0], p.inputSize[1], 3],
      opset: 13,
      maxAbsDiffFromTfjs: 1e-6,
    },
    appVersion: 'test',
    created: '2026-12-06T00:00:00.000Z',
    checklist: '',
  });
}

/**
 * The snippet's own imports (but ONNX Runtime) and its lines from opening the photo to the
 * resized image, as a script over argv[1] that prints the pixels.
 */
function pixelScript(text: string): string {
  const code = /```python\n([\s\S]*?)```/.exec(text)?.[1] ?? '';
  const lines = code.split('\n');
  const from = lines.findIndex((l) => l.startsWith('session = ')) + 1;
  const to = lines.findIndex((l) => l.startsWith('x = np.asarray'));
  expect(from).toBeGreaterThan(0);
  expect(to).toBeGreaterThan(from);
  const imports = lines
    .slice(0, lines.indexOf(''))
    .map((l) => l.replace(', onnxruntime as ort', ''));
  expect(imports.join('\n')).toMatch(/^import .*numpy as np\nfrom PIL import/);
  return [
    'import sys',
    ...imports,
    ...lines.slice(from, to).map((l) => l.replace('"photo.jpg"', 'sys.argv[1]')),
    'sys.stdout.buffer.write(np.ascontiguousarray(np.asarray(image, dtype=np.uint8)).tobytes())',
  ].join('\n');
}

/**
 * Mean and largest absolute difference between the snippet's pixels and the app's: of the
 * whole picture, or (a box run's card) of the crop of the snippet's example box.
 */
async function compare(
  file: string,
  p: PreprocessingSpec,
  unit: 'image' | 'box' = 'image',
): Promise<{ mean: number; max: number }> {
  if ('skip' in python) throw new Error(python.skip);
  const script = path.join(tmp.dir, `${p.resize}-${unit}.py`);
  const text = card(p, unit);
  fs.writeFileSync(script, pixelScript(text));
  // In the bundle's folder, as the card says to run it: the CMYK profile is a file there.
  const theirs = execFileSync('python3', [script, file], {
    env: python.env,
    cwd: tmp.dir,
    maxBuffer: 1 << 26,
  });
  const geometry = { inputSize: p.inputSize, resize: p.resize };
  const box = /^box = \(([\d., ]+)\)/m.exec(text)?.[1]?.split(', ').map(Number);
  const ours =
    unit === 'box'
      ? await cropModelInput(file, box as unknown as CropBox, geometry)
      : await networkPixels(file, geometry);
  expect(theirs.length).toBe(ours.length);
  let sum = 0;
  let max = 0;
  for (let i = 0; i < ours.length; i++) {
    const d = Math.abs((theirs[i] ?? 0) - (ours[i] ?? 0));
    sum += d;
    max = Math.max(max, d);
  }
  return { mean: sum / ours.length, max };
}

/** A photo-like picture: smoothed noise in colour (saturated: the colours P3 and sRGB differ on). */
async function texture(
  width: number,
  height: number,
  seed: number,
  saturated = false,
): Promise<Sharp> {
  const raw = Buffer.alloc(width * height * 3);
  let s = seed;
  for (let i = 0; i < raw.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    raw[i] = saturated ? (s >>> 31) * 255 : s >>> 24;
  }
  const blurred = await sharp(raw, { raw: { width, height, channels: 3 } })
    .blur(1.5)
    .png()
    .toBuffer();
  return sharp(blurred);
}

const crop: PreprocessingSpec = {
  inputSize: [224, 224],
  resize: 'center-crop',
  normalization: { kind: 'range', min: 0, max: 1 },
};
const files: Record<string, string> = {};

describe.skipIf('skip' in python)(
  "the model card's Python snippet against the app's pixels",
  () => {
    beforeAll(async () => {
      await writeCmykProfile(tmp.dir);
      const f = (name: string) => (files[name] = path.join(tmp.dir, name));
      await (await texture(672, 448, 1)).jpeg({ quality: 92 }).toFile(f('landscape.jpg'));
      await (await texture(448, 672, 2)).png().toFile(f('portrait.png'));
      // Display P3 pixels with their profile: the app converts them to sRGB.
      await (
        await texture(672, 448, 3, true)
      )
        .withIccProfile('p3')
        .jpeg({ quality: 95 })
        .toFile(f('p3.jpg'));
      await (
        await texture(672, 448, 4)
      )
        .toColourspace('cmyk')
        .withIccProfile('cmyk')
        .jpeg({ quality: 95 })
        .toFile(f('cmyk.jpg'));
      // Stored sideways with EXIF orientation 6: both sides must turn it upright first.
      await (
        await texture(672, 448, 5)
      )
        .withMetadata({ orientation: 6 })
        .jpeg()
        .toFile(f('rotated.jpg'));
      // CMYK with no profile of its own: the app converts it with libvips's CMYK profile.
      await (
        await texture(672, 448, 11)
      )
        .toColourspace('cmyk')
        .jpeg({ quality: 95 })
        .toFile(f('cmyk-bare.jpg'));
      // Small and sideways: turned upright, then enlarged.
      await (
        await texture(300, 200, 12)
      )
        .withMetadata({ orientation: 6 })
        .jpeg({ quality: 95 })
        .toFile(f('small-rotated.jpg'));
      const grey = new Uint16Array(672 * 448).map((_, i) => (i * 2654435761) % 65536);
      await sharp(grey, { raw: { width: 672, height: 448, channels: 1 } })
        .blur(1.5)
        .toColourspace('grey16')
        .png()
        .toFile(f('grey16.png'));
      await (await texture(448, 448, 6)).ensureAlpha(0.5).png().toFile(f('alpha.png'));
      // Far from the input size: big JPEGs libvips decodes at 1/4 and 1/8 size, a small picture
      // it enlarges, and an odd size.
      await (await texture(2160, 1431, 7)).jpeg({ quality: 90 }).toFile(f('big.jpg'));
      await (await texture(3000, 2100, 8)).jpeg({ quality: 90 }).toFile(f('huge.jpg'));
      await (await texture(96, 80, 9)).png().toFile(f('small.png'));
      await (await texture(301, 203, 10)).png().toFile(f('odd.png'));
    });

    for (const name of [
      'landscape.jpg',
      'portrait.png',
      'p3.jpg',
      'cmyk.jpg',
      'cmyk-bare.jpg',
      'rotated.jpg',
      'small-rotated.jpg',
      'grey16.png',
      'alpha.png',
      'big.jpg',
      'huge.jpg',
      'small.png',
      'odd.png',
    ]) {
      it(`center-crop: ${name} is within a fraction of a level of the app's`, async () => {
        const d = await compare(files[name] ?? '', crop);
        // Measured 0.003–0.28; the plain Pillow resize of before was 3.4 levels off on the small
        // picture, 10.7 on big.jpg, and Pillow's own flattening 0.5 on alpha.png.
        expect(d.mean).toBeLessThan(0.4);
      });
    }

    it("a box run's snippet: the example box's crop, cut from the full-size picture, as the app cuts it", async () => {
      for (const name of ['big.jpg', 'rotated.jpg', 'alpha.png']) {
        const d = await compare(files[name] ?? '', crop, 'box');
        expect(d.mean, name).toBeLessThan(0.4);
      }
    });

    it('every EXIF orientation, enlarged or reduced, in every fit: turned upright as the app turns it', async () => {
      for (const orientation of [2, 3, 4, 5, 6, 7, 8]) {
        for (const [w, h, seed] of [
          [301, 203, 20],
          [700, 451, 21],
        ] as const) {
          const file = path.join(tmp.dir, `o${orientation}-${w}.jpg`);
          await (
            await texture(w, h, seed + orientation)
          )
            .withMetadata({ orientation })
            .jpeg({ quality: 95 })
            .toFile(file);
          for (const resize of ['center-crop', 'letterbox', 'squash'] as const) {
            const d = await compare(file, { ...crop, inputSize: [160, 240], resize });
            // Stretched with one side enlarged and the other reduced (the small one on its
            // side), the card says a few levels; measured 4.8. Everything else 0.06–0.21.
            const mixed = resize === 'squash' && orientation >= 5 && w < 400;
            expect(d.mean, `orientation ${orientation}, ${w}×${h}, ${resize}`).toBeLessThan(
              mixed ? 6 : 0.4,
            );
          }
        }
      }
    });

    it('letterbox and squash: the padding and the stretch land where the app puts them', async () => {
      for (const resize of ['letterbox', 'squash'] as const) {
        for (const name of ['landscape.jpg', 'portrait.png', 'p3.jpg', 'big.jpg', 'small.png']) {
          const d = await compare(files[name] ?? '', { ...crop, inputSize: [160, 240], resize });
          expect(d.mean, `${resize} ${name}`).toBeLessThan(0.4);
        }
      }
    });
  },
);
