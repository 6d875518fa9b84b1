import fs from 'node:fs';
import path from 'node:path';
import type * as Ort from 'onnxruntime-node';
import type * as Tf from '@tensorflow/tfjs';
import { boxPredictionLine } from '../../shared/predictions-csv';
import type { BundleDetectorJson } from '../core/export/bundle-detector';
import type { OutputTensor } from '../core/detect/decode';
import { detectorInput, outputBoxes } from '../core/detect/detector-output';
import { letterboxWith } from '../core/detect/letterbox';
import { cropPixelsWith, orientedPixels } from '../core/library/crop-steps';
import { channelsFirst } from '../core/ml/preprocess';
import { diskModelHandler } from '../core/ml/model-io';
import type { Load } from './predict-engines';
import {
  classifier,
  errorText,
  progressReporter,
  verdict,
  type ClassifyContext,
} from './predict-classify';
import { fileKind } from './predict-input';

/** The bundle's detector/detector.json, or null when the bundle classifies whole images. */
export function readDetector(here: string): BundleDetectorJson | null {
  const file = path.join(here, 'detector', 'detector.json');
  if (!fs.existsSync(file)) return null;
  return JSON.parse(fs.readFileSync(file, 'utf8')) as BundleDetectorJson;
}

/** Runs the detector network on one letterboxed input. */
type DetectorRun = (input: Float32Array) => Promise<OutputTensor>;

/**
 * The detector's network: an .onnx file on ONNX Runtime, or a TF.js graph model (tfjs-node
 * when installed, else pure-JS TF.js), fed as the app's detector engine feeds it.
 */
export async function detectorRuntime(
  here: string,
  d: BundleDetectorJson,
  load: Load,
): Promise<{ run: DetectorRun; release: () => Promise<void> }> {
  const file = path.join(here, 'detector', d.file);
  const [h, w] = d.inputSize;
  if (d.format === 'onnx') {
    process.env['ORT_DISABLE_TELEMETRY'] = '1';
    const ort = load('onnxruntime-node') as typeof Ort;
    const session = await ort.InferenceSession.create(file);
    const input = d.input ?? session.inputNames[0] ?? '';
    const output = d.output ?? session.outputNames[0] ?? '';
    return {
      async run(x) {
        const tensor =
          d.layout === 'NCHW'
            ? new ort.Tensor('float32', channelsFirst(x, 1, h, w), [1, 3, h, w])
            : new ort.Tensor('float32', x, [1, h, w, 3]);
        const out = (await session.run({ [input]: tensor }))[output];
        if (!out) throw new Error('The detector gave no output');
        return { data: out.data as Float32Array, dims: out.dims };
      },
      release: () => session.release(),
    };
  }
  let tf: typeof Tf;
  try {
    tf = load('@tensorflow/tfjs-node') as typeof Tf;
  } catch {
    tf = load('@tensorflow/tfjs') as typeof Tf;
  }
  const model = await tf.loadGraphModel(diskModelHandler(file));
  return {
    async run(x) {
      const input = tf.tensor4d(x, [1, h, w, 3]);
      try {
        const out = model.execute(input, d.output) as Tf.Tensor;
        try {
          return { data: (await out.data()) as Float32Array, dims: out.shape };
        } finally {
          out.dispose();
        }
      } finally {
        input.dispose();
      }
    },
    release: async () => model.dispose(),
  };
}

/**
 * Detect → crop → classify, one file at a time: the boxes at or above the bundle's threshold
 * are cut by the app's crop rule and classified; each box is a row, an image without one an
 * 'empty' row, an unreadable file an error row. Rows go to `write` in file order.
 */
export async function classifyBoxes(
  list: readonly string[],
  c: ClassifyContext,
  d: BundleDetectorJson,
  detect: DetectorRun,
  write: (text: string) => void,
): Promise<void> {
  const infer = classifier(c);
  const progress = progressReporter(list.length, c.batchSize);
  const { classes, operatingPoint } = c.labels;
  const line = (row: Parameters<typeof boxPredictionLine>[0]) =>
    boxPredictionLine(row, classes, Boolean(operatingPoint));
  let decoder = d.decoder === 'auto' ? null : d.decoder;
  for (let i = 0; i < list.length; i++) {
    const file = list[i] ?? '';
    try {
      if (fileKind(file) !== 'image')
        throw new Error('DICOM file: predict.mjs does not detect in DICOM');
      const boxed = await letterboxWith(c.sharp, file, d.inputSize);
      const out = await detect(detectorInput(boxed.rgb, d.divisor));
      const read = outputBoxes(out, decoder, d.classMap, boxed.geometry, d.minConfidence);
      decoder = read.decoder;
      const boxes = read.boxes.filter((b) => b.confidence >= d.threshold);
      if (boxes.length === 0) {
        write(line({ ...blank(file), detection: 'empty' }));
      } else {
        const image = await orientedPixels(c.sharp(file, { failOn: 'truncated' }));
        let text = '';
        for (let start = 0; start < boxes.length; start += c.batchSize) {
          const chunk = boxes.slice(start, start + c.batchSize);
          const crops = await Promise.all(
            chunk.map((b) => cropPixelsWith(c.sharp, image, b.box, c.spec)),
          );
          const probs = await infer(crops);
          chunk.forEach((b, j) => {
            const p = Array.from(probs.subarray(j * classes.length, (j + 1) * classes.length));
            const [label, confidence, decision] = verdict(p, c.labels);
            text += line({
              path: file,
              box: [...b.box],
              detection: b.category,
              detectionConfidence: b.confidence,
              label,
              confidence,
              probabilities: p,
              decision: decision ?? null,
              error: null,
            });
          });
        }
        write(text);
      }
    } catch (err) {
      write(line({ ...blank(file), error: errorText(err) }));
    }
    progress(i + 1);
  }
}

function blank(file: string) {
  return { path: file, label: '', confidence: null, probabilities: null, error: null };
}
