/** Embedding benchmark, part 1: the plain reference. */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import {
  loadLayersModel,
  model as layersModel,
  type SymbolicTensor,
} from '@tensorflow/tfjs-layers';
import sharp from 'sharp';
import { log } from '../lib/measure';
import { type Options, MODEL_INPUT, PLAIN_FEATURE_LAYER } from './options';
import { type Kind, type ImageSet, setFiles } from './images';
import { RssSampler, type Span, SpanClock, cpuNow, type PartMemory, modelDir } from './measure';

// ---------------------------------------------------------------------------------------------
// Part 1: the plain reference

export interface PlainSet {
  kind: Kind;
  items: number;
  /** The loop: decode + normalise + predict, batch 1. */
  loop: Span;
  decodeSeconds: number;
  predictSeconds: number;
  decodeCpu: number;
  predictCpu: number;
}

export interface PlainPart extends PartMemory {
  backend: string;
  loadSeconds: number;
  sets: PlainSet[];
  tensorsBefore: number;
  tensorsAfter: number;
  dim: number;
}

/** The recipe a user would write: TF.js + sharp, one image at a time. */
export async function plainPart(opts: Options, sets: ImageSet[]): Promise<PlainPart> {
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
