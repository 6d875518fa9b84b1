import sharp from 'sharp';
import type { PreprocessingSpec } from './zoo-types';

/**
 * Reads one image (the model-input cache, or an original) and returns its pixels resized
 * and normalised per `spec`, as [h, w, 3] float32 values. EXIF orientation is applied and
 * alpha flattened on white, as for thumbnails.
 */
export async function loadModelInput(file: string, spec: PreprocessingSpec): Promise<Float32Array> {
  const [h, w] = spec.inputSize;
  const fit =
    spec.resize === 'squash' ? 'fill' : spec.resize === 'center-crop' ? 'cover' : 'contain';
  const { data } = await sharp(file, { failOn: 'truncated' })
    .rotate()
    .flatten({ background: '#ffffff' })
    .resize(w, h, { fit, position: 'centre', background: '#000000', kernel: 'cubic' })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return normalise(data, spec);
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
