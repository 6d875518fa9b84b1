import sharp from 'sharp';
import type { CropBox } from '../../../shared/crop';
import { cropPixelsWith, orientedPixels, type OrientedImage } from './crop-steps';
import { readFileSafe } from '../util/safe-fs';
import { imageSource, sharpOf, type ImageSource } from './image-source';
import type { InputGeometry } from './model-input';
import { MAX_IMAGE_BYTES } from './probe';

export type { OrientedImage } from './crop-steps';

/**
 * Where an image's bytes come from: a path (read through the safe reader, inside `roots`;
 * `frame` picks one frame of a multi-frame file), bytes or a decoded source.
 */
export type CropSource =
  string | Buffer | ImageSource | { original: string; roots?: readonly string[]; frame?: number };

/**
 * Decodes an image at full size the way the model-input pipeline does (library/model-input.ts:
 * EXIF orientation, alpha flattened on white, sRGB, 8 bits), so a box's crop is cut from the
 * pixels the whole image's input is made of.
 */
export async function decodeOriented(input: CropSource): Promise<OrientedImage> {
  const source = await toImageSource(input);
  return orientedPixels(sharpOf(source, { failOn: 'truncated' }));
}

/**
 * The network pixels ([h, w, 3] bytes) of one box of a decoded image: the crop rectangle of
 * the shared rule (shared/crop.ts), resized to the input size with the geometry's fit and the
 * same kernel, position and padding as a whole image.
 */
export async function cropPixels(
  image: OrientedImage,
  box: CropBox,
  g: InputGeometry,
): Promise<Buffer> {
  return cropPixelsWith(sharp, image, box, g);
}

/**
 * The crop's model input for (file, box, geometry): decode once, cut the box with its
 * margin, resize like a whole image. Every path that feeds a box to a network calls this
 * (or cropModelInputs for several boxes of one image) so they all see the same pixels.
 */
export async function cropModelInput(
  input: CropSource,
  box: CropBox,
  g: InputGeometry,
): Promise<Buffer> {
  return cropPixels(await decodeOriented(input), box, g);
}

/** The model inputs of several boxes of one image, decoding it once. */
export async function cropModelInputs(
  input: CropSource,
  boxes: readonly CropBox[],
  g: InputGeometry,
): Promise<Buffer[]> {
  if (boxes.length === 0) return [];
  const image = await decodeOriented(input);
  const out: Buffer[] = [];
  for (const box of boxes) out.push(await cropPixels(image, box, g));
  return out;
}

async function toImageSource(input: CropSource): Promise<ImageSource> {
  if (Buffer.isBuffer(input)) return imageSource(input);
  if (typeof input === 'string') {
    return imageSource(await readFileSafe(input, { maxBytes: MAX_IMAGE_BYTES }));
  }
  if ('original' in input) {
    // Through the safe reader: a FIFO, device, link out of the roots or oversized file is refused.
    const bytes = await readFileSafe(input.original, {
      roots: input.roots,
      maxBytes: MAX_IMAGE_BYTES,
    });
    return imageSource(bytes, input.frame);
  }
  return input;
}
