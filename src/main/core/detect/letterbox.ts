import sharp, { type Sharp } from 'sharp';
import type { LetterboxGeometry } from './box-math';

/** An image letterboxed to a detector's input: [h, w, 3] RGB bytes and where the image sits. */
export interface Letterboxed {
  rgb: Buffer;
  geometry: LetterboxGeometry;
}

/**
 * What sharp opens for a detector: encoded bytes, a path, or pixels decoded by Ocellus (a
 * DICOM frame as library/image-source.ts gives it, whose shape this matches).
 */
export type DetectorSource =
  Buffer | string | { input: Buffer; raw?: { width: number; height: number; channels: 4 } };

/** YOLO's padding grey: what MegaDetector and most YOLO exports were trained with. */
export const PAD_GREY = 114;

/**
 * Letterboxes an image (encoded bytes, a path or decoded pixels) to [h, w]: EXIF orientation, alpha on white, the same cubic
 * resize as model inputs, keeping the aspect ratio, centred on grey. The padding is placed
 * here rather than by sharp so the offsets used to map boxes back are exactly the ones used.
 */
export function letterbox(source: DetectorSource, size: [number, number]): Promise<Letterboxed> {
  return letterboxWith(sharp, source, size);
}

/** A sharp pipeline over a detector source (sharp given: the bundle's predict.mjs has its own). */
export function openSource(open: typeof sharp, source: DetectorSource): Sharp {
  if (typeof source === 'string' || Buffer.isBuffer(source))
    return open(source, { failOn: 'truncated' });
  return source.raw
    ? open(source.input, { failOn: 'truncated', raw: source.raw })
    : open(source.input, { failOn: 'truncated' });
}

/**
 * letterbox() with the sharp to use given: the bundle's predict.mjs passes the sharp of its
 * own folder and so letterboxes as the app does.
 */
export async function letterboxWith(
  open: typeof sharp,
  source: DetectorSource,
  size: [number, number],
): Promise<Letterboxed> {
  const [h, w] = size;
  const meta = await openSource(open, source).metadata();
  const rotated = (meta.orientation ?? 1) >= 5;
  const width = (rotated ? meta.height : meta.width) ?? 0;
  const height = (rotated ? meta.width : meta.height) ?? 0;
  if (!width || !height) throw new Error('The image has no size');
  const { data, info } = await openSource(open, source)
    .rotate()
    .flatten({ background: '#ffffff' })
    .resize(w, h, { fit: 'inside', kernel: 'cubic' })
    .removeAlpha()
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  const padX = Math.floor((w - info.width) / 2);
  const padY = Math.floor((h - info.height) / 2);
  const rgb = Buffer.alloc(h * w * 3, PAD_GREY);
  const row = info.width * 3;
  for (let y = 0; y < info.height; y++) {
    data.copy(rgb, ((y + padY) * w + padX) * 3, y * row, y * row + row);
  }
  return {
    rgb,
    geometry: {
      width,
      height,
      innerWidth: info.width,
      innerHeight: info.height,
      padX,
      padY,
    },
  };
}
