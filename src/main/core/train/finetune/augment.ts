import crypto from 'node:crypto';
import sharp from 'sharp';
import type { AugmentationConfig } from '../../../../shared/types';
import { loadModelInput, normalise } from '../../ml/preprocess';
import type { PreprocessingSpec } from '../../ml/zoo-types';
import { seededRandom } from '../rng';

export const NO_AUGMENTATION: AugmentationConfig = { flip: false, crop: 1, rotation: 0, colour: 0 };

/** A stable key of an augmentation setting, part of the activation cache key. */
export function augmentationKey(a: AugmentationConfig, seed: number): string {
  return `flip${a.flip ? 1 : 0}:crop${a.crop}:rot${a.rotation}:col${a.colour}:seed${seed}`;
}

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

/** Draws a view's parameters from the image hash, view number and seed. */
export function viewParams(
  a: AugmentationConfig,
  hash: string,
  view: number,
  seed: number,
): ViewParams | null {
  if (view === 0) return null;
  const h = crypto.createHash('sha256').update(`${hash}:${view}:${seed}`).digest();
  const r = seededRandom(h.readUInt32LE(0));
  const jitter = () => 1 + (r() * 2 - 1) * a.colour;
  return {
    // Odd views are mirrored when flipping is on, so two views already differ.
    flip: a.flip && view % 2 === 1,
    zoom: a.crop < 1 ? a.crop + r() * (1 - a.crop) : 1,
    x: r(),
    y: r(),
    degrees: a.rotation > 0 ? (r() * 2 - 1) * a.rotation : 0,
    brightness: a.colour > 0 ? jitter() : 1,
    contrast: a.colour > 0 ? jitter() : 1,
    saturation: a.colour > 0 ? jitter() : 1,
  };
}

/**
 * One image as model input, [h, w, 3] normalised: view 0 is the plain input; other views
 * are mirrored, zoomed into a random window, rotated and colour-jittered per viewParams.
 */
export async function loadAugmentedInput(
  file: string,
  spec: PreprocessingSpec,
  p: ViewParams | null,
): Promise<Float32Array> {
  if (!p) return loadModelInput(file, spec);
  const [h, w] = spec.inputSize;
  const bigW = Math.max(w, Math.round(w / p.zoom));
  const bigH = Math.max(h, Math.round(h / p.zoom));
  const fit =
    spec.resize === 'squash' ? 'fill' : spec.resize === 'center-crop' ? 'cover' : 'contain';
  let img = sharp(file, { failOn: 'truncated' })
    .rotate()
    .flatten({ background: '#ffffff' })
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
