import sharp, { type Sharp } from 'sharp';
import { cropRect, type CropBox } from '../../../shared/crop';
import { decodeOriented, type CropSource, type OrientedImage } from '../library/crop-input';
import { imageSource, sharpOf } from '../library/image-source';
import { MAX_IMAGE_BYTES } from '../library/probe';
import { readFileSafe } from '../util/safe-fs';
import { loadCropInput } from './crop-preprocess';
import { loadModelInput, normalise, type ModelInputSource } from './preprocess';
import type { PreprocessingSpec } from './zoo-types';

/** The random choices of one view of one image; the same (hash, view, seed) always gives the same. */
export interface ViewParams {
  flip: boolean;
  /** Share of each side kept, and where the window starts (0..1 of the slack). */
  zoom: number;
  x: number;
  y: number;
  degrees: number;
  brightness: number;
  contrast: number;
  saturation: number;
}

/**
 * One image as model input, [h, w, 3] normalised: view 0 is the plain input; other views
 * are mirrored, zoomed into a random window, rotated and colour-jittered per viewParams.
 */
export async function loadAugmentedInput(
  source: ModelInputSource,
  spec: PreprocessingSpec,
  p: ViewParams | null,
): Promise<Float32Array> {
  if (!p) return loadModelInput(source, spec);
  // Through the safe reader and the shared opener, so a DICOM augments its decoded pixels.
  const bytes = await readFileSafe(source.original, { maxBytes: MAX_IMAGE_BYTES });
  const img = sharpOf(await imageSource(bytes, source.frame), { failOn: 'truncated' })
    .rotate()
    .flatten({ background: '#ffffff' });
  return augment(img, spec, p);
}

/**
 * One box's crop as model input: view 0 is the plain crop (loadCropInput, what every predict
 * path sees); other views cut the crop by the shared rule from the oriented image, then
 * augment its pixels exactly as loadAugmentedInput does a whole image's.
 */
export async function loadAugmentedCropInput(
  source: CropSource,
  box: CropBox,
  spec: PreprocessingSpec,
  p: ViewParams | null,
): Promise<Float32Array> {
  if (!p) return loadCropInput(source, box, spec);
  return augmentCrop(await decodeOriented(source), box, spec, p);
}

/** Augmented view `p` of one box of an already decoded image (the oriented full-size pixels). */
export function augmentCrop(
  image: OrientedImage,
  box: CropBox,
  spec: PreprocessingSpec,
  p: ViewParams,
): Promise<Float32Array> {
  const rect = cropRect(box, image.width, image.height);
  const img = sharp(image.data, {
    raw: { width: image.width, height: image.height, channels: 3 },
  }).extract(rect);
  return augment(img, spec, p);
}

/** An opened, oriented image zoomed, jittered, mirrored, rotated and windowed per `p`. */
async function augment(img0: Sharp, spec: PreprocessingSpec, p: ViewParams): Promise<Float32Array> {
  const [h, w] = spec.inputSize;
  const bigW = Math.max(w, Math.round(w / p.zoom));
  const bigH = Math.max(h, Math.round(h / p.zoom));
  const fit =
    spec.resize === 'squash' ? 'fill' : spec.resize === 'center-crop' ? 'cover' : 'contain';
  let img = img0
    .resize(bigW, bigH, { fit, position: 'centre', background: '#000000', kernel: 'cubic' })
    .modulate({ brightness: p.brightness, saturation: p.saturation })
    .linear(p.contrast, 128 * (1 - p.contrast));
  if (p.flip) img = img.flop();
  let { data, info } = await img
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (p.degrees !== 0) {
    // Rotate the zoomed image, then take the window from its middle: no black corners
    // for small angles once the window is smaller than the rotated canvas.
    const rotated = await sharp(data, {
      raw: { width: info.width, height: info.height, channels: 3 },
    })
      .rotate(p.degrees, { background: '#000000' })
      .resize(bigW, bigH, { fit: 'cover' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    data = rotated.data;
    info = rotated.info;
  }
  const x0 = Math.floor((info.width - w) * p.x);
  const y0 = Math.floor((info.height - h) * p.y);
  const window = new Uint8Array(w * h * 3);
  for (let row = 0; row < h; row++) {
    const from = ((y0 + row) * info.width + x0) * 3;
    window.set(data.subarray(from, from + w * 3), row * w * 3);
  }
  return normalise(window, spec);
}
