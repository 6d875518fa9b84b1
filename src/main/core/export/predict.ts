import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { OcellusError } from '../../../shared/errors';
import { isImagePath } from '../library/image-formats';
import type { DecisionRule, PredictInput } from '../../../shared/types';
import { ruleOf, withDecisionRule } from './decision-rule';
import type { EmbedModel } from '../ml/embedder';
import { loadFeatureModel } from '../ml/feature-model';
import { diskModelHandler } from '../ml/model-io';
import { channelsFirst, loadModelInput, mirror } from '../ml/preprocess';
import type { PreprocessingSpec } from '../ml/zoo-types';
import type { HeadWeights } from '../model/head';
import { ONNX_INPUT, ONNX_PROBABILITIES } from '../ml/onnx/convert-layers';
import { createSession, loadOrt } from '../ml/onnx/onnx-engine';
import { forcedEngine } from '../ml/inference-engine';
import { ONNX_FILE } from './bundle-onnx';
import { MAX_IMAGE_BYTES } from '../library/probe';
import { checkPath } from '../util/safe-fs';

/** One image's prediction; `error` set (and no label) when the image could not be read. */
export interface PredictionRow {
  path: string;
  /** The frame of a multi-frame file, when the input was one. */
  frame?: number;
  label: string;
  confidence: number | null;
  probabilities: number[] | null;
  error: string | null;
  /** The decision by the run's operating point, when it has one. */
  decision?: string;
}

/** A classifier ready to run on image files. */
export interface Predictor {
  readonly classes: string[];
  readonly preprocessing: PreprocessingSpec;
  /** Probabilities are averaged with the mirror image's (test-time augmentation). */
  readonly tta: boolean;
  /** What runs the network: TF.js, or ONNX Runtime for a bundle's model.onnx. */
  readonly engine: 'tfjs' | 'onnx';
  /** The operating point its rows' decisions follow (export/decision-rule.ts), if any. */
  readonly decisionRule?: DecisionRule | null;
  /** Probabilities for a batch of files (or frames); unreadable files get an error row. */
  predict(files: readonly PredictInput[]): Promise<PredictionRow[]>;
  dispose(): void;
}

/** [n, dim] embeddings → [n, classes] probabilities through a trained head. */
export function headProbabilities(head: HeadWeights, x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const w1 = tf.tensor2d(head.w1, [head.dim, head.hidden]);
    const w2 = tf.tensor2d(head.w2, [head.hidden, head.classes]);
    const h = tf.relu(tf.add(tf.matMul(x, w1), tf.tensor1d(head.b1)));
    return tf.softmax(tf.add(tf.matMul(h, w2), tf.tensor1d(head.b2))) as tf.Tensor2D;
  });
}

/** The app's own classifier for a run: the base's embedding, then the head. */
export async function runPredictor(
  model: EmbedModel,
  head: HeadWeights,
  classes: string[],
  tta = false,
): Promise<Predictor> {
  const features = await loadFeatureModel(model.modelJson, model.featureOutput);
  return makePredictor(
    classes,
    model.preprocessing,
    tta,
    tfjsRunner((batch) =>
      tf.tidy(() => {
        const emb = features.embed(batch);
        return headProbabilities(head, emb);
      }),
    ),
    () => features.dispose(),
  );
}

/** A model bundle's classifier (model/model.json, labels.json, preprocessing.json). */
export async function bundlePredictor(dir: string): Promise<Predictor> {
  const labels = readBundleJson<{ classes: string[]; operatingPoint?: Partial<DecisionRule> }>(
    dir,
    'labels.json',
  );
  return withDecisionRule(await bundleClassifier(dir, labels.classes), ruleOf(labels));
}

