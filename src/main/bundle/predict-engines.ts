import fs from 'node:fs';
import path from 'node:path';
import type * as Ort from 'onnxruntime-node';
import type * as Tf from '@tensorflow/tfjs';
import type { PreprocessingSpec } from '../core/ml/zoo-types';
import { diskModelHandler } from '../core/ml/model-io';
import { readBundleModel } from '../core/export/bundle-files';

/** The bundle's preprocessing.json, as predict.mjs reads it. */
export interface BundleSpec extends PreprocessingSpec {
  tta?: string;
  onnx?: { file: string | null; input?: string; output?: string; layout?: 'NCHW' | 'NHWC' };
}

/** A network predict.mjs runs batches on. */
export interface Engine {
  name: string;
  nchw: boolean;
  run(batch: Float32Array, n: number): Promise<ArrayLike<number>>;
  release(): Promise<void>;
}

/** Loads a package from the bundle's folder (its node_modules, or NODE_PATH). */
export type Load = (name: string) => unknown;

/** model.onnx on ONNX Runtime, or null when the file or onnxruntime-node is missing. */
export async function onnxEngine(
  here: string,
  spec: BundleSpec,
  load: Load,
  cores: number,
): Promise<Engine | null> {
  const info = spec.onnx;
  if (!info?.file || !info.input || !info.output) return null;
  if (!fs.existsSync(path.join(here, info.file))) return null;
  const input = info.input;
  const output = info.output;
  let ort: typeof Ort;
  try {
    // Off before ONNX Runtime starts: its telemetry walks the command line recursively and
    // overflows the stack when it is long (some 500 image paths: SIGSEGV); it also writes
    // ~/.cache/Microsoft/DeveloperTools and tries to upload, which this offline script must not.
    process.env['ORT_DISABLE_TELEMETRY'] = '1';
    ort = load('onnxruntime-node') as typeof Ort;
  } catch {
    return null;
  }
  const session = await ort.InferenceSession.create(await readBundleModel(here, info.file), {
    // One core is left to sharp's decoding, which runs alongside; waiting threads sleep
    // instead of spinning, so they take no core from it either (measured: npm run bench:predict).
    intraOpNumThreads: Math.max(1, cores - 1),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  const [h, w] = spec.inputSize;
  const nchw = info.layout === 'NCHW';
  return {
    name: 'ONNX Runtime',
    nchw,
    async run(batch, n) {
      const dims = nchw ? [n, 3, h, w] : [n, h, w, 3];
      const out = await session.run({ [input]: new ort.Tensor('float32', batch, dims) });
      return out[output]?.data as Float32Array;
    },
    release: () => session.release(),
  };
}

/** The TF.js Layers model (tfjs-node when installed, else pure-JS TF.js), or null without one. */
export async function tfjsEngine(
  here: string,
  spec: BundleSpec,
  load: Load,
): Promise<Engine | null> {
  const dir = path.join(here, 'model');
  if (!fs.existsSync(path.join(dir, 'model.json'))) return null;
  let tf: typeof Tf;
  try {
    tf = load('@tensorflow/tfjs-node') as typeof Tf;
  } catch {
    tf = load('@tensorflow/tfjs') as typeof Tf;
  }
  const model = await tf.loadLayersModel(diskModelHandler(path.join(dir, 'model.json')));
  const [h, w] = spec.inputSize;
  return {
    name: `TF.js (${tf.getBackend()})`,
    nchw: false,
    async run(batch, n) {
      const input = tf.tensor4d(batch, [n, h, w, 3]);
      const out = model.predict(input) as Tf.Tensor;
      const data = out.dataSync();
      input.dispose();
      out.dispose();
      return data;
    },
    release: async () => {
      model.dispose();
    },
  };
}
