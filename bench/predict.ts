/**
 * `npm run bench:predict [-- --images 400 --size 1280x960 --rounds 2 --also old-predict.mjs]`:
 * throughput of a model bundle's predict paths on the same JPEGs in the same run, side by
 * side: the bundle's predict.mjs as a user runs it (a child process), `ocellus predict` on
 * the same bundle (the built CLI), and bare ONNX Runtime on tensors decoded beforehand (the
 * reference: what the network alone costs), plus the decoding alone. The bundle is a
 * MobileNetV2 (224 px, the Keras model inside the nsfwjs package) with a head trained on a
 * few generated images. `--also` measures another predict.mjs on the same bundle (an older
 * version, say). Rounds are interleaved and the median is printed; the machine's load
 * average is printed too, since the figures are only comparable within one run.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import sharp from 'sharp';
import { collectImageFiles } from '../src/main/core/export/predict';
import { createSession, loadOrt } from '../src/main/core/ml/onnx/onnx-engine';
import { loadModelInput } from '../src/main/core/ml/preprocess';
import type { PreprocessingSpec } from '../src/main/core/ml/zoo-types';
import type { OcellusService } from '../src/main/core/service';
import type { JobInfo } from '../src/shared/types';
import { fmtRate, log, median, table } from './lib/measure';
import { benchService } from './lib/app-service';

const run = promisify(execFile);
const BASE_ID = 'bench-mobilenet-v2';
const BATCH = 16;

function options() {
  const { values } = parseArgs({
    options: {
      images: { type: 'string', default: '400' },
      size: { type: 'string', default: '1280x960' },
      rounds: { type: 'string', default: '2' },
      also: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'usage: npm run bench:predict -- [--images N] [--size WxH] [--rounds N] [--also other-predict.mjs]\n',
    );
    process.exit(0);
  }
  const [width, height] = values.size.split('x').map(Number);
  return {
    images: Number(values.images),
    width: width ?? 1280,
    height: height ?? 960,
    rounds: Math.max(1, Number(values.rounds)),
    also: values.also ? path.resolve(values.also) : null,
  };
}

/** A photo-like JPEG: smooth gradients plus seeded noise, so decoding costs what photos cost. */
async function writePhoto(file: string, width: number, height: number, seed: number) {
  const px = Buffer.alloc(width * height * 3);
  let s = seed * 2654435761;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      s = (s * 1103515245 + 12345) >>> 0;
      const noise = (s >>> 24) % 48;
      const i = (y * width + x) * 3;
      px[i] = (x * 255) / width / 2 + ((seed * 37) % 80) + noise;
      px[i + 1] = (y * 255) / height / 2 + ((seed * 53) % 80) + noise;
      px[i + 2] = ((x + y) * 127) / (width + height) + ((seed * 71) % 80) + noise;
    }
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp(px, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 85 })
    .toFile(file);
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

/** A MobileNetV2 bundle trained on a few generated images, through the app's own path. */
async function makeBundle(work: string): Promise<string> {
  const { service } = await benchService({
    work,
    modelDir: path.join(work, 'mobilenet_v2'),
    baseId: BASE_ID,
    host: 'cli',
  });
  try {
    for (const [k, name] of ['warm', 'cool'].entries()) {
      for (let i = 0; i < 8; i++)
        await writePhoto(path.join(work, 'train', name, `${i}.jpg`), 160, 120, k * 100 + i * 7);
    }
    await service.api.project.create({ path: path.join(work, 'bench.ocellus'), name: 'Bench' });
    await service.api.library.addRoot(path.join(work, 'train'), { labelsFromFolders: true });
    await service.whenIdle();
    const trained = jobDone(service, 'train');
    await service.api.train.start({
      baseModel: BASE_ID,
      epochs: 3,
      groupBy: 'none',
      crossValidation: 1,
    });
    if ((await trained).state !== 'done') throw new Error('training failed');
    const out = path.join(work, 'bundle');
    const exported = jobDone(service, 'export');
    await service.api.export.bundle({ out });
    const e = await exported;
    if (e.state !== 'done') throw new Error(`export failed: ${e.error}`);
    return out;
  } finally {
    await service.api.project.close().catch(() => {});
  }
}

