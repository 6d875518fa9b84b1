import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { OcellusError } from '../../../shared/errors';
import type { OnnxIo, PreprocessingSpec } from './zoo-types';
import type { ModelFormat } from '../../../shared/types';

/** File name of a TF.js model's topology + weights manifest. */
export const MODEL_JSON = 'model.json';
/** File name of an ONNX base model in its folder. */
export const ONNX_MODEL = 'model.onnx';
/** File name of Ocellus's per-model metadata, next to model.json. */
export const META_FILE = 'ocellus-model.json';

/** sha256 (hex) of model.json and of each shard, keyed by its path in the weights manifest. */
export interface ModelHashes {
  modelJson: string;
  shards: Record<string, string>;
}

/** What Ocellus records about a stored model in ocellus-model.json (also inside exported files). */
export interface ModelMeta {
  version: 1;
  id: string;
  name: string;
  format: ModelFormat;
  source?: 'cache' | 'imported';
  zooId: string | null;
  sha256: ModelHashes;
  sizeBytes: number;
  /** ONNX bases: what the user declared (or the zoo listed) about feeding the model. */
  onnx?: OnnxBaseDeclaration;
}

/** How to feed an ONNX base model: its I/O and preprocessing (declared, since ONNX does not say). */
export interface OnnxBaseDeclaration {
  io: OnnxIo;
  preprocessing: PreprocessingSpec;
  licence?: string;
}

/** The parts of model.json that locating and sizing weights need. */
export interface ModelJsonInfo {
  format: ModelFormat;
  /** Every shard path (relative to model.json), in manifest order. */
  shards: string[];
  /** Per manifest group: its shard paths and the bytes its weights need (null: a SavedModel's files). */
  groups: { paths: string[]; bytes: number | null }[];
  /** Bytes all weights need, or null for a SavedModel (its files are not sized). */
  weightBytes: number | null;
}

// Only these dtypes are loaded: a string tensor's size cannot be known from its shape (a
// `string` weight of shape [1e9] once passed the size check and hung the embedding).
const TENSOR_DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };
// Quantised weights are stored in the quantisation dtype, not the tensor's dtype.
const QUANTIZED_DTYPE_BYTES: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 };
/** More elements than any image model's largest weight (VGG16's fc6 has 1e8). */
const MAX_TENSOR_ELEMENTS = 2 ** 31;

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** True when `id` can name a folder in the cache (and so cannot climb out of it). */
export function isSafeId(id: string): boolean {
  return ID_PATTERN.test(id) && !id.includes('..');
}

/** Throws INVALID_ARGUMENT unless `id` is a usable model id. */
export function assertSafeId(id: string): void {
  if (!isSafeId(id)) {
    throw new OcellusError(
      'INVALID_ARGUMENT',
      `"${id}" is not a usable model id (letters, digits, '.', '_', '-'; no leading dot)`,
    );
  }
}

