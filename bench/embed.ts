/**
 * Embedding benchmark: Ocellus's embedding job (TF.js, worker pool, model-input cache)
 * against the plain loop a user would write (sharp → tensor → model.predict, batch 1), on the
 * same images, the same network (Keras MobileNetV2 224 from the npm package nsfwjs) and the
 * same backend, in one run.
 *
 *   npm run bench:embed -- [--n 200] [--big 40] [--data DIR] [--backend wasm] [--keep] [--json]
 *
 * Test images and the model are written once (untimed) and cached in --data. Each part runs
 * in its own child process (so RSS is its own). Progress goes to stderr; the table (or with
 * --json the result object) goes to stdout.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import {
  loadLayersModel,
  model as layersModel,
  type SymbolicTensor,
} from '@tensorflow/tfjs-layers';
import Database from 'better-sqlite3';
import sharp, { type OverlayOptions } from 'sharp';
import { fmtRate, log, mb, pool, rate, secs, table } from './lib/measure';
import { cacheDirFor, derivativePaths } from '../src/main/core/library/derivative-paths';
import {
  EmbedEngine,
  prepareItems,
  type EmbedItem,
  type PreparedBatch,
} from '../src/main/core/ml/embed-engine';
import { diskModelHandler } from '../src/main/core/ml/model-io';
import { convertFeatureModel, ONNX_INPUT } from '../src/main/core/ml/onnx/convert-layers';
import { createSession, loadOrt } from '../src/main/core/ml/onnx/onnx-engine';
import { initBackend, isBackendName, type BackendName } from '../src/main/core/ml/tf-runtime';
import type { PreprocessingSpec } from '../src/main/core/ml/zoo-types';
import { createOcellusService, type OcellusService } from '../src/main/core/service';
import type { JobInfo } from '../src/shared/types';
import { writeNsfwModel } from '../tests/helpers/nsfw-models';
import { seededRandom } from '../src/main/core/util/rng';

// ---------------------------------------------------------------------------------------------
// Options

type Part = 'plain' | 'ocellus' | 'engine' | 'ort';

interface Options {
  n: number;
  big: number;
  data: string;
  backend: BackendName;
  backendForced: boolean;
  keep: boolean;
  json: boolean;
  /** Internal: which part a child process runs. */
  part: Part | null;
  /** Internal: the run's temporary folder, for the children. */
  work: string | null;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      n: { type: 'string', default: '200' },
      big: { type: 'string', default: '40' },
      data: { type: 'string', default: path.join(os.tmpdir(), 'ocellus-bench-embed') },
      backend: { type: 'string' },
      keep: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      part: { type: 'string' },
      work: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      'Usage: npm run bench:embed -- [--n 200] [--big 40] [--data DIR] [--backend wasm|cpu|tensorflow] [--keep] [--json]\n',
    );
    process.exit(0);
  }
  const count = (name: string, v: string, min: number): number => {
    const x = Number(v);
    if (!Number.isInteger(x) || x < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
    return x;
  };
  const backend = values.backend ?? 'wasm';
  if (!isBackendName(backend)) throw new Error(`--backend must be tensorflow, wasm or cpu`);
  const part = values.part;
  if (part !== undefined && !['plain', 'ocellus', 'engine', 'ort'].includes(part)) {
    throw new Error(`Unknown --part ${part}`);
  }
  return {
    n: count('n', values.n, 1),
    big: count('big', values.big, 0),
    data: path.resolve(values.data),
    backend,
    backendForced: values.backend !== undefined,
    keep: values.keep,
    json: values.json,
    part: (part as Part | undefined) ?? null,
    work: values.work ?? null,
  };
}

const PARALLELISM = os.availableParallelism();
const MODEL_INPUT = 224;
/** MobileNetV2's own preprocessing: center crop to 224, values in [-1, 1]. */
const PREPROCESSING: PreprocessingSpec = {
  inputSize: [MODEL_INPUT, MODEL_INPUT],
  resize: 'center-crop',
  normalization: { kind: 'range', min: -1, max: 1 },
};
/** The pooled 1280-d feature layer of nsfwjs's MobileNetV2 (AveragePooling2D 7×7 → Flatten). */
const PLAIN_FEATURE_LAYER = 'flatten_1';
const JOB_BATCH_SIZES = [1, 8, 32];
/** Batch sizes of the Ocellus jobs on ONNX Runtime (OCELLUS_ENGINE=onnx). */
const ONNX_BATCH_SIZES = [8, 32];
const ORT_BATCH = 32;
const ENGINE_BATCH = 8;

// ---------------------------------------------------------------------------------------------
// Test images: varied content, generated once

type Kind = 'small' | 'big';

interface ImageSet {
  kind: Kind;
  count: number;
  width: number;
  height: number;
  dir: string;
  manifest: string;
}

const GENERATOR_VERSION = 1;

function imageSet(data: string, kind: Kind, count: number): ImageSet {
  const [width, height] = kind === 'small' ? [1024, 768] : [4000, 3000];
  const name = `${kind}-${width}x${height}-n${count}-v${GENERATOR_VERSION}`;
  return {
    kind,
    count,
    width,
    height,
    dir: path.join(data, name),
    manifest: path.join(data, `${name}.json`),
  };
}

function setFiles(set: ImageSet): string[] {
  return Array.from({ length: set.count }, (_, i) =>
    path.join(set.dir, `IMG_${String(i + 1).padStart(4, '0')}.JPG`),
  );
}

function isComplete(set: ImageSet): boolean {
  try {
    const m = JSON.parse(fs.readFileSync(set.manifest, 'utf8')) as {
      version?: number;
      count?: number;
    };
    return m.version === GENERATOR_VERSION && m.count === set.count;
  } catch {
    return false;
  }
}

/** The project's seeded PRNG, so generated data match across runs. */
const rng = seededRandom;

interface Base {
  data: Buffer;
  width: number;
  height: number;
}

