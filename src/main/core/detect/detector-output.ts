import { OcellusError } from '../../../shared/errors';
import type { DetectionCategory } from '../../../shared/types';
import { nms, unletterbox, type CategoryBox, type LetterboxGeometry } from './box-math';
import { decodeOutput, guessDecoder, type DecoderKind, type OutputTensor } from './decode';

/** The network input of letterboxed bytes: floats, divided as the detector expects. */
export function detectorInput(rgb: Uint8Array, divisor: number): Float32Array {
  const out = new Float32Array(rgb.length);
  const k = 1 / divisor;
  for (let i = 0; i < rgb.length; i++) out[i] = (rgb[i] ?? 0) * k;
  return out;
}

/**
 * The boxes of one network output, normalised to the image: decoded (the decoder guessed
 * from the output's shape when not given), mapped to categories (unmapped classes dropped),
 * moved out of the letterbox, and merged by non-maximum suppression. Plain code with no
 * runtime, so the app and the bundle's predict.mjs read detector outputs alike.
 */
export function outputBoxes(
  out: OutputTensor,
  decoder: DecoderKind | null,
  classMap: Record<number, DetectionCategory>,
  geometry: LetterboxGeometry,
  minConfidence: number,
): { decoder: DecoderKind; boxes: CategoryBox[] } {
  const kind = decoder ?? guessDecoder(out.dims);
  if (!kind) {
    throw new OcellusError(
      'UNSUPPORTED',
      `Cannot read a detector output of shape [${out.dims.join(', ')}]: say its decoder in detector.json`,
    );
  }
  const boxes: CategoryBox[] = [];
  for (const raw of decodeOutput(kind, out, minConfidence)) {
    const category = classMap[Math.round(raw.cls)];
    if (!category) continue;
    const box = unletterbox(raw, geometry);
    if (box) boxes.push({ category, confidence: raw.score, box });
  }
  return { decoder: kind, boxes: nms(boxes) };
}
