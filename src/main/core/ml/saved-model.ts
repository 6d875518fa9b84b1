/**
 * TensorFlow 2 SavedModel folders as base models, through the native backend
 * (@tensorflow/tfjs-node's loadSavedModel). An imported SavedModel is stored as a model folder
 * holding the SavedModel under `saved_model/` and a `model.json` descriptor (format
 * `tf-saved-model`) that records the chosen signature, input, feature output, input size,
 * preprocessing and the SavedModel's files (hashed like weight shards).
 *
 * It is not converted for the other engines: converting a SavedModel to a TF.js graph model or
 * to ONNX needs Python tools (tensorflowjs_converter, tf2onnx) that Ocellus does not ship, so
 * such a base runs on the native backend only, and says so.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { OcellusError } from '../../../shared/errors';
import type { SavedModelChoice, SavedModelInfo, SavedModelSignature } from '../../../shared/types';
import { copyFileSafe } from '../util/safe-copy';
import { MAX_MODEL_BYTES } from './model-import';
import { initBackend, skippedBackends, type BackendName } from './tf-runtime';
import {
  NATIVE_ONLY_NOTE,
  SAVED_MODEL_DIR,
  SAVED_MODEL_FORMAT,
  listFiles,
  type SavedModelDescriptor,
} from './saved-model-files';

// The parts of tfjs-node used here (it is an optional dependency, so no compile-time types).
interface TfNodeDim {
  getSize(): number;
}
interface TfNodeTensorInfo {
  dtype: string;
  name: string;
  shape: (number | TfNodeDim)[];
}
interface TfNodeMetaGraph {
  tags: string[];
  signatureDefs: Record<
    string,
    { inputs: Record<string, TfNodeTensorInfo>; outputs: Record<string, TfNodeTensorInfo> }
  >;
}
interface TfNodeSavedModel {
  predict(inputs: tf.Tensor | Record<string, tf.Tensor>): tf.Tensor | Record<string, tf.Tensor>;
  dispose(): void;
}
interface TfNode {
  node: {
    getMetaGraphsFromSavedModel(dir: string): Promise<TfNodeMetaGraph[]>;
    loadSavedModel(dir: string, tags: string[], signature: string): Promise<TfNodeSavedModel>;
  };
}

const nodeRequire = createRequire(import.meta.url);

/** tfjs-node, once the native backend is the one in use; UNSUPPORTED with the reason otherwise. */
async function nativeTf(preferred: BackendName | null = null): Promise<TfNode> {
  const backend = await initBackend(preferred);
  if (backend !== 'tensorflow') {
    const why = skippedBackends().find((s) => s.backend === 'tensorflow')?.reason;
    throw new OcellusError(
      'UNSUPPORTED',
      `${NATIVE_ONLY_NOTE[0]?.toUpperCase()}${NATIVE_ONLY_NOTE.slice(1)}; the backend here is ${backend}${why ? ` (tensorflow: ${why})` : ''}`,
    );
  }
  return nodeRequire('@tensorflow/tfjs-node') as TfNode;
}

const dimSize = (d: number | TfNodeDim): number => (typeof d === 'number' ? d : d.getSize());

/** Signatures of a SavedModel folder, with their inputs' and outputs' shapes (-1: any). */
export async function inspectSavedModel(dir: string): Promise<SavedModelInfo> {
  const tfn = await nativeTf();
  let graphs: TfNodeMetaGraph[];
  try {
    graphs = await tfn.node.getMetaGraphsFromSavedModel(dir);
  } catch (err) {
    throw new OcellusError('INVALID_ARGUMENT', `${dir} is not a readable SavedModel: ${msg(err)}`);
  }
  const signatures: SavedModelSignature[] = [];
  for (const g of graphs) {
    for (const [name, def] of Object.entries(g.signatureDefs)) {
      const tensors = (m: Record<string, TfNodeTensorInfo>) =>
        Object.entries(m).map(([key, t]) => ({
          name: key,
          dtype: t.dtype,
          shape: t.shape.map(dimSize),
        }));
      signatures.push({
        tags: g.tags,
        name,
        inputs: tensors(def.inputs),
        outputs: tensors(def.outputs),
      });
    }
  }
  if (signatures.length === 0) {
    throw new OcellusError('INVALID_ARGUMENT', `${dir} has no serving signatures`);
  }
  const best = chooseSignature(signatures, undefined);
  return {
    signatures,
    signature: best.name,
    featureOutput: detectFeatureOutput(best, undefined),
    note: NATIVE_ONLY_NOTE,
  };
}

/** The signature to use: the one asked for, else serving_default, else the first with an image input. */
export function chooseSignature(
  all: SavedModelSignature[],
  wanted: string | undefined,
): SavedModelSignature {
  if (wanted) {
    const hit = all.find((s) => s.name === wanted);
    if (!hit) {
      throw new OcellusError(
        'INVALID_ARGUMENT',
        `The SavedModel has no signature "${wanted}" (it has ${all.map((s) => s.name).join(', ')})`,
      );
    }
    return hit;
  }
  const usable = all.filter((s) => imageInput(s) !== null);
  const pick = usable.find((s) => s.name === 'serving_default') ?? usable[0];
  if (!pick) {
    throw new OcellusError(
      'UNSUPPORTED',
      'No signature of this SavedModel takes one float image batch [n, h, w, 3]',
    );
  }
  return pick;
}

/** The signature's single [n, h, w, 3] float input, or null. */
export function imageInput(s: SavedModelSignature): SavedModelSignature['inputs'][number] | null {
  if (s.inputs.length !== 1) return null;
  const input = s.inputs[0];
  return input && input.dtype === 'float32' && input.shape.length === 4 && input.shape[3] === 3
    ? input
    : null;
}

