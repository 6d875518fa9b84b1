/** Embedding benchmark, part 2: Ocellus, through the service. */
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { log, mb } from '../lib/measure';
import { cacheDirFor, derivativePaths } from '../../src/main/core/library/derivative-paths';
import { createOcellusService, type OcellusService } from '../../src/main/core/service';
import type { JobInfo } from '../../src/shared/types';
import { type Options, JOB_BATCH_SIZES, ONNX_BATCH_SIZES, ENGINE_BATCH } from './options';
import type { Kind, ImageSet } from './images';
import { RssSampler, type Span, SpanClock, type PartMemory, modelDir, workerFile } from './measure';

// ---------------------------------------------------------------------------------------------
// Part 2: Ocellus, through the service

export interface JobRun {
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

export interface OcellusSet {
  kind: Kind;
  count: number;
  import: Span;
  importOk: number;
  jobs: JobRun[];
  /** (hash, model-input cache file, original) of each image, for the engine part. */
  items: { hash: string; input: string; original: string }[];
}

export interface OcellusPart extends PartMemory {
  modelId: string;
  /** RSS after the first import, before any embedding job. */
  rssBeforeJobs: number;
  sets: OcellusSet[];
}

/** Runs a job the `start` call creates, and times it from the call to its end. */
export async function timedJob(
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

export function clearEmbeddings(projectPath: string): void {
  const db = new Database(projectPath);
  try {
    db.pragma('busy_timeout = 10000');
    db.prepare('DELETE FROM embeddings').run();
  } finally {
    db.close();
  }
}

export async function embedRun(
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

export async function ocellusPart(
  opts: Options,
  sets: ImageSet[],
  work: string,
): Promise<OcellusPart> {
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
