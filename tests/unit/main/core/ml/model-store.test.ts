import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import crypto from 'node:crypto';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import * as tar from 'tar';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OcellusError } from '../../../../../src/shared/errors';
import {
  ModelStore,
  type DownloadProgress,
  type StoredModel,
} from '../../../../../src/main/core/ml/model-store';
import type { ZooModel } from '../../../../../src/main/core/ml/zoo-types';
import { shardUrl } from '../../../../../src/main/core/ml/model-download';
import { makeTmpDir } from '../../../../helpers/tmp-dir';

const LAYERS_SHARDS = ['group1-shard1of2.bin', 'group1-shard2of2.bin'];

function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Saves a small real Keras-style model as TF.js files, its weights split over two shards. */
async function writeLayersModel(dir: string): Promise<tfl.LayersModel> {
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [64], units: 32, activation: 'relu' }),
      tfl.layers.dense({ units: 4, activation: 'softmax' }),
    ],
  });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      fs.mkdirSync(dir, { recursive: true });
      const data = Buffer.from(tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? []));
      const half = Math.floor(data.length / 2);
      fs.writeFileSync(path.join(dir, LAYERS_SHARDS[0]!), data.subarray(0, half));
      fs.writeFileSync(path.join(dir, LAYERS_SHARDS[1]!), data.subarray(half));
      const json = {
        format: 'layers-model',
        generatedBy: 'ocellus-test',
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: LAYERS_SHARDS, weights: artifacts.weightSpecs }],
      };
      fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return model;
}

const GRAPH_WEIGHTS = [0.5, -1, 2, 1, 0, 3, -0.25, 4, 1, 2, -2, 0.75];
/** [1, 2, 3, 4] · GRAPH_WEIGHTS, worked by hand. */
const GRAPH_Y = [9.75, 3, 14];

/** A hand-written GraphDef: x (Placeholder [-1, 4]) · w (Const [4, 3]) → Identity. */
function writeGraphModel(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const float = { type: 'DT_FLOAT' };
  const json = {
    format: 'graph-model',
    generatedBy: 'ocellus-test',
    convertedBy: 'hand',
    modelTopology: {
      node: [
        {
          name: 'x',
          op: 'Placeholder',
          attr: { dtype: float, shape: { shape: { dim: [{ size: '-1' }, { size: '4' }] } } },
        },
        {
          name: 'w',
          op: 'Const',
          attr: {
            dtype: float,
            value: {
              tensor: { dtype: 'DT_FLOAT', tensorShape: { dim: [{ size: '4' }, { size: '3' }] } },
            },
          },
        },
        {
          name: 'MatMul',
          op: 'MatMul',
          input: ['x', 'w'],
          attr: { T: float, transpose_a: { b: false }, transpose_b: { b: false } },
        },
        { name: 'y', op: 'Identity', input: ['MatMul'], attr: { T: float } },
      ],
      library: {},
      versions: { producer: 1 },
    },
    weightsManifest: [
      {
        paths: ['group1-shard1of1.bin'],
        weights: [{ name: 'w', shape: [4, 3], dtype: 'float32' }],
      },
    ],
  };
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
  fs.writeFileSync(
    path.join(dir, 'group1-shard1of1.bin'),
    Buffer.from(new Float32Array(GRAPH_WEIGHTS).buffer),
  );
}

interface ManifestGroup {
  paths: string[];
  weights: tf.io.WeightsManifestEntry[];
}

/** Loads model.json + shards from disk (tfjs-node's file:// handler is not available here). */
function folderHandler(dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as {
        format: string;
        modelTopology: object;
        weightsManifest: ManifestGroup[];
      };
      const shards = json.weightsManifest.flatMap((g) => g.paths);
      const data = Buffer.concat(shards.map((s) => fs.readFileSync(path.join(dir, s))));
      return {
        format: json.format,
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
        weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
      };
    },
  };
}

interface TestServer {
  url: (p: string) => string;
  requests: { path: string; range: string | null }[];
  /** Path → bytes of body after which the connection is dropped (once). */
  cut: Map<string, number>;
  /** Path → bytes of body after which the response hangs. */
  stall: Map<string, number>;
  ignoreRange: boolean;
  close: () => Promise<void>;
}

