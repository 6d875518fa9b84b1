/**
 * Box-run crop embedding benchmark: the crops of a box run (every box in the plain view and
 * its augmented views) embedded the way the app does it, each image decoded once for all its
 * boxes and views, against the way it did before, as the plain reference: one pass per view,
 * each crop decoding its whole image. Same large JPEGs, same boxes, same network and engine
 * (MobileNetV2 224 from the npm package nsfwjs, on ONNX Runtime where it converts), same
 * batch size, in one run, one batch at a time on each side.
 *
 *   npm run bench:crops -- [--images 8] [--boxes 3] [--views 4] [--rounds 2] [--data DIR] [--json]
 *
 * Test images (4000×3000 JPEGs) and the model are written once (untimed) and kept in --data.
 * Progress goes to stderr; the table (or with --json the result object) goes to stdout.
 */
import '@tensorflow/tfjs-backend-cpu';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { fmtRate, log, secs, table } from './lib/measure';
import { writeNsfwModel } from '../tests/helpers/nsfw-models';
import { decodeOriented } from '../src/main/core/library/crop-input';
import { loadAugmentedCropInput } from '../src/main/core/ml/augment-input';
import { loadCropInput } from '../src/main/core/ml/crop-preprocess';
import { prepareItems, type EmbedItem } from '../src/main/core/ml/embed-engine';
import {
  cropBatches,
  cropEmbeddingHash,
  embeddingKey,
  type CropItem,
  type EmbedModel,
} from '../src/main/core/ml/embedder';
import { createInferenceEngine, type InferenceEngine } from '../src/main/core/ml/inference-engine';
import { mirror } from '../src/main/core/ml/preprocess';
import { defaultPreprocessing } from '../src/main/core/ml/zoo';
import { ProjectStore } from '../src/main/core/store/project-store';
import { TRAIN_DEFAULTS } from '../src/main/core/train/train-config';
import { viewParams } from '../src/main/core/train/finetune/augment';
import type { CropBox } from '../src/shared/crop';

const WIDTH = 4000;
const HEIGHT = 3000;
const BATCH = 16;

interface Options {
  images: number;
  boxes: number;
  views: number;
  rounds: number;
  data: string;
  json: boolean;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      images: { type: 'string', default: '8' },
      boxes: { type: 'string', default: '3' },
      views: { type: 'string', default: '4' },
      rounds: { type: 'string', default: '2' },
      data: { type: 'string', default: path.join(os.tmpdir(), 'ocellus-bench-crops') },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      'Usage: npm run bench:crops -- [--images 8] [--boxes 3] [--views 4] [--rounds 2] [--data DIR] [--json]\n',
    );
    process.exit(0);
  }
  const count = (name: string, v: string): number => {
    const x = Number(v);
    if (!Number.isInteger(x) || x < 1) throw new Error(`--${name} must be an integer ≥ 1`);
    return x;
  };
  return {
    images: count('images', values.images),
    boxes: count('boxes', values.boxes),
    views: count('views', values.views),
    rounds: count('rounds', values.rounds),
    data: path.resolve(values.data),
    json: values.json,
  };
}

