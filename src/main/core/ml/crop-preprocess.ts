import type { CropBox } from '../../../shared/crop';
import { cropModelInputs, type CropSource } from '../library/crop-input';
import { normalise } from './preprocess';
import type { PreprocessingSpec } from './zoo-types';

/**
 * The network inputs ([h, w, 3] float32, normalised per `spec`) of boxes of one image: the
 * crops of the one crop pipeline (library/crop-input.ts), decoded once for all of them.
 */
export async function loadCropInputs(
  source: CropSource,
  boxes: readonly CropBox[],
  spec: PreprocessingSpec,
): Promise<Float32Array[]> {
  return (await cropModelInputs(source, boxes, spec)).map((rgb) => normalise(rgb, spec));
}

/** The network input of one box of an image. */
export async function loadCropInput(
  source: CropSource,
  box: CropBox,
  spec: PreprocessingSpec,
): Promise<Float32Array> {
  const [x] = await loadCropInputs(source, [box], spec);
  if (!x) throw new Error('No crop');
  return x;
}