function readBundleJson<T>(dir: string, name: string): T {
  const file = path.join(dir, name);
  if (!fs.existsSync(file))
    throw new OcellusError('NOT_FOUND', `${dir} is not a model bundle (no ${name})`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

async function bundleClassifier(dir: string, classes: string[]): Promise<Predictor> {
  const spec = readBundleJson<
    PreprocessingSpec & {
      tta?: 'flip' | 'none';
      onnx?: { file: string | null; input?: string; output?: string; layout?: 'NHWC' | 'NCHW' };
    }
  >(dir, 'preprocessing.json');
  const tta = spec.tta === 'flip';
  const onnxFile = path.join(dir, spec.onnx?.file ?? ONNX_FILE);
  const hasLayers = fs.existsSync(path.join(dir, 'model', 'model.json'));
  if (fs.existsSync(onnxFile) && (forcedEngine(undefined) !== 'tfjs' || !hasLayers)) {
    const session = await createSession(fs.readFileSync(onnxFile));
    const ort = await loadOrt();
    const input = spec.onnx?.input ?? ONNX_INPUT;
    const output = spec.onnx?.output ?? ONNX_PROBABILITIES;
    const nchw = spec.onnx?.layout === 'NCHW';
    return makePredictor(
      classes,
      spec,
      tta,
      async (packed, dims) => {
        const [n, h, w] = dims;
        const feed = nchw
          ? new ort.Tensor('float32', channelsFirst(packed, n, h, w), [n, 3, h, w])
          : new ort.Tensor('float32', packed, dims);
        const out = await session.run({ [input]: feed });
        const data = out[output]?.data;
        if (!(data instanceof Float32Array))
          throw new OcellusError('INTERNAL', 'model.onnx gave no probabilities');
        return data;
      },
      () => void session.release(),
      'onnx',
    );
  }
  if (!hasLayers) throw new OcellusError('NOT_FOUND', `${dir} has neither model.onnx nor model/`);
  const model = await tfl.loadLayersModel(diskModelHandler(path.join(dir, 'model', 'model.json')));
  return makePredictor(
    classes,
    spec,
    tta,
    tfjsRunner((batch) => model.predict(batch) as tf.Tensor2D),
    () => model.dispose(),
  );
}

/** Class probabilities, [n × classes] flat, of a packed [n, h, w, 3] batch. */
type BatchRunner = (
  packed: Float32Array,
  dims: [number, number, number, 3],
) => Promise<Float32Array>;

function tfjsRunner(run: (batch: tf.Tensor4D) => tf.Tensor2D): BatchRunner {
  return async (packed, dims) => {
    const input = tf.tensor4d(packed, dims);
    const out = run(input);
    const data = out.dataSync() as Float32Array;
    input.dispose();
    out.dispose();
    return data;
  };
}

function makePredictor(
  classes: string[],
  spec: PreprocessingSpec,
  tta: boolean,
  run: BatchRunner,
  dispose: () => void,
  engine: 'tfjs' | 'onnx' = 'tfjs',
): Predictor {
  const [h, w] = spec.inputSize;
  return {
    classes,
    preprocessing: spec,
    tta,
    engine,
    async predict(files) {
      // Checked first: sharp opening a FIFO named .jpg would block for good.
      const inputs = files.map((f): { path: string; frame?: number } =>
        typeof f === 'string' ? { path: f } : f,
      );
      const settled = await Promise.allSettled(
        inputs.map(async (f) => {
          await checkPath(f.path, { maxBytes: MAX_IMAGE_BYTES });
          return loadModelInput({ original: f.path, frame: f.frame }, spec);
        }),
      );
      const ok = settled.flatMap((s, i) => (s.status === 'fulfilled' ? [i] : []));
      const rows: PredictionRow[] = inputs.map((f, i) => {
        const s = settled[i];
        return {
          path: f.path,
          ...(f.frame === undefined ? {} : { frame: f.frame }),
          label: '',
          confidence: null,
          probabilities: null,
          error:
            s?.status === 'rejected'
              ? s.reason instanceof Error
                ? s.reason.message
                : String(s.reason)
              : null,
        };
      });
      if (ok.length === 0) return rows;
      const per = h * w * 3;
      const views = tta ? 2 : 1;
      const packed = new Float32Array(ok.length * views * per);
      ok.forEach((i, j) => {
        const s = settled[i];
        if (s?.status !== 'fulfilled') return;
        packed.set(s.value, j * per);
        if (tta) packed.set(mirror(s.value, spec), (ok.length + j) * per);
      });
      const out = await run(packed, [ok.length * views, h, w, 3]);
      const k = classes.length;
      // With TTA the mirrored half follows: the mean of both, as predict.mjs computes it.
      const data = tta
        ? Float32Array.from(
            { length: ok.length * k },
            (_, j) => ((out[j] ?? 0) + (out[ok.length * k + j] ?? 0)) / 2,
          )
        : out;
      ok.forEach((i, j) => {
        const probs = Array.from(data.slice(j * k, (j + 1) * k));
        let best = 0;
        for (let c = 1; c < k; c++) if ((probs[c] ?? 0) > (probs[best] ?? 0)) best = c;
        const row = rows[i];
        if (!row) return;
        row.probabilities = probs;
        row.label = classes[best] ?? '';
        row.confidence = probs[best] ?? null;
      });
      return rows;
    },
    dispose,
  };
}

/** Image files under the given files and folders (recursive), in a stable order. */
export function collectImageFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch {
      out.push(p); // Reported as an error row, not dropped.
      return;
    }
    if (st.isDirectory()) {
      for (const name of fs.readdirSync(p).sort()) {
        if (name.startsWith('.')) continue;
        const child = path.join(p, name);
        const st = fs.statSync(child, { throwIfNoEntry: false });
        if (st?.isDirectory() || isImagePath(child)) walk(child);
      }
    } else out.push(p);
  };
  for (const p of paths) walk(path.resolve(p));
  return out;
}

export { predictionLine, predictionsHeader } from '../../../shared/predictions-csv';
