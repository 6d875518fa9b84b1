import { decide } from '../../../shared/decision';
import type { Detector } from '../detect/detector-engine';
import type { PredictInput } from '../../../shared/types';
import { cropModelInputs } from '../library/crop-input';
import { imageSource } from '../library/image-source';
import { MAX_IMAGE_BYTES } from '../library/probe';
import { decoding, EMPTY_FILE } from '../library/image-check';
import { readFileSafe } from '../util/safe-fs';
import type { BundleDetector } from './bundle-detector';
import type { PredictionRow, Predictor } from './predictor';

/** The detection columns of an image with no box at the threshold. */
export const EMPTY = 'empty';

/**
 * Detect → crop → classify: the bundle's detector finds the boxes of each input (a file, or
 * one frame of a multi-frame DICOM, opened as every pixel path opens images), those at or
 * above the threshold are cut by the crop rule (library/crop-input.ts) and classified, one
 * row per box; an image without one gets a single 'empty' row, an unreadable one an error row.
 */
export function withDetector(
  classifier: Predictor,
  detector: Detector,
  bundle: BundleDetector,
): Predictor {
  const rule = classifier.decisionRule ?? null;
  const geometry = classifier.preprocessing;
  const one = async (file: string, frame: number | undefined): Promise<PredictionRow[]> => {
    const bytes = await readFileSafe(file, { maxBytes: MAX_IMAGE_BYTES });
    if (bytes.length === 0) throw new Error(EMPTY_FILE);
    // Decoded once (a DICOM frame to pixels), for the detector and the crops alike.
    const source = await imageSource(bytes, frame);
    const found = await decoding(file, detector.detect(source));
    const boxes = found.boxes.filter((b) => b.confidence >= bundle.threshold);
    const at = frame === undefined ? {} : { frame };
    if (boxes.length === 0) return [row(file, { ...at, detection: EMPTY })];
    const crops = await cropModelInputs(
      source,
      boxes.map((b) => b.box),
      geometry,
    );
    const probabilities = await classifier.predictPixels(crops);
    return boxes.map((b, i) => {
      const p = probabilities[i] ?? [];
      let best = 0;
      for (let c = 1; c < p.length; c++) if ((p[c] ?? 0) > (p[best] ?? 0)) best = c;
      return row(file, {
        ...at,
        box: [...b.box],
        detection: b.category,
        detectionConfidence: b.confidence,
        label: classifier.classes[best] ?? '',
        confidence: p[best] ?? null,
        probabilities: p,
        ...(rule ? { decision: decide(p, classifier.classes, rule) } : {}),
      });
    });
  };
  return {
    ...classifier,
    detects: true,
    async predict(files) {
      const rows: PredictionRow[] = [];
      for (const input of files) {
        const { path, frame } = inputOf(input);
        try {
          rows.push(...(await one(path, frame)));
        } catch (err) {
          const error = err instanceof Error ? err.message : String(err);
          rows.push(row(path, { ...(frame === undefined ? {} : { frame }), error }));
        }
      }
      return rows;
    },
    dispose() {
      detector.dispose();
      classifier.dispose();
    },
  };
}

function inputOf(input: PredictInput): { path: string; frame: number | undefined } {
  return typeof input === 'string'
    ? { path: input, frame: undefined }
    : { path: input.path, frame: input.frame };
}

function row(path: string, fields: Partial<PredictionRow>): PredictionRow {
  return {
    path,
    box: null,
    detection: '',
    detectionConfidence: null,
    label: '',
    confidence: null,
    probabilities: null,
    error: null,
    ...fields,
  };
}
