import fs from 'node:fs';
import path from 'node:path';
import { OcellusError } from '../../../shared/errors';
import { checkOnnxModel } from './onnx-base';
import {
  MODEL_JSON,
  ONNX_MODEL,
  checkShards,
  fileSize,
  parseModelJson,
  sha256File,
  type ModelJsonInfo,
  type ModelMeta,
} from './model-files';
import type { ZooModel } from './zoo-types';

/** Download progress over the whole model; bytesTotal is known once model.json has been read. */
export interface DownloadProgress {
  bytesDone: number;
  bytesTotal: number | null;
  file: string;
}

function transportError(err: unknown, url: URL, signal: AbortSignal | undefined): OcellusError {
  if (signal?.aborted) {
    return new OcellusError('CANCELLED', `Download of ${url.href} was cancelled`);
  }
  // undici hides the socket-level reason in `cause`.
  const cause = err instanceof Error && err.cause instanceof Error ? ` (${err.cause.message})` : '';
  const why = err instanceof Error ? err.message : String(err);
  return new OcellusError(
    'IO_ERROR',
    `Download of ${url.href} failed: ${why}${cause}; starting it again resumes`,
    { url: url.href },
  );
}

async function request(url: URL, offset: number, signal?: AbortSignal): Promise<Response> {
  // identity: a compressed body would make Range offsets and Content-Length meaningless.
  const headers: Record<string, string> = { 'accept-encoding': 'identity' };
  if (offset > 0) headers['range'] = `bytes=${offset}-`;
  try {
    return await fetch(url, { headers, signal });
  } catch (err) {
    throw transportError(err, url, signal);
  }
}

function rangeStart(res: Response): number | null {
  const m = /^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '');
  return m ? Number(m[1]) : null;
}

/**
 * Fetches `url` into `dest` through `dest.part`, resuming a previous partial copy with a Range
 * request; returns the file's size. A finished `dest` is reused without any request.
 */
async function fetchFile(
  url: URL,
  dest: string,
  signal: AbortSignal | undefined,
  onBytes: (bytes: number) => void,
): Promise<number> {
  if (fs.existsSync(dest)) return fileSize(dest);
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const part = `${dest}.part`;
  let offset = fileSize(part);
  let res = await request(url, offset, signal);
  if (offset > 0 && (res.status === 416 || (res.status === 206 && rangeStart(res) !== offset))) {
    // The partial copy no longer fits what the server has: start over.
    await res.body?.cancel();
    offset = 0;
    res = await request(url, 0, signal);
  }
  if (res.status === 200) offset = 0;
  else if (res.status !== 206 || rangeStart(res) !== offset) {
    await res.body?.cancel();
    throw new OcellusError('IO_ERROR', `Download of ${url.href} failed: HTTP ${res.status}`, {
      url: url.href,
      status: res.status,
    });
  }
  const length = res.headers.get('content-length');
  const expected = length === null ? null : offset + Number(length);
  let bytes = offset;
  const fh = await fs.promises.open(part, offset > 0 ? 'a' : 'w');
  try {
    if (res.body) {
      for await (const chunk of res.body) {
        await fh.write(chunk);
        bytes += chunk.byteLength;
        onBytes(bytes);
      }
    }
  } catch (err) {
    throw transportError(err, url, signal);
  } finally {
    await fh.close();
  }
  if (expected !== null && bytes !== expected) {
    throw transportError(new Error(`got ${bytes} of ${expected} bytes`), url, signal);
  }
  fs.renameSync(part, dest);
  return bytes;
}

/**
 * Downloads a zoo model's model.json and shards into `incoming`, verifying sha256s and shard
 * sizes; returns the metadata to install. Verification failures empty `incoming`.
 */
