import os from 'node:os';
import type * as OrtModule from 'onnxruntime-node';
import type { InferenceSession } from 'onnxruntime-node';
import {
  prepareItems,
  type EmbedItem,
  type EmbedOutcome,
  type EngineConfig,
  type PreparedBatch,
} from '../embed-engine';
import { channelsFirst } from '../preprocess';
import { ONNX_INPUT } from './convert-layers';
import { importOrt } from './ort-module';

export type Ort = typeof OrtModule;

let ortModule: Ort | null = null;

/** Loads onnxruntime-node (a native addon) on first use. */
export async function loadOrt(): Promise<Ort> {
  ortModule ??= await importOrt();
  return ortModule;
}

/**
 * Threads one session may use: every core, or `OCELLUS_THREADS` where several processes share
 * a machine (local shards, a cluster task given fewer CPUs than its node has).
 */
export function inferenceThreads(): number {
  const n = Number(process.env['OCELLUS_THREADS']);
  return Number.isSafeInteger(n) && n >= 1 ? n : os.availableParallelism();
}

/** An ONNX Runtime session with every core (or OCELLUS_THREADS) on one graph. */
export async function createSession(
  bytes: Uint8Array,
  threads = inferenceThreads(),
): Promise<InferenceSession> {
  const ort = await loadOrt();
  return ort.InferenceSession.create(bytes, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionProviders: ['cpu'],
  });
}

/**
 * [n, dim] embeddings from a model output: [n, dim] as it is, [n, tokens, dim] by its first
 * (class) token, [n, c, h, w] averaged over h and w.
 */
export function embeddingRows(
  data: Float32Array,
  dims: readonly number[],
  n: number,
): Float32Array {
  if (dims.length === 3) {
    const [, tokens, dim] = dims as [number, number, number];
    const out = new Float32Array(n * dim);
    for (let i = 0; i < n; i++)
      out.set(data.subarray(i * tokens * dim, i * tokens * dim + dim), i * dim);
    return out;
  }
  if (dims.length === 4) {
    const [, c, h, w] = dims as [number, number, number, number];
    const out = new Float32Array(n * c);
    for (let i = 0; i < n * c; i++) {
      let sum = 0;
      for (let p = 0; p < h * w; p++) sum += data[i * h * w + p] ?? 0;
      out[i] = sum / (h * w);
    }
    return out;
  }
  return data;
}

/** The embedding size of an ONNX base model, from one run on a blank input. */
export async function probeOnnxBase(
  session: InferenceSession,
  ort: Ort,
  config: EngineConfig,
): Promise<number> {
  const io = config.onnx;
  if (!io) throw new Error('Not an ONNX base model');
  const [h, w] = config.preprocessing.inputSize;
  const dims = io.layout === 'NCHW' ? [1, 3, h, w] : [1, h, w, 3];
  const out = await session.run({
    [io.input]: new ort.Tensor('float32', new Float32Array(h * w * 3), dims),
  });
  const t = out[io.output];
  if (!t) throw new Error(`The model has no output ${io.output}`);
  return embeddingRows(t.data as Float32Array, t.dims, 1).length;
}

/** Embeds with ONNX Runtime on a converted model; same batches and outcomes as EmbedEngine. */
export class OnnxEngine {
  readonly engine = 'onnx' as const;

  constructor(
    private readonly session: InferenceSession,
    private readonly ort: Ort,
    private readonly config: EngineConfig,
    readonly size: number,
    readonly featureLayer: string,
    /** Why this engine, e.g. the verified difference; shown in logs. */
    readonly note: string,
  ) {}

  prepare(items: readonly EmbedItem[]): Promise<PreparedBatch> {
    return prepareItems(items, this.config.preprocessing);
  }

  async infer(batch: PreparedBatch): Promise<EmbedOutcome[]> {
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
    const io = this.config.onnx;
    const n = ok.length;
    const input =
      io?.layout === 'NCHW'
        ? new this.ort.Tensor('float32', channelsFirst(packed, n, h, w), [n, 3, h, w])
        : new this.ort.Tensor('float32', packed, [n, h, w, 3]);
    const result = await this.session.run({ [io?.input ?? ONNX_INPUT]: input });
    const emb = result[io?.output ?? this.session.outputNames[0] ?? ''];
    if (!emb) throw new Error('The ONNX model gave no embedding output');
    const data = embeddingRows(emb.data as Float32Array, emb.dims, n);
    const dim = this.size;
    ok.forEach((i, j) => {
      const o = out[i];
      if (o) o.vector = data.slice(j * dim, (j + 1) * dim);
    });
    return out;
  }

  numTensors(): number {
    return 0;
  }

  dispose(): void {
    void this.session.release();
  }
}
