/** The embedding benchmark's command line and constants. */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isBackendName, type BackendName } from '../../src/main/core/ml/tf-runtime';
import type { PreprocessingSpec } from '../../src/main/core/ml/zoo-types';

// ---------------------------------------------------------------------------------------------
// Options

export type Part = 'plain' | 'ocellus' | 'engine' | 'ort';

export interface Options {
  n: number;
  big: number;
  data: string;
  backend: BackendName;
  backendForced: boolean;
  keep: boolean;
  json: boolean;
  /** Internal: which part a child process runs. */
  part: Part | null;
  /** Internal: the run's temporary folder, for the children. */
  work: string | null;
}

export function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      n: { type: 'string', default: '200' },
      big: { type: 'string', default: '40' },
      data: { type: 'string', default: path.join(os.tmpdir(), 'ocellus-bench-embed') },
      backend: { type: 'string' },
      keep: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      part: { type: 'string' },
      work: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      'Usage: npm run bench:embed -- [--n 200] [--big 40] [--data DIR] [--backend wasm|cpu|tensorflow] [--keep] [--json]\n',
    );
    process.exit(0);
  }
  const count = (name: string, v: string, min: number): number => {
    const x = Number(v);
    if (!Number.isInteger(x) || x < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
    return x;
  };
  const backend = values.backend ?? 'wasm';
  if (!isBackendName(backend)) throw new Error(`--backend must be tensorflow, wasm or cpu`);
  const part = values.part;
  if (part !== undefined && !['plain', 'ocellus', 'engine', 'ort'].includes(part)) {
    throw new Error(`Unknown --part ${part}`);
  }
  return {
    n: count('n', values.n, 1),
    big: count('big', values.big, 0),
    data: path.resolve(values.data),
    backend,
    backendForced: values.backend !== undefined,
    keep: values.keep,
    json: values.json,
    part: (part as Part | undefined) ?? null,
    work: values.work ?? null,
  };
}

export const PARALLELISM = os.availableParallelism();
export const MODEL_INPUT = 224;
/** MobileNetV2's own preprocessing: center crop to 224, values in [-1, 1]. */
export const PREPROCESSING: PreprocessingSpec = {
  inputSize: [MODEL_INPUT, MODEL_INPUT],
  resize: 'center-crop',
  normalization: { kind: 'range', min: -1, max: 1 },
};
/** The pooled 1280-d feature layer of nsfwjs's MobileNetV2 (AveragePooling2D 7×7 → Flatten). */
export const PLAIN_FEATURE_LAYER = 'flatten_1';
export const JOB_BATCH_SIZES = [1, 8, 32];
/** Batch sizes of the Ocellus jobs on ONNX Runtime (OCELLUS_ENGINE=onnx). */
export const ONNX_BATCH_SIZES = [8, 32];
export const ORT_BATCH = 32;
export const ENGINE_BATCH = 8;
