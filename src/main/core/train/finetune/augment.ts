import crypto from 'node:crypto';
import type { AugmentationConfig } from '../../../../shared/types';
import type { ViewParams } from '../../ml/augment-input';
import { seededRandom } from '../../util/rng';

export { loadAugmentedInput, type ViewParams } from '../../ml/augment-input';

export const NO_AUGMENTATION: AugmentationConfig = { flip: false, crop: 1, rotation: 0, colour: 0 };

/** A stable key of an augmentation setting, part of the activation cache key. */
export function augmentationKey(a: AugmentationConfig, seed: number): string {
  return `flip${a.flip ? 1 : 0}:crop${a.crop}:rot${a.rotation}:col${a.colour}:seed${seed}`;
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
