import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import sharp, {
  type Channels,
  type FailOnOptions,
  type Metadata,
  type OutputInfo,
  type Sharp,
} from 'sharp';
import { classifyOpenError, headerProblem } from './image-formats';
import { readFileSafe } from '../util/safe-fs';
import { errorMessage, MAX_IMAGE_BYTES, refusal } from './probe';

export interface DerivativeOptions {
  /** Thumbnail fits inside this square (px); default 256. */
  thumbSize?: number;
  /** Short side of the model-input cache (px); default 320. */
  inputShortSide?: number;
  /** Cap on the long side of the model-input cache (px); default 1280. */
  inputMaxLongSide?: number;
  /** Folders the original's real path must lie in (its root); none means anywhere. */
  roots?: readonly string[];
}

export type DerivativeResult =
  | { ok: true; width: number; height: number /* oriented size of the original */ }
  | { ok: false; status: 'broken' | 'unsupported'; error: string };

/** JPEG quality of the model-input cache: high enough that re-encoding does not shift accuracy. */
const INPUT_JPEG_QUALITY = 92;
const THUMB_WEBP_QUALITY = 80;
// For 256 px thumbnails effort 0 is several times faster than the default 4 for a few % more bytes.
const THUMB_WEBP_EFFORT = 0;

// 'truncated' is the least strict level that rejects a cut-off JPEG ("premature end of JPEG
// image"); the default 'warning' would also reject the many camera files that only trigger
// harmless libjpeg warnings (e.g. extraneous bytes before a marker).
const FAIL_ON: FailOnOptions = 'truncated';

/** Decodes once (shrink-on-load), applies EXIF orientation, flattens alpha on white, writes thumbPath (WebP, ≤ thumbSize px on the long side) and inputPath (JPEG q92, short side = inputShortSide unless the image is smaller — never enlarge — long side capped). Writes each file atomically (temp file + rename), creating parent folders. Throws only when those files cannot be written. */
export async function renderDerivatives(
  absPath: string,
  thumbPath: string,
  inputPath: string,
  opts: DerivativeOptions = {},
): Promise<DerivativeResult> {
  const thumbSize = opts.thumbSize ?? 256;
  const inputShortSide = opts.inputShortSide ?? 320;
  const inputMaxLongSide = opts.inputMaxLongSide ?? 1280;

  let buf: Buffer;
  try {
    buf = await readFileSafe(absPath, { roots: opts.roots, maxBytes: MAX_IMAGE_BYTES });
  } catch (err) {
    return { ok: false, ...refusal(err) };
  }
  if (buf.length === 0) return { ok: false, status: 'broken', error: 'Empty file (0 bytes)' };

  let meta: Metadata;
  try {
    meta = await sharp(buf, { limitInputPixels: false }).metadata();
  } catch (err) {
    return { ok: false, ...classifyOpenError(buf.subarray(0, 32), errorMessage(err)) };
  }
  const problem = headerProblem(meta);
  if (problem) return { ok: false, ...problem };

  const { width, height } = meta.autoOrient;
  const input = fitSize(width, height, inputShortSide, inputMaxLongSide);
  const thumb = fitSize(width, height, Infinity, thumbSize);
  // Decode once, straight to the larger of the two targets: sharp picks JPEG/WebP
  // shrink-on-load from it, and the other target is resized from these few pixels.
  const base = input.width >= thumb.width ? input : thumb;

  let pixels: { data: Buffer; info: OutputInfo };
  try {
    pixels = await sharp(buf, { failOn: FAIL_ON, autoOrient: true })
      .resize(base.width, base.height, { fit: 'fill' })
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (err) {
    return { ok: false, status: 'broken', error: errorMessage(err) };
  }

  const raw = {
    width: pixels.info.width,
    height: pixels.info.height,
    channels: pixels.info.channels as Channels,
  };
  const fromBase = (size: Size): Sharp => {
    const img = sharp(pixels.data, { raw });
    return size.width === raw.width && size.height === raw.height
      ? img
      : img.resize(size.width, size.height, { fit: 'fill' });
  };
  await Promise.all([
    writeAtomic(inputPath, fromBase(input).jpeg({ quality: INPUT_JPEG_QUALITY })),
    writeAtomic(
      thumbPath,
      fromBase(thumb).webp({ quality: THUMB_WEBP_QUALITY, effort: THUMB_WEBP_EFFORT }),
    ),
  ]);
  return { ok: true, width, height };
}

interface Size {
  width: number;
  height: number;
}

/**
 * The size with short side `shortSide` and long side at most `maxLong`, keeping the aspect
 * ratio and never enlarging.
 */
export function fitSize(width: number, height: number, shortSide: number, maxLong: number): Size {
  const scale = Math.min(1, shortSide / Math.min(width, height), maxLong / Math.max(width, height));
  return {
    width: Math.max(1, Math.round(width * scale)),
    height: Math.max(1, Math.round(height * scale)),
  };
}

async function writeAtomic(target: string, image: Sharp): Promise<void> {
  await fs.promises.mkdir(path.dirname(target), { recursive: true });
  // Same folder so the rename is atomic; random so concurrent renders of one image cannot clash.
  const tmp = `${target}.${crypto.randomBytes(6).toString('hex')}.tmp`;
  try {
    await image.toFile(tmp);
    await fs.promises.rename(tmp, target);
  } catch (err) {
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
}
