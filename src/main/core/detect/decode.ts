import type { RawBox } from './box-math';

/** How a detector's output tensor is laid out. */
export type DecoderKind = 'centernet' | 'yolov5' | 'yolov8';

/** One output tensor: its values and dimensions. */
export interface OutputTensor {
  data: Float32Array;
  dims: readonly number[];
}

/**
 * CenterNet with decoding inside the graph (the TF.js COCO model): [1, k, 6] rows of
 * x1, y1, x2, y2 (input pixels), score, class.
 */
export function decodeCenterNet(out: OutputTensor, minScore: number): RawBox[] {
  const k = out.dims[1] ?? 0;
  const boxes: RawBox[] = [];
  for (let i = 0; i < k; i++) {
    const r = out.data.subarray(i * 6, i * 6 + 6);
    const score = r[4] ?? 0;
    if (score < minScore) continue;
    boxes.push({
      x1: r[0] ?? 0,
      y1: r[1] ?? 0,
      x2: r[2] ?? 0,
      y2: r[3] ?? 0,
      score,
      cls: r[5] ?? 0,
    });
  }
  return boxes;
}

/**
 * YOLOv5 heads (MegaDetector v5): [1, n, 5 + classes] rows of centre x, centre y, width,
 * height (input pixels), objectness, class scores; a box's score is objectness × its best class.
 */
export function decodeYolov5(out: OutputTensor, minScore: number): RawBox[] {
  const n = out.dims[1] ?? 0;
  const stride = out.dims[2] ?? 0;
  const boxes: RawBox[] = [];
  for (let i = 0; i < n; i++) {
    const o = i * stride;
    const obj = out.data[o + 4] ?? 0;
    if (obj < minScore) continue;
    let cls = 0;
    let best = 0;
    for (let c = 5; c < stride; c++) {
      const s = out.data[o + c] ?? 0;
      if (s > best) [best, cls] = [s, c - 5];
    }
    const score = obj * best;
    if (score < minScore) continue;
    boxes.push(centreBox(out.data, o, 1, score, cls));
  }
  return boxes;
}

/**
 * Ultralytics YOLOv8/v9 heads (MegaDetector v6 exports): [1, 4 + classes, n], channels first,
 * centre x, centre y, width, height, then class scores (no objectness).
 */
export function decodeYolov8(out: OutputTensor, minScore: number): RawBox[] {
  const channels = out.dims[1] ?? 0;
  const n = out.dims[2] ?? 0;
  const boxes: RawBox[] = [];
  for (let i = 0; i < n; i++) {
    let cls = 0;
    let best = 0;
    for (let c = 4; c < channels; c++) {
      const s = out.data[c * n + i] ?? 0;
      if (s > best) [best, cls] = [s, c - 4];
    }
    if (best < minScore) continue;
    boxes.push(centreBox(out.data, i, n, best, cls));
  }
  return boxes;
}

function centreBox(
  data: Float32Array,
  at: number,
  step: number,
  score: number,
  cls: number,
): RawBox {
  const cx = data[at] ?? 0;
  const cy = data[at + step] ?? 0;
  const w = data[at + 2 * step] ?? 0;
  const h = data[at + 3 * step] ?? 0;
  return { x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2, score, cls };
}

/** Decodes an output by its kind. */
export function decodeOutput(kind: DecoderKind, out: OutputTensor, minScore: number): RawBox[] {
  if (kind === 'centernet') return decodeCenterNet(out, minScore);
  if (kind === 'yolov5') return decodeYolov5(out, minScore);
  return decodeYolov8(out, minScore);
}

/** Guesses the decoder from an output's shape: [1, n, 5 + c] is YOLOv5, [1, 4 + c, n] YOLOv8. */
export function guessDecoder(dims: readonly number[]): DecoderKind | null {
  if (dims.length !== 3) return null;
  const [, a = 0, b = 0] = dims;
  if (b === 6 && a <= 300) return 'centernet';
  if (b > 5 && b < 100 && a > b) return 'yolov5';
  if (a > 4 && a < 100 && b > a) return 'yolov8';
  return null;
}
