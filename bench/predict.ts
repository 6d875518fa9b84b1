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
import { collectImageFiles } from '../src/main/core/export/predict';
import { createSession, loadOrt } from '../src/main/core/ml/onnx/onnx-engine';
import { loadModelInput } from '../src/main/core/ml/preprocess';
import type { PreprocessingSpec } from '../src/main/core/ml/zoo-types';
import { fmtRate, log, median, table } from './lib/measure';
import { makeBundle, writePhoto } from './lib/predict-bundle';

const run = promisify(execFile);
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
    const files = await collectImageFiles([dir]);
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
        await childRate(
          [cli, 'predict', bundle, dir, '--out', path.join(work, `p-${round}.csv`)],
          work,
        ),
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
