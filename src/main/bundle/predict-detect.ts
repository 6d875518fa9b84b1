import fs from 'node:fs';
import path from 'node:path';
import type * as Ort from 'onnxruntime-node';
import type * as Tf from '@tensorflow/tfjs';
import { boxPredictionLine } from '../../shared/predictions-csv';
import type { BundleDetectorJson } from '../core/export/bundle-detector';
import type { OutputTensor } from '../core/detect/decode';
import { detectorInput, outputBoxes } from '../core/detect/detector-output';
import { letterboxWith, openSource } from '../core/detect/letterbox';
import { cropPixelsWith, orientedPixels } from '../core/library/crop-steps';
import { channelsFirst } from '../core/ml/preprocess';
import { diskModelHandler } from '../core/ml/model-io';
import { readBundleJson, readBundleModel } from '../core/export/bundle-files';
import type { Load } from './predict-engines';
import {
  classifier,
  errorText,
  progressReporter,
  verdict,
  type BundleLabels,
  type ClassifyContext,
} from './predict-classify';
import { openInput, type Input } from './predict-input';
import { decoding } from '../core/library/image-check';
import { MD_CATEGORY_IDS } from '../core/detect/categories';
import {
  MD_FORMAT_VERSION,
  mdDetectionCategories,
  roundConf,
  roundCoord,
  type MdBatchOutput,
  type MdImage,
} from '../core/detect/megadetector-format';
import type { DetectionCategory } from '../../shared/types';

/** The bundle's detector/detector.json, or null when the bundle classifies whole images. */
export async function readDetector(here: string): Promise<BundleDetectorJson | null> {
  if (!fs.existsSync(path.join(here, 'detector', 'detector.json'))) return null;
  return readBundleJson<BundleDetectorJson>(here, path.join('detector', 'detector.json'));
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
    const session = await ort.InferenceSession.create(await readBundleModel(here, file));
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

/** One box of an image, classified. */
export interface ClassifiedBox {
  box: [number, number, number, number];
  category: DetectionCategory;
  confidence: number;
  probabilities: number[];
}

/** What detect → crop → classify made of one file (or frame): its boxes at the threshold, or why it failed. */
export interface ImageBoxes {
  file: string;
  /** The frame of a multi-frame DICOM (0-based). */
  frame?: number;
  boxes: ClassifiedBox[];
  error?: string;
}

/**
 * Detect → crop → classify, one input at a time (a file, or a frame of a multi-frame DICOM,
 * opened as the classifier opens it): the boxes at or above the bundle's threshold are cut
 * by the app's crop rule and classified; each input's outcome goes to `onImage`, in order
 * (an unreadable file with its error).
 */
export async function classifyBoxes(
  list: readonly Input[],
  c: ClassifyContext,
  d: BundleDetectorJson,
  detect: DetectorRun,
  onImage: (r: ImageBoxes) => void,
): Promise<void> {
  const infer = classifier(c);
  const progress = progressReporter(list.length, c.batchSize);
  const k = c.labels.classes.length;
  let decoder = d.decoder === 'auto' ? null : d.decoder;
  for (let i = 0; i < list.length; i++) {
    const input = list[i] ?? { path: '' };
    const file = input.path;
    const at = input.frame === undefined ? {} : { frame: input.frame };
    try {
      const source = await openInput(input);
      const boxed = await decoding(file, letterboxWith(c.sharp, source, d.inputSize));
      const out = await detect(detectorInput(boxed.rgb, d.divisor));
      const read = outputBoxes(out, decoder, d.classMap, boxed.geometry, d.minConfidence);
      decoder = read.decoder;
      const found = read.boxes.filter((b) => b.confidence >= d.threshold);
      const boxes: ClassifiedBox[] = [];
      if (found.length > 0) {
        const image = await orientedPixels(openSource(c.sharp, source));
        for (let start = 0; start < found.length; start += c.batchSize) {
          const chunk = found.slice(start, start + c.batchSize);
          const crops = await Promise.all(
            chunk.map((b) => cropPixelsWith(c.sharp, image, b.box, c.spec)),
          );
          const probs = await infer(crops);
          chunk.forEach((b, j) =>
            boxes.push({
              box: [...b.box],
              category: b.category,
              confidence: b.confidence,
              probabilities: Array.from(probs.subarray(j * k, (j + 1) * k)),
            }),
          );
        }
      }
      onImage({ file, ...at, boxes });
    } catch (err) {
      onImage({ file, ...at, boxes: [], error: errorText(err) });
    }
    progress(i + 1);
  }
}

/** The CSV rows of one image: a row per box, one 'empty' row, or an error row. */
export function boxRows(r: ImageBoxes, labels: BundleLabels, framed = false): string {
  const line = (row: Parameters<typeof boxPredictionLine>[0]) =>
    boxPredictionLine(
      { ...row, frame: r.frame },
      labels.classes,
      Boolean(labels.operatingPoint),
      framed,
    );
  const blank = { path: r.file, label: '', confidence: null, probabilities: null, error: null };
  if (r.error !== undefined) return line({ ...blank, error: r.error });
  if (r.boxes.length === 0) return line({ ...blank, detection: 'empty' });
  return r.boxes
    .map((b) => {
      const [label, confidence, decision] = verdict(b.probabilities, labels);
      return line({
        path: r.file,
        box: b.box,
        detection: b.category,
        detectionConfidence: b.confidence,
        label,
        confidence,
        probabilities: b.probabilities,
        decision: decision ?? null,
        error: null,
      });
    })
    .join('');
}

/**
 * One image as MegaDetector batch output writes it (format 1.4): its boxes with the
 * detector's category id, confidence and [x, y, w, h], and the classes as classifications
 * (class index as id, best first), rounded as the MegaDetector tools round.
 */
export function mdImage(r: ImageBoxes): MdImage {
  // A frame of a multi-frame DICOM keeps its file and says which frame (a field of Ocellus's).
  const at = r.frame === undefined ? {} : { frame: r.frame };
  if (r.error !== undefined) return { file: r.file, ...at, failure: r.error };
  return {
    file: r.file,
    ...at,
    max_detection_conf: roundConf(Math.max(0, ...r.boxes.map((b) => b.confidence))),
    detections: r.boxes.map((b) => ({
      category: MD_CATEGORY_IDS[b.category],
      conf: roundConf(b.confidence),
      bbox: b.box.map(roundCoord) as [number, number, number, number],
      classifications: b.probabilities
        .map((p, i): [string, number] => [String(i), roundConf(p)])
        .sort((x, y) => y[1] - x[1]),
    })),
  };
}

/** The whole MegaDetector batch-output file of a run, with the bundle's classes. */
export function mdOutput(
  images: MdImage[],
  d: BundleDetectorJson,
  classes: readonly string[],
): MdBatchOutput {
  return {
    info: {
      format_version: MD_FORMAT_VERSION,
      detector: d.name,
      classifier: 'Ocellus model bundle',
    },
    detection_categories: mdDetectionCategories(),
    classification_categories: Object.fromEntries(classes.map((c, i) => [String(i), c])),
    images,
  };
}
