import type { CropBox } from '../../../shared/crop';
import {
  cropPixels,
  decodeOriented,
  type CropSource,
  type OrientedImage,
} from '../library/crop-input';
import { augmentCrop, type ViewParams } from './augment-input';
import { mirror, normalise } from './preprocess';
import type { PreprocessingSpec } from './zoo-types';

/** How one crop is fed: plain (null), mirrored left–right, or an augmented view. */
export type CropView = ViewParams | 'mirror' | null;

/** One network input to cut from an image: a box, and how to view it. */
export interface CropRequest {
  box: CropBox;
  view: CropView;
}

/** The full-size oriented decode (library/crop-input.ts); tests pass one that counts calls. */
export type DecodeOriented = (source: CropSource) => Promise<OrientedImage>;

/**
 * The network inputs of several crops (boxes × views) of one image from a single decode: each
 * is exactly what loadCropInput (plain), its mirror, or loadAugmentedCropInput (a view) gives
 * for the same box, since the same steps run on the same decoded pixels. One result per
 * request, in order; a failed decode fails them all.
 */
export async function loadCropViews(
  source: CropSource,
  requests: readonly CropRequest[],
  spec: PreprocessingSpec,
  decode: DecodeOriented = decodeOriented,
): Promise<PromiseSettledResult<Float32Array>[]> {
  if (requests.length === 0) return [];
  let image: OrientedImage;
  try {
    image = await decode(source);
  } catch (reason) {
    return requests.map(() => ({ status: 'rejected', reason }));
  }
  // A box's plain crop serves both its plain and its mirrored input.
  const plain = new Map<string, Promise<Float32Array>>();
  const plainOf = (box: CropBox): Promise<Float32Array> => {
    const key = box.join(',');
    let x = plain.get(key);
    if (!x) {
      x = cropPixels(image, box, spec).then((rgb) => normalise(rgb, spec));
      plain.set(key, x);
    }
    return x;
  };
  return Promise.allSettled(
    requests.map((r) =>
      r.view === null
        ? plainOf(r.box)
        : r.view === 'mirror'
          ? plainOf(r.box).then((x) => mirror(x, spec))
          : augmentCrop(image, r.box, spec, r.view),
    ),
  );
}

/** One item of an embedding batch as far as cropping goes (embed-engine's EmbedItem fits it). */
export interface CropBatchItem {
  file: string;
  frame?: number;
  box?: CropBox | null;
  view?: CropView;
}

/**
 * Images of one batch decoded at once: each holds its full-size pixels (36 MB for 12 MP)
 * until all its crops are cut, so this bounds a batch's memory, while two keep sharp's
 * threads busy during the other's decode.
 */
const IMAGES_AT_ONCE = 2;

/**
 * The inputs of a batch's crop items (those with a box), grouped by image (file and frame) so
 * that each image is decoded once for all its boxes and views. Whole-image items are left
 * out (undefined at their index).
 */
export async function loadCropBatch(
  items: readonly CropBatchItem[],
  spec: PreprocessingSpec,
  decode: DecodeOriented = decodeOriented,
): Promise<(PromiseSettledResult<Float32Array> | undefined)[]> {
  const out: (PromiseSettledResult<Float32Array> | undefined)[] = items.map(() => undefined);
  const groups = new Map<string, number[]>();
  items.forEach((it, i) => {
    if (!it.box) return;
    const key = `${it.frame ?? 0}:${it.file}`;
    const group = groups.get(key);
    if (group) group.push(i);
    else groups.set(key, [i]);
  });
  const queue = [...groups.values()];
  // A hand-written limit of two lanes over the queue: not worth a dependency.
  const lane = async (): Promise<void> => {
    for (let group = queue.shift(); group; group = queue.shift()) {
      const first = items[group[0] ?? 0] as CropBatchItem;
      const source = first.frame ? { original: first.file, frame: first.frame } : first.file;
      const requests = group.map((i) => {
        const it = items[i] as CropBatchItem;
        return { box: it.box as CropBox, view: it.view ?? null };
      });
      const results = await loadCropViews(source, requests, spec, decode);
      group.forEach((i, j) => (out[i] = results[j]));
    }
  };
  await Promise.all(Array.from({ length: IMAGES_AT_ONCE }, lane));
  return out;
}
