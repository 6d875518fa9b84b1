import type sharpModule from 'sharp';
import type { Sharp } from 'sharp';
import { cropRect, type CropBox } from '../../../shared/crop';
import type { InputGeometry } from './pixel-steps';

/** An image decoded once for cutting crops: EXIF-oriented, alpha on white, 8-bit sRGB, [h, w, 3]. */
export interface OrientedImage {
  data: Buffer;
  width: number;
  height: number;
}

/**
 * The full-size decode of the crop pipeline on an opened image (the model-input steps without
 * the resize). Takes sharp's image rather than importing sharp, so the bundle's predict.mjs
 * runs these very steps with the sharp of its own folder.
 */
export async function orientedPixels(image: Sharp): Promise<OrientedImage> {
  const { data, info } = await image
    .rotate()
    .flatten({ background: '#ffffff' })
    .removeAlpha()
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`Decoded to ${info.channels} channels, not 3`);
  return { data, width: info.width, height: info.height };
}

/**
 * The network pixels ([h, w, 3] bytes) of one box of a decoded image: the crop rectangle of
 * the shared rule (shared/crop.ts), resized to the input size with the geometry's fit and the
 * same kernel, position and padding as a whole image.
 */
export async function cropPixelsWith(
  sharp: typeof sharpModule,
  image: OrientedImage,
  box: CropBox,
  g: InputGeometry,
): Promise<Buffer> {
  const rect = cropRect(box, image.width, image.height);
  const [h, w] = g.inputSize;
  const fit = g.resize === 'squash' ? 'fill' : g.resize === 'center-crop' ? 'cover' : 'contain';
  const { data, info } = await sharp(image.data, {
    raw: { width: image.width, height: image.height, channels: 3 },
  })
    .extract(rect)
    .resize(w, h, { fit, position: 'centre', background: '#000000', kernel: 'cubic' })
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.width !== w || info.height !== h || info.channels !== 3) {
    throw new Error(`Cropped to ${info.width}×${info.height}×${info.channels}, not ${w}×${h}×3`);
  }
  return data;
}
