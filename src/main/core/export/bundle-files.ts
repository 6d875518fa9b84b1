import fs from 'node:fs';
import path from 'node:path';
import { OcellusError } from '../../../shared/errors';
import { MAX_MODEL_BYTES } from '../ml/model-import';
import { readFileSafe, readTextSafe, type SafeOpenOptions } from '../util/safe-fs';

// A bundle comes from elsewhere: its files are read only inside its folder, never through a
// link out of it, a FIFO or a device (a model.onnx linked to /dev/zero would never end).
// `ocellus predict` and the bundle's own predict.mjs read them through these same functions.
const bundleFile = (dir: string, maxBytes: number): SafeOpenOptions => ({ roots: [dir], maxBytes });
const MAX_BUNDLE_JSON_BYTES = 64 * 1024 * 1024;

/** A JSON file of a bundle, or a clear error when it is missing, refused or not JSON. */
export async function readBundleJson<T>(dir: string, name: string): Promise<T> {
  const file = path.join(dir, name);
  if (!fs.existsSync(file))
    throw new OcellusError('NOT_FOUND', `${dir} is not a model bundle (no ${name})`);
  const text = await readTextSafe(file, bundleFile(dir, MAX_BUNDLE_JSON_BYTES));
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new OcellusError('INVALID_ARGUMENT', `${file} is not JSON: ${(err as Error).message}`);
  }
}

/** The bytes of a bundle's model file (model.onnx, a detector's .onnx), checked as above. */
export function readBundleModel(dir: string, file: string): Promise<Buffer> {
  return readFileSafe(path.resolve(dir, file), bundleFile(dir, MAX_MODEL_BYTES));
}
