import type { Sharp } from 'sharp';

/**
 * How an image is brought to a network's input size: [height, width] and the fit. The
 * value normalisation comes after (ml/preprocess.ts) and is not part of the pixels.
 */
export interface InputGeometry {
  inputSize: [number, number];
  resize: 'squash' | 'center-crop' | 'letterbox';
}

/**
 * The steps of the one pixel pipeline on an opened image: EXIF orientation, alpha flattened
 * on white, bicubic resize to the input size by the geometry's fit, 8-bit sRGB; [h, w, 3]
 * interleaved bytes. Takes sharp's image rather than importing sharp, so the bundle's
 * predict.mjs (which loads sharp from its own folder) runs these very steps.
 */
export async function geometryPixels(image: Sharp, g: InputGeometry): Promise<Buffer> {
  const [h, w] = g.inputSize;
  const fit = g.resize === 'squash' ? 'fill' : g.resize === 'center-crop' ? 'cover' : 'contain';
  const { data, info } = await image
    .rotate()
    .flatten({ background: '#ffffff' })
    .resize(w, h, { fit, position: 'centre', background: '#000000', kernel: 'cubic' })
    .removeAlpha()
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.width !== w || info.height !== h || info.channels !== 3) {
    throw new Error(`Decoded to ${info.width}×${info.height}×${info.channels}, not ${w}×${h}×3`);
  }
  return data;
}
