/**
 * The quick experiment path of bench:accuracy: the same emoji data (rendered by
 * `npm run bench:accuracy` first), embedded once per view with the app's own input pipeline
 * and feature model, cached as files, then heads trained on the cached vectors in seconds.
 * For trying head and augmentation settings before a full (slow) bench:accuracy run.
 *
 *   npm run bench:accuracy-heads -- [--data DIR] [--views 8] [--seeds 1,2,3] [--backend tensorflow]
 *        [--aug '{"flip":true,"crop":0.7,"rotation":15,"colour":0.4}'] [--feature out_relu:max]
 *        [--test-views N] [--normalization 0,1] [--base inception_v3|centernet [--size 224]]
 *
 * Variants (head settings, views, TTA, standardised embeddings, joined heads) come from
 * bench/accuracy-heads.json, or the file HEADS names. The seeds vary the head; the views are
 * drawn once (seed 1), so the spread printed is the head's alone.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { collectImageFiles } from '../src/main/core/export/predict';
import { loadAugmentedInput } from '../src/main/core/ml/augment-input';
import { loadFeatureModel } from '../src/main/core/ml/feature-model';
import { initBackend, type BackendName } from '../src/main/core/ml/tf-runtime';
import { loadZoo } from '../src/main/core/ml/zoo';
import type { PreprocessingSpec } from '../src/main/core/ml/zoo-types';
import { viewParams } from '../src/main/core/train/finetune/augment';
import { trainHead, type HeadConfig } from '../src/main/core/train/head-trainer';
import { predictHead, type HeadWeights } from '../src/main/core/model/head';
import type { AugmentationConfig } from '../src/shared/types';
import { NSFW_MODELS, writeNsfwModel, type NsfwModelName } from '../tests/helpers/nsfw-models';
import { log, table } from './lib/measure';
import * as tfl from '@tensorflow/tfjs-layers';
import * as tfc from '@tensorflow/tfjs-converter';
import { diskModelHandler } from '../src/main/core/ml/model-io';

const BASE_ID = 'mobilenet_v2_100_224_keras';

function options() {
  const { values } = parseArgs({
    options: {
      data: { type: 'string', default: path.join(os.tmpdir(), 'ocellus-bench-accuracy') },
      views: { type: 'string', default: '8' },
      seeds: { type: 'string', default: '1,2,3' },
      backend: { type: 'string', default: 'tensorflow' },
      aug: { type: 'string', default: '' },
      // Feature layers, '+'-joined, each pooled by GAP (or GMP with a ':max' suffix).
      feature: { type: 'string', default: 'out_relu' },
      // Augmented views of each test image embedded for multi-view TTA variants.
      'test-views': { type: 'string', default: '0' },
      // The input range fed to the base ('-1,1' as the zoo's Keras entry says, or '0,1').
      normalization: { type: 'string', default: '' },
      // Another network the nsfwjs package ships (inception_v3: 299 px, mixed10 pooled), or the
      // built-in detector's COCO MobileNetV3 trunk (centernet: expanded_conv_14/add pooled).
      base: { type: 'string', default: 'mobilenet_v2' },
      // Input size for the centernet base (its backbone takes any size).
      size: { type: 'string', default: '224' },
    },
  });
  return {
    data: values.data,
    views: Number(values.views),
    seeds: values.seeds.split(',').map(Number),
    backend: values.backend as BackendName,
    aug: values.aug,
    feature: values.feature,
    testViews: Number(values['test-views']),
    normalization: values.normalization,
    base: values.base as NsfwModelName | 'centernet',
    size: Number(values.size),
  };
}

interface Vectors {
  dim: number;
  x: Float32Array;
  y: Int32Array;
}

/** Embeds files (view `view` under augmentation `a`), cached in `cacheFile`. */
async function embedAll(
  files: string[],
  classes: string[],
  a: AugmentationConfig,
  view: number,
  cacheFile: string,
  embed: (batch: Float32Array, n: number) => Float32Array,
  spec: PreprocessingSpec,
): Promise<Vectors> {
  const y = Int32Array.from(files, (f) => classes.indexOf(path.basename(path.dirname(f))));
  if (fs.existsSync(cacheFile)) {
    const buf = fs.readFileSync(cacheFile);
    const x = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4).slice();
    return { dim: x.length / files.length, x, y };
  }
  const [h, w] = spec.inputSize;
  const out: Float32Array[] = [];
  for (let s = 0; s < files.length; s += 16) {
    const batch = files.slice(s, s + 16);
    const pixels = new Float32Array(batch.length * h * w * 3);
    for (const [i, f] of batch.entries()) {
      // The file name stands in for the content hash: views differ per image and seed.
      const p = viewParams(a, path.basename(f), view, 1);
      pixels.set(await loadAugmentedInput({ original: f }, spec, p), i * h * w * 3);
    }
    out.push(embed(pixels, batch.length));
  }
  const dim = (out[0]?.length ?? 0) / Math.min(16, files.length);
  const x = new Float32Array(files.length * dim);
  let o = 0;
  for (const v of out) {
    x.set(v, o);
    o += v.length;
  }
  fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
  fs.writeFileSync(cacheFile, Buffer.from(x.buffer));
  return { dim, x, y };
}

