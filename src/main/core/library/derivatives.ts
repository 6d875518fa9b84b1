import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { FailOnOptions, Metadata } from 'sharp';
import { classifyOpenError, headerProblem } from './image-formats';
import { DicomUnsupportedError } from './dicom';
import { frameSource, readFrameFile } from './frame-file-cache';
import { sharpOf, type ImageSource } from './image-source';
import {
  DEFAULT_INPUT_GEOMETRY,
  networkPixels,
  writeCachedInput,
  type InputGeometry,
} from './model-input';
import { errorMessage, MAX_IMAGE_BYTES, refusal } from './probe';

export interface DerivativeOptions {
  /** Thumbnail fits inside this square (px); default 256. */
  thumbSize?: number;
  /** Geometry of the model-input cache; default 224×224 centre crop. */
  inputGeometry?: InputGeometry;
  /** Folders the original's real path must lie in (its root); none means anywhere. */
  roots?: readonly string[];
  /** Which frame of a multi-frame file; default 0. */
  frame?: number;
  /** How many frames the file has, when more than one: its bytes and parse serve every frame. */
  frames?: number | null;
}

export type DerivativeResult =
  | { ok: true; width: number; height: number /* oriented size of the original */ }
  | { ok: false; status: 'broken' | 'unsupported'; error: string };

const THUMB_WEBP_QUALITY = 80;
// For 256 px thumbnails effort 0 is several times faster than the default 4 for a few % more bytes.
const THUMB_WEBP_EFFORT = 0;

// 'truncated' is the least strict level that rejects a cut-off JPEG ("premature end of JPEG
// image"); the default 'warning' would also reject the many camera files that only trigger
// harmless libjpeg warnings (e.g. extraneous bytes before a marker).
const FAIL_ON: FailOnOptions = 'truncated';

/**
 * Writes thumbPath (WebP, ≤ thumbSize px on the long side, EXIF orientation applied, alpha on
 * white) and inputPath: the exact network input at `inputGeometry` (library/model-input.ts),
 * lossless, so the cache gives a network the same pixels as the original. The file is read
 * once; both are decoded from that buffer with shrink-on-load, in parallel. Writes each file
 * atomically (temp file + rename), creating parent folders. Throws only when those files
 * cannot be written.
 */
export async function renderDerivatives(
  absPath: string,
  thumbPath: string,
  inputPath: string,
  opts: DerivativeOptions = {},
): Promise<DerivativeResult> {
  const thumbSize = opts.thumbSize ?? 256;
  const geometry = opts.inputGeometry ?? DEFAULT_INPUT_GEOMETRY;

  let buf: Buffer;
  try {
    const options = { roots: opts.roots, maxBytes: MAX_IMAGE_BYTES };
    buf = await readFrameFile(absPath, options, (opts.frames ?? 1) > 1);
  } catch (err) {
    return { ok: false, ...refusal(err) };
  }
  if (buf.length === 0) return { ok: false, status: 'broken', error: 'Empty file (0 bytes)' };

  let meta: Metadata;
  let source: ImageSource;
  try {
    source = await frameSource(buf, opts.frame ?? 0);
  } catch (err) {
    const status = err instanceof DicomUnsupportedError ? 'unsupported' : 'broken';
    return { ok: false, status, error: `DICOM: ${errorMessage(err)}` };
  }
  try {
    meta = await sharpOf(source, { limitInputPixels: false }).metadata();
  } catch (err) {
    return { ok: false, ...classifyOpenError(buf.subarray(0, 32), errorMessage(err)) };
  }
  const problem = headerProblem(meta);
  if (problem) return { ok: false, ...problem };

  const { width, height } = meta.autoOrient;
  const thumb = fitSize(width, height, Infinity, thumbSize);
  let decoded: [Buffer, Buffer];
  try {
    decoded = await Promise.all([
      sharpOf(source, { failOn: FAIL_ON, autoOrient: true })
        .resize(thumb.width, thumb.height, { fit: 'fill' })
        .flatten({ background: '#ffffff' })
        .toColourspace('srgb')
        .webp({ quality: THUMB_WEBP_QUALITY, effort: THUMB_WEBP_EFFORT })
        .toBuffer(),
      networkPixels(source, geometry),
    ]);
  } catch (err) {
    return { ok: false, status: 'broken', error: errorMessage(err) };
  }
  await Promise.all([
    writeCachedInput(inputPath, decoded[1], geometry),
    writeAtomic(thumbPath, decoded[0]),
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

async function writeAtomic(target: string, bytes: Buffer): Promise<void> {
  await fs.promises.mkdir(path.dirname(target), { recursive: true });
  // Same folder so the rename is atomic; random so concurrent renders of one image cannot clash.
  const tmp = `${target}.${crypto.randomBytes(6).toString('hex')}.tmp`;
  try {
    await fs.promises.writeFile(tmp, bytes);
    await fs.promises.rename(tmp, target);
  } catch (err) {
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
}