/** True for a relative '/'-separated path that stays inside its folder. */
export function isSafeRelativePath(p: string): boolean {
  if (p === '' || p.startsWith('/') || p.includes('\\') || /^[A-Za-z]:/.test(p)) return false;
  return p.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function detectFormat(json: Record<string, unknown>): ModelFormat | null {
  if (json['format'] === 'graph-model') return 'graph';
  // Ocellus's descriptor of an imported TensorFlow SavedModel (see saved-model.ts).
  if (json['format'] === 'tf-saved-model') return 'savedmodel';
  if (json['format'] === 'layers-model') return 'layers';
  // Older converters wrote no `format`; the topology's shape still tells them apart.
  const topology = json['modelTopology'];
  if (!isRecord(topology)) return null;
  if (Array.isArray(topology['node'])) return 'graph';
  if ('class_name' in topology || 'model_config' in topology) return 'layers';
  return null;
}

function weightBytes(spec: unknown, where: string): number {
  const bad = (why: string): OcellusError =>
    new OcellusError('INVALID_ARGUMENT', `${where}: a weightsManifest entry ${why}`);
  if (!isRecord(spec) || typeof spec['name'] !== 'string') throw bad('has no name');
  const name = spec['name'];
  const shape = spec['shape'];
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    throw bad(`(${name}) has no valid shape`);
  }
  const elements = (shape as number[]).reduce((n, d) => n * d, 1);
  if (elements > MAX_TENSOR_ELEMENTS) {
    throw bad(`(${name}) has shape [${shape.join(', ')}]: more elements than any usable weight`);
  }
  const dtype = spec['dtype'];
  if (typeof dtype !== 'string') throw bad(`(${name}) has no dtype`);
  if (TENSOR_DTYPE_BYTES[dtype] === undefined) {
    throw bad(
      `(${name}) has dtype ${dtype}; weights must be ${Object.keys(TENSOR_DTYPE_BYTES).join(', ')}`,
    );
  }
  const quant = spec['quantization'];
  if (quant === undefined) return elements * (TENSOR_DTYPE_BYTES[dtype] as number);
  const qDtype = isRecord(quant) ? quant['dtype'] : undefined;
  const qBytes = typeof qDtype === 'string' ? QUANTIZED_DTYPE_BYTES[qDtype] : undefined;
  if (qBytes === undefined) {
    throw bad(
      `(${name}) is quantised as ${String(qDtype)}; known: ${Object.keys(QUANTIZED_DTYPE_BYTES).join(', ')}`,
    );
  }
  return elements * qBytes;
}

/** Parses model.json text; INVALID_ARGUMENT when it is not a TF.js Layers or Graph model. */
export function parseModelJson(text: string, where: string): ModelJsonInfo {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new OcellusError('INVALID_ARGUMENT', `${where} is not valid JSON: ${String(err)}`);
  }
  if (!isRecord(json)) throw new OcellusError('INVALID_ARGUMENT', `${where} is not an object`);
  const format = detectFormat(json);
  if (format === null) {
    throw new OcellusError(
      'INVALID_ARGUMENT',
      `${where} is neither a TF.js Layers nor a Graph model (no usable format/modelTopology)`,
    );
  }
  if (format === 'savedmodel') return savedModelFiles(json['files'], where);
  const manifest = json['weightsManifest'] ?? [];
  if (!Array.isArray(manifest)) {
    throw new OcellusError('INVALID_ARGUMENT', `${where}: weightsManifest is not a list`);
  }
  const groups = manifest.map((group: unknown) => {
    const paths = isRecord(group) ? group['paths'] : undefined;
    const weights = isRecord(group) ? group['weights'] : undefined;
    if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string')) {
      throw new OcellusError('INVALID_ARGUMENT', `${where}: a weightsManifest group has no paths`);
    }
    for (const p of paths as string[]) {
      if (!isSafeRelativePath(p)) {
        throw new OcellusError('INVALID_ARGUMENT', `${where}: shard path "${p}" leaves its folder`);
      }
    }
    if (!Array.isArray(weights)) {
      throw new OcellusError(
        'INVALID_ARGUMENT',
        `${where}: a weightsManifest group has no weights`,
      );
    }
    const bytes = weights.reduce((n: number, w: unknown) => n + weightBytes(w, where), 0);
    return { paths: paths as string[], bytes };
  });
  const shards = [...new Set(groups.flatMap((g) => g.paths))];
  const total = groups.reduce((n, g) => n + g.bytes, 0);
  return { format, shards, groups, weightBytes: total };
}

/** A SavedModel descriptor's files stand in for shards: present, hashed, never sized. */
function savedModelFiles(files: unknown, where: string): ModelJsonInfo {
  if (!Array.isArray(files) || files.length === 0) {
    throw new OcellusError('INVALID_ARGUMENT', `${where}: a SavedModel descriptor lists no files`);
  }
  for (const f of files) {
    if (typeof f !== 'string' || !isSafeRelativePath(f)) {
      throw new OcellusError('INVALID_ARGUMENT', `${where}: file "${String(f)}" leaves its folder`);
    }
  }
  const paths = files as string[];
  return {
    format: 'savedmodel',
    shards: paths,
    groups: [{ paths, bytes: null }],
    weightBytes: null,
  };
}

