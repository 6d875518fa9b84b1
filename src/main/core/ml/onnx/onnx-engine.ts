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
import { ONNX_INPUT } from './convert-layers';

export type Ort = typeof OrtModule;

let ortModule: Ort | null = null;

/** Loads onnxruntime-node (a native addon) on first use. */
export async function loadOrt(): Promise<Ort> {
  ortModule ??= (await import('onnxruntime-node')) as Ort;
  return ortModule;
}

/** An ONNX Runtime session with every core on one graph (intra-op threads = cores). */
export async function createSession(
  bytes: Uint8Array,
  threads = os.availableParallelism(),
): Promise<InferenceSession> {
  const ort = await loadOrt();
  return ort.InferenceSession.create(bytes, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionProviders: ['cpu'],
  });
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
    const result = await this.session.run({
      [ONNX_INPUT]: new this.ort.Tensor('float32', packed, [ok.length, h, w, 3]),
    });
    const data = result[this.session.outputNames[0] ?? '']?.data as Float32Array;
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
