import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeOriented, type CropSource } from '../../../../../src/main/core/library/crop-input';
import { loadAugmentedCropInput } from '../../../../../src/main/core/ml/augment-input';
import { loadCropInput } from '../../../../../src/main/core/ml/crop-preprocess';
import type { CropView, DecodeOriented } from '../../../../../src/main/core/ml/crop-views';
import { prepareItems, type EmbedItem } from '../../../../../src/main/core/ml/embed-engine';
import { mirror } from '../../../../../src/main/core/ml/preprocess';
import type { PreprocessingSpec } from '../../../../../src/main/core/ml/zoo-types';
import { viewParams } from '../../../../../src/main/core/train/finetune/augment';
import type { CropBox } from '../../../../../src/shared/crop';
import { dicomBytes, writeBytes } from '../../../../helpers/dicom-fixtures';
import { makeTmpDir } from '../../../../helpers/tmp-dir';

const SPEC: PreprocessingSpec = {
  inputSize: [24, 32],
  resize: 'letterbox',
  normalization: { kind: 'mean-std', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
};
const AUGMENT = { flip: true, crop: 0.7, rotation: 10, colour: 0.2 };
const BOXES: CropBox[] = [
  [0.1, 0.1, 0.2, 0.2],
  [0.7, 0.45, 0.12, 0.4],
  [0.02, 0.6, 0.5, 0.38],
];

let tmp: { dir: string; cleanup: () => void };
let rotated: string;
let plainJpeg: string;
let cine: string;
let broken: string;

/** A noisy 480×320 scene with coloured blocks, so every crop and view has its own pixels. */
async function scene(): Promise<Buffer> {
  const noise = Buffer.alloc(480 * 320 * 3);
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 7919) % 251;
  const block = (w: number, h: number, background: string) => ({
    create: { width: w, height: h, channels: 3 as const, background },
  });
  return sharp(noise, { raw: { width: 480, height: 320, channels: 3 } })
    .composite([
      { input: block(90, 60, '#ff2000'), left: 50, top: 30 },
      { input: block(60, 120, '#10e020'), left: 330, top: 150 },
    ])
    .png()
    .toBuffer();
}

beforeAll(async () => {
  tmp = makeTmpDir('ocellus-cropviews-');
  const pixels = await scene();
  plainJpeg = path.join(tmp.dir, 'plain.jpg');
  await sharp(pixels).jpeg({ quality: 90 }).toFile(plainJpeg);
  // Stored sideways with EXIF orientation 6: boxes are normalised to the oriented image.
  rotated = path.join(tmp.dir, 'rotated.jpg');
  await sharp(await sharp(pixels).rotate(-90).toBuffer())
    .jpeg({ quality: 90 })
    .withMetadata({ orientation: 6 })
    .toFile(rotated);
  // A two-frame DICOM whose frames differ: a crop must come from its own frame.
  const frame = (shift: number) => {
    const f = new Uint8Array(64 * 48 * 3);
    for (let i = 0; i < f.length; i++) f[i] = (i * 13 + shift) % 256;
    return f;
  };
  cine = writeBytes(
    path.join(tmp.dir, 'cine.dcm'),
    dicomBytes([frame(0), frame(97)], { width: 64, height: 48, channels: 3 }),
  );
  broken = path.join(tmp.dir, 'broken.jpg');
  fs.writeFileSync(broken, (await fs.promises.readFile(plainJpeg)).subarray(0, 300));
});
afterAll(() => tmp.cleanup());

/** Every box of `file` in the plain view, mirrored and in three augmented views. */
function itemsOf(file: string, frame = 0): EmbedItem[] {
  return BOXES.flatMap((box, b) => {
    const views: CropView[] = [null, 'mirror'];
    for (let v = 1; v <= 3; v++) views.push(viewParams(AUGMENT, `${file}#${b}`, v, 7));
    return views.map((view, v) => ({ key: `${file}:${frame}:${b}:${v}`, file, frame, box, view }));
  });
}