/** Reads and parses `<dir>/model.json`; NOT_FOUND when it is missing. */
export function readModelJson(dir: string): ModelJsonInfo {
  const file = path.join(dir, MODEL_JSON);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new OcellusError('NOT_FOUND', `${dir} has no ${MODEL_JSON}`, { path: file });
  }
  return parseModelJson(text, file);
}

/**
 * Checks that every listed shard exists in `dir` and that each group's shards hold exactly the
 * bytes its weights need; returns the shards' total size.
 */
export function checkShards(dir: string, info: ModelJsonInfo): number {
  let total = 0;
  for (const group of info.groups) {
    let held = 0;
    for (const shard of group.paths) {
      const file = path.join(dir, shard);
      const stat = fs.statSync(file, { throwIfNoEntry: false });
      if (!stat?.isFile()) {
        throw new OcellusError(
          'NOT_FOUND',
          `Weight shard "${shard}" listed in model.json is missing from ${dir}`,
          { shard, path: file },
        );
      }
      held += stat.size;
    }
    if (group.bytes !== null && held !== group.bytes) {
      throw new OcellusError(
        'INVALID_ARGUMENT',
        `Weight shards ${group.paths.join(', ')} in ${dir} hold ${held} bytes, ` +
          `but their weights' dtypes and shapes need ${group.bytes}`,
        { shards: group.paths, bytes: held, expected: group.bytes },
      );
    }
    total += held;
  }
  return total;
}

/** Size of a file in bytes, 0 when it does not exist. */
export function fileSize(file: string): number {
  return fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0;
}

/** sha256 (hex) of a file, streamed. */
export async function sha256File(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** sha256 (hex) of a file, for synchronous callers. */
export function sha256FileSync(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Hashes model.json and every shard in `dir`. */
export async function hashModel(dir: string, info: ModelJsonInfo): Promise<ModelHashes> {
  const shards: Record<string, string> = {};
  for (const shard of info.shards) shards[shard] = await sha256File(path.join(dir, shard));
  return { modelJson: await sha256File(path.join(dir, MODEL_JSON)), shards };
}

/** True when two models hold the same bytes. */
export function sameHashes(a: ModelHashes, b: ModelHashes): boolean {
  const keys = Object.keys(a.shards);
  return (
    a.modelJson === b.modelJson &&
    keys.length === Object.keys(b.shards).length &&
    keys.every((k) => a.shards[k] === b.shards[k])
  );
}

function isHashes(value: unknown): value is ModelHashes {
  return (
    isRecord(value) &&
    typeof value['modelJson'] === 'string' &&
    isRecord(value['shards']) &&
    Object.values(value['shards']).every((v) => typeof v === 'string')
  );
}

/** Reads an ocellus-model.json, or null when it is absent or not one. */
export function readMeta(file: string): ModelMeta | null {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
  if (
    !isRecord(json) ||
    json['version'] !== 1 ||
    typeof json['id'] !== 'string' ||
    typeof json['name'] !== 'string' ||
    (json['format'] !== 'layers' &&
      json['format'] !== 'graph' &&
      json['format'] !== 'onnx' &&
      json['format'] !== 'savedmodel') ||
    (json['zooId'] !== null && typeof json['zooId'] !== 'string') ||
    !isHashes(json['sha256']) ||
    typeof json['sizeBytes'] !== 'number'
  ) {
    return null;
  }
  const source = json['source'];
  return {
    version: 1,
    id: json['id'],
    name: json['name'],
    format: json['format'],
    ...(source === 'cache' || source === 'imported' ? { source } : {}),
    zooId: json['zooId'],
    sha256: json['sha256'],
    sizeBytes: json['sizeBytes'],
    ...(isRecord(json['onnx']) ? { onnx: json['onnx'] as unknown as OnnxBaseDeclaration } : {}),
  };
}
