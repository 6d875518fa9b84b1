import sharp, { type Sharp, type SharpOptions } from 'sharp';
import { decodeDicom, isDicom } from './dicom';

/**
 * Bytes sharp can open: the file itself, or for DICOM (which libvips cannot read) one frame
 * decoded to 8-bit RGBA. Every pixel path opens images through this, so a DICOM gives
 * training, evaluation, thumbnails and prediction the same pixels.
 */
export interface ImageSource {
  input: Buffer;
  raw?: { width: number; height: number; channels: 4 };
}

/**
 * The image in `bytes` as sharp input, decoding DICOM once; `frame` picks one frame of a
 * multi-frame file (library/frames.ts) and is ignored by formats without frames.
 */
export async function imageSource(bytes: Buffer, frame = 0): Promise<ImageSource> {
  if (!isDicom(bytes)) return { input: bytes };
  const { rgba, width, height } = await decodeDicom(bytes, frame);
  return { input: rgba, raw: { width, height, channels: 4 } };
}

/** A sharp pipeline over the source, with the caller's options. */
export function sharpOf(source: ImageSource, options: SharpOptions = {}): Sharp {
  return source.raw
    ? sharp(source.input, { ...options, raw: source.raw })
    : sharp(source.input, options);
}