/** What the per-crop path (one decode per crop and view) feeds for an item. */
async function perCrop(it: EmbedItem): Promise<Float32Array> {
  const source: CropSource = it.frame ? { original: it.file, frame: it.frame } : it.file;
  const box = it.box as CropBox;
  if (it.view === 'mirror') return mirror(await loadCropInput(source, box, SPEC), SPEC);
  return loadAugmentedCropInput(source, box, SPEC, it.view ?? null);
}

/** The decoder, counting its calls per file (and frame). */
function countingDecode(): { decode: DecodeOriented; counts: Map<string, number> } {
  const counts = new Map<string, number>();
  const decode: DecodeOriented = (source) => {
    const key =
      typeof source === 'string'
        ? source
        : 'original' in source
          ? `${source.original}@${source.frame ?? 0}`
          : 'bytes';
    counts.set(key, (counts.get(key) ?? 0) + 1);
    return decodeOriented(source);
  };
  return { decode, counts };
}

function bytesOf(x: Float32Array | null | undefined): Buffer {
  if (!x) throw new Error('no input');
  return Buffer.from(x.buffer, x.byteOffset, x.byteLength);
}

describe('crops grouped by image', () => {
  it('feeds bitwise what the per-crop path feeds, decoding each image once', async () => {
    const items = [...itemsOf(rotated), ...itemsOf(plainJpeg)];
    // Interleaved, as a batch of crops from a database query might come.
    items.sort((a, b) => a.key.split(':')[2]!.localeCompare(b.key.split(':')[2]!));
    const { decode, counts } = countingDecode();
    const batch = await prepareItems(items, SPEC, decode);
    expect(batch.errors.every((e) => e === null)).toBe(true);
    expect(Object.fromEntries(counts)).toEqual({ [rotated]: 1, [plainJpeg]: 1 });
    for (const [i, it] of items.entries()) {
      const expected = bytesOf(await perCrop(it));
      expect(bytesOf(batch.pixels[i]).equals(expected), it.key).toBe(true);
    }
    // The views differ from one another: the comparison above is not of one repeated input.
    const distinct = new Set(batch.pixels.map((p) => bytesOf(p).toString('base64')));
    expect(distinct.size).toBe(items.length);
  });

  it('cuts a multi-frame file’s crops from their own frame, one decode per frame', async () => {
    const items = [...itemsOf(cine, 0), ...itemsOf(cine, 1)];
    const { decode, counts } = countingDecode();
    const batch = await prepareItems(items, SPEC, decode);
    expect(Object.fromEntries(counts)).toEqual({ [cine]: 1, [`${cine}@1`]: 1 });
    for (const [i, it] of items.entries()) {
      expect(bytesOf(batch.pixels[i]).equals(bytesOf(await perCrop(it))), it.key).toBe(true);
    }
    expect(bytesOf(batch.pixels[0]).equals(bytesOf(batch.pixels[BOXES.length * 5]))).toBe(false);
  });

  it('decodes at most two images of a batch at a time', async () => {
    const items = [rotated, plainJpeg, cine, broken].flatMap((f) => itemsOf(f));
    let active = 0;
    let most = 0;
    const decode: DecodeOriented = async (source) => {
      most = Math.max(most, ++active);
      try {
        return await decodeOriented(source);
      } finally {
        active--;
      }
    };
    const batch = await prepareItems(items, SPEC, decode);
    expect(most).toBeLessThanOrEqual(2);
    expect(batch.pixels.filter((p) => p !== null)).toHaveLength(3 * BOXES.length * 5);
  });

  it('fails every crop of an unreadable image with its reason, and only those', async () => {
    const items = [...itemsOf(broken), ...itemsOf(plainJpeg)];
    const { decode, counts } = countingDecode();
    const batch = await prepareItems(items, SPEC, decode);
    expect(counts.get(broken)).toBe(1);
    items.forEach((it, i) => {
      if (it.file === broken) {
        expect(batch.pixels[i]).toBeNull();
        expect(batch.errors[i]).toMatch(/\w/);
      } else {
        expect(batch.pixels[i]).not.toBeNull();
      }
    });
  });
});
