/**
 * The model card's Python snippet, run as written (Pillow + numpy), gives the network about
 * the pixels the app gives it for every kind of image: colour profiles (Display P3, CMYK)
 * converted to sRGB, 16-bit grey brought to 8 bits, EXIF orientation, alpha on white.
 * The pictures are twice the input size, where Pillow and libvips cut the same centre, so what
 * is compared is the handling of each kind; at other sizes their resampling differs a little
 * more (the card says so). Without the profile and 16-bit steps the means were 5 to 127.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PreprocessingSpec } from '../../../../../src/main/core/ml/zoo-types';
import { modelCard } from '../../../../../src/main/core/export/model-card';
import { networkPixels } from '../../../../../src/main/core/library/model-input';
import { pillowPython } from '../../../../helpers/pillow-python';
import { runSummary } from '../../../../helpers/run-summary';
import { makeTmpDir } from '../../../../helpers/tmp-dir';

const python = pillowPython();
const tmp = makeTmpDir();
afterAll(() => tmp.cleanup());

function card(p: PreprocessingSpec): string {
  const summary = runSummary();
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
  const from = lines.findIndex((l) => l.startsWith('image = ImageOps.exif_transpose'));
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

/** Mean and largest absolute difference between the snippet's pixels and the app's. */
async function compare(file: string, p: PreprocessingSpec): Promise<{ mean: number; max: number }> {
  if ('skip' in python) throw new Error(python.skip);
  const script = path.join(tmp.dir, `${p.resize}.py`);
  fs.writeFileSync(script, pixelScript(card(p)));
  const theirs = execFileSync('python3', [script, file], { env: python.env, maxBuffer: 1 << 26 });
  const ours = await networkPixels(file, { inputSize: p.inputSize, resize: p.resize });
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
      const grey = new Uint16Array(672 * 448).map((_, i) => (i * 2654435761) % 65536);
      await sharp(grey, { raw: { width: 672, height: 448, channels: 1 } })
        .blur(1.5)
        .toColourspace('grey16')
        .png()
        .toFile(f('grey16.png'));
      await (await texture(448, 448, 6)).ensureAlpha(0.5).png().toFile(f('alpha.png'));
    });

    for (const name of [
      'landscape.jpg',
      'portrait.png',
      'p3.jpg',
      'cmyk.jpg',
      'rotated.jpg',
      'grey16.png',
      'alpha.png',
    ]) {
      it(`center-crop: ${name} is within about one level of the app's`, async () => {
        const d = await compare(files[name] ?? '', crop);
        expect(d.mean).toBeLessThan(1.5);
      });
    }

    it('letterbox and squash: the padding and the stretch land where the app puts them', async () => {
      for (const resize of ['letterbox', 'squash'] as const) {
        for (const name of ['landscape.jpg', 'portrait.png', 'p3.jpg']) {
          const d = await compare(files[name] ?? '', { ...crop, inputSize: [160, 240], resize });
          expect(d.mean, `${resize} ${name}`).toBeLessThan(1.5);
        }
      }
    });
  },
);