/** Embeddings as they are, or per-dimension z-scores with the training rows' statistics. */
function scaling(x: Float32Array, dim: number, kind: 'none' | 'standardise') {
  if (kind === 'none') return { x, apply: (r: Float32Array) => r };
  const n = x.length / dim;
  const mean = new Float64Array(dim);
  const sq = new Float64Array(dim);
  for (let i = 0; i < x.length; i++) mean[i % dim] = (mean[i % dim] ?? 0) + (x[i] ?? 0) / n;
  for (let i = 0; i < x.length; i++)
    sq[i % dim] = (sq[i % dim] ?? 0) + ((x[i] ?? 0) - (mean[i % dim] ?? 0)) ** 2 / n;
  // A dimension that never varies keeps scale 1 rather than dividing by 0.
  const scale = Array.from(sq, (v) => Math.sqrt(v) || 1);
  const apply = (r: Float32Array) =>
    r.map((v, i) => (v - (mean[i % dim] ?? 0)) / (scale[i % dim] ?? 1));
  return { x: apply(x), apply };
}

function concat(parts: Vectors[]): Vectors {
  const dim = parts[0]?.dim ?? 0;
  const n = parts.reduce((a, p) => a + p.y.length, 0);
  const x = new Float32Array(n * dim);
  const y = new Int32Array(n);
  let o = 0;
  for (const p of parts) {
    x.set(p.x, o * dim);
    y.set(p.y, o);
    o += p.y.length;
  }
  return { dim, x, y };
}

/**
 * k heads as one head of k × hidden units whose logits are the mean of theirs: hidden layers
 * side by side, output rows stacked and scaled by 1/k (the same shape every predictor runs).
 */
function mergeHeads(heads: HeadWeights[]): HeadWeights {
  const [first] = heads;
  if (!first) throw new Error('no head');
  if (heads.length === 1) return first;
  const { dim, hidden, classes } = first;
  const k = heads.length;
  const w1 = new Float32Array(dim * hidden * k);
  for (let d = 0; d < dim; d++)
    heads.forEach((h, j) =>
      w1.set(h.w1.subarray(d * hidden, (d + 1) * hidden), d * hidden * k + j * hidden),
    );
  const w2 = new Float32Array(hidden * k * classes);
  heads.forEach((h, j) =>
    w2.set(
      h.w2.map((x) => x / k),
      j * hidden * classes,
    ),
  );
  const b2 = new Float32Array(classes);
  for (const h of heads) h.b2.forEach((x, c) => (b2[c] = (b2[c] ?? 0) + x / k));
  const b1 = new Float32Array(hidden * k);
  heads.forEach((h, j) => b1.set(h.b1, j * hidden));
  return { w1, b1, w2, b2, dim, hidden: hidden * k, classes };
}

function accuracy(probs: Float32Array, y: Int32Array, k: number): number {
  let right = 0;
  for (let i = 0; i < y.length; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if ((probs[i * k + c] ?? 0) > (probs[i * k + best] ?? 0)) best = c;
    if (best === y[i]) right++;
  }
  return right / y.length;
}

