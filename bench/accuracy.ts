/**
 * Accuracy benchmark across artists: train on one emoji artist's drawings of 7 categories
 * (Noto, 40 per class), test on three other artists' drawings of other emoji of the same
 * categories (Twemoji, Fluent flat, OpenMoji; 30 per class each), all from SVG icon sets that
 * npm packages ship (@iconify-json/*, devDependencies), rendered at 96 px on transparency.
 *
 * Per seed, in one run: the plain recipe (what a Keras user writes: frozen MobileNetV2 →
 * GAP → Dense 256 → dropout 0.2 → softmax, Adam 1e-3, 20 epochs, all training images,
 * model.fit), Ocellus feature mode and Ocellus fine-tune mode, each through the real app
 * path (project, import, training run, bundle export, `ocellus predict` on the test sets).
 * The base is the Keras MobileNetV2 shipped in nsfwjs. Also the skew: the largest difference,
 * over the training images, between the app's suggestion and the exported bundle's
 * prediction on the original file.
 *
 *   npm run bench:accuracy -- [--seeds 1,2,3] [--per-class 40] [--test-per-class 30]
 *                             [--modes plain,features,finetune] [--finetune-seeds 1,2,3]
 *                             [--data DIR] [--backend tensorflow|wasm|cpu] [--json]
 *                             [--train-set noto|twemoji|fluent-emoji-flat|openmoji]
 *                             [--features-config JSON] [--finetune-config JSON]
 *                             [--test-emoji other|same]
 *
 * --train-set trains on another artist (the same emoji) and tests on the other three: a
 * second data set, so a default is not tuned to one split. --features-config and
 * --finetune-config override training settings of that mode (experiments; the figures of
 * record use the app's defaults). --test-emoji same tests on the training emoji as the other
 * artists draw them (the first --test-per-class of each class): only the artist is new.
 *
 * When a seed runs both Ocellus modes, a last row averages the two bundles' probabilities on
 * each test image (an ensemble the app does not release: measured to see whether it would pay).
 *
 * The backend is the app's own choice (native TensorFlow where it is set up, else
 * WebAssembly) unless --backend or OCELLUS_BACKEND names one.
 */
import '@tensorflow/tfjs';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { collectImageFiles, bundlePredictor } from '../src/main/core/export/predict';
import { initBackend } from '../src/main/core/ml/tf-runtime';
import type { OcellusService } from '../src/main/core/service';
import type { JobInfo, RunSummary, TrainConfig } from '../src/shared/types';
import { log, table, timed } from './lib/measure';
import { benchService } from './lib/app-service';
import {
  TRAIN_SET,
  RENDER_PX,
  buildData,
  labelOf,
  testSetsFor,
  type TestEmoji,
} from './accuracy/data';
import { plainRecipe } from './accuracy/plain';

const run = promisify(execFile);

/** The zoo id whose preprocessing ([-1, 1], centre crop) and feature layer fit Keras MobileNetV2. */
const BASE_ID = 'mobilenet_v2_100_224_keras';

type Mode = 'plain' | 'features' | 'finetune';

function options() {
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string', default: '1,2,3' },
      'per-class': { type: 'string', default: '40' },
      'test-per-class': { type: 'string', default: '30' },
      modes: { type: 'string', default: 'plain,features,finetune' },
      'finetune-seeds': { type: 'string' },
      data: { type: 'string' },
      'train-set': { type: 'string', default: TRAIN_SET },
      'features-config': { type: 'string', default: '{}' },
      'finetune-config': { type: 'string', default: '{}' },
      backend: { type: 'string' },
      json: { type: 'boolean', default: false },
      'test-emoji': { type: 'string', default: 'other' },
    },
  });
  const testEmoji = values['test-emoji'] as TestEmoji;
  if (testEmoji !== 'other' && testEmoji !== 'same')
    throw new Error('--test-emoji is other or same');
  return {
    seeds: values.seeds.split(',').map(Number),
    perClass: Number(values['per-class']),
    testPerClass: Number(values['test-per-class']),
    modes: values.modes.split(',') as Mode[],
    finetuneSeeds: (values['finetune-seeds'] ?? values.seeds).split(',').map(Number),
    trainSet: values['train-set'],
    overrides: {
      features: JSON.parse(values['features-config']) as Partial<TrainConfig>,
      finetune: JSON.parse(values['finetune-config']) as Partial<TrainConfig>,
    },
    testSets: testSetsFor(values['train-set']),
    data:
      values.data ??
      path.join(
        os.tmpdir(),
        `ocellus-bench-accuracy${values['train-set'] === TRAIN_SET ? '' : `-${values['train-set']}`}${testEmoji === 'other' ? '' : '-same-emoji'}`,
      ),
    testEmoji,
    backend: values.backend,
    json: values.json,
  };
}