/** A 4000×3000 camera-trap-sized JPEG: smooth random shapes plus a little grain. */
async function writePhoto(file: string, seed: number): Promise<void> {
  if (fs.existsSync(file)) return;
  const small = Buffer.alloc(200 * 150 * 3);
  let s = seed * 2654435761;
  for (let i = 0; i < small.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    small[i] = s >>> 24;
  }
  const smooth = await sharp(small, { raw: { width: 200, height: 150, channels: 3 } })
    .resize(WIDTH, HEIGHT, { kernel: 'cubic' })
    .raw()
    .toBuffer();
  for (let i = 0; i < smooth.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    smooth[i] = Math.max(0, Math.min(255, (smooth[i] ?? 0) + (s >>> 28) - 8));
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp(smooth, { raw: { width: WIDTH, height: HEIGHT, channels: 3 } })
    .jpeg({ quality: 90 })
    .toFile(`${file}.tmp`);
  fs.renameSync(`${file}.tmp`, file);
}

/** `boxes` boxes per photo, of 8–30 % of its sides, spread over it. */
function cropsOf(files: readonly string[], boxes: number): CropItem[] {
  return files.flatMap((file, f) =>
    Array.from({ length: boxes }, (_, b) => {
      const w = 0.08 + ((f * 7 + b * 5) % 10) / 45;
      const h = 0.08 + ((f * 3 + b * 11) % 10) / 45;
      const box: CropBox = [((b + 0.2) / boxes) * (1 - w), ((f % 4) / 4) * (1 - h), w, h];
      return { key: cropEmbeddingHash(`photo${f}`, box), file, box };
    }),
  );
}

interface Side {
  crops: number;
  decodes: number;
  seconds: number;
  prepareSeconds: number;
  vectors: Map<string, Float32Array>;
}

/** Runs the network on a prepared batch, keeping each vector under "model|crop". */
async function infer(
  engine: InferenceEngine,
  names: readonly string[],
  batch: Awaited<ReturnType<typeof prepareItems>>,
  vectors: Map<string, Float32Array>,
): Promise<void> {
  const outcomes = await engine.infer(batch);
  outcomes.forEach((o, i) => {
    if (!o.vector) throw new Error(o.error ?? 'no vector');
    vectors.set(names[i] ?? '', o.vector);
  });
}

/** The app's way: one pass, each image's boxes and views in one batch, one decode per image. */
async function grouped(
  engine: InferenceEngine,
  db: ProjectStore['db'],
  models: readonly EmbedModel[],
  crops: readonly CropItem[],
): Promise<Side> {
  const side: Side = { crops: 0, decodes: 0, seconds: 0, prepareSeconds: 0, vectors: new Map() };
  const started = performance.now();
  for (const batch of cropBatches(db, models, crops, BATCH)) {
    const t0 = performance.now();
    const prepared = await prepareItems(
      batch.map((t) => t.item),
      models[0]?.preprocessing ?? fail(),
      (source) => {
        side.decodes++;
        return decodeOriented(source);
      },
    );
    side.prepareSeconds += (performance.now() - t0) / 1000;
    await infer(
      engine,
      batch.map((t) => `${t.modelKey}|${t.hash}`),
      prepared,
      side.vectors,
    );
    side.crops += batch.length;
  }
  side.seconds = (performance.now() - started) / 1000;
  return side;
}

/** Before: one pass per view, batches of consecutive crops, each crop decoding its image. */
async function perCrop(
  engine: InferenceEngine,
  models: readonly EmbedModel[],
  crops: readonly CropItem[],
): Promise<Side> {
  const side: Side = { crops: 0, decodes: 0, seconds: 0, prepareSeconds: 0, vectors: new Map() };
  const started = performance.now();
  for (const model of models) {
    const spec = model.preprocessing;
    for (let i = 0; i < crops.length; i += BATCH) {
      const batch = crops.slice(i, i + BATCH);
      const items: EmbedItem[] = batch.map((c) => ({
        ...c,
        view: model.view?.params(c.key) ?? null,
      }));
      const t0 = performance.now();
      // The per-item decoding the embedding batch did before crops were grouped by image.
      const settled = await Promise.allSettled(
        items.map((it) => {
          const box = it.box as CropBox;
          return it.view === 'mirror'
            ? loadCropInput(it.file, box, spec).then((v) => mirror(v, spec))
            : loadAugmentedCropInput(it.file, box, spec, it.view ?? null);
        }),
      );
      side.prepareSeconds += (performance.now() - t0) / 1000;
      side.decodes += items.length;
      const prepared = {
        keys: items.map((it) => it.key),
        pixels: settled.map((s) => (s.status === 'fulfilled' ? s.value : null)),
        errors: settled.map((s) => (s.status === 'rejected' ? String(s.reason) : null)),
      };
      const key = embeddingKey(model);
      await infer(
        engine,
        batch.map((c) => `${key}|${c.key}`),
        prepared,
        side.vectors,
      );
      side.crops += batch.length;
    }
  }
  side.seconds = (performance.now() - started) / 1000;
  return side;
}

/** A side's rate and where its time went, for the progress lines. */
function describe(s: Side): string {
  const network = s.seconds - s.prepareSeconds;
  return `${fmtRate(s.crops / s.seconds)} crops/s (decode + cut ${s.prepareSeconds.toFixed(1)} s, network ${network.toFixed(1)} s)`;
}

function fail(): never {
  throw new Error('no model');
}

/** The largest difference between the two sides' vectors of the same crop and view. */
function maxDiff(a: Side, b: Side): number {
  let m = 0;
  for (const [k, v] of a.vectors) {
    const w = b.vectors.get(k);
    if (!w) throw new Error(`${k} is missing on one side`);
    for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs((v[i] ?? 0) - (w[i] ?? 0)));
  }
  return m;
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const t0 = performance.now();
  const files = Array.from({ length: opts.images }, (_, i) =>
    path.join(opts.data, 'photos', `photo-${String(i).padStart(3, '0')}.jpg`),
  );
  for (const [i, f] of files.entries()) await writePhoto(f, i + 1);
  const modelJson = await writeNsfwModel(path.join(opts.data, 'mobilenet_v2'), 'mobilenet_v2');
  log(
    `${opts.images} photos of ${WIDTH}×${HEIGHT} and the model ready in ${secs(performance.now() - t0)} (not timed)`,
  );
  const spec = defaultPreprocessing(modelJson);
  const base: EmbedModel = {
    id: 'mobilenet_v2',
    modelJson,
    modelSha: 'bench',
    featureOutput: 'auto',
    preprocessing: spec,
  };
  const augmentation = TRAIN_DEFAULTS.augmentation;
  const models = [
    base,
    ...Array.from({ length: opts.views - 1 }, (_, v) => ({
      ...base,
      view: {
        key: `bench:v${v + 1}`,
        params: (hash: string) => viewParams(augmentation, hash, v + 1, TRAIN_DEFAULTS.seed),
      },
    })),
  ];
  const crops = cropsOf(files, opts.boxes);
  const engine = await createInferenceEngine({
    modelJson,
    featureOutput: 'auto',
    preprocessing: spec,
    backend: (process.env['OCELLUS_BACKEND'] as 'wasm' | undefined) ?? 'wasm',
  });
  log(
    `engine ${engine.engine}${engine.note ? ` (${engine.note})` : ''}, ${os.availableParallelism()} CPUs, load average ${os.loadavg()[0]?.toFixed(1)}`,
  );
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ocellus-bench-crops-'));
  const store = ProjectStore.create(path.join(work, 'p.ocellus'), {
    name: 'bench',
    appVersion: '0',
  });
  try {
    for (const f of files) fs.readFileSync(f); // the page cache, for both sides alike
    // Warm-up (untimed): the first batch of each side.
    await grouped(engine, store.db, models.slice(0, 1), crops.slice(0, opts.boxes));
    const results: { grouped: Side; perCrop: Side }[] = [];
    for (let r = 0; r < opts.rounds; r++) {
      const before = await perCrop(engine, models, crops);
      log(`round ${r + 1}: per crop ${describe(before)}`);
      const now = await grouped(engine, store.db, models, crops);
      log(`round ${r + 1}: grouped ${describe(now)}`);
      results.push({ grouped: now, perCrop: before });
    }
    report(opts, engine, results);
  } finally {
    store.close();
    engine.dispose();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function report(
  opts: Options,
  engine: InferenceEngine,
  results: { grouped: Side; perCrop: Side }[],
): void {
  const best = (pick: (r: { grouped: Side; perCrop: Side }) => Side) =>
    results.map(pick).reduce((a, b) => (b.seconds < a.seconds ? b : a));
  const now = best((r) => r.grouped);
  const before = best((r) => r.perCrop);
  const diff = maxDiff(now, before);
  const summary = {
    images: opts.images,
    boxes: opts.boxes,
    views: opts.views,
    engine: engine.engine,
    loadAverage: os.loadavg()[0],
    grouped: { ...now, vectors: undefined, rate: now.crops / now.seconds },
    perCrop: { ...before, vectors: undefined, rate: before.crops / before.seconds },
    maxVectorDiff: diff,
  };
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return;
  }
  const row = (name: string, s: Side) => [
    name,
    `${fmtRate(s.crops / s.seconds)} crops/s`,
    String(s.decodes),
    `${s.prepareSeconds.toFixed(1)} s`,
    `${(s.seconds - s.prepareSeconds).toFixed(1)} s`,
  ];
  process.stdout.write(
    `\nCrops of ${opts.images} JPEGs of ${WIDTH}×${HEIGHT}, ${opts.boxes} boxes each, ${opts.views} views ` +
      `(${now.crops} network inputs), ${engine.engine}, batch ${BATCH}, best of ${opts.rounds} rounds\n\n` +
      table(
        [
          ['', 'rate', 'decodes', 'decode + cut', 'network'],
          row('Ocellus (one decode per image)', now),
          row('plain reference (one decode per crop and view)', before),
        ],
        { lastLeft: false },
      ) +
      `\n\nmax |Δ| between the two sides' vectors: ${diff.toExponential(1)}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