/** A gradient with soft shapes and sensor-like noise: JPEGs of it have realistic sizes. */
async function makeBase(width: number, height: number, seed: number, sigma: number): Promise<Base> {
  const r = rng(seed * 7919 + 17);
  const hue = Math.floor(r() * 360);
  const shapes = Array.from({ length: 40 }, () => {
    const cx = Math.floor(r() * width);
    const cy = Math.floor(r() * height);
    const rx = Math.floor((0.02 + r() * 0.12) * width);
    const ry = Math.floor((0.01 + r() * 0.1) * height);
    const h = (hue + Math.floor(r() * 120) - 60 + 360) % 360;
    const l = 20 + Math.floor(r() * 45);
    return `<ellipse cx="${cx}" cy="${cy}" rx="${rx}" ry="${ry}" fill="hsl(${h},40%,${l}%)" fill-opacity="0.55"/>`;
  }).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
<defs><linearGradient id="g" x1="0" y1="0" x2="${r().toFixed(2)}" y2="1">
<stop offset="0" stop-color="hsl(${hue},35%,65%)"/>
<stop offset="1" stop-color="hsl(${(hue + 90) % 360},45%,22%)"/></linearGradient></defs>
<rect width="100%" height="100%" fill="url(#g)"/>${shapes}</svg>`;
  const noise = await sharp({
    create: {
      width,
      height,
      channels: 3,
      background: { r: 128, g: 128, b: 128 },
      noise: { type: 'gaussian', mean: 128, sigma },
    },
  })
    .raw()
    .toBuffer();
  const { data, info } = await sharp(Buffer.from(svg), { limitInputPixels: false })
    .composite([{ input: noise, raw: { width, height, channels: 3 }, blend: 'overlay' }])
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

async function generateSet(set: ImageSet): Promise<void> {
  if (set.count === 0 || isComplete(set)) return;
  const small = set.kind === 'small';
  const baseCount = small ? 12 : 4;
  const marginW = small ? 256 : 200;
  const marginH = small ? 192 : 150;
  log(`generating ${set.count} JPEGs ${set.width}×${set.height} in ${set.dir}`);
  const started = performance.now();
  const bases: Base[] = [];
  for (let b = 0; b < baseCount; b++) {
    bases.push(
      await makeBase(
        set.width + marginW,
        set.height + marginH,
        b + (small ? 0 : 1000),
        small ? 6 + (b % 7) : 12 + (b % 4) * 2,
      ),
    );
  }
  fs.mkdirSync(set.dir, { recursive: true });
  const files = setFiles(set);
  await pool(
    files.map((file, i) => ({ file, i })),
    PARALLELISM,
    async ({ file, i }) => {
      if (fs.existsSync(file)) return;
      const base = bases[i % baseCount] as Base;
      const j = Math.floor(i / baseCount);
      const left = small ? (j * 7) % marginW : (j * 11) % marginW;
      const top = small ? (j * 37) % marginH : (j * 13) % marginH;
      const r = rng(i * 2654435761 + (small ? 1 : 2));
      const gain = 0.8 + r() * 0.4;
      const overlays: OverlayOptions[] = [];
      // About one frame in three has an "animal" in it.
      if (r() < 0.35) {
        const w = Math.floor(set.width * (0.15 + r() * 0.25));
        const h = Math.floor(w * 0.6);
        const hue = Math.floor(r() * 60);
        const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">
<ellipse cx="${w * 0.45}" cy="${h * 0.55}" rx="${w * 0.35}" ry="${h * 0.3}" fill="hsl(${hue},35%,30%)"/>
<ellipse cx="${w * 0.82}" cy="${h * 0.35}" rx="${w * 0.12}" ry="${h * 0.14}" fill="hsl(${hue},35%,26%)"/>
<rect x="${w * 0.2}" y="${h * 0.7}" width="${w * 0.05}" height="${h * 0.3}" fill="hsl(${hue},30%,22%)"/>
<rect x="${w * 0.6}" y="${h * 0.7}" width="${w * 0.05}" height="${h * 0.3}" fill="hsl(${hue},30%,22%)"/></svg>`;
        overlays.push({
          input: Buffer.from(svg),
          left: Math.floor(r() * (set.width - w)),
          top: Math.floor(r() * (set.height - h)),
        });
      }
      let img = sharp(base.data, {
        raw: { width: base.width, height: base.height, channels: 3 },
        limitInputPixels: false,
      })
        .extract({ left, top, width: set.width, height: set.height })
        .linear(gain, 0);
      if (overlays.length > 0) img = img.composite(overlays);
      const part = `${file}.part`;
      await img.jpeg({ quality: 84 + (i % 7) }).toFile(part);
      await fs.promises.rename(part, file);
    },
  );
  fs.writeFileSync(set.manifest, JSON.stringify({ version: GENERATOR_VERSION, count: set.count }));
  log(`  done in ${secs(performance.now() - started)}`);
}

// ---------------------------------------------------------------------------------------------
// Measuring

/** Runs fn over items with at most `limit` in flight. */

/** Samples RSS every 100 ms: peak since start, and peak within each open window. */
class RssSampler {
  peak = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly windows = new Set<{ peak: number }>();

  open(): { peak: number } {
    const w = { peak: 0 };
    this.windows.add(w);
    this.sample();
    return w;
  }

  /** Closes a window; returns its peak. */
  close(w: { peak: number }): number {
    this.sample();
    this.windows.delete(w);
    return w.peak;
  }

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), 100);
    this.timer.unref();
  }

  stop(): number {
    if (this.timer) clearInterval(this.timer);
    this.sample();
    return this.peak;
  }

  private sample(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.peak) this.peak = rss;
    for (const w of this.windows) if (rss > w.peak) w.peak = rss;
  }
}

/** Wall time and CPU use (all threads of the process) of one stretch of work. */
interface Span {
  seconds: number;
  /** (user + system CPU time) / wall time: how many cores were busy on average. */
  cores: number;
  /** User + system CPU seconds of the whole process (all threads, ML workers included). */
  cpu: number;
}

class SpanClock {
  private readonly t = performance.now();
  private readonly cpu = process.cpuUsage();

  stop(): Span {
    const ms = performance.now() - this.t;
    const cpu = process.cpuUsage(this.cpu);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    return { seconds: ms / 1000, cores: (cpuSeconds * 1000) / ms, cpu: cpuSeconds };
  }
}

/** CPU seconds used by this process so far (all threads). */
function cpuNow(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
}

interface PartMemory {
  rssAtStart: number;
  peakRss: number;
  maxRss: number;
}

function runPart<T>(part: Part, opts: Options, work: string): Promise<T> {
  const script = process.argv[1];
  if (!script) throw new Error('Cannot tell which script is running');
  const args = ['--part', part, '--n', String(opts.n), '--big', String(opts.big)];
  args.push('--data', opts.data, '--work', work, '--backend', opts.backend);
  return new Promise((resolve, reject) => {
    let result: T | undefined;
    const child = fork(script, args, { stdio: 'inherit' });
    child.on('message', (m) => (result = m as T));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code !== 0) reject(new Error(`${part} failed (${signal ?? code})`));
      else if (result === undefined) reject(new Error(`${part}: no result`));
      else resolve(result);
    });
  });
}

