import type { ViewParams } from '../../src/main/core/ml/augment-input';

/** A view that only mirrors: no zoom, rotation or colour change. */
export const MIRROR_ONLY: ViewParams = {
  flip: true,
  zoom: 1,
  x: 0,
  y: 0,
  degrees: 0,
  brightness: 1,
  contrast: 1,
  saturation: 1,
};
