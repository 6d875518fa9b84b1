import fs from 'node:fs';
import path from 'node:path';
import { OcellusError } from '../../../shared/errors';
import type { DetectorInfo } from '../../../shared/types';
import { COCO_CATEGORY_MAP, MEGADETECTOR_CATEGORY_MAP } from './categories';
import type { DecoderKind } from './decode';
import {
  BUILTIN_DETECTOR_ID,
  builtinDetector,
  folderDetector,
  type DetectorSpec,
} from './detector-spec';

/** One entry of the `detectors` list of resources/model-zoo.json. */
export interface DetectorZooEntry {
  id: string;
  name: string;
  format: 'onnx';
  /** Where the weights are published (an ONNX file, or weights to export to ONNX). */
  url: string;
  /** Why the user supplies the ONNX file (no official ONNX release, or its licence), when so. */
  userSupplied?: string;
  sourceNote: string;
  confirmed: boolean;
  /** sha256 of the ONNX file, when a fixed file is published. */
  sha256: string | null;
  sizeBytes: number | null;
  licence: string;
  inputSize: [number, number];
  decoder: DecoderKind | 'auto';
  classes: 'megadetector' | 'coco';
}

/** The detectors of the zoo manifest (none when it has no `detectors` list). */
export function loadDetectorZoo(resourcesDir: string): DetectorZooEntry[] {
  try {
    const json = JSON.parse(fs.readFileSync(path.join(resourcesDir, 'model-zoo.json'), 'utf8')) as {
      detectors?: DetectorZooEntry[];
    };
    return Array.isArray(json.detectors) ? json.detectors : [];
  } catch {
    return [];
  }
}

/** Where an imported zoo detector lives: one folder per id under the app's data. */
export function detectorDir(appDataDir: string, id: string): string {
  return path.join(appDataDir, 'detectors', id);
}

/** Every detector Ocellus knows, with whether its files are here. */
export function listDetectors(
  resourcesDir: string | undefined,
  appDataDir: string,
): DetectorInfo[] {
  const out: DetectorInfo[] = [];
  const builtin = resourcesDir ? builtinDetector(resourcesDir) : null;
  if (builtin) {
    out.push({
      id: builtin.id,
      name: builtin.name,
      format: 'graph',
      available: true,
      licence: builtin.licence,
      note: '',
    });
  }
  for (const z of resourcesDir ? loadDetectorZoo(resourcesDir) : []) {
    const available = hasModel(detectorDir(appDataDir, z.id));
    out.push({
      id: z.id,
      name: z.name,
      format: z.format,
      available,
      licence: z.licence,
      note: available ? '' : (z.userSupplied ?? `Download it from ${z.url}`),
    });
  }
  return out;
}

function hasModel(dir: string): boolean {
  return fs.existsSync(dir) && fs.readdirSync(dir).some((n) => n.toLowerCase().endsWith('.onnx'));
}

/**
 * The detector to run: the built-in stand-in by default, a zoo id whose ONNX file was put in
 * its folder, or a folder holding a detector.
 */
export function resolveDetector(
  choice: string | null | undefined,
  resourcesDir: string | undefined,
  appDataDir: string,
): DetectorSpec {
  if (!choice || choice === BUILTIN_DETECTOR_ID) {
    const builtin = resourcesDir ? builtinDetector(resourcesDir) : null;
    if (!builtin)
      throw new OcellusError(
        'NOT_FOUND',
        'The built-in detector is missing from this installation',
      );
    return builtin;
  }
  const zoo = resourcesDir ? loadDetectorZoo(resourcesDir) : [];
  const entry = zoo.find((z) => z.id === choice);
  if (entry) {
    const dir = detectorDir(appDataDir, entry.id);
    if (!hasModel(dir)) {
      throw new OcellusError(
        'NOT_FOUND',
        `${entry.name} is not on this machine: put its .onnx file in ${dir}, or pass its folder with --detector (${entry.userSupplied ?? entry.url})`,
      );
    }
    const spec = folderDetector(dir);
    return {
      ...spec,
      id: entry.id,
      name: entry.name,
      inputSize: entry.inputSize,
      decoder: entry.decoder,
      classMap:
        entry.classes === 'coco' ? { ...COCO_CATEGORY_MAP } : { ...MEGADETECTOR_CATEGORY_MAP },
      licence: entry.licence,
    };
  }
  if (path.isAbsolute(choice)) return folderDetector(choice);
  throw new OcellusError(
    'NOT_FOUND',
    `No detector ${choice} (a detector id, or the full path of a detector folder)`,
  );
}