function modelDir(data: string): string {
  return path.join(data, 'mobilenet_v2');
}

function workerFile(): string {
  return path.resolve('out', 'main', 'embed-worker.js');
}

// ---------------------------------------------------------------------------------------------
// Part 1: the plain reference

interface PlainSet {
  kind: Kind;
  items: number;
  /** The loop: decode + normalise + predict, batch 1. */
  loop: Span;
  decodeSeconds: number;
  predictSeconds: number;
  decodeCpu: number;
  predictCpu: number;
}

interface PlainPart extends PartMemory {
  backend: string;
  loadSeconds: number;
  sets: PlainSet[];
  tensorsBefore: number;
  tensorsAfter: number;
  dim: number;
}

/** The recipe a user would write: TF.js + sharp, one image at a time. */
async function plainPart(opts: Options, sets: ImageSet[]): Promise<PlainPart> {
  const rssAtStart = process.memoryUsage.rss();
  const sampler = new RssSampler();
  sampler.start();
  const load = new SpanClock();
  if (opts.backend === 'wasm') {
    const req = createRequire(path.resolve('package.json'));
    const dist = path.join(
      path.dirname(req.resolve('@tensorflow/tfjs-backend-wasm/package.json')),
      'dist',
    );
    setWasmPaths(`${dist}${path.sep}`);
  } else if (opts.backend === 'tensorflow') {
    createRequire(path.resolve('package.json'))('@tensorflow/tfjs-node');
  }
  if (!(await tf.setBackend(opts.backend)))
    throw new Error(`backend ${opts.backend} did not start`);
  await tf.ready();

  // model.json + shards from disk (tfjs-node's file:// handler is not available here).
  const dir = modelDir(opts.data);
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as {
    modelTopology: object;
    weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  };
  const weights = Buffer.concat(
    json.weightsManifest.flatMap((g) => g.paths.map((p) => fs.readFileSync(path.join(dir, p)))),
  );
  const full = await loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
    }),
  );
  const cut = layersModel({
    inputs: full.inputs,
    outputs: full.getLayer(PLAIN_FEATURE_LAYER).output as SymbolicTensor,
  });
  // One warm-up prediction (kernels set up), timed with the loading.
  const warm = cut.predict(tf.zeros([1, MODEL_INPUT, MODEL_INPUT, 3])) as tf.Tensor;
  const dim = warm.shape[1] ?? 0;
  warm.dispose();
  const loadSeconds = load.stop().seconds;
  log(`plain: backend ${tf.getBackend()}, model loaded in ${loadSeconds.toFixed(2)} s, ${dim}-d`);

  const tensorsBefore = tf.memory().numTensors;
  const out: PlainSet[] = [];
  for (const set of sets) {
    const files = setFiles(set);
    let decode = 0;
    let predict = 0;
    let decodeCpu = 0;
    let predictCpu = 0;
    const clock = new SpanClock();
    for (const file of files) {
      const c0 = cpuNow();
      const t0 = performance.now();
      const { data } = await sharp(file)
        .resize(MODEL_INPUT, MODEL_INPUT, { fit: 'cover' })
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      const pixels = new Float32Array(data.length);
      for (let i = 0; i < data.length; i++) pixels[i] = (data[i] ?? 0) / 127.5 - 1;
      const t1 = performance.now();
      const c1 = cpuNow();
      const input = tf.tensor4d(pixels, [1, MODEL_INPUT, MODEL_INPUT, 3]);
      const emb = cut.predict(input) as tf.Tensor;
      await emb.data();
      input.dispose();
      emb.dispose();
      predict += performance.now() - t1;
      predictCpu += cpuNow() - c1;
      decode += t1 - t0;
      decodeCpu += c1 - c0;
    }
    const loop = clock.stop();
    log(
      `plain ${set.kind}: ${files.length} in ${loop.seconds.toFixed(2)} s (${(files.length / loop.seconds).toFixed(1)} img/s)`,
    );
    out.push({
      kind: set.kind,
      items: files.length,
      loop,
      decodeSeconds: decode / 1000,
      predictSeconds: predict / 1000,
      decodeCpu,
      predictCpu,
    });
  }
  const tensorsAfter = tf.memory().numTensors;
  full.dispose();
  return {
    backend: tf.getBackend(),
    loadSeconds,
    sets: out,
    tensorsBefore,
    tensorsAfter,
    dim,
    rssAtStart,
    peakRss: sampler.stop(),
    maxRss: process.resourceUsage().maxRSS * 1024,
  };
}

// ---------------------------------------------------------------------------------------------
// Part 2: Ocellus, through the service

interface JobRun {
  batchSize: number;
  engine: 'tfjs' | 'onnx';
  workers: boolean;
  state: string;
  error: string | null;
  /** From the ml.embed call to the job's end. */
  job: Span;
  /** From the job's start to its "Computing embeddings" phase (workers start, model loads). */
  loadSeconds: number | null;
  /** "Computing embeddings" phase to the end. */
  computeSeconds: number | null;
  /** CPU seconds of the process (workers included) in that phase. */
  computeCpu: number | null;
  detail: string | null;
  embedded: number;
  failed: number;
  /** Peak RSS of the process during the job, and RSS once it ended (workers stopped). */
  peakRss: number;
  rssAfter: number;
}

interface OcellusSet {
  kind: Kind;
  count: number;
  import: Span;
  importOk: number;
  jobs: JobRun[];
  /** (hash, model-input cache file, original) of each image, for the engine part. */
  items: { hash: string; input: string; original: string }[];
}

interface OcellusPart extends PartMemory {
  modelId: string;
  /** RSS after the first import, before any embedding job. */
  rssBeforeJobs: number;
  sets: OcellusSet[];
}