async function startServer(root: string): Promise<TestServer> {
  const server = http.createServer((req, res) => {
    const urlPath = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    const range = req.headers.range ?? null;
    state.requests.push({ path: urlPath, range });
    const file = path.join(root, urlPath);
    if (!file.startsWith(root + path.sep) || !fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    const data = fs.readFileSync(file);
    const m = /^bytes=(\d+)-$/.exec(range ?? '');
    let start = 0;
    if (m && !state.ignoreRange) {
      start = Number(m[1]);
      if (start >= data.length) {
        res.writeHead(416, { 'content-range': `bytes */${data.length}` }).end();
        return;
      }
      res.writeHead(206, {
        'content-length': data.length - start,
        'content-range': `bytes ${start}-${data.length - 1}/${data.length}`,
      });
    } else {
      res.writeHead(200, { 'content-length': data.length, 'accept-ranges': 'bytes' });
    }
    const body = data.subarray(start);
    const cut = state.cut.get(urlPath);
    const stall = state.stall.get(urlPath);
    if (cut !== undefined) {
      state.cut.delete(urlPath);
      res.write(body.subarray(0, cut), () => setTimeout(() => res.socket?.destroy(), 50));
    } else if (stall !== undefined) {
      res.write(body.subarray(0, stall));
    } else {
      res.end(body);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const state: TestServer = {
    url: (p) => `http://127.0.0.1:${port}${p}`,
    requests: [],
    cut: new Map(),
    stall: new Map(),
    ignoreRange: false,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return state;
}

async function rejection(promise: Promise<unknown>): Promise<OcellusError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OcellusError);
  return err as OcellusError;
}

function expectSameFiles(a: string, b: string, files: string[]): void {
  for (const f of files) {
    expect(fs.readFileSync(path.join(a, f)).equals(fs.readFileSync(path.join(b, f))), f).toBe(true);
  }
}

async function predictLayers(dir: string, x: tf.Tensor): Promise<number[]> {
  const model = await tfl.loadLayersModel(folderHandler(dir));
  return Array.from(await (model.predict(x) as tf.Tensor).data());
}

describe('ModelStore', () => {
  const tmp = makeTmpDir('ocellus-model-store-');
  const srv = path.join(tmp.dir, 'srv');
  const layersDir = path.join(srv, 'models', 'tiny-dense');
  const graphDir = path.join(srv, 'models', 'tiny-graph');
  const layersFiles = ['model.json', ...LAYERS_SHARDS];
  const graphFiles = ['model.json', 'group1-shard1of1.bin'];
  const input = tf.tensor2d([Array.from({ length: 64 }, (_, i) => Math.sin(i))]);
  let original: tfl.LayersModel;
  let server: TestServer;
  let cacheDir: string;

  const zooEntry = (over: Partial<ZooModel> = {}): ZooModel => ({
    id: 'tiny-dense',
    name: 'Tiny dense',
    format: 'layers',
    url: server.url('/models/tiny-dense/model.json'),
    sourceNote: 'made by the test',
    confirmed: true,
    preprocessing: {
      inputSize: [8, 8],
      resize: 'squash',
      normalization: { kind: 'range', min: 0, max: 1 },
    },
    featureOutput: 'auto',
    featureSize: 32,
    sha256: {
      modelJson: sha256(path.join(layersDir, 'model.json')),
      shards: Object.fromEntries(LAYERS_SHARDS.map((s) => [s, sha256(path.join(layersDir, s))])),
    },
    sizeBytes: null,
    licence: 'MIT',
    ...over,
  });

  beforeAll(async () => {
    await tf.setBackend('cpu');
    original = await writeLayersModel(layersDir);
    writeGraphModel(graphDir);
    server = await startServer(srv);
  });
  afterAll(async () => {
    await server.close();
    tmp.cleanup();
  });
  beforeEach(() => {
    cacheDir = fs.mkdtempSync(path.join(tmp.dir, 'cache-'));
    server.requests.length = 0;
    server.cut.clear();
    server.stall.clear();
    server.ignoreRange = false;
  });

  it('loads and runs the hand-written Graph fixture with tfjs-converter', async () => {
    const model = await loadGraphModel(folderHandler(graphDir));
    const x = tf.tensor2d([[1, 2, 3, 4]]);
    const y = Array.from(await (model.predict(x) as tf.Tensor).data());
    const w = tf.tensor2d(GRAPH_WEIGHTS, [4, 3]);
    expect(y).toEqual(Array.from(await tf.matMul(x, w).data()));
    expect(y).toEqual(GRAPH_Y);
  });

  it('downloads a Layers model with progress, verifying and caching it', async () => {
    const store = new ModelStore({ cacheDir });
    const events: DownloadProgress[] = [];
    const model = await store.download(zooEntry(), { onProgress: (p) => events.push(p) });

    const total = layersFiles.reduce((n, f) => n + fs.statSync(path.join(layersDir, f)).size, 0);
    expect(model).toMatchObject({ id: 'tiny-dense', source: 'cache', zooId: 'tiny-dense' });
    expect(model).toMatchObject({ format: 'layers', sizeBytes: total, name: 'Tiny dense' });
    expect(model.dir).toBe(path.join(cacheDir, 'tiny-dense'));
    expect(model.sha256).toEqual(zooEntry().sha256);
    expectSameFiles(layersDir, model.dir, layersFiles);
    expect(server.requests.map((r) => r.path)).toEqual(
      layersFiles.map((f) => `/models/tiny-dense/${f}`),
    );

    expect(new Set(events.map((e) => e.file))).toEqual(new Set(layersFiles));
    const done = events.map((e) => e.bytesDone);
    expect(done).toEqual([...done].sort((a, b) => a - b));
    expect(events.at(-1)).toEqual({ bytesDone: total, bytesTotal: total, file: LAYERS_SHARDS[1] });
    expect(events.find((e) => e.file === 'model.json')?.bytesTotal).toBeNull();

    expect(fs.existsSync(path.join(cacheDir, '.incoming', 'tiny-dense'))).toBe(false);
    expect(store.list().map((m) => m.id)).toEqual(['tiny-dense']);
    expect(await predictLayers(model.dir, input)).toEqual(
      Array.from(await (original.predict(input) as tf.Tensor).data()),
    );
  });

  it('downloads a Graph model that tfjs-converter loads', async () => {
    const store = new ModelStore({ cacheDir });
    const zoo = zooEntry({
      id: 'tiny-graph',
      format: 'graph',
      url: server.url('/models/tiny-graph/model.json'),
      sha256: null,
    });
    const model = await store.download(zoo);
    expect(model.format).toBe('graph');
    expectSameFiles(graphDir, model.dir, graphFiles);
    expect(model.sha256.shards['group1-shard1of1.bin']).toBe(
      sha256(path.join(graphDir, 'group1-shard1of1.bin')),
    );
    const graph = await loadGraphModel(folderHandler(model.dir));
    const y = await (graph.predict(tf.tensor2d([[1, 2, 3, 4]])) as tf.Tensor).data();
    expect(Array.from(y)).toEqual(GRAPH_Y);
  });

  it('resumes an interrupted download with a Range request', async () => {
    const shard = `/models/tiny-dense/${LAYERS_SHARDS[0]}`;
    server.cut.set(shard, 3000);
    const store = new ModelStore({ cacheDir });
    const err = await rejection(store.download(zooEntry()));
    expect(err.code).toBe('IO_ERROR');
    expect(err.message).toContain(LAYERS_SHARDS[0]);
    const part = path.join(cacheDir, '.incoming', 'tiny-dense', `${LAYERS_SHARDS[0]}.part`);
    expect(fs.statSync(part).size).toBe(3000);
    expect(store.find('tiny-dense')).toBeNull();

    server.requests.length = 0;
    const model = await store.download(zooEntry());
    // model.json was complete, so only the shards are asked for again.
    expect(server.requests).toEqual([
      { path: shard, range: 'bytes=3000-' },
      { path: `/models/tiny-dense/${LAYERS_SHARDS[1]}`, range: null },
    ]);
    expectSameFiles(layersDir, model.dir, layersFiles);
    expect(fs.existsSync(part)).toBe(false);
  });

  it('restarts cleanly when the server ignores Range', async () => {
    const shard = `/models/tiny-dense/${LAYERS_SHARDS[0]}`;
    server.cut.set(shard, 3000);
    server.ignoreRange = true;
    const store = new ModelStore({ cacheDir });
    await rejection(store.download(zooEntry()));
    server.requests.length = 0;
    const model = await store.download(zooEntry());
    expect(server.requests[0]).toEqual({ path: shard, range: 'bytes=3000-' });
    expectSameFiles(layersDir, model.dir, layersFiles);
  });

  it('rejects a checksum mismatch with a clear error and leaves nothing behind', async () => {
    const store = new ModelStore({ cacheDir });
    const good = zooEntry().sha256!;
    const wrong = 'ab'.repeat(32);
    const zoo = zooEntry({
      sha256: { ...good, shards: { ...good.shards, [LAYERS_SHARDS[1]!]: wrong } },
    });
    const err = await rejection(store.download(zoo));
    expect(err.code).toBe('IO_ERROR');
    expect(err.message).toContain(LAYERS_SHARDS[1]);
    expect(err.message).toContain(wrong);
    expect(err.message).toContain(good.shards[LAYERS_SHARDS[1]!]);
    expect(store.list()).toEqual([]);
    expect(fs.readdirSync(cacheDir).filter((n) => n !== '.incoming')).toEqual([]);
    expect(fs.readdirSync(path.join(cacheDir, '.incoming'))).toEqual([]);
  });

  it('answers a second request from the cache without any HTTP request', async () => {
    const first = await new ModelStore({ cacheDir }).download(zooEntry());
    server.requests.length = 0;
    const again = await new ModelStore({ cacheDir }).download(zooEntry());
    expect(server.requests).toEqual([]);
    expect(again).toEqual(first);
  });

  it('cancels through an AbortSignal, keeping the partial file for a resume', async () => {
    const shard = `/models/tiny-dense/${LAYERS_SHARDS[0]}`;
    server.stall.set(shard, 2000);
    const store = new ModelStore({ cacheDir });
    const controller = new AbortController();
    const err = await rejection(
      store.download(zooEntry(), {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.file === LAYERS_SHARDS[0]) controller.abort();
        },
      }),
    );
    expect(err.code).toBe('CANCELLED');
    const part = path.join(cacheDir, '.incoming', 'tiny-dense', `${LAYERS_SHARDS[0]}.part`);
    const kept = fs.statSync(part).size;
    expect(kept).toBeGreaterThan(0);
    expect(store.list()).toEqual([]);

    server.stall.clear();
    server.requests.length = 0;
    const model = await store.download(zooEntry());
    expect(server.requests[0]).toEqual({ path: shard, range: `bytes=${kept}-` });
    expectSameFiles(layersDir, model.dir, layersFiles);

    const aborted = AbortSignal.abort();
    const store2 = new ModelStore({ cacheDir: fs.mkdtempSync(path.join(tmp.dir, 'cache-')) });
    expect((await rejection(store2.download(zooEntry(), { signal: aborted }))).code).toBe(
      'CANCELLED',
    );
  });

  it('imports a folder offline into a model that predicts like the original', async () => {
    const store = new ModelStore({ cacheDir });
    const model = await store.importFolder(layersDir, { name: 'My dense net' });
    const jsonSha = sha256(path.join(layersDir, 'model.json'));
    expect(model).toMatchObject({ source: 'imported', format: 'layers', zooId: null });
    expect(model).toMatchObject({ id: `imported-${jsonSha.slice(0, 12)}`, name: 'My dense net' });
    expectSameFiles(layersDir, model.dir, layersFiles);
    expect(await predictLayers(model.dir, input)).toEqual(
      Array.from(await (original.predict(input) as tf.Tensor).data()),
    );

    const again = await store.importFolder(layersDir);
    expect(again).toEqual(model);
    expect(store.list()).toHaveLength(1);

    const graph = await store.importFolder(graphDir, { id: 'my-graph' });
    expect(graph).toMatchObject({ id: 'my-graph', format: 'graph' });
    const loaded = await loadGraphModel(folderHandler(graph.dir));
    const y = await (loaded.predict(tf.tensor2d([[1, 2, 3, 4]])) as tf.Tensor).data();
    expect(Array.from(y)).toEqual(GRAPH_Y);

    const clash = await rejection(store.importFolder(layersDir, { id: 'my-graph' }));
    expect(clash.code).toBe('ALREADY_EXISTS');
  });

  it('names the missing shard when a folder is incomplete', async () => {
    const broken = path.join(tmp.dir, 'broken');
    fs.cpSync(layersDir, broken, { recursive: true });
    fs.rmSync(path.join(broken, LAYERS_SHARDS[1]!));
    const store = new ModelStore({ cacheDir });
    const err = await rejection(store.importFolder(broken));
    expect(err.code).toBe('NOT_FOUND');
    expect(err.message).toContain(LAYERS_SHARDS[1]);

    fs.writeFileSync(path.join(broken, LAYERS_SHARDS[1]!), Buffer.alloc(10));
    const short = await rejection(store.importFolder(broken));
    expect(short.code).toBe('INVALID_ARGUMENT');
    expect(short.message).toMatch(/bytes/);
    expect(store.list()).toEqual([]);
  });

  it('exports to a single file that another store imports identically', async () => {
    const store = new ModelStore({ cacheDir });
    const model = await store.download(zooEntry());
    const file = path.join(tmp.dir, 'exports', 'tiny-dense.ocellus');
    await store.exportToFile(model.id, file);

    const entries: string[] = [];
    await tar.list({ file, onReadEntry: (e) => entries.push(e.path) });
    expect(entries.sort()).toEqual(['model.json', 'ocellus-model.json', ...LAYERS_SHARDS].sort());

    const other = new ModelStore({ cacheDir: fs.mkdtempSync(path.join(tmp.dir, 'cache-')) });
    const imported = await other.importFile(file);
    const pick = (m: StoredModel) => [m.id, m.name, m.zooId, m.format, m.sha256, m.sizeBytes];
    expect(pick(imported)).toEqual(pick(model));
    expect(imported.source).toBe('imported');
    expectSameFiles(model.dir, imported.dir, layersFiles);
    // The carried copy satisfies the zoo entry offline.
    server.requests.length = 0;
    expect((await other.download(zooEntry())).dir).toBe(imported.dir);
    expect(server.requests).toEqual([]);
    expect(await other.importFile(file)).toEqual(imported);

    expect((await rejection(store.exportToFile('nope', file))).code).toBe('NOT_FOUND');
  });

  it('refuses tampered files and paths escaping the archive', async () => {
    const store = new ModelStore({ cacheDir });
    const model = await store.importFolder(graphDir, { id: 'tiny-graph' });
    const file = path.join(tmp.dir, 'tiny-graph.ocellus');
    await store.exportToFile(model.id, file);

    const unpacked = fs.mkdtempSync(path.join(tmp.dir, 'unpacked-'));
    await tar.extract({ file, cwd: unpacked });
    fs.writeFileSync(path.join(unpacked, 'group1-shard1of1.bin'), Buffer.alloc(48, 1));
    const tampered = path.join(tmp.dir, 'tampered.ocellus');
    await tar.create({ file: tampered, cwd: unpacked }, fs.readdirSync(unpacked));
    const other = new ModelStore({ cacheDir: fs.mkdtempSync(path.join(tmp.dir, 'cache-')) });
    const err = await rejection(other.importFile(tampered));
    expect(err.code).toBe('IO_ERROR');
    expect(err.message).toContain('group1-shard1of1.bin');
    expect(err.message).toContain(model.sha256.shards['group1-shard1of1.bin']);

    const inner = path.join(unpacked, 'inner');
    fs.mkdirSync(inner);
    fs.writeFileSync(path.join(unpacked, 'evil.txt'), 'x');
    const escaping = path.join(tmp.dir, 'escaping.ocellus');
    await tar.create({ file: escaping, cwd: inner, preservePaths: true }, [
      '../model.json',
      '../evil.txt',
    ]);
    const escape = await rejection(other.importFile(escaping));
    expect(escape.code).toBe('INVALID_ARGUMENT');
    expect(escape.message).toContain('escapes the archive');
    expect(fs.existsSync(path.join(tmp.dir, 'evil.txt'))).toBe(false);
    expect(other.list()).toEqual([]);
  });

  it('finds a bundled model before the cached one', async () => {
    await new ModelStore({ cacheDir }).download(zooEntry());
    await new ModelStore({ cacheDir }).importFolder(graphDir, { id: 'cached-graph' });
    const bundledRoot = path.join(tmp.dir, 'bundled');
    fs.cpSync(graphDir, path.join(bundledRoot, 'tiny-dense'), { recursive: true });

    const store = new ModelStore({ cacheDir, bundledDirs: [bundledRoot] });
    const found = store.find('tiny-dense');
    expect(found).toMatchObject({ source: 'bundled', format: 'graph', zooId: null });
    expect(found?.dir).toBe(path.join(bundledRoot, 'tiny-dense'));
    expect(found?.sha256.modelJson).toBe(sha256(path.join(graphDir, 'model.json')));
    expect(store.list().map((m) => [m.id, m.source])).toEqual([
      ['tiny-dense', 'bundled'],
      ['cached-graph', 'imported'],
    ]);
    server.requests.length = 0;
    expect((await store.download(zooEntry())).source).toBe('bundled');
    expect(server.requests).toEqual([]);
  });
});

describe('shardUrl', () => {
  it('keeps the TF Hub query on shard addresses', () => {
    const base = new URL(
      'https://tfhub.dev/google/tfjs-model/x/1/default/1/model.json?tfjs-format=file',
    );
    expect(shardUrl(base, 'group1-shard1of2').href).toBe(
      'https://tfhub.dev/google/tfjs-model/x/1/default/1/group1-shard1of2?tfjs-format=file',
    );
    expect(shardUrl(new URL('http://127.0.0.1:9/m/model.json'), 'w.bin').href).toBe(
      'http://127.0.0.1:9/m/w.bin',
    );
  });
});
