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
import '@tensorflow/tfjs-backend-cpu';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fmtRate, log, mb, pool, rate, secs, table } from './lib/measure';
import { writeNsfwModel } from '../tests/helpers/nsfw-models';
import {
  type Part,
  type Options,
  parseOptions,
  PARALLELISM,
  PLAIN_FEATURE_LAYER,
  JOB_BATCH_SIZES,
  ONNX_BATCH_SIZES,
  ORT_BATCH,
  ENGINE_BATCH,
} from './embed/options';
import { type Kind, type ImageSet, imageSet, setFiles, generateSet } from './embed/images';
import { runPart, modelDir, workerFile } from './embed/measure';
import { type PlainPart, plainPart } from './embed/plain';
import { type OcellusPart, ocellusPart } from './embed/ocellus';
import { type EngineSet, type EnginePart, enginePart, type OrtPart, ortPart } from './embed/engine';

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