/** Runs a job the `start` call creates, and times it from the call to its end. */
async function timedJob(
  service: OcellusService,
  start: () => Promise<JobInfo>,
): Promise<{
  final: JobInfo;
  job: Span;
  computeAt: number | null;
  computeCpu: number | null;
  t0: number;
  t1: number;
}> {
  const events: { job: JobInfo; t: number; cpu: NodeJS.CpuUsage }[] = [];
  let notify: (() => void) | null = null;
  const off = service.bus.on('job:updated', (j) => {
    events.push({ job: { ...j }, t: performance.now(), cpu: process.cpuUsage() });
    notify?.();
  });
  try {
    const t0 = performance.now();
    const clock = new SpanClock();
    const info = await start();
    const ended = () =>
      events.find(
        (e) => e.job.id === info.id && e.job.state !== 'running' && e.job.state !== 'queued',
      );
    let end = ended();
    while (!end) {
      await new Promise<void>((r) => (notify = r));
      end = ended();
    }
    const job = clock.stop();
    // The clock stops a little after the end event; use the event's time for the wall time.
    job.seconds = (end.t - t0) / 1000;
    const compute = events.find(
      (e) => e.job.id === info.id && e.job.detail?.startsWith('Computing embeddings'),
    );
    const computeCpu = compute
      ? (end.cpu.user + end.cpu.system - compute.cpu.user - compute.cpu.system) / 1e6
      : null;
    return { final: end.job, job, computeAt: compute?.t ?? null, computeCpu, t0, t1: end.t };
  } finally {
    off();
  }
}

function clearEmbeddings(projectPath: string): void {
  const db = new Database(projectPath);
  try {
    db.pragma('busy_timeout = 10000');
    db.prepare('DELETE FROM embeddings').run();
  } finally {
    db.close();
  }
}

async function embedRun(
  service: OcellusService,
  modelId: string,
  batchSize: number,
  workers: boolean,
  kind: Kind,
  sampler: RssSampler,
  engine: 'tfjs' | 'onnx' = 'tfjs',
): Promise<JobRun> {
  // The pool and its workers read the engine from the environment, as a user would force it.
  process.env['OCELLUS_ENGINE'] = engine;
  const window = sampler.open();
  const { final, job, computeAt, computeCpu, t0, t1 } = await timedJob(service, () =>
    service.api.ml.embed(modelId, { batchSize }),
  );
  const peakRss = sampler.close(window);
  const status = await service.api.ml.embeddingStatus(modelId);
  const run: JobRun = {
    batchSize,
    engine,
    workers,
    state: final.state,
    error: final.error,
    job,
    loadSeconds: computeAt === null ? null : (computeAt - t0) / 1000,
    computeSeconds: computeAt === null ? null : (t1 - computeAt) / 1000,
    computeCpu,
    detail: null,
    embedded: status.embedded,
    failed: status.failed,
    peakRss,
    rssAfter: process.memoryUsage.rss(),
  };
  log(
    `  ${kind} embed ${engine} ${workers ? 'workers' : 'in-process'} batch ${batchSize}: ${final.state}, ` +
      `${status.embedded} embedded, ${status.failed} failed, ${job.seconds.toFixed(2)} s ` +
      `(load ${run.loadSeconds?.toFixed(2) ?? '?'} s), ${((status.embedded + status.failed) / job.seconds).toFixed(1)} img/s, ` +
      `CPU ${((job.cpu * 1000) / Math.max(1, status.embedded + status.failed)).toFixed(0)} ms/img, ${job.cores.toFixed(2)} cores, load avg ${os.loadavg()[0]?.toFixed(1)}, ` +
      `RSS peak ${mb(peakRss)}, after ${mb(run.rssAfter)}`,
  );
  if (final.state !== 'done') log(`  warning: embed job ${final.state}: ${final.error ?? ''}`);
  return run;
}

async function ocellusPart(opts: Options, sets: ImageSet[], work: string): Promise<OcellusPart> {
  const rssAtStart = process.memoryUsage.rss();
  const sampler = new RssSampler();
  sampler.start();
  const make = (mlWorkerFile: string | null) =>
    createOcellusService({
      host: 'cli',
      appVersion: __OCELLUS_VERSION__,
      appDataDir: path.join(work, 'appdata'),
      defaultProjectDir: work,
      watch: false,
      trackRecent: false,
      mlWorkerFile,
    });
  // Phase details are the only place the job says which backend and how many threads it used.
  const details = new Map<string, string>();
  const watchDetails = (s: OcellusService) =>
    s.bus.on('job:updated', (j) => {
      if (j.kind === 'embed' && j.detail?.startsWith('Computing embeddings'))
        details.set(j.id, j.detail);
    });
  const service = make(workerFile());
  const offDetails = watchDetails(service);
  const modelId = (await service.api.ml.importModel(modelDir(opts.data))).id;
  const out: OcellusSet[] = [];
  let rssBeforeJobs = 0;
  for (const set of sets) {
    const projectPath = path.join(work, `${set.kind}.ocellus`);
    await service.api.project.create({ path: projectPath });
    log(`Ocellus ${set.kind}: importing ${set.count} images (${set.width}×${set.height})`);
    const clock = new SpanClock();
    await service.api.library.addRoot(set.dir);
    await service.whenIdle();
    const imp = clock.stop();
    const counts = await service.api.library.counts();
    log(`  import: ${imp.seconds.toFixed(2)} s, ${counts.ok} ok of ${counts.total}`);
    const jobs: JobRun[] = [];
    if (rssBeforeJobs === 0) rssBeforeJobs = process.memoryUsage.rss();
    for (const b of JOB_BATCH_SIZES) {
      clearEmbeddings(projectPath);
      const before = new Set(details.keys());
      const run = await embedRun(service, modelId, b, true, set.kind, sampler);
      run.detail = [...details.entries()].find(([id]) => !before.has(id))?.[1] ?? null;
      jobs.push(run);
    }
    for (const b of ONNX_BATCH_SIZES) {
      clearEmbeddings(projectPath);
      const before = new Set(details.keys());
      const run = await embedRun(service, modelId, b, true, set.kind, sampler, 'onnx');
      run.detail = [...details.entries()].find(([id]) => !before.has(id))?.[1] ?? null;
      jobs.push(run);
    }
    const db = new Database(projectPath, { readonly: true });
    const rows = db
      .prepare(
        `SELECT i.hash AS hash, r.path AS root, i.rel_path AS rel FROM images i
           JOIN roots r ON r.id = i.root_id WHERE i.status = 'ok' ORDER BY i.id`,
      )
      .all() as { hash: string; root: string; rel: string }[];
    db.close();
    const cacheDir = cacheDirFor(projectPath);
    out.push({
      kind: set.kind,
      count: set.count,
      import: imp,
      importOk: counts.ok,
      jobs,
      items: rows.map((r) => ({
        hash: r.hash,
        input: derivativePaths(cacheDir, r.hash).input,
        original: path.join(r.root, ...r.rel.split('/')),
      })),
    });
    await service.api.project.close();
  }
  offDetails();
  await service.dispose();

  // The same job in this thread (no workers), batch 8.
  const local = make(null);
  const offLocal = watchDetails(local);
  for (const s of out) {
    const projectPath = path.join(work, `${s.kind}.ocellus`);
    await local.api.project.open(projectPath);
    clearEmbeddings(projectPath);
    const before = new Set(details.keys());
    const run = await embedRun(local, modelId, ENGINE_BATCH, false, s.kind, sampler);
    run.detail = [...details.entries()].find(([id]) => !before.has(id))?.[1] ?? null;
    s.jobs.push(run);
    await local.api.project.close();
  }
  offLocal();
  await local.dispose();
  return {
    modelId,
    rssBeforeJobs,
    sets: out,
    rssAtStart,
    peakRss: sampler.stop(),
    maxRss: process.resourceUsage().maxRSS * 1024,
  };
}

