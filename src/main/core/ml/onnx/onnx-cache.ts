import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Bumped whenever the converter's output changes, so old files are not reused. */
const CONVERTER_VERSION = 1;

/** What is known about a converted model, stored beside the .onnx file. */
export interface OnnxCacheEntry {
  featureLayer: string;
  size: number;
  inputSize: [number, number];
  /** Largest |ONNX − TF.js| seen at conversion time. */
  maxDiff: number;
}

/** Where a model's ONNX conversion lives: beside it, keyed by its sha and feature output. */
export function onnxCachePaths(
  modelJson: string,
  featureOutput: string,
): { onnx: string; meta: string } {
  const sha = crypto
    .createHash('sha256')
    .update(fs.readFileSync(modelJson))
    .update(`|${featureOutput}|v${CONVERTER_VERSION}`)
    .digest('hex')
    .slice(0, 24);
  const dir = path.join(path.dirname(modelJson), 'onnx');
  return { onnx: path.join(dir, `${sha}.onnx`), meta: path.join(dir, `${sha}.json`) };
}

/** A verified conversion from an earlier run, or null. */
export function readOnnxCache(
  modelJson: string,
  featureOutput: string,
): { bytes: Uint8Array; entry: OnnxCacheEntry } | null {
  const p = onnxCachePaths(modelJson, featureOutput);
  try {
    const entry = JSON.parse(fs.readFileSync(p.meta, 'utf8')) as OnnxCacheEntry;
    return { bytes: fs.readFileSync(p.onnx), entry };
  } catch {
    return null;
  }
}

/** Saves a verified conversion (the metadata last, so a half-written pair is never read). */
export function writeOnnxCache(
  modelJson: string,
  featureOutput: string,
  bytes: Uint8Array,
  entry: OnnxCacheEntry,
): void {
  const p = onnxCachePaths(modelJson, featureOutput);
  fs.mkdirSync(path.dirname(p.onnx), { recursive: true });
  fs.writeFileSync(p.onnx, bytes);
  fs.writeFileSync(p.meta, JSON.stringify(entry));
}
