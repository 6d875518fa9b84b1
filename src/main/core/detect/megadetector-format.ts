/**
 * The MegaDetector batch-output format (the JSON that Timelapse, AddaxAI, camtrapR and the
 * MegaDetector tools read and write): `images[].file`, `detections[].category/conf/bbox`
 * with bbox normalised [x, y, width, height] from the top-left corner, `detection_categories`
 * ("1" animal, "2" person, "3" vehicle) and `classification_categories` for box labels.
 */
import { OcellusError } from '../../../shared/errors';
import type { DetectionCategory, NormalisedBox } from '../../../shared/types';
import { MD_CATEGORY_IDS } from './categories';

export interface MdDetection {
  category: string;
  conf: number;
  bbox: NormalisedBox;
  /** [classification category id, confidence] pairs, best first. */
  classifications?: [string, number][];
}

export interface MdImage {
  file: string;
  /** Ocellus's own: the frame (0-based) of a multi-frame file, each frame an image of its own. */
  frame?: number;
  detections?: MdDetection[] | null;
  failure?: string | null;
  max_detection_conf?: number;
}

export interface MdBatchOutput {
  info: {
    format_version: string;
    detector?: string;
    detection_completion_time?: string;
    [key: string]: unknown;
  };
  detection_categories: Record<string, string>;
  classification_categories?: Record<string, string>;
  images: MdImage[];
}

/** The format version written; readers accept 1.0 onwards. */
export const MD_FORMAT_VERSION = '1.4';

const MD_NAMES: Record<string, DetectionCategory> = {
  animal: 'animal',
  person: 'person',
  human: 'person',
  vehicle: 'vehicle',
};

/** Rounds as the MegaDetector tools write: confidences to 3 places, coordinates to 4. */
export const roundConf = (v: number) => Math.round(v * 1000) / 1000;
export const roundCoord = (v: number) => Math.round(v * 10000) / 10000;

/** The detection categories block with Ocellus's three categories. */
export function mdDetectionCategories(): Record<string, string> {
  return Object.fromEntries(
    (Object.entries(MD_CATEGORY_IDS) as [DetectionCategory, string][]).map(([name, id]) => [
      id,
      name,
    ]),
  );
}

function fail(message: string): never {
  throw new OcellusError('INVALID_ARGUMENT', `Not a MegaDetector results file: ${message}`);
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function parseBox(v: unknown, where: string): NormalisedBox {
  if (
    !Array.isArray(v) ||
    v.length !== 4 ||
    !v.every((n) => typeof n === 'number' && Number.isFinite(n))
  ) {
    fail(`${where}: bbox must be four numbers [x, y, width, height]`);
  }
  const [x, y, w, h] = v as number[];
  if ([x, y, w, h].some((n) => (n ?? 0) < -0.001 || (n ?? 0) > 1.001)) {
    fail(`${where}: bbox values must be normalised to [0, 1]`);
  }
  return [x ?? 0, y ?? 0, w ?? 0, h ?? 0];
}

/** Validates parsed JSON as batch output; errors say where, nothing is half-read. */
export function parseMdBatchOutput(json: unknown): MdBatchOutput {
  if (!isObject(json)) fail('the top level must be an object');
  const { images, detection_categories: cats, classification_categories: classes } = json;
  if (!Array.isArray(images)) fail('"images" must be a list');
  if (!isObject(cats)) fail('"detection_categories" must be an object');
  for (const [id, name] of Object.entries(cats)) {
    if (typeof name !== 'string') fail(`detection category ${id} has no name`);
  }
  if (classes !== undefined && !isObject(classes))
    fail('"classification_categories" must be an object');
  const info = isObject(json['info']) ? json['info'] : {};
  const out: MdImage[] = images.map((img: unknown, i) => {
    const where = `images[${i}]`;
    if (!isObject(img) || typeof img['file'] !== 'string' || img['file'] === '') {
      fail(`${where} has no "file"`);
    }
    const failure = typeof img['failure'] === 'string' ? img['failure'] : null;
    const dets = img['detections'];
    if (dets !== undefined && dets !== null && !Array.isArray(dets))
      fail(`${where}.detections must be a list`);
    const detections = (dets ?? []).map((d: unknown, j: number): MdDetection => {
      const at = `${where}.detections[${j}]`;
      if (!isObject(d)) fail(`${at} must be an object`);
      const category = String(d['category']);
      if (!(category in cats)) fail(`${at}: category ${category} is not in detection_categories`);
      const conf = d['conf'];
      if (typeof conf !== 'number' || !(conf >= 0 && conf <= 1))
        fail(`${at}: conf must be in [0, 1]`);
      const det: MdDetection = { category, conf, bbox: parseBox(d['bbox'], at) };
      const cls = d['classifications'];
      if (Array.isArray(cls)) {
        det.classifications = cls.map((c: unknown): [string, number] => {
          if (!Array.isArray(c) || c.length < 2 || typeof c[1] !== 'number') {
            fail(`${at}: classifications must be [category, confidence] pairs`);
          }
          const id = String(c[0]);
          if (!classes || !(id in classes))
            fail(`${at}: classification ${id} is not in classification_categories`);
          return [id, c[1] as number];
        });
      }
      return det;
    });
    return { file: img['file'] as string, detections: failure ? null : detections, failure };
  });
  return {
    info: { format_version: String(info['format_version'] ?? '1.0'), ...info },
    detection_categories: cats as Record<string, string>,
    ...(classes ? { classification_categories: classes as Record<string, string> } : {}),
    images: out,
  };
}

/** Ocellus's category of a detection category id of a file, or null when it has none. */
export function mdCategory(output: MdBatchOutput, id: string): DetectionCategory | null {
  const name = output.detection_categories[id]?.trim().toLowerCase() ?? '';
  return MD_NAMES[name] ?? null;
}