// ---------------------------------------------------------------------------------------------
// Parts 3 and 4: EmbedEngine.prepare vs infer, in this thread; tensors and memory

interface EngineSet {
  kind: Kind;
  items: number;
  /** prepare() over the model-input cache, batch 8 (what the job does). */
  prepareCache: number;
  /** prepare() over the originals, batch 8 (what the job does when the cache is gone). */
  prepareOriginal: number;
  /** infer() over the prepared cache batches. */
  infer: number;
  /** CPU seconds of the same three (the process: sharp's threads included). */
  prepareCacheCpu: number;
  prepareOriginalCpu: number;
  inferCpu: number;
  failed: number;
}

interface EnginePart extends PartMemory {
  backend: string;
  featureLayer: string;
  dim: number;
  createSeconds: number;
  sets: EngineSet[];
  batches: number;
  /** numTensors after create, then after each pass over all batches. */
  tensors: number[];
}

async function enginePart(opts: Options, oc: OcellusPart): Promise<EnginePart> {
  const rssAtStart = process.memoryUsage.rss();
  const sampler = new RssSampler();
  sampler.start();
  const t = performance.now();
  const engine = await EmbedEngine.create({
    modelJson: path.join(modelDir(opts.data), 'model.json'),
    featureOutput: 'auto',
    preprocessing: PREPROCESSING,
  });
  // Warm-up batch (first run sets up kernels), untimed apart from createSeconds.
  const first = oc.sets[0]?.items.slice(0, ENGINE_BATCH) ?? [];
  engine.infer(
    await engine.prepare(first.map((i) => ({ key: i.hash, file: i.original, cache: i.input }))),
  );
  const createSeconds = (performance.now() - t) / 1000;
  log(`engine: ${engine.backend}, feature layer ${engine.featureLayer} (${engine.size}-d)`);
  const tensors = [engine.numTensors()];
  const sets: EngineSet[] = [];
  let batches = 0;
  const batchesOf = (items: EmbedItem[]) =>
    Array.from({ length: Math.ceil(items.length / ENGINE_BATCH) }, (_, i) =>
      items.slice(i * ENGINE_BATCH, (i + 1) * ENGINE_BATCH),
    );
  // Pass 1: from the input cache, prepare and infer timed apart.
  for (const s of oc.sets) {
    let prep = 0;
    let inf = 0;
    let prepCpu = 0;
    let infCpu = 0;
    let failed = 0;
    for (const b of batchesOf(
      s.items.map((i) => ({ key: i.hash, file: i.original, cache: i.input })),
    )) {
      const c0 = cpuNow();
      const t0 = performance.now();
      const prepared: PreparedBatch = await engine.prepare(b);
      const t1 = performance.now();
      const c1 = cpuNow();
      const outcomes = engine.infer(prepared);
      inf += performance.now() - t1;
      infCpu += cpuNow() - c1;
      prep += t1 - t0;
      prepCpu += c1 - c0;
      failed += outcomes.filter((o) => !o.vector).length;
      batches++;
    }
    sets.push({
      kind: s.kind,
      items: s.items.length,
      prepareCache: prep / 1000,
      prepareOriginal: 0,
      infer: inf / 1000,
      prepareCacheCpu: prepCpu,
      prepareOriginalCpu: 0,
      inferCpu: infCpu,
      failed,
    });
    log(
      `engine ${s.kind}: prepare(cache) ${(prep / 1000).toFixed(2)} s, infer ${(inf / 1000).toFixed(2)} s`,
    );
  }
  tensors.push(engine.numTensors());
  // Pass 2: from the originals (prepare timed; infer again, for the tensor count).
  for (const s of oc.sets) {
    let prep = 0;
    let prepCpu = 0;
    for (const b of batchesOf(s.items.map((i) => ({ key: i.hash, file: i.original })))) {
      const c0 = cpuNow();
      const t0 = performance.now();
      const prepared = await engine.prepare(b);
      prep += performance.now() - t0;
      prepCpu += cpuNow() - c0;
      engine.infer(prepared);
      batches++;
    }
    const es = sets.find((x) => x.kind === s.kind);
    if (es) {
      es.prepareOriginal = prep / 1000;
      es.prepareOriginalCpu = prepCpu;
    }
    log(`engine ${s.kind}: prepare(originals) ${(prep / 1000).toFixed(2)} s`);
  }
  tensors.push(engine.numTensors());
  const result: EnginePart = {
    backend: engine.backend,
    featureLayer: engine.featureLayer,
    dim: engine.size,
    createSeconds,
    sets,
    batches,
    tensors,
    rssAtStart,
    peakRss: sampler.stop(),
    maxRss: process.resourceUsage().maxRSS * 1024,
  };
  engine.dispose();
  return result;
}

// ---------------------------------------------------------------------------------------------
// Part 5: bare ONNX Runtime on pre-decoded tensors (the ceiling)

interface OrtPart extends PartMemory {
  sets: { kind: Kind; items: number; seconds: number; cpu: number }[];
  threads: number;
}

