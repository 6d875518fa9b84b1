import fs from 'node:fs';
import path from 'node:path';
import { CROP_MARGIN } from '../../../shared/crop';
import { OcellusError } from '../../../shared/errors';
import { detectorFileOptions, folderDetector, type DetectorSpec } from '../detect/detector-spec';
import { PAD_GREY } from '../detect/letterbox';
import { readFileSafe, readTextSafe } from '../util/safe-fs';
import { writeFileAtomic } from '../util/fs-atomic';

/** The bundle's folder holding the detector: its model files and detector.json. */
export const BUNDLE_DETECTOR_DIR = 'detector';

/** Boxes under this confidence are dropped before suppression, as the app's detection job does. */
export const BUNDLE_MIN_CONFIDENCE = 0.05;

/** detector.json holds a few settings; anything this large is not one. */
const MAX_DETECTOR_JSON_BYTES = 1024 * 1024;

/** What a bundle's detector/detector.json holds: the detector's spec, its threshold and floor. */
export interface BundleDetectorJson extends Omit<DetectorSpec, 'file'> {
  /** The model file inside detector/ (an .onnx file, or a graph model's model.json). */
  file: string;
  /** Boxes at or above this confidence are cropped and classified. */
  threshold: number;
  minConfidence: number;
}

/** A bundle's detector as `ocellus predict` runs it. */
export interface BundleDetector {
  spec: DetectorSpec;
  threshold: number;
  minConfidence: number;
}

/**
 * Copies a detector into `<out>/detector/`: its model (with a graph model's weight shards),
 * read through the safe reader as the app reads it, and detector.json with everything needed
 * to run it and read its output, plus the threshold. Never overwrites a file.
 */
export async function writeBundleDetector(
  out: string,
  spec: DetectorSpec,
  threshold: number,
): Promise<BundleDetectorJson> {
  if (!(threshold >= 0 && threshold <= 1))
    throw new OcellusError('INVALID_ARGUMENT', 'The detector threshold is a number from 0 to 1');
  const dir = path.join(out, BUNDLE_DETECTOR_DIR);
  fs.mkdirSync(dir);
  const safe = detectorFileOptions(spec);
  const copy = async (name: string) => {
    const bytes = await readFileSafe(path.join(path.dirname(spec.file), name), safe);
    fs.writeFileSync(path.join(dir, name), bytes, { flag: 'wx' });
    return bytes;
  };
  const model = path.basename(spec.file);
  const modelBytes = await copy(model);
  if (spec.format === 'graph') {
    const manifest = JSON.parse(modelBytes.toString('utf8')) as {
      weightsManifest?: { paths: string[] }[];
    };
    for (const group of manifest.weightsManifest ?? []) {
      for (const p of group.paths) {
        if (path.basename(p) !== p)
          throw new OcellusError('INVALID_ARGUMENT', `Weight file ${p} is not beside model.json`);
        await copy(p);
      }
    }
  }
  const { file: _file, ...rest } = spec;
  const json: BundleDetectorJson = {
    ...rest,
    file: model,
    threshold,
    minConfidence: BUNDLE_MIN_CONFIDENCE,
  };
  fs.writeFileSync(path.join(dir, 'detector.json'), `${JSON.stringify(json, null, 2)}\n`, {
    flag: 'wx',
  });
  return json;
}

/**
 * The bundle's detector, or null for a bundle that classifies whole images. A bundle comes
 * from elsewhere: detector.json is read through the safe reader, inside the detector folder.
 */
export async function readBundleDetector(bundle: string): Promise<BundleDetector | null> {
  const dir = path.join(bundle, BUNDLE_DETECTOR_DIR);
  if (!fs.existsSync(path.join(dir, 'detector.json'))) return null;
  const spec = folderDetector(dir);
  const file = path.join(dir, 'detector.json');
  const text = await readTextSafe(file, { roots: [dir], maxBytes: MAX_DETECTOR_JSON_BYTES });
  let json: Partial<Pick<BundleDetectorJson, 'threshold' | 'minConfidence'>>;
  try {
    json = JSON.parse(text) as typeof json;
  } catch (err) {
    throw new OcellusError('INVALID_ARGUMENT', `${file} is not JSON: ${(err as Error).message}`);
  }
  const threshold = json.threshold;
  if (typeof threshold !== 'number' || !(threshold >= 0 && threshold <= 1))
    throw new OcellusError('INVALID_ARGUMENT', `${dir}/detector.json has no threshold from 0 to 1`);
  return { spec, threshold, minConfidence: json.minConfidence ?? BUNDLE_MIN_CONFIDENCE };
}

/**
 * Adds the detector to a bundle being written: its files (writeBundleDetector), a `detector`
 * entry in preprocessing.json (what runs, the threshold, the crop rule, the rows written) and
 * a section of MODEL_CARD.md saying the same in words.
 */
export async function addBundleDetector(
  out: string,
  choice: { spec: DetectorSpec; threshold: number },
): Promise<void> {
  const d = await writeBundleDetector(out, choice.spec, choice.threshold);
  const pre = path.join(out, 'preprocessing.json');
  const json = JSON.parse(fs.readFileSync(pre, 'utf8')) as Record<string, unknown>;
  json['detector'] = {
    folder: `${BUNDLE_DETECTOR_DIR}/`,
    id: d.id,
    name: d.name,
    licence: d.licence,
    threshold: d.threshold,
    pipeline: [
      `letterbox the oriented image to ${d.inputSize[1]}×${d.inputSize[0]} (bicubic, grey ${PAD_GREY} padding), values ÷ ${d.divisor}`,
      `decode the output (${d.decoder}), keep boxes of ${d.minConfidence} or more, map classes to animal / person / vehicle, suppress overlaps (IoU 0.45)`,
      `crop each box of ${d.threshold} or more with a margin of ${CROP_MARGIN * 100} % of its width and height on each side (clipped to the image), then prepare the crop as a whole image above`,
    ],
    rows: 'one per box (path, box_x, box_y, box_w, box_h normalised to the image, detection, detection_confidence, then the classifier columns); an image with no box at the threshold gets one row with detection "empty"',
  };
  // Both files were written by this export: replaced by rename, never written through.
  writeFileAtomic(pre, `${JSON.stringify(json, null, 2)}\n`);
  const card = path.join(out, 'MODEL_CARD.md');
  writeFileAtomic(
    card,
    `${fs.readFileSync(card, 'utf8')}
## Detector (detect → crop → classify)

This bundle detects first: **${d.name}** (\`${d.id}\`, licence: ${d.licence}), in \`${BUNDLE_DETECTOR_DIR}/\`.
\`predict.mjs\` and \`ocellus predict\` run it on each image, crop every box of confidence
${d.threshold} or more (with a ${CROP_MARGIN * 100} % margin each side) and classify the crop: one
row per box with the box (x, y, width, height normalised to the image), its category and
confidence, then the class and probabilities; an image without a box gets one row marked
\`empty\`. \`index.html\` does not detect: it classifies each picture dropped on it as a whole.
Details in \`preprocessing.json\`.
`,
  );
}
