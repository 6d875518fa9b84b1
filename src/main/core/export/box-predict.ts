import { decide } from '../../../shared/decision';
import type { Detector } from '../detect/detector-engine';
import { cropModelInputs } from '../library/crop-input';
import { MAX_IMAGE_BYTES } from '../library/probe';
import { readFileSafe } from '../util/safe-fs';
import type { BundleDetector } from './bundle-detector';
import type { PredictionRow, Predictor } from './predict';

/** The detection columns of an image with no box at the threshold. */
export const EMPTY = 'empty';

/**
 * Detect → crop → classify: the bundle's detector finds the boxes of each file, those at or
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
  const one = async (file: string): Promise<PredictionRow[]> => {
    const bytes = await readFileSafe(file, { maxBytes: MAX_IMAGE_BYTES });
    const found = await detector.detect(bytes);
    const boxes = found.boxes.filter((b) => b.confidence >= bundle.threshold);
    if (boxes.length === 0) return [row(file, { detection: EMPTY })];
    const crops = await cropModelInputs(
      bytes,
      boxes.map((b) => b.box),
      geometry,
    );
    const probabilities = await classifier.predictPixels(crops);
    return boxes.map((b, i) => {
      const p = probabilities[i] ?? [];
      let best = 0;
      for (let c = 1; c < p.length; c++) if ((p[c] ?? 0) > (p[best] ?? 0)) best = c;
      return row(file, {
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
      for (const file of files) {
        if (typeof file !== 'string') {
          // Boxes are found on whole files; a frame of a multi-frame file is not one.
          const error = 'A detecting bundle does not read frames of multi-frame files';
          rows.push(row(file.path, { frame: file.frame, error }));
          continue;
        }
        try {
          rows.push(...(await one(file)));
        } catch (err) {
          rows.push(row(file, { error: err instanceof Error ? err.message : String(err) }));
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