async function ortPart(opts: Options, oc: OcellusPart): Promise<OrtPart> {
  const rssAtStart = process.memoryUsage.rss();
  const sampler = new RssSampler();
  sampler.start();
  await initBackend(opts.backend);
  const layers = await loadLayersModel(
    diskModelHandler(path.join(modelDir(opts.data), 'model.json')),
  );
  const bytes = convertFeatureModel(layers, 'auto').bytes;
  layers.dispose();
  const ort = await loadOrt();
  const threads = PARALLELISM;
  const session = await createSession(bytes, threads);
  const per = MODEL_INPUT * MODEL_INPUT * 3;
  const sets: OrtPart['sets'] = [];
  for (const s of oc.sets) {
    // Decoded before the clock starts: this row measures the network alone.
    const batch = await prepareItems(
      s.items.map((i) => ({ key: i.hash, file: i.original, cache: i.input })),
      PREPROCESSING,
    );
    const all = new Float32Array(s.items.length * per);
    batch.pixels.forEach((p, i) => p && all.set(p, i * per));
    const run = (from: number, to: number) =>
      session.run({
        [ONNX_INPUT]: new ort.Tensor('float32', all.subarray(from * per, to * per), [
          to - from,
          MODEL_INPUT,
          MODEL_INPUT,
          3,
        ]),
      });
    await run(0, Math.min(ORT_BATCH, s.items.length)); // warm-up
    const c0 = cpuNow();
    const t0 = performance.now();
    for (let i = 0; i < s.items.length; i += ORT_BATCH) {
      await run(i, Math.min(i + ORT_BATCH, s.items.length));
    }
    const seconds = (performance.now() - t0) / 1000;
    sets.push({ kind: s.kind, items: s.items.length, seconds, cpu: cpuNow() - c0 });
    log(`bare ONNX Runtime ${s.kind}: ${(s.items.length / seconds).toFixed(1)} img/s`);
  }
  await session.release();
  return {
    sets,
    threads,
    rssAtStart,
    peakRss: sampler.stop(),
    maxRss: process.resourceUsage().maxRSS * 1024,
  };
}

// ---------------------------------------------------------------------------------------------
// Output

// ---------------------------------------------------------------------------------------------
// Main

