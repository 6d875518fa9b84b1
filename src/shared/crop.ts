/**
 * The geometry of a box's crop, shared by every side that cuts one (the app's crop model
 * inputs, `ocellus predict`, the bundle's predict.mjs), so they cut the same pixels.
 *
 * The rule: the box (normalised to the EXIF-oriented image) grows by `CROP_MARGIN` of its own
 * width on the left and on the right, and of its own height above and below, so the network
 * sees a little context around the animal; the grown box is clipped to the image; its edges
 * go outwards to whole pixels (floor for left/top, ceil for right/bottom); and it keeps at
 * least one pixel each way. The crop is then resized to the network's input exactly like a
 * whole image (the geometry's fit: squash, centre-crop or letterbox).
 */

/** The margin added on each side of a box, as a fraction of the box's own width or height. */
export const CROP_MARGIN = 0.1;

/** A rectangle of whole pixels inside an image: left, top, width, height (as sharp's extract takes it). */
export interface PixelRect {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** A box as a normalised [x, y, w, h] (same shape as a detection's box). */
export type CropBox = readonly [x: number, y: number, w: number, h: number];

/**
 * The pixel rectangle a box's crop covers in a `width` × `height` (oriented) image, by the
 * rule above. Throws on a box that is not four finite numbers or an image without pixels.
 */
export function cropRect(
  box: CropBox,
  width: number,
  height: number,
  margin: number = CROP_MARGIN,
): PixelRect {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new Error(`An image of ${width}×${height} pixels has nothing to crop`);
  }
  if (box.length !== 4 || !box.every((v) => Number.isFinite(v)) || box[2] < 0 || box[3] < 0) {
    throw new Error(`Not a box: [${box.join(', ')}]`);
  }
  const [x, y, w, h] = box;
  const x1 = clamp((x - margin * w) * width, 0, width);
  const y1 = clamp((y - margin * h) * height, 0, height);
  const x2 = clamp((x + w + margin * w) * width, 0, width);
  const y2 = clamp((y + h + margin * h) * height, 0, height);
  // Snap to an integer first: 0.1 * 640 lands a hair off 64 in floating point.
  const left = Math.min(Math.floor(snap(x1)), width - 1);
  const top = Math.min(Math.floor(snap(y1)), height - 1);
  const right = Math.max(Math.ceil(snap(x2)), left + 1);
  const bottom = Math.max(Math.ceil(snap(y2)), top + 1);
  return {
    left,
    top,
    width: Math.min(right, width) - left,
    height: Math.min(bottom, height) - top,
  };
}

/** A stable, file-name-safe key of a box's crop in an image, e.g. `c64.48.128.96`. */
export function cropKey(rect: PixelRect): string {
  return `c${rect.left}.${rect.top}.${rect.width}.${rect.height}`;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

/** Rounds values within 1e-6 of an integer to it, so floor/ceil do not step a whole pixel. */
function snap(v: number): number {
  const r = Math.round(v);
  return Math.abs(v - r) < 1e-6 ? r : v;
}
