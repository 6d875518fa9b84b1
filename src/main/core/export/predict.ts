import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { OcellusError } from '../../../shared/errors';
import type { DecisionRule, PredictInput } from '../../../shared/types';
import { ruleOf, withDecisionRule } from './decision-rule';
import type { EmbedModel } from '../ml/embedder';
import { loadFeatureModel } from '../ml/feature-model';
import { diskModelHandler } from '../ml/model-io';
import { channelsFirst, loadModelInput, mirror, normalise } from '../ml/preprocess';
import type { PreprocessingSpec } from '../ml/zoo-types';
import type { HeadWeights } from '../model/head';
import { ONNX_INPUT, ONNX_PROBABILITIES } from '../ml/onnx/convert-layers';
import { createSession, loadOrt } from '../ml/onnx/onnx-engine';
import { forcedEngine } from '../ml/inference-engine';
import { ONNX_FILE } from './bundle-onnx';
import { readBundleDetector } from './bundle-detector';
import { withDetector } from './box-predict';
import { createDetector } from '../detect/detector-engine';
import { checkImageFile, decoding } from '../library/image-check';
import { readBundleJson, readBundleModel } from './bundle-files';

import type { PredictionRow, Predictor } from './predictor';
import { refuseUnfinished } from './out-dir';

export type { PredictionRow, Predictor };

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
  refuseUnfinished(dir);
  const labels = await readBundleJson<{
    classes: string[];
    operatingPoint?: Partial<DecisionRule>;
  }>(dir, 'labels.json');
  const classifier = withDecisionRule(await bundleClassifier(dir, labels.classes), ruleOf(labels));
  const detector = await readBundleDetector(dir);
  if (!detector) return classifier;
  try {
    const engine = await createDetector(detector.spec, { minConfidence: detector.minConfidence });
    return withDetector(classifier, engine, detector);
  } catch (err) {
    classifier.dispose();
    throw err;
  }
}

async function bundleClassifier(dir: string, classes: string[]): Promise<Predictor> {
  const spec = await readBundleJson<
    PreprocessingSpec & {
      tta?: 'flip' | 'none';
      onnx?: { file: string | null; input?: string; output?: string; layout?: 'NHWC' | 'NCHW' };
    }
  >(dir, 'preprocessing.json');
  const tta = spec.tta === 'flip';
  const onnxFile = path.join(dir, spec.onnx?.file ?? ONNX_FILE);
  const hasLayers = fs.existsSync(path.join(dir, 'model', 'model.json'));
  if (fs.existsSync(onnxFile) && (forcedEngine(undefined) !== 'tfjs' || !hasLayers)) {
    const session = await createSession(await readBundleModel(dir, onnxFile));
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
  const k = classes.length;
  /** Probabilities of normalised inputs ([h, w, 3] each), mirror-averaged with TTA. */
  const classify = async (inputs: readonly Float32Array[]): Promise<number[][]> => {
    const per = h * w * 3;
    const views = tta ? 2 : 1;
    const n = inputs.length;
    const packed = new Float32Array(n * views * per);
    inputs.forEach((x, j) => {
      packed.set(x, j * per);
      if (tta) packed.set(mirror(x, spec), (n + j) * per);
    });
    const out = await run(packed, [n * views, h, w, 3]);
    // With TTA the mirrored half follows: the mean of both, as predict.mjs computes it.
    const data = tta
      ? Float32Array.from({ length: n * k }, (_, j) => ((out[j] ?? 0) + (out[n * k + j] ?? 0)) / 2)
      : out;
    return inputs.map((_, j) => Array.from(data.slice(j * k, (j + 1) * k)));
  };
  return {
    classes,
    preprocessing: spec,
    tta,
    engine,
    async predict(files) {
      const { rows, inputs } = await readInputs(files, spec);
      if (inputs.size === 0) return rows;
      const ok = [...inputs.keys()];
      const probabilities = await classify([...inputs.values()]);
      ok.forEach((i, j) => {
        const probs = probabilities[j] ?? [];
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
    async predictPixels(pixels) {
      return pixels.length === 0 ? [] : classify(pixels.map((rgb) => normalise(rgb, spec)));
    },
    dispose,
  };
}

/**
 * Every file (or frame) as normalised network input, by index; each one that cannot be read
 * gets its row's error instead.
 */
async function readInputs(
  files: readonly PredictInput[],
  spec: PreprocessingSpec,
): Promise<{ rows: PredictionRow[]; inputs: Map<number, Float32Array> }> {
  const targets = files.map((f): { path: string; frame?: number } =>
    typeof f === 'string' ? { path: f } : f,
  );
  const settled = await Promise.allSettled(
    targets.map(async (f) => {
      // Checked first: sharp opening a FIFO named .jpg would block for good.
      await checkImageFile(f.path);
      return decoding(f.path, loadModelInput({ original: f.path, frame: f.frame }, spec));
    }),
  );
  const inputs = new Map<number, Float32Array>();
  const rows = targets.map((f, i): PredictionRow => {
    const s = settled[i];
    if (s?.status === 'fulfilled') inputs.set(i, s.value);
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
  return { rows, inputs };
}

export { collectImageFiles } from './image-files';
export { predictionLine, predictionsHeader } from '../../../shared/predictions-csv';