async function child(opts: Options, part: Part, sets: ImageSet[]): Promise<void> {
  if (!opts.work) throw new Error('--work is missing');
  let result: unknown;
  if (part === 'plain') result = await plainPart(opts, sets);
  else if (part === 'ocellus') result = await ocellusPart(opts, sets, opts.work);
  else {
    const oc = JSON.parse(
      fs.readFileSync(path.join(opts.work, 'ocellus.json'), 'utf8'),
    ) as OcellusPart;
    result = part === 'ort' ? await ortPart(opts, oc) : await enginePart(opts, oc);
  }
  await new Promise<void>((resolve, reject) =>
    process.send
      ? process.send(result, (err: Error | null) => (err ? reject(err) : resolve()))
      : resolve(),
  );
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  // Every part (and the app's ML workers) reads the backend from the environment.
  process.env['OCELLUS_BACKEND'] = opts.backend;
  const small = imageSet(opts.data, 'small', opts.n);
  const big = imageSet(opts.data, 'big', opts.big);
  const sets = big.count > 0 ? [small, big] : [small];
  if (opts.part) return child(opts, opts.part, sets);

  if (!fs.existsSync(workerFile())) {
    throw new Error(`${workerFile()} is missing: run \`npx electron-vite build\` first`);
  }
  const genStart = performance.now();
  for (const s of sets) await generateSet(s);
  const modelJson = await writeNsfwModel(modelDir(opts.data), 'mobilenet_v2');
  const generationMs = performance.now() - genStart;
  log(`test images and model ready in ${secs(generationMs)} (not timed): ${modelJson}`);
  log(
    `backend ${opts.backend}${opts.backendForced ? ' (--backend)' : ' (forced: OCELLUS_BACKEND=wasm)'}, ` +
      `${os.cpus().length} CPUs, availableParallelism ${PARALLELISM}`,
  );

  // Warm the page cache so neither side pays for the first read of the originals.
  for (const s of sets) {
    await pool(setFiles(s), 4, async (f) => void (await fs.promises.readFile(f)));
  }

  const runStart = performance.now();
  const load1 = () => os.loadavg()[0]?.toFixed(1) ?? '?';
  const loads: string[] = [];
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ocellus-bench-embed-run-'));
  log(`part 1: plain reference (load average ${load1()})`);
  loads.push(`plain ${load1()}`);
  const plain = await runPart<PlainPart>('plain', opts, work);
  log(`part 2: Ocellus service, import then embedding jobs (load average ${load1()})`);
  loads.push(`Ocellus ${load1()}`);
  const oc = await runPart<OcellusPart>('ocellus', opts, work);
  fs.writeFileSync(path.join(work, 'ocellus.json'), JSON.stringify(oc));
  log(`parts 3–4: EmbedEngine prepare vs infer, tensors (load average ${load1()})`);
  loads.push(`engine ${load1()}`);
  const eng = await runPart<EnginePart>('engine', opts, work);
  log(`part 5: bare ONNX Runtime on pre-decoded tensors (load average ${load1()})`);
  loads.push(`ort ${load1()}`);
  const bare = await runPart<OrtPart>('ort', opts, work);
  loads.push(`end ${load1()}`);
  const runMs = performance.now() - runStart;

  // --- Results
  const kinds: Kind[] = sets.map((s) => s.kind);
  const hasBig = kinds.includes('big');
  const cols = (f: (k: Kind) => number | null): string[] => [
    fmtRate(f('small')),
    hasBig ? fmtRate(f('big')) : '–',
  ];
  /** "small/big" of a per-set number, for the notes column. */
  const pair = (f: (k: Kind) => number | null, digits = 0): string =>
    kinds.map((k) => f(k)?.toFixed(digits) ?? '–').join('/');
  const plainSet = (k: Kind) => plain.sets.find((s) => s.kind === k);
  const ocSet = (k: Kind) => oc.sets.find((s) => s.kind === k);
  const engSet = (k: Kind) => eng.sets.find((s) => s.kind === k);
  const plainRate = (k: Kind) => {
    const s = plainSet(k);
    return s ? rate(s.items, s.loop.seconds) : null;
  };
  const plainCpu = (k: Kind) => {
    const s = plainSet(k);
    return s ? (s.loop.cpu * 1000) / s.items : null;
  };
  const jobOf = (k: Kind, b: number, workers: boolean, engine: 'tfjs' | 'onnx' = 'tfjs') =>
    ocSet(k)?.jobs.find(
      (j) => j.batchSize === b && j.workers === workers && (j.engine ?? 'tfjs') === engine,
    );
  const onnxRate = (k: Kind, b: number) => {
    const j = jobOf(k, b, true, 'onnx');
    return j ? rate(j.embedded + j.failed, j.job.seconds) : null;
  };
  const bareRate = (k: Kind) => {
    const s = bare.sets.find((x) => x.kind === k);
    return s ? rate(s.items, s.seconds) : null;
  };
  const jobRate = (k: Kind, b: number, workers: boolean) => {
    const j = jobOf(k, b, workers);
    return j ? rate(j.embedded + j.failed, j.job.seconds) : null;
  };
  const jobCpu = (k: Kind, b: number, workers: boolean) => {
    const j = jobOf(k, b, workers);
    return j && j.embedded + j.failed > 0 ? (j.job.cpu * 1000) / (j.embedded + j.failed) : null;
  };
  const computeRate = (k: Kind, b: number, workers: boolean) => {
    const j = jobOf(k, b, workers);
    return j ? rate(j.embedded + j.failed, j.computeSeconds) : null;
  };
  const computeCpu = (k: Kind, b: number, workers: boolean) => {
    const j = jobOf(k, b, workers);
    return j?.computeCpu != null && j.embedded + j.failed > 0
      ? (j.computeCpu * 1000) / (j.embedded + j.failed)
      : null;
  };
  const ratioOf = (a: number | null, b: number | null) =>
    a === null || b === null || b === 0 ? null : a / b;
  const ratios = (f: (k: Kind) => number | null) => pair((k) => ratioOf(f(k), plainRate(k)), 2);

  const threads =
    jobOf('small', 8, true)
      ?.detail?.match(/\((.*)\)/)?.[1]
      ?.trim() ?? '?';
  const sizes = hasBig ? '1024/4000' : '1024';
  const rows: string[][] = [['what', 'img/s 1024×768', 'img/s 4000×3000', `notes (${sizes})`]];
  rows.push([
    `1. plain loop, batch 1, sharp(original) → predict`,
    ...cols(plainRate),
    `CPU ${pair(plainCpu)} ms/img; wall in decode ${pair((k) => {
      const s = plainSet(k);
      return s ? (100 * s.decodeSeconds) / s.loop.seconds : null;
    })}%, predict ${pair((k) => {
      const s = plainSet(k);
      return s ? (100 * s.predictSeconds) / s.loop.seconds : null;
    })}%; ${pair((k) => plainSet(k)?.loop.cores ?? null, 2)} cores busy`,
  ]);
  rows.push([
    `2. Ocellus import (the one decode: hash, EXIF, thumb, input cache)`,
    ...cols((k) => {
      const s = ocSet(k);
      return s ? rate(s.count, s.import.seconds) : null;
    }),
    `separate job before embedding; CPU ${pair((k) => {
      const s = ocSet(k);
      return s ? (s.import.cpu * 1000) / s.count : null;
    })} ms/img; ${pair((k) => ocSet(k)?.import.cores ?? null, 2)} cores busy`,
  ]);
  const jobRow = (b: number, workers: boolean) => [
    `   Ocellus embed job, ${workers ? `workers (${threads})` : 'in-process'}, batch ${b}`,
    ...cols((k) => jobRate(k, b, workers)),
    `×${ratios((k) => jobRate(k, b, workers))} plain; CPU ${pair((k) => jobCpu(k, b, workers))} ms/img; ` +
      `start+load ${pair((k) => jobOf(k, b, workers)?.loadSeconds ?? null, 1)} s; ` +
      `after load ${pair((k) => computeRate(k, b, workers), 1)} img/s, CPU ${pair((k) => computeCpu(k, b, workers))} ms/img; ` +
      `${pair((k) => jobOf(k, b, workers)?.job.cores ?? null, 2)} cores`,
  ];
  for (const b of JOB_BATCH_SIZES) rows.push(jobRow(b, true));
  rows.push(jobRow(ENGINE_BATCH, false));
  for (const b of ONNX_BATCH_SIZES) {
    const j = (k: Kind) => jobOf(k, b, true, 'onnx');
    rows.push([
      `   Ocellus embed job on (${j('small')?.detail?.match(/\((.*)\)/)?.[1] ?? '?'}), batch ${b}`,
      ...cols((k) => onnxRate(k, b)),
      `×${ratios((k) => onnxRate(k, b))} plain; ×${pair((k) => ratioOf(onnxRate(k, b), bareRate(k)), 2)} bare ORT; ` +
        `start+load ${pair((k) => j(k)?.loadSeconds ?? null, 1)} s (the first converts and verifies); ` +
        `after load ${pair((k) => {
          const x = j(k);
          return x ? rate(x.embedded + x.failed, x.computeSeconds) : null;
        }, 1)} img/s; ${pair((k) => j(k)?.job.cores ?? null, 2)} cores here (ORT's CPU is in its own process, not counted)` +
        `${j('small')?.state === 'done' ? '' : ` (${j('small')?.state ?? 'missing'})`}`,
    ]);
  }
  rows.push([
    `5. bare ONNX Runtime, pre-decoded tensors, batch ${ORT_BATCH} (ceiling)`,
    ...cols(bareRate),
    `${bare.threads} intra-op threads; network only, no decoding; CPU ${pair((k) => {
      const s = bare.sets.find((x) => x.kind === k);
      return s ? (s.cpu * 1000) / s.items : null;
    })} ms/img`,
  ]);
  const endToEnd = (k: Kind) => {
    const s = ocSet(k);
    const j = jobOf(k, 8, true);
    return s && j ? rate(s.count, s.import.seconds + j.job.seconds) : null;
  };
  rows.push([
    `   Ocellus import + embed job (workers, batch 8), end to end`,
    ...cols(endToEnd),
    `×${ratios(endToEnd)} plain (the import also hashes, reads EXIF, writes thumbnails)`,
  ]);
  const per = (k: Kind, f: (s: EngineSet) => number) => {
    const s = engSet(k);
    return s ? (f(s) * 1000) / s.items : null;
  };
  const share = (k: Kind, prep: (s: EngineSet) => number) => {
    const s = engSet(k);
    return s ? (100 * prep(s)) / (prep(s) + s.infer) : null;
  };
  rows.push([
    `3. EmbedEngine.prepare, input cache, batch ${ENGINE_BATCH} (in-process)`,
    ...cols((k) => {
      const s = engSet(k);
      return s ? rate(s.items, s.prepareCache) : null;
    }),
    `CPU ${pair((k) => per(k, (s) => s.prepareCacheCpu))} ms/img; ${pair((k) => share(k, (s) => s.prepareCache))}% of prepare+infer wall`,
  ]);
  rows.push([
    `   EmbedEngine.prepare, originals, batch ${ENGINE_BATCH}`,
    ...cols((k) => {
      const s = engSet(k);
      return s ? rate(s.items, s.prepareOriginal) : null;
    }),
    `CPU ${pair((k) => per(k, (s) => s.prepareOriginalCpu))} ms/img; ${pair((k) => share(k, (s) => s.prepareOriginal))}% if the cache were gone`,
  ]);
  rows.push([
    `   EmbedEngine.infer, batch ${ENGINE_BATCH}`,
    ...cols((k) => {
      const s = engSet(k);
      return s ? rate(s.items, s.infer) : null;
    }),
    `CPU ${pair((k) => per(k, (s) => s.inferCpu))} ms/img; ${eng.backend}, ${eng.featureLayer} (${eng.dim}-d)`,
  ]);
  const [t0 = 0, t1 = 0, t2 = 0] = eng.tensors;
  rows.push([
    `4. tf.memory().numTensors over ${eng.batches} batches, in-process`,
    '',
    '',
    `${t0} → ${t1} → ${t2} ${t0 === t1 && t1 === t2 ? '(no growth: ok)' : '(GROWS: leak)'}; plain loop ${plain.tensorsBefore} → ${plain.tensorsAfter}`,
  ]);
  rows.push([
    `   peak RSS of each part's process (sampled / maxRSS)`,
    '',
    '',
    `plain ${mb(plain.peakRss)} / ${mb(plain.maxRss)}; Ocellus service + workers ${mb(oc.peakRss)} / ${mb(oc.maxRss)}; engine ${mb(eng.peakRss)} / ${mb(eng.maxRss)}`,
  ]);
  const jobRss = (workers: boolean, b: number) =>
    pair((k) => {
      const j = jobOf(k, b, workers);
      return j ? j.peakRss / 1024 / 1024 : null;
    });
  rows.push([
    `   peak RSS during each Ocellus job (MB)`,
    '',
    '',
    `workers batch ${JOB_BATCH_SIZES.map((b) => `${b}: ${jobRss(true, b)}`).join(', ')}; in-process batch ${ENGINE_BATCH}: ${jobRss(false, ENGINE_BATCH)}; ` +
      `RSS before the first job ${mb(oc.rssBeforeJobs)}`,
  ]);
  const b8 = (k: Kind) => jobRate(k, 8, true);
  const best = (k: Kind) => Math.max(...JOB_BATCH_SIZES.map((b) => jobRate(k, b, true) ?? 0));
  const met = kinds.every((k) => (b8(k) ?? 0) >= (plainRate(k) ?? Infinity));
  rows.push([
    `ratio Ocellus/plain: job (workers, batch 8) img/s ÷ plain img/s`,
    ...cols((k) => ratioOf(b8(k), plainRate(k))),
    `best batch ×${ratios(best)}; CPU per image plain ÷ job ×${pair((k) => ratioOf(plainCpu(k), jobCpu(k, 8, true)), 2)}`,
  ]);
  const bestOnnx = (k: Kind) => Math.max(...ONNX_BATCH_SIZES.map((b) => onnxRate(k, b) ?? 0));
  const onnxMet = kinds.every(
    (k) =>
      bestOnnx(k) >= 8 * (plainRate(k) ?? Infinity) &&
      bestOnnx(k) >= 0.85 * (bareRate(k) ?? Infinity),
  );
  rows.push([
    `target (ONNX): Ocellus on ONNX Runtime ≥ 8× plain and ≥ 0.85× bare ORT`,
    ...cols((k) => ratioOf(bestOnnx(k), plainRate(k))),
    `best batch ×${ratios(bestOnnx)} plain, ×${pair((k) => ratioOf(bestOnnx(k), bareRate(k)), 2)} bare: ${onnxMet ? 'met' : 'MISSED'}`,
  ]);
  rows.push([
    `target (issue): the app's job at least as fast as the plain script`,
    '',
    '',
    met ? 'met (ratio ≥ 1 on both sets at batch 8)' : 'MISSED (ratio < 1 at batch 8)',
  ]);

  const notes = [
    `Backend ${opts.backend} (${opts.backendForced ? '--backend' : 'OCELLUS_BACKEND=wasm forced'}) everywhere: plain ${plain.backend}, jobs "${threads}", engine ${eng.backend}. ` +
      `${os.cpus().length} CPUs, availableParallelism ${PARALLELISM}. Load average (1 min) at each part's start: ${loads.join(', ')} — other work on the machine skews wall times; CPU ms/img is what each image costs.`,
    `Plain loop: tf.model cut at ${PLAIN_FEATURE_LAYER}, sharp(original).resize(224,224,cover).removeAlpha().raw(), [-1,1], one image at a time, await data(); model load + one warm-up prediction (${plain.loadSeconds.toFixed(1)} s) not timed.`,
    `Ocellus job rates: from the ml.embed call to the job's end, including starting the workers and loading the model ("start+load"); "after load" is the "Computing embeddings" phase alone. ` +
      `The job reads the 320-px model-input cache the import wrote. CPU = user + system of the whole process (ML worker threads included). ` +
      `A model imported from a folder gets the default preprocessing (center-crop, range [0,1]); the engine rows use [-1,1]: same cost.`,
    `Each part ran in its own child process, one after another: plain, then Ocellus (import, jobs with workers at batch ${JOB_BATCH_SIZES.join('/')}, then in-process), then the engine (warm-up batch, then a pass over the cache and a pass over the originals).`,
    `Test images and model ${secs(generationMs)} (0 when cached, not timed); benchmark run ${secs(runMs)}.`,
  ];

  const result = {
    n: small.count,
    big: big.count,
    data: opts.data,
    backend: opts.backend,
    parallelism: PARALLELISM,
    runSeconds: runMs / 1000,
    plain,
    ocellus: { ...oc, sets: oc.sets.map(({ items: _items, ...s }) => s) },
    engine: eng,
    bareOrt: bare,
    targetMet: met,
  };
  if (opts.keep) log(`projects kept in ${work}`);
  else fs.rmSync(work, { recursive: true, force: true });

  if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else process.stdout.write(`\n${table(rows)}\n\n${notes.map((n) => `- ${n}`).join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