/** Images/s a child process reports on its last line ("N images in S s (R images/s…"). */
async function childRate(args: string[], cwd: string): Promise<number> {
  const { stderr } = await run(process.execPath, args, {
    cwd,
    env: { ...process.env, NODE_PATH: path.resolve('node_modules') },
    maxBuffer: 1 << 26,
  });
  const m = /(\d+) images in ([\d.]+) s \(([\d.]+) images\/s/.exec(stderr);
  if (!m) throw new Error(`no throughput line in: ${stderr.slice(-300)}`);
  return Number(m[3]);
}

/** Decoding alone (the app's pipeline, BATCH files at a time), then ONNX Runtime alone. */
async function bareRates(bundle: string, files: string[]): Promise<[number, number]> {
  const spec = JSON.parse(
    fs.readFileSync(path.join(bundle, 'preprocessing.json'), 'utf8'),
  ) as PreprocessingSpec & { onnx: { file: string; input: string; output: string } };
  let started = performance.now();
  const inputs: Float32Array[] = [];
  for (let i = 0; i < files.length; i += BATCH)
    inputs.push(
      ...(await Promise.all(files.slice(i, i + BATCH).map((f) => loadModelInput(f, spec)))),
    );
  const decode = files.length / ((performance.now() - started) / 1000);
  const ort = await loadOrt();
  const session = await createSession(fs.readFileSync(path.join(bundle, spec.onnx.file)));
  const [h, w] = spec.inputSize;
  const per = h * w * 3;
  const batches: Float32Array[] = [];
  for (let i = 0; i < inputs.length; i += BATCH) {
    const chunk = inputs.slice(i, i + BATCH);
    const packed = new Float32Array(chunk.length * per);
    chunk.forEach((x, j) => packed.set(x, j * per));
    batches.push(packed);
  }
  const feed = (b: Float32Array) => ({
    [spec.onnx.input]: new ort.Tensor('float32', b, [b.length / per, h, w, 3]),
  });
  if (batches[0]) await session.run(feed(batches[0])); // warm-up
  started = performance.now();
  for (const b of batches) await session.run(feed(b));
  const infer = files.length / ((performance.now() - started) / 1000);
  await session.release();
  return [decode, infer];
}

async function main(): Promise<void> {
  const opts = options();
  const cli = path.resolve('out', 'main', 'cli.js');
  if (!fs.existsSync(cli)) throw new Error('out/main/cli.js is missing: run npm run build first');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ocellus-bench-predict-'));
  try {
    log(`writing ${opts.images} JPEGs of ${opts.width}×${opts.height}`);
    const dir = path.join(work, 'images');
    fs.mkdirSync(dir);
    for (let i = 0; i < opts.images; i++)
      await writePhoto(
        path.join(dir, `${String(i).padStart(5, '0')}.jpg`),
        opts.width,
        opts.height,
        i,
      );
    log('training and exporting a MobileNetV2 bundle');
    const bundle = await makeBundle(work);
    if (opts.also) fs.copyFileSync(opts.also, path.join(bundle, 'predict-also.mjs'));
    const files = collectImageFiles([dir]);
    const rates: Record<string, number[]> = {};
    const add = (name: string, r: number) => (rates[name] ??= []).push(r);
    const loads: number[] = [];
    for (let round = 1; round <= opts.rounds; round++) {
      log(`round ${round} of ${opts.rounds}`);
      loads.push(os.loadavg()[0] ?? 0);
      add('predict.mjs (ONNX Runtime)', await childRate(['predict.mjs', dir], bundle));
      if (opts.also)
        add(
          `${path.basename(opts.also)} (--also)`,
          await childRate(['predict-also.mjs', dir], bundle),
        );
      add(
        'ocellus predict <bundle>',
        await childRate([cli, 'predict', bundle, dir, '--out', path.join(work, 'p.csv')], work),
      );
      const [decode, infer] = await bareRates(bundle, files);
      add('decoding alone (sharp, the same pipeline)', decode);
      add('ONNX Runtime alone on decoded tensors (reference)', infer);
    }
    const reference = median(rates['ONNX Runtime alone on decoded tensors (reference)'] ?? []);
    const rows = Object.entries(rates).map(([name, rs]) => [
      name,
      fmtRate(median(rs)),
      rs.map((r) => r.toFixed(1)).join(' / '),
      `${((median(rs) / reference) * 100).toFixed(0)} %`,
    ]);
    process.stdout.write(
      `\n${opts.images} JPEGs of ${opts.width}×${opts.height}, MobileNetV2 224 px, batches of ${BATCH}, ` +
        `${os.availableParallelism()} cores, load average ${loads.map((l) => l.toFixed(1)).join(' / ')} at each round's start\n\n` +
        `${table([['path', 'images/s (median)', 'each round', 'of the reference'], ...rows])}\n`,
    );
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