const CLASSIFIER = /logit|prob|pred|class|score|softmax/i;
const FEATURE = /feature|embed|pool|bottleneck|vector/i;

/**
 * The output whose values are the embedding: the one asked for, else one named like features
 * (feature_vector, embedding, pool…), else the only 2-D or 4-D float output that does not look
 * like a classifier's, else the only output at all.
 */
export function detectFeatureOutput(s: SavedModelSignature, wanted: string | undefined): string {
  if (wanted) {
    if (!s.outputs.some((o) => o.name === wanted)) {
      throw new OcellusError(
        'INVALID_ARGUMENT',
        `Signature ${s.name} has no output "${wanted}" (it has ${s.outputs.map((o) => o.name).join(', ')})`,
      );
    }
    return wanted;
  }
  const floats = s.outputs.filter(
    (o) => o.dtype === 'float32' && (o.shape.length === 2 || o.shape.length === 4),
  );
  const named = floats.find((o) => FEATURE.test(o.name));
  const plain = floats.filter((o) => !CLASSIFIER.test(o.name));
  const pick = named ?? (plain.length === 1 ? plain[0] : floats.length === 1 ? floats[0] : null);
  if (!pick) {
    throw new OcellusError(
      'INVALID_ARGUMENT',
      `Cannot tell which output of signature ${s.name} holds the features (${s.outputs.map((o) => o.name).join(', ')}): name one`,
    );
  }
  return pick.name;
}

/**
 * Copies a SavedModel folder into `staging/saved_model`, checks that the chosen signature runs
 * on the native backend (one zero batch), and writes the model.json descriptor beside it.
 */
export async function stageSavedModel(
  src: string,
  staging: string,
  choice: SavedModelChoice = {},
): Promise<SavedModelDescriptor> {
  // Listing refuses links and special files with a clear message; each copy checks again on
  // the opened file, so one swapped in between is refused too.
  const files = listFiles(src);
  const target = path.join(staging, SAVED_MODEL_DIR);
  for (const rel of files) {
    await copyFileSafe(path.join(src, ...rel.split('/')), path.join(target, ...rel.split('/')), {
      roots: [src],
      noLinks: true,
      maxBytes: MAX_MODEL_BYTES,
    });
  }
  const info = await inspectSavedModel(target);
  const sig = chooseSignature(info.signatures, choice.signature);
  const input = imageInput(sig);
  if (!input) {
    throw new OcellusError(
      'UNSUPPORTED',
      `Signature ${sig.name} does not take one float image batch [n, h, w, 3]`,
    );
  }
  const output = detectFeatureOutput(sig, choice.featureOutput);
  const [, h, w] = input.shape;
  const declared = choice.preprocessing?.inputSize;
  const inputSize: [number, number] | null = declared ?? (h && w && h > 0 && w > 0 ? [h, w] : null);
  if (!inputSize) {
    throw new OcellusError(
      'INVALID_ARGUMENT',
      `Signature ${sig.name} accepts any image size: declare the input size`,
    );
  }
  const descriptor: SavedModelDescriptor = {
    format: SAVED_MODEL_FORMAT,
    savedModel: {
      dir: SAVED_MODEL_DIR,
      tags: sig.tags,
      signature: sig.name,
      input: input.name,
      output,
      inputSize,
      featureSize: 0,
    },
    preprocessing: {
      inputSize,
      resize: choice.preprocessing?.resize ?? 'center-crop',
      // TF Hub's image models take RGB in [0, 1]; anything else must be declared.
      normalization: choice.preprocessing?.normalization ?? { kind: 'range', min: 0, max: 1 },
    },
    files: files.map((f) => `${SAVED_MODEL_DIR}/${f}`),
  };
  const model = await loadSavedModelFeatures(target, descriptor);
  try {
    descriptor.savedModel.featureSize = model.size;
  } finally {
    model.dispose();
  }
  fs.writeFileSync(path.join(staging, 'model.json'), JSON.stringify(descriptor, null, 2));
  return descriptor;
}

/** A SavedModel's feature output as an embedding function (native backend). */
export async function loadSavedModelFeatures(
  dir: string,
  d: SavedModelDescriptor,
  preferred: BackendName | null = null,
): Promise<{
  size: number;
  featureLayer: string;
  inputSize: [number, number];
  embed(batch: tf.Tensor4D): tf.Tensor2D;
  dispose(): void;
}> {
  const tfn = await nativeTf(preferred);
  const { tags, signature, input, output, inputSize } = d.savedModel;
  const model = await tfn.node.loadSavedModel(dir, tags, signature);
  const embed = (batch: tf.Tensor4D): tf.Tensor2D =>
    tf.tidy(() => {
      const raw = model.predict({ [input]: batch });
      const out = raw instanceof tf.Tensor ? raw : raw[output];
      if (!out) throw new OcellusError('INTERNAL', `The SavedModel gave no output ${output}`);
      return (
        out.rank === 4 ? tf.mean(out, [1, 2]) : tf.reshape(out, [batch.shape[0], -1])
      ) as tf.Tensor2D;
    });
  const probe = embed(tf.zeros([1, inputSize[0], inputSize[1], 3]) as tf.Tensor4D);
  const size = probe.shape[1];
  probe.dispose();
  return {
    size,
    featureLayer: `${signature}/${output}`,
    inputSize,
    embed,
    dispose: () => model.dispose(),
  };
}

function msg(err: unknown): string {
  return err instanceof Error ? (err.message.split('\n')[0] ?? err.message) : String(err);
}
