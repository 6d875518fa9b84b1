import { modelInputPixels } from '../library/model-input';
import type { PreprocessingSpec } from './zoo-types';

/** An image to feed a network: its original file and, optionally, its model-input cache file. */
export interface ModelInputSource {
  original: string;
  /** Which frame of a multi-frame file (library/frames.ts); default 0. */
  frame?: number;
  /** The lossless cache of the network pixels (library/model-input.ts), read or written. */
  cache?: string | null;
}

/**
 * One image as network input, [h, w, 3] float32 normalised per `spec`: the pixels of the one
 * shared pipeline (library/model-input.ts: EXIF orientation, alpha on white, bicubic resize,
 * sRGB), from the exact cache when there is one, else from the original.
 */
export async function loadModelInput(
  source: string | ModelInputSource,
  spec: PreprocessingSpec,
): Promise<Float32Array> {
  const src = typeof source === 'string' ? { original: source } : source;
  return normalise(await modelInputPixels(src, spec), spec);
}

/**
 * The network input mirrored left–right ([h, w, 3]): test-time augmentation's second view,
 * done on the input itself so that every predict path flips exactly the same pixels.
 */
export function mirror(x: Float32Array, spec: PreprocessingSpec): Float32Array {
  const [h, w] = spec.inputSize;
  const out = new Float32Array(x.length);
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const from = (r * w + c) * 3;
      const to = (r * w + (w - 1 - c)) * 3;
      out[to] = x[from] ?? 0;
      out[to + 1] = x[from + 1] ?? 0;
      out[to + 2] = x[from + 2] ?? 0;
    }
  }
  return out;
}

/** [n, h, w, 3] → [n, 3, h, w], for ONNX models that take channels first. */
export function channelsFirst(packed: Float32Array, n: number, h: number, w: number): Float32Array {
  const out = new Float32Array(packed.length);
  const plane = h * w;
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < 3; c++)
        out[b * 3 * plane + c * plane + p] = packed[(b * plane + p) * 3 + c] ?? 0;
    }
  }
  return out;
}

/** Applies the spec's value normalisation to interleaved RGB bytes. */
export function normalise(rgb: Uint8Array, spec: PreprocessingSpec): Float32Array {
  const out = new Float32Array(rgb.length);
  const n = spec.normalization;
  if (n.kind === 'range') {
    const scale = (n.max - n.min) / 255;
    for (let i = 0; i < rgb.length; i++) out[i] = (rgb[i] ?? 0) * scale + n.min;
  } else if (n.kind === 'mean-std') {
    for (let i = 0; i < rgb.length; i++) {
      const c = i % 3;
      out[i] = ((rgb[i] ?? 0) / 255 - (n.mean[c] ?? 0)) / (n.std[c] ?? 1);
    }
  } else {
    for (let i = 0; i < rgb.length; i += 3) {
      const r = rgb[i] ?? 0;
      const g = rgb[i + 1] ?? 0;
      const b = rgb[i + 2] ?? 0;
      const [c0, c1, c2] = n.bgr ? [b, g, r] : [r, g, b];
      out[i] = c0 - n.mean[0];
      out[i + 1] = c1 - n.mean[1];
      out[i + 2] = c2 - n.mean[2];
    }
  }
  return out;
}

/** A stable key of the preprocessing, part of an embedding's cache key. */
export function preprocessingKey(spec: PreprocessingSpec): string {
  const n = spec.normalization;
  const norm =
    n.kind === 'range'
      ? `range(${n.min},${n.max})`
      : n.kind === 'mean-std'
        ? `meanstd(${n.mean.join(',')}/${n.std.join(',')})`
        : `caffe(${n.mean.join(',')}${n.bgr ? ',bgr' : ''})`;
  return `${spec.inputSize[0]}x${spec.inputSize[1]}:${spec.resize}:${norm}`;
}
