import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { io } from '@tensorflow/tfjs-core';

/**
 * The Keras models bundled inside the npm package `nsfwjs` (devDependency), written out as
 * standard TF.js Layers models (model.json + .bin shards) so tests have a real base network
 * offline.
 *
 * Layout inside the package (4.4.0): `dist/models/<name>/model.min.js` and
 * `dist/models/<name>/group1-shard<i>of<n>.min.js` are browserify UMD bundles; the folder's
 * package.json says `"type": "commonjs"`, so `require` by absolute path loads them (the
 * package's `exports` map only blocks bare subpath specifiers). model.min.js exports
 * `{ modelTopology, weightsManifest }` (Keras 2.2.4 topology, uint8-quantised weights, shard
 * paths without `.bin`); each shard module exports its bytes as one base64 string.
 */

/** Models in `nsfwjs` that this helper can write. */
export type NsfwModelName = 'mobilenet_v2' | 'inception_v3';

/** Facts about each model, as found in the package (used by tests as expected values). */
export const NSFW_MODELS: Record<
  NsfwModelName,
  {
    inputSize: number;
    /** Last 4-D feature map: [size, size, channels]. */
    featureMapLayer: string;
    featureMapShape: [number, number, number];
    /** Flatten after a full-map AveragePooling2D, i.e. the global-average-pooled embedding. */
    pooledLayer: string;
    featureSize: number;
  }
> = {
  mobilenet_v2: {
    inputSize: 224,
    featureMapLayer: 'out_relu',
    featureMapShape: [7, 7, 1280],
    pooledLayer: 'flatten_1',
    featureSize: 1280,
  },
  inception_v3: {
    inputSize: 299,
    featureMapLayer: 'mixed10',
    featureMapShape: [8, 8, 2048],
    pooledLayer: 'flatten_1',
    featureSize: 2048,
  },
};

// Absolute paths resolve the same from any base; import.meta is not available under Playwright's CJS transform.
const require = createRequire(path.resolve('package.json'));

interface BundledModel {
  modelTopology: object;
  weightsManifest: io.WeightsManifestConfig;
}

function isBundledModel(value: unknown): value is BundledModel {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<Record<keyof BundledModel, unknown>>;
  return (
    typeof v.modelTopology === 'object' &&
    v.modelTopology !== null &&
    Array.isArray(v.weightsManifest)
  );
}

/** Loads a CommonJS module by absolute path and drops it from the require cache (shards are big). */
function requireOnce(file: string): unknown {
  try {
    return require(file) as unknown;
  } finally {
    delete require.cache[file];
  }
}

let packageRoot: string | undefined;

/** The root folder of the installed `nsfwjs` package. */
function nsfwPackageRoot(): string {
  if (packageRoot) return packageRoot;
  let dir = path.dirname(require.resolve('nsfwjs'));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      const { name } = JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string };
      if (name === 'nsfwjs') return (packageRoot = dir);
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error('nsfwjs package root not found');
    dir = up;
  }
}

const BYTES_PER_ELEMENT: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  uint8: 1,
  uint16: 2,
  float16: 2,
};

/** Total shard bytes the manifest describes (quantised weights take 1 or 2 bytes each). */
function manifestByteLength(manifest: io.WeightsManifestConfig): number {
  let total = 0;
  for (const group of manifest) {
    for (const w of group.weights) {
      const bytes = BYTES_PER_ELEMENT[w.quantization?.dtype ?? w.dtype];
      if (bytes === undefined) throw new Error(`unexpected weight dtype in ${w.name}`);
      total += w.shape.reduce((a, b) => a * b, 1) * bytes;
    }
  }
  return total;
}

/** Writes `data` to `file` through a uniquely named temp file + rename, so readers never see a partial file. */
async function writeAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  try {
    await fs.promises.writeFile(tmp, data);
    await fs.promises.rename(tmp, file);
  } catch (err) {
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
}

async function fileSize(file: string): Promise<number | null> {
  try {
    return (await fs.promises.stat(file)).size;
  } catch {
    return null;
  }
}

async function write(dir: string, name: NsfwModelName): Promise<string> {
  const root = nsfwPackageRoot();
  const src = path.join(root, 'dist', 'models', name);
  const bundled = requireOnce(path.join(src, 'model.min.js'));
  if (!isBundledModel(bundled)) throw new Error(`unexpected module format: ${src}/model.min.js`);
  const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    version: string;
  };
  const kerasVersion = (bundled.modelTopology as { keras_version?: string }).keras_version;

  const weightsManifest: io.WeightsManifestConfig = bundled.weightsManifest.map((group) => ({
    ...group,
    paths: group.paths.map((p) => `${p}.bin`),
  }));
  const modelJson: io.ModelJSON = {
    format: 'layers-model',
    generatedBy: kerasVersion ? `keras v${kerasVersion}` : 'keras',
    convertedBy: `nsfwjs ${version} bundle (tests/helpers/nsfw-models.ts)`,
    modelTopology: bundled.modelTopology,
    weightsManifest,
  };
  const text = JSON.stringify(modelJson);
  const modelPath = path.join(dir, 'model.json');
  const shardFiles = weightsManifest.flatMap((g) => g.paths.map((p) => path.join(dir, p)));

  // Cached: same model.json, and shards present with the byte count the manifest implies.
  const existing = await fs.promises.readFile(modelPath, 'utf8').catch(() => null);
  if (existing === text) {
    const sizes = await Promise.all(shardFiles.map(fileSize));
    const total = sizes.reduce<number | null>(
      (a, s) => (a === null || s === null ? null : a + s),
      0,
    );
    if (total === manifestByteLength(weightsManifest)) return modelPath;
  }

  await fs.promises.mkdir(dir, { recursive: true });
  for (const [i, group] of bundled.weightsManifest.entries()) {
    for (const [j, shard] of group.paths.entries()) {
      const base64 = requireOnce(path.join(src, `${shard}.min.js`));
      if (typeof base64 !== 'string') throw new Error(`unexpected shard module: ${src}/${shard}`);
      const target = weightsManifest[i]?.paths[j];
      if (target === undefined) throw new Error('unreachable');
      await writeAtomic(path.join(dir, target), Buffer.from(base64, 'base64'));
    }
  }
  // model.json last: once it is there with this content, the shards are complete.
  await writeAtomic(modelPath, text);
  return modelPath;
}

const inFlight = new Map<string, Promise<string>>();

/**
 * Writes nsfwjs's bundled Keras model `name` to `dir` as model.json + `group1-shard*.bin`;
 * returns model.json's path. Skips the work when `dir` already holds the same model.
 */
export async function writeNsfwModel(
  dir: string,
  name: NsfwModelName = 'mobilenet_v2',
): Promise<string> {
  const key = `${path.resolve(dir)}\0${name}`;
  let pending = inFlight.get(key);
  if (!pending) {
    pending = write(path.resolve(dir), name);
    inFlight.set(key, pending);
    // Forget failures and finished writes, so a later call re-checks the folder.
    void pending.then(
      () => inFlight.delete(key),
      () => inFlight.delete(key),
    );
  }
  return pending;
}

let shared: Promise<string> | undefined;

/** MobileNetV2 written once per process (and reused across processes) under os.tmpdir(); returns model.json's path. */
export function sharedMobileNetV2(): Promise<string> {
  if (!shared) {
    shared = writeNsfwModel(path.join(os.tmpdir(), 'ocellus-test-models', 'mobilenet_v2'));
    shared.catch(() => (shared = undefined));
  }
  return shared;
}