function jobDone(service: OcellusService, kind: string): Promise<JobInfo> {
  return new Promise((resolve) => {
    const off = service.bus.on('job:updated', (j) => {
      if (j.kind === kind && j.state !== 'running') {
        off();
        resolve(j);
      }
    });
  });
}

/** An Ocellus training run through the app's own path, then its bundle on the test sets. */
async function ocellusRun(
  service: OcellusService,
  work: string,
  dataDir: string,
  testSets: string[],
  config: Partial<TrainConfig>,
): Promise<{
  accuracy: Record<string, number>;
  skew: number;
  run: RunSummary;
  bundle: string;
  probabilities: Map<string, Record<string, number>>;
}> {
  const predicted = jobDone(service, 'predict');
  const started = await service.api.train.start({ baseModel: BASE_ID, ...config });
  const trained = await jobDone(service, 'train');
  if (trained.state !== 'done') throw new Error(`training failed: ${trained.error}`);
  const p = await predicted;
  if (p.state !== 'done') throw new Error(`suggestions failed: ${p.error}`);
  const out = path.join(work, `bundle-${started.id}`);
  const exported = jobDone(service, 'export');
  await service.api.export.bundle({ out, runId: started.id });
  const e = await exported;
  if (e.state !== 'done') throw new Error(`export failed: ${e.error}`);
  const predictor = await bundlePredictor(out);
  try {
    // Skew: the app's suggestion against the bundle's prediction on each original file.
    const page = await service.api.library.listImages({ sort: 'path', limit: 10_000 });
    let skew = 0;
    for (const im of page.items) {
      const app = await service.api.assist.prediction(im.id);
      const [row] = await predictor.predict([path.join(dataDir, 'train', im.relPath)]);
      app?.probabilities.forEach((q) => {
        const k = predictor.classes.indexOf(q.name);
        skew = Math.max(skew, Math.abs(q.p - (row?.probabilities?.[k] ?? NaN)));
      });
    }
    const accuracy: Record<string, number> = {};
    const probabilities = new Map<string, Record<string, number>>();
    for (const t of testSets) {
      const files = await collectImageFiles([path.join(dataDir, t)]);
      let right = 0;
      for (let s = 0; s < files.length; s += 32) {
        const rows = await predictor.predict(files.slice(s, s + 32));
        right += rows.filter((r) => r.label === labelOf(r.path)).length;
        for (const r of rows)
          probabilities.set(
            r.path,
            Object.fromEntries(predictor.classes.map((c, k) => [c, r.probabilities?.[k] ?? NaN])),
          );
      }
      accuracy[t] = right / files.length;
    }
    return {
      accuracy,
      skew,
      run: await service.api.train.run(started.id),
      bundle: out,
      probabilities,
    };
  } finally {
    predictor.dispose();
  }
}

/** predict.mjs of a bundle in a child process, as a user runs it; its throughput line. */
async function predictScript(bundle: string, files: string[], engine: 'onnx' | 'tfjs') {
  const { stderr } = await run(
    process.execPath,
    ['predict.mjs', ...files, '--engine', engine, '--batch-size', '16'],
    {
      cwd: bundle,
      // The bundle's own dependencies are not installed here: lend it the project's.
      env: { ...process.env, NODE_PATH: path.resolve('node_modules') },
      maxBuffer: 1 << 26,
    },
  );
  const m = /(\d+) images in ([\d.]+) s \(([\d.]+) images\/s, ([^,(]+(?:\([^)]*\))?)/.exec(stderr);
  // The engine as the script names it: its TF.js engine takes tfjs-node where it can load it.
  return {
    images: Number(m?.[1]),
    seconds: Number(m?.[2]),
    rate: Number(m?.[3]),
    engine: m?.[4] ?? engine,
  };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) =>
  xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean(xs)) ** 2, 0) / (xs.length - 1)) : 0;