async function main(): Promise<void> {
  const opts = options();
  const backend = await initBackend(opts.backend);
  const dataDir = path.join(opts.data, 'images');
  if (!fs.existsSync(path.join(dataDir, 'train')))
    throw new Error(
      `no images in ${dataDir}: run npm run bench:accuracy (with the same --data) first`,
    );
  // Every folder beside train/ is a test set (bench:accuracy --train-set picks the artist).
  const TEST_SETS = fs
    .readdirSync(dataDir)
    .filter((d) => d !== 'train' && fs.statSync(path.join(dataDir, d)).isDirectory())
    .sort();
  const trainFiles = await collectImageFiles([path.join(dataDir, 'train')]);
  const classes = [...new Set(trainFiles.map((f) => path.basename(path.dirname(f))))].sort();
  const zooSpec = loadZoo(path.resolve('resources')).find((m) => m.id === BASE_ID)?.preprocessing;
  if (!zooSpec) throw new Error(`no zoo entry ${BASE_ID}`);
  const isCenternet = opts.base === 'centernet';
  const size = opts.base === 'centernet' ? opts.size : NSFW_MODELS[opts.base].inputSize;
  const [lo, hi] = (opts.normalization || (isCenternet ? '0,255' : '-1,1')).split(',').map(Number);
  const spec: PreprocessingSpec = {
    ...zooSpec,
    inputSize: [size, size],
    normalization: { kind: 'range', min: lo ?? -1, max: hi ?? 1 },
  };
  let embed: (pixels: Float32Array, n: number) => Float32Array;
  let release = () => {};
  if (opts.base === 'centernet') {
    // The built-in detector's COCO MobileNetV3 backbone, its input freed from [1, 512, 512, 3].
    const file = path.resolve('resources/detectors/centernet-coco/centernet.json');
    const handler = diskModelHandler(file);
    const g = await tfc.loadGraphModel({
      load: async () => {
        const art = await (handler.load as () => Promise<tf.io.ModelArtifacts>)();
        const topo = art.modelTopology as { node: { op: string; attr: Record<string, unknown> }[] };
        for (const n of topo.node)
          if (n.op === 'Placeholder')
            n.attr['shape'] = {
              shape: { dim: [{ size: '-1' }, { size: '-1' }, { size: '-1' }, { size: '3' }] },
            };
        delete (art as { signature?: unknown }).signature;
        return art;
      },
    });
    const nodes = (
      opts.feature === 'out_relu' ? 'tower_0/MobilenetV3/expanded_conv_14/add' : opts.feature
    ).split('+');
    embed = (pixels, n) =>
      tf.tidy(() => {
        const x = tf.tensor4d(pixels, [n, size, size, 3]);
        const outs = g.execute({ 'tower_0/images': x }, nodes);
        const list = Array.isArray(outs) ? outs : [outs];
        return tf
          .concat(
            list.map((o) => tf.mean(o, [1, 2])),
            1,
          )
          .dataSync() as Float32Array;
      });
  } else {
    const modelJson = await writeNsfwModel(path.join(opts.data, opts.base), opts.base);
    const featureLayer = NSFW_MODELS[opts.base].featureMapLayer;
    if (opts.feature === 'out_relu') opts.feature = featureLayer;
    const fm = await loadFeatureModel(modelJson, featureLayer);
    release = () => fm.dispose();
    const full = await tfl.loadLayersModel(diskModelHandler(modelJson));
    const parts = opts.feature.split('+').map((f) => f.split(':'));
    const cut = tfl.model({
      inputs: full.inputs,
      outputs: parts.map(([l]) => full.getLayer(l ?? 'out_relu').output as tfl.SymbolicTensor),
    });
    embed = (pixels: Float32Array, n: number) =>
      tf.tidy(() => {
        const [h, w] = fm.inputSize;
        const x = tf.tensor4d(pixels, [n, h, w, 3]);
        if (opts.feature === featureLayer) return fm.embed(x).dataSync() as Float32Array;
        const raw = cut.predict(x);
        const outs = Array.isArray(raw) ? raw : [raw];
        const pooled = outs.map((o, i) =>
          parts[i]?.[1] === 'max' ? tf.max(o, [1, 2]) : tf.mean(o, [1, 2]),
        );
        return tf.concat(pooled, 1).dataSync() as Float32Array;
      });
  }
  const augs: Record<string, AugmentationConfig> = {
    default: { flip: true, crop: 0.85, rotation: 0, colour: 0.15 },
    ...(opts.aug ? { custom: JSON.parse(opts.aug) as AugmentationConfig } : {}),
  };
  // The default base, layer and range keep the cache folder earlier runs wrote.
  const variantKey = [
    opts.base === 'mobilenet_v2'
      ? ''
      : opts.base === 'centernet'
        ? `centernet${opts.size}`
        : opts.base,
    opts.feature === 'out_relu' ? '' : opts.feature.replace(/[^a-z0-9_]+/gi, '-'),
    opts.normalization && opts.normalization !== '-1,1'
      ? `range${opts.normalization.replace(/[^0-9-]+/g, '_')}`
      : '',
  ].filter(Boolean);
  const cache = path.join(opts.data, ['vectors', ...variantKey].join('-'));
  const akey = (a: AugmentationConfig) => JSON.stringify(a).replace(/[^a-z0-9.]+/gi, '_');
  const plainA: AugmentationConfig = { flip: false, crop: 1, rotation: 0, colour: 0 };
  log(`embedding on ${backend}`);
  const trainViews: Record<string, Vectors[]> = {};
  for (const [name, a] of Object.entries(augs)) {
    trainViews[name] = [];
    for (let v = 0; v < opts.views; v++) {
      trainViews[name]?.push(
        await embedAll(
          trainFiles,
          classes,
          a,
          v,
          path.join(cache, `train-${akey(a)}-v${v}.f32`),
          embed,
          spec,
        ),
      );
    }
  }
  const tests: Record<string, { plain: Vectors; mirror: Vectors; views: Vectors[] }> = {};
  for (const t of TEST_SETS) {
    const files = await collectImageFiles([path.join(dataDir, t)]);
    const flipOnly: AugmentationConfig = { ...plainA, flip: true };
    // Augmented test views (the training augmentation) for multi-view TTA variants.
    const views: Vectors[] = [];
    for (let v = 1; v <= opts.testViews; v++) {
      const a = augs['default'] as AugmentationConfig;
      views.push(
        await embedAll(
          files,
          classes,
          a,
          v,
          path.join(cache, `${t}-${akey(a)}-v${v}.f32`),
          embed,
          spec,
        ),
      );
    }
    tests[t] = {
      plain: await embedAll(
        files,
        classes,
        plainA,
        0,
        path.join(cache, `${t}-v0.f32`),
        embed,
        spec,
      ),
      mirror: await embedAll(
        files,
        classes,
        flipOnly,
        1,
        path.join(cache, `${t}-flip.f32`),
        embed,
        spec,
      ),
      views,
    };
  }
  release();
  log('heads');
  const base: HeadConfig = {
    hiddenUnits: 256,
    dropout: 0.2,
    epochs: 20,
    batchSize: 32,
    learningRate: 1e-3,
    patience: 0,
    seed: 1,
    classWeighting: true,
    fixedEpochs: true,
  };
  type Variant = {
    aug: string;
    views: number;
    head: Partial<HeadConfig>;
    tta?: boolean | number;
    /** Heads trained with other seeds, joined into one wider head averaging their logits. */
    ensemble?: number;
    embedding?: 'none' | 'standardise';
  };
  const variants: Record<string, Variant> = JSON.parse(
    fs.readFileSync(process.env['HEADS'] ?? path.join('bench', 'accuracy-heads.json'), 'utf8'),
  ) as Record<string, Variant>;
  const rows: string[][] = [];
  for (const [name, v] of Object.entries(variants)) {
    const scores: number[] = [];
    const started = Date.now();
    for (const seed of opts.seeds) {
      const train = concat((trainViews[v.aug] ?? []).slice(0, v.views));
      const cfg = { ...base, ...v.head, seed };
      const prep = scaling(train.x, train.dim, v.embedding ?? 'none');
      const heads = [];
      for (let k = 0; k < (v.ensemble ?? 1); k++) {
        const h = await trainHead(
          {
            dim: train.dim,
            classes: classes.length,
            xTrain: prep.x,
            yTrain: train.y,
            xVal: new Float32Array(0),
            yVal: new Int32Array(0),
          },
          { ...cfg, seed: cfg.seed * 1000 + k },
        );
        heads.push(h.weights);
      }
      const r = { weights: mergeHeads(heads) };
      const accs = TEST_SETS.map((t) => {
        const set = tests[t];
        if (!set) return 0;
        const p = predictHead(r.weights, prep.apply(set.plain.x));
        if (v.tta) {
          // true: the image and its mirror; N: also N augmented views, all averaged.
          const extra = typeof v.tta === 'number' ? set.views.slice(0, v.tta) : [];
          const others = [set.mirror, ...extra].map((e) => predictHead(r.weights, prep.apply(e.x)));
          for (let i = 0; i < p.length; i++)
            p[i] = others.reduce((a, q) => a + (q[i] ?? 0), p[i] ?? 0) / (others.length + 1);
        }
        return accuracy(p, set.plain.y, classes.length);
      });
      scores.push(accs.reduce((a, b) => a + b, 0) / accs.length);
    }
    const m = scores.reduce((a, b) => a + b, 0) / scores.length;
    const sd = Math.sqrt(
      scores.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, scores.length - 1),
    );
    rows.push([
      name,
      `${(m * 100).toFixed(1)} ± ${(sd * 100).toFixed(1)}`,
      `${((Date.now() - started) / 1000).toFixed(1)} s`,
    ]);
    log(`${name}: ${(m * 100).toFixed(1)} ± ${(sd * 100).toFixed(1)}`);
  }
  process.stdout.write(`\n${table([['variant', 'all tests %', 'time'], ...rows])}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
