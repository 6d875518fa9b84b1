/**
 * Embedding benchmark, parts 3 to 5: EmbedEngine.prepare vs infer in this thread (tensors and
 * memory), and bare ONNX Runtime on pre-decoded tensors (the ceiling).
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadLayersModel } from '@tensorflow/tfjs-layers';
import { log } from '../lib/measure';
import {
  EmbedEngine,
  prepareItems,
  type EmbedItem,
  type PreparedBatch,
} from '../../src/main/core/ml/embed-engine';
import { diskModelHandler } from '../../src/main/core/ml/model-io';
import { convertFeatureModel, ONNX_INPUT } from '../../src/main/core/ml/onnx/convert-layers';
import { createSession, loadOrt } from '../../src/main/core/ml/onnx/onnx-engine';
import { initBackend } from '../../src/main/core/ml/tf-runtime';
import {
  type Options,
  PARALLELISM,
  MODEL_INPUT,
  PREPROCESSING,
  ORT_BATCH,
  ENGINE_BATCH,
} from './options';
import type { Kind } from './images';
import { RssSampler, cpuNow, type PartMemory, modelDir } from './measure';
import type { OcellusPart } from './ocellus';

// ---------------------------------------------------------------------------------------------
// Parts 3 and 4: EmbedEngine.prepare vs infer, in this thread; tensors and memory

export interface EngineSet {
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

export interface EnginePart extends PartMemory {
  backend: string;
  featureLayer: string;
  dim: number;
  createSeconds: number;
  sets: EngineSet[];
  batches: number;
  /** numTensors after create, then after each pass over all batches. */
  tensors: number[];
}

export async function enginePart(opts: Options, oc: OcellusPart): Promise<EnginePart> {
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

export interface OrtPart extends PartMemory {
  sets: { kind: Kind; items: number; seconds: number; cpu: number }[];
  threads: number;
}

export async function ortPart(opts: Options, oc: OcellusPart): Promise<OrtPart> {
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