async function main(): Promise<void> {
  const opts = options();
  if (opts.backend) process.env['OCELLUS_BACKEND'] = opts.backend;
  const backend = await initBackend();
  log(`backend: ${backend}`);
  const dataDir = path.join(opts.data, 'images');
  const TEST_SETS = opts.testSets;
  log(`rendering ${opts.trainSet} (train) and ${TEST_SETS.join(', ')} (test) at ${RENDER_PX} px`);
  const classes = await buildData(
    dataDir,
    opts.perClass,
    opts.testPerClass,
    opts.trainSet,
    opts.testEmoji,
  );
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ocellus-bench-acc-'));
  const { service, modelJson } = await benchService({
    work,
    modelDir: path.join(opts.data, 'mobilenet_v2'),
    baseId: BASE_ID,
    host: 'web',
  });
  const results: {
    mode: Mode | 'ensemble';
    seed: number;
    accuracy: Record<string, number>;
    seconds: number;
    skew: number | null;
    estimate: RunSummary['estimate'] | null;
  }[] = [];
  const probabilities = new Map<string, Map<string, Record<string, number>>>();
  let lastBundle: string | null = null;
  let speed: Record<
    'onnx' | 'tfjs',
    { images: number; seconds: number; rate: number; engine: string }
  > | null = null;
  try {
    await service.api.project.create({ path: path.join(work, 'emoji.ocellus'), name: 'Emoji' });
    await service.api.library.addRoot(path.join(dataDir, 'train'), { labelsFromFolders: true });
    await service.whenIdle();
    const memo = new Map<string, Float32Array[]>();
    for (const seed of opts.seeds) {
      for (const mode of opts.modes) {
        if (mode === 'finetune' && !opts.finetuneSeeds.includes(seed)) continue;
        log(`seed ${seed}: ${mode}`);
        const r = await timed(async () => {
          if (mode === 'plain')
            return {
              accuracy: await plainRecipe(modelJson, dataDir, classes, seed, memo, TEST_SETS),
              skew: null,
              run: null,
            };
          // 20 epochs, as the plain recipe; everything else is the app's default.
          return ocellusRun(service, work, dataDir, TEST_SETS, {
            mode,
            seed,
            epochs: 20,
            groupBy: 'none',
            ...opts.overrides[mode],
          });
        });
        if (mode === 'features' && 'bundle' in r.value) lastBundle = r.value.bundle;
        if ('probabilities' in r.value) probabilities.set(`${mode} ${seed}`, r.value.probabilities);
        results.push({
          mode,
          seed,
          accuracy: r.value.accuracy,
          seconds: r.seconds,
          skew: r.value.skew,
          estimate: r.value.run?.estimate ?? null,
        });
        log(
          `  ${TEST_SETS.map((t) => `${t} ${((r.value.accuracy[t] ?? 0) * 100).toFixed(1)} %`).join(', ')}; ${r.seconds.toFixed(0)} s${r.value.skew !== null ? `; skew ${r.value.skew.toExponential(1)}` : ''}`,
        );
      }
    }
    for (const seed of opts.seeds) {
      const f = probabilities.get(`features ${seed}`);
      const t = probabilities.get(`finetune ${seed}`);
      if (f && t) results.push(ensembleOf(f, t, seed, TEST_SETS));
    }
    if (lastBundle) {
      // predict.mjs as a user runs it: ONNX Runtime on every test image, TF.js on a few.
      const files = await collectImageFiles(TEST_SETS.map((t) => path.join(dataDir, t)));
      log(`predict.mjs: ONNX Runtime on ${files.length} images, TF.js on 16`);
      try {
        speed = {
          onnx: await predictScript(lastBundle, files, 'onnx'),
          tfjs: await predictScript(lastBundle, files.slice(0, 16), 'tfjs'),
        };
      } catch (err) {
        // The accuracy table is the point of the run: print it even when this part fails.
        const e = err as { code?: unknown; signal?: unknown; stderr?: string };
        log(
          `predict.mjs failed (exit ${String(e.code)}, signal ${String(e.signal)}): ${e.stderr ?? ''}`,
        );
      }
    }
  } finally {
    await service.dispose();
    fs.rmSync(work, { recursive: true, force: true });
  }
  // The app's own choice (finetune-run.ts loadBase): the whole network where convolutions
  // have gradient kernels (native), else the top of the base from cached activations.
  const finetunePath =
    backend === 'tensorflow' ? 'whole network, fresh augmentation' : 'cached activations';
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify({ backend, finetunePath, results, speed, loadAverage: os.loadavg() }, null, 2)}\n`,
    );
    return;
  }
  const overall = (r: (typeof results)[number]) => mean(TEST_SETS.map((t) => r.accuracy[t] ?? 0));
  const byMode = (m: Mode | 'ensemble') => results.filter((r) => r.mode === m);
  const cell = (xs: number[]) => `${(mean(xs) * 100).toFixed(1)} ± ${(sd(xs) * 100).toFixed(1)}`;
  const plain = byMode('plain').map(overall);
  const shown = results.some((r) => r.mode === 'ensemble')
    ? [...opts.modes, 'ensemble' as const]
    : opts.modes;
  const rows = shown.map((m) => {
    const rs = byMode(m);
    const all = rs.map(overall);
    return [
      m === 'plain'
        ? 'plain recipe'
        : m === 'ensemble'
          ? 'mean of the two (probabilities)'
          : `Ocellus ${m === 'features' ? 'feature mode' : 'fine-tune'}`,
      ...TEST_SETS.map((t) => cell(rs.map((r) => r.accuracy[t] ?? 0))),
      cell(all),
      m === 'plain' || plain.length === 0 ? '' : `${((mean(all) - mean(plain)) * 100).toFixed(1)}`,
      `${mean(rs.map((r) => r.seconds)).toFixed(0)} s`,
      rs.some((r) => r.skew !== null)
        ? Math.max(...rs.map((r) => r.skew ?? 0)).toExponential(1)
        : '',
    ];
  });
  process.stdout.write(
    `\nTrain: ${opts.trainSet}, ${opts.perClass} per class × ${classes.length} classes; test: ${opts.testPerClass} ${opts.testEmoji === 'same' ? 'of the training emoji' : 'other emoji'} per class from each of ${TEST_SETS.join(', ')}. Backend ${backend}${opts.modes.includes('finetune') ? ` (fine-tune path: ${finetunePath})` : ''}. Accuracy in %, mean ± sd over seeds ${opts.seeds.join(', ')}${opts.finetuneSeeds.join() !== opts.seeds.join() && opts.modes.includes('finetune') ? ` (fine-tune: seed ${opts.finetuneSeeds.join(', ')})` : ''}; load ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}\n` +
      table([
        ['', ...TEST_SETS, 'all tests', 'vs plain (points)', 'time per run', 'skew (max |Δp|)'],
        ...rows,
      ]) +
      '\n' +
      (speed
        ? `\npredict.mjs of the last feature-mode bundle: ${speed.onnx.engine} ${speed.onnx.rate.toFixed(1)} images/s (${speed.onnx.images} images), ${speed.tfjs.engine} ${speed.tfjs.rate.toFixed(2)} images/s (${speed.tfjs.images} images): ×${(speed.onnx.rate / speed.tfjs.rate).toFixed(0)}\n`
        : ''),
  );
}

/**
 * What averaging the feature-mode and fine-tuned bundles' probabilities would score on the
 * same test images (an experiment: the app releases one model).
 */
function ensembleOf(
  a: Map<string, Record<string, number>>,
  b: Map<string, Record<string, number>>,
  seed: number,
  testSets: string[],
) {
  const accuracy: Record<string, number> = {};
  for (const t of testSets) {
    let right = 0;
    let n = 0;
    for (const [file, pa] of a) {
      if (path.basename(path.dirname(path.dirname(file))) !== t) continue;
      const pb = b.get(file);
      if (!pb) continue;
      n++;
      let best = '';
      let top = -1;
      for (const c of Object.keys(pa)) {
        const p = (pa[c] ?? 0) + (pb[c] ?? 0);
        if (p > top) [best, top] = [c, p];
      }
      if (best === labelOf(file)) right++;
    }
    accuracy[t] = n ? right / n : NaN;
  }
  return { mode: 'ensemble' as const, seed, accuracy, seconds: 0, skew: null, estimate: null };
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
