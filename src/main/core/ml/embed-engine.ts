import * as tf from '@tensorflow/tfjs-core';
import { loadFeatureModel, type FeatureModel } from './feature-model';
import { loadModelInput } from './preprocess';
import { initBackend, type BackendName } from './tf-runtime';
import type { PreprocessingSpec } from './zoo-types';

export interface EmbedItem {
  /** The image's content hash: the cache key. */
  key: string;
  /** The model-input cache file, or the original. */
  file: string;
}

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
}

/** Decoded, normalised inputs of one batch, ready to stack. */
export interface PreparedBatch {
  keys: string[];
  pixels: (Float32Array | null)[];
  errors: (string | null)[];
}

/** Turns images into embeddings with one model on one backend; one per thread. */
export class EmbedEngine {
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
  async prepare(items: readonly EmbedItem[]): Promise<PreparedBatch> {
    const settled = await Promise.allSettled(
      items.map((it) => loadModelInput(it.file, this.config.preprocessing)),
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

  /** Tensors alive in this engine's TF.js instance (for leak checks). */
  numTensors(): number {
    return tf.memory().numTensors;
  }

  dispose(): void {
    this.model.dispose();
  }
}
