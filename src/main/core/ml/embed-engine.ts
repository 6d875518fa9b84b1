import * as tf from '@tensorflow/tfjs-core';
import { loadFeatureModel, type FeatureModel } from './feature-model';
import { loadAugmentedInput, type ViewParams } from './augment-input';
import { loadCropBatch, type DecodeOriented } from './crop-views';
import { loadModelInput, mirror } from './preprocess';
import { initBackend, type BackendName } from './tf-runtime';
import type { OnnxIo, PreprocessingSpec } from './zoo-types';

export interface EmbedItem {
  /** The image's content hash: the cache key. */
  key: string;
  /** The original image file. */
  file: string;
  /** Which frame of a multi-frame file (library/frames.ts); default 0. */
  frame?: number;
  /** Its exact model-input cache file (read when present, written when not). */
  cache?: string | null;
  /** An augmented view, or 'mirror' (the network input flipped left–right); absent: the plain input. */
  view?: InputView | null;
  /** A box of the image (normalised [x, y, w, h]): the item is its crop (shared/crop.ts), not the whole image. */
  box?: readonly [number, number, number, number] | null;
}

/** What an item feeds the network instead of its plain input. */
export type InputView = ViewParams | 'mirror';

export interface EmbedOutcome {
  key: string;
  vector?: Float32Array;
  error?: string;
}

export interface EngineConfig {
  modelJson: string;
  featureOutput: string;
  preprocessing: PreprocessingSpec;
  backend?: BackendName | null;
  /** Forced inference engine (OCELLUS_ENGINE wins); null or absent: the fastest that works. */
  engine?: EngineName | null;
  /** An ONNX base model (modelJson is the .onnx file): ONNX Runtime only. */
  onnx?: OnnxIo;
}

export type EngineName = 'tfjs' | 'onnx';

/** Decoded, normalised inputs of one batch, ready to stack. */
export interface PreparedBatch {
  keys: string[];
  pixels: (Float32Array | null)[];
  errors: (string | null)[];
}

/**
 * Decodes and normalises a batch of images for any engine. The crops of one image (its boxes
 * and their views) are cut from one decode of it (crop-views.ts); `decode` is for tests.
 */
export async function prepareItems(
  items: readonly EmbedItem[],
  spec: PreprocessingSpec,
  decode?: DecodeOriented,
): Promise<PreparedBatch> {
  const [crops, wholes] = await Promise.all([
    loadCropBatch(items, spec, decode),
    Promise.allSettled(
      items.map((it) => {
        if (it.box) return null;
        const source = { original: it.file, frame: it.frame, cache: it.cache };
        if (it.view === 'mirror') return loadModelInput(source, spec).then((x) => mirror(x, spec));
        return it.view ? loadAugmentedInput(source, spec, it.view) : loadModelInput(source, spec);
      }),
    ),
  ]);
  const settled = items.map(
    (_, i) => crops[i] ?? (wholes[i] as PromiseSettledResult<Float32Array>),
  );
  return {
    keys: items.map((it) => it.key),
    pixels: settled.map((s) => (s.status === 'fulfilled' ? s.value : null)),
    errors: settled.map((s) =>
      s.status === 'rejected'
        ? s.reason instanceof Error
          ? s.reason.message
          : String(s.reason)
        : null,
    ),
  };
}

/** Turns images into embeddings with one model on one backend; one per thread. */
export class EmbedEngine {
  readonly engine = 'tfjs' as const;
  /** Why TF.js runs this model (set when ONNX Runtime was passed over). */
  note = '';
  private constructor(
    private readonly model: FeatureModel,
    private readonly config: EngineConfig,
    readonly backend: BackendName,
  ) {}

  /** Initialises the backend and loads the model. */
  static async create(config: EngineConfig): Promise<EmbedEngine> {
    const backend = await initBackend(config.backend ?? null);
    const model = await loadFeatureModel(config.modelJson, config.featureOutput);
    return new EmbedEngine(model, config, backend);
  }

  get size(): number {
    return this.model.size;
  }

  get featureLayer(): string {
    return this.model.featureLayer;
  }

  /** Decodes and normalises a batch (sharp works on its own threads meanwhile). */
  prepare(items: readonly EmbedItem[]): Promise<PreparedBatch> {
    return prepareItems(items, this.config.preprocessing);
  }

  /** Runs the network on a prepared batch; failed inputs keep their error. */
  infer(batch: PreparedBatch): EmbedOutcome[] {
    const [h, w] = this.config.preprocessing.inputSize;
    const ok = batch.pixels.flatMap((p, i) => (p ? [i] : []));
    const out: EmbedOutcome[] = batch.keys.map((key, i) => ({
      key,
      error: batch.errors[i] ?? undefined,
    }));
    if (ok.length === 0) return out;
    const per = h * w * 3;
    const packed = new Float32Array(ok.length * per);
    ok.forEach((i, j) => packed.set(batch.pixels[i] as Float32Array, j * per));
    const input = tf.tensor4d(packed, [ok.length, h, w, 3]);
    const emb = this.model.embed(input);
    const data = emb.dataSync() as Float32Array;
    input.dispose();
    emb.dispose();
    const dim = this.model.size;
    ok.forEach((i, j) => {
      const o = out[i];
      if (o) o.vector = data.slice(j * dim, (j + 1) * dim);
    });
    return out;
  }

  /** The network itself, [n, h, w, 3] → [n, size] (the caller disposes both). */
  embedTensor(batch: tf.Tensor4D): tf.Tensor2D {
    return this.model.embed(batch);
  }

  /** Tensors alive in this engine's TF.js instance (for leak checks). */
  numTensors(): number {
    return tf.memory().numTensors;
  }

  dispose(): void {
    this.model.dispose();
  }
}
