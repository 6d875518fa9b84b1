/**
 * The file side of imported TensorFlow SavedModels, free of TF.js (so the model store and the
 * zoo can use it without loading a backend): the `model.json` descriptor Ocellus writes beside
 * a copied SavedModel, and how a SavedModel folder is recognised and listed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { OcellusError } from '../../../shared/errors';
import type { PreprocessingSpec } from './zoo-types';

export const SAVED_MODEL_FORMAT = 'tf-saved-model';
export const SAVED_MODEL_DIR = 'saved_model';
export const NATIVE_ONLY_NOTE =
  'a TensorFlow SavedModel runs on the native TensorFlow backend only (converting it to ONNX or TF.js needs tf2onnx or tensorflowjs_converter, Python tools Ocellus does not ship)';

/** The model.json of an imported SavedModel. */
export interface SavedModelDescriptor {
  format: typeof SAVED_MODEL_FORMAT;
  savedModel: {
    dir: typeof SAVED_MODEL_DIR;
    tags: string[];
    signature: string;
    input: string;
    output: string;
    inputSize: [number, number];
    featureSize: number;
  };
  preprocessing: PreprocessingSpec;
  /** Every file of the SavedModel, relative to the model folder ('/'-separated). */
  files: string[];
}

/** True when `dir` is a SavedModel folder rather than a TF.js one. */
export function isSavedModelFolder(dir: string): boolean {
  return (
    fs.existsSync(path.join(dir, 'saved_model.pb')) && !fs.existsSync(path.join(dir, 'model.json'))
  );
}

/** Regular files under `dir`, relative and '/'-separated; a link or special file is refused. */
export function listFiles(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const child = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...listFiles(dir, child));
    else if (entry.isFile()) out.push(child);
    else {
      throw new OcellusError(
        'UNSUPPORTED',
        `${path.join(dir, child)} is not a regular file (links and special files are not imported)`,
      );
    }
  }
  return out.sort();
}

/** Reads an imported SavedModel's descriptor (model.json), or null when it is not one. */
export function readSavedModelDescriptor(modelJson: string): SavedModelDescriptor | null {
  try {
    const json = JSON.parse(fs.readFileSync(modelJson, 'utf8')) as Partial<SavedModelDescriptor>;
    return json.format === SAVED_MODEL_FORMAT && json.savedModel && json.preprocessing
      ? (json as SavedModelDescriptor)
      : null;
  } catch {
    return null;
  }
}
