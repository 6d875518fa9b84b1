import type { DetectionCategory, NormalisedBox } from '../../../shared/types';

/** A box in the model's input pixels, corners form, before it is mapped back to the image. */
export interface RawBox {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
  /** The detector's own class index. */
  cls: number;
}

/** A box mapped to a camera-trap category and normalised to the image. */
export interface CategoryBox {
  category: DetectionCategory;
  confidence: number;
  box: NormalisedBox;
  /** A label of the box (from imported results), and its confidence. */
  classId?: number | null;
  classConf?: number | null;
}

/** Intersection over union of two normalised [x, y, w, h] boxes. */
export function iou(a: NormalisedBox, b: NormalisedBox): number {
  const ix = Math.max(0, Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]));
  const inter = ix * iy;
  const union = a[2] * a[3] + b[2] * b[3] - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Greedy non-maximum suppression per category: the best box wins and every box of the same
 * category overlapping it by more than `iouThreshold` goes. Hand-written: the TF.js and ONNX
 * NMS ops exist, but running them would tie decoding to one engine for a few dozen boxes.
 */
export function nms(boxes: readonly CategoryBox[], iouThreshold = 0.45): CategoryBox[] {
  const sorted = [...boxes].sort((a, b) => b.confidence - a.confidence);
  const kept: CategoryBox[] = [];
  for (const box of sorted) {
    if (kept.every((k) => k.category !== box.category || iou(k.box, box.box) <= iouThreshold)) {
      kept.push(box);
    }
  }
  return kept;
}

/** Where the image sits inside the letterboxed input: its scale and padding, in input pixels. */
export interface LetterboxGeometry {
  /** The oriented image's size in pixels. */
  width: number;
  height: number;
  /** The image's size inside the input, and its offset there. */
  innerWidth: number;
  innerHeight: number;
  padX: number;
  padY: number;
}

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

/** Maps a box from letterboxed input pixels back to the image, normalised and clipped to it. */
export function unletterbox(raw: RawBox, g: LetterboxGeometry): NormalisedBox | null {
  const x1 = clamp01((raw.x1 - g.padX) / g.innerWidth);
  const y1 = clamp01((raw.y1 - g.padY) / g.innerHeight);
  const x2 = clamp01((raw.x2 - g.padX) / g.innerWidth);
  const y2 = clamp01((raw.y2 - g.padY) / g.innerHeight);
  if (!(x2 > x1 && y2 > y1)) return null;
  return [x1, y1, x2 - x1, y2 - y1];
}
