import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { readFileSafe } from '../util/safe-fs';
import { MAX_IMAGE_BYTES } from './probe';
import { imageSource, sharpOf, type ImageSource } from './image-source';
import { geometryPixels, type InputGeometry } from './pixel-steps';

export type { InputGeometry } from './pixel-steps';

/** The geometry most base models use; import writes its model inputs in the same pass as thumbnails. */
export const DEFAULT_INPUT_GEOMETRY: InputGeometry = {
  inputSize: [224, 224],
  resize: 'center-crop',
};

/** A stable, file-name-safe key of a geometry, e.g. `224x224-center-crop`. */
export function geometryKey(g: InputGeometry): string {
  return `${g.inputSize[0]}x${g.inputSize[1]}-${g.resize}`;
}

/**
 * The one pixel pipeline every path shares (training, evaluation, suggestions, heat maps,
 * `ocellus predict`, the bundle's predict.mjs): decode, EXIF orientation, alpha flattened
 * on white, bicubic resize to the input size by the geometry's fit, 8-bit sRGB. Returns
 * [h, w, 3] interleaved bytes; the steps are library/pixel-steps.ts, which the bundle's
 * predict.mjs runs too. DICOM bytes are decoded first (library/image-source.ts; `frame` picks one frame of a
 * multi-frame file).
 */
export async function networkPixels(
  input: string | Buffer | ImageSource,
  g: InputGeometry,
  frame = 0,
): Promise<Buffer> {
  const bytes =
    typeof input === 'string' ? await readFileSafe(input, { maxBytes: MAX_IMAGE_BYTES }) : input;
  const source = Buffer.isBuffer(bytes) ? await imageSource(bytes, frame) : bytes;
  return geometryPixels(sharpOf(source, { failOn: 'truncated' }), g);
}

/**
 * Where the model input of some content at one geometry is cached: lossless PNG of exactly
 * what networkPixels returns, so reading the cache and reading the original give the network
 * the same pixels.
 */
export function modelInputPath(cacheDir: string, hash: string, g: InputGeometry): string {
  return path.join(cacheDir, 'inputs', geometryKey(g), hash.slice(0, 2), `${hash}.png`);
}

/** The cached network input, or null when there is none (or it is not the expected size). */
export async function readCachedInput(file: string, g: InputGeometry): Promise<Buffer | null> {
  if (!fs.existsSync(file)) return null;
  try {
    const { data, info } = await sharp(file)
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    const [h, w] = g.inputSize;
    return info.width === w && info.height === h && info.channels === 3 ? data : null;
  } catch {
    // A damaged cache file is rebuilt from the original.
    return null;
  }
}

/** Writes network pixels to the cache atomically (temp file + rename), creating folders. */
export async function writeCachedInput(file: string, rgb: Buffer, g: InputGeometry): Promise<void> {
  const [h, w] = g.inputSize;
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${crypto.randomBytes(6).toString('hex')}.tmp`;
  try {
    // Level 1: the cache is read far more often than written, and deeper levels gain little on photos.
    await sharp(rgb, { raw: { width: w, height: h, channels: 3 } })
      .png({ compressionLevel: 1 })
      .toFile(tmp);
    await fs.promises.rename(tmp, file);
  } catch (err) {
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
}

/**
 * The network pixels of an image: from the cache when it holds them, else decoded from the
 * original (and then written to the cache, when a cache path is given, for next time).
 */
export async function modelInputPixels(
  source: { original: string; frame?: number; cache?: string | null; roots?: readonly string[] },
  g: InputGeometry,
): Promise<Buffer> {
  if (source.cache) {
    const hit = await readCachedInput(source.cache, g);
    if (hit) return hit;
  }
  // Through the safe reader: a FIFO, device or oversized file is refused, never read.
  const bytes = await readFileSafe(source.original, {
    roots: source.roots,
    maxBytes: MAX_IMAGE_BYTES,
  });
  const rgb = await networkPixels(bytes, g, source.frame);
  if (source.cache) {
    // A cache that cannot be written (read-only folder, disk full) only costs a decode next time.
    await writeCachedInput(source.cache, rgb, g).catch(() => undefined);
  }
  return rgb;
}