export async function downloadModelFiles(
  zoo: ZooModel,
  incoming: string,
  signal: AbortSignal | undefined,
  onProgress: ((p: DownloadProgress) => void) | undefined,
): Promise<ModelMeta> {
  fs.mkdirSync(incoming, { recursive: true });
  // Bad content is never worth resuming; transport failures and cancellation keep their parts.
  const reject = (message: string, details?: Record<string, unknown>): OcellusError => {
    fs.rmSync(incoming, { recursive: true, force: true });
    return new OcellusError('IO_ERROR', message, details);
  };
  let bytesTotal = zoo.sizeBytes;
  let done = 0;
  const get = async (rel: string, url: URL, expected: string | null | undefined) => {
    const file = path.join(incoming, rel);
    const size = await fetchFile(url, file, signal, (bytes) =>
      onProgress?.({ bytesDone: done + bytes, bytesTotal, file: rel }),
    );
    done += size;
    const actual = await sha256File(file);
    if (expected && actual !== expected.toLowerCase()) {
      throw reject(
        `${rel} of model ${zoo.id} failed verification: sha256 expected ${expected}, got ${actual}`,
        { file: rel, expected, actual },
      );
    }
    return actual;
  };

  if (zoo.format === 'onnx') return downloadOnnx(zoo, incoming, get, reject);
  const jsonUrl = new URL(zoo.url);
  const modelJsonSha = await get(MODEL_JSON, jsonUrl, zoo.sha256?.modelJson);
  let info: ModelJsonInfo;
  try {
    info = parseModelJson(fs.readFileSync(path.join(incoming, MODEL_JSON), 'utf8'), zoo.url);
  } catch (err) {
    throw reject(err instanceof Error ? err.message : String(err));
  }
  if (info.format !== zoo.format) {
    throw reject(
      `${zoo.url} is a ${info.format} model, but the zoo lists ${zoo.id} as ${zoo.format}`,
    );
  }
  if (info.weightBytes !== null) {
    bytesTotal = fileSize(path.join(incoming, MODEL_JSON)) + info.weightBytes;
  }
  const shards: Record<string, string> = {};
  for (const shard of info.shards) {
    const expected = zoo.sha256?.shards[shard] ?? zoo.sha256?.shards[path.posix.basename(shard)];
    shards[shard] = await get(shard, shardUrl(jsonUrl, shard), expected);
  }
  let shardBytes: number;
  try {
    shardBytes = checkShards(incoming, info);
  } catch (err) {
    throw reject(err instanceof Error ? err.message : String(err));
  }
  return {
    version: 1,
    id: zoo.id,
    name: zoo.name,
    format: info.format,
    source: 'cache',
    zooId: zoo.id,
    sha256: { modelJson: modelJsonSha, shards },
    sizeBytes: fileSize(path.join(incoming, MODEL_JSON)) + shardBytes,
  };
}

/** An ONNX zoo model: one file, verified, opened by ONNX Runtime with the zoo's declaration. */
async function downloadOnnx(
  zoo: ZooModel,
  incoming: string,
  get: (rel: string, url: URL, expected: string | null | undefined) => Promise<string>,
  reject: (message: string) => OcellusError,
): Promise<ModelMeta> {
  if (!zoo.onnx) throw reject(`The zoo lists ${zoo.id} as ONNX without its input and output`);
  const declaration = { io: zoo.onnx, preprocessing: zoo.preprocessing, licence: zoo.licence };
  const sha = await get(ONNX_MODEL, new URL(zoo.url), zoo.sha256?.modelJson);
  try {
    await checkOnnxModel(path.join(incoming, ONNX_MODEL), declaration);
  } catch (err) {
    throw reject(err instanceof Error ? err.message : String(err));
  }
  return {
    version: 1,
    id: zoo.id,
    name: zoo.name,
    format: 'onnx',
    source: 'cache',
    zooId: zoo.id,
    sha256: { modelJson: sha, shards: {} },
    sizeBytes: fileSize(path.join(incoming, ONNX_MODEL)),
    onnx: declaration,
  };
}

/**
 * A weight shard's address next to model.json. TF Hub serves files only with the
 * `?tfjs-format=file` query of model.json, so the query carries over, as in TF.js's own loader.
 */
export function shardUrl(modelJsonUrl: URL, shard: string): URL {
  const url = new URL(shard, modelJsonUrl);
  if (!url.search) url.search = modelJsonUrl.search;
  return url;
}
