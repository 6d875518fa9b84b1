/**
 * Detection benchmark: Ocellus's detection job (its own process, file reads, decoding and
 * letterboxing, the network, decoding boxes, writing them) against the bare network on
 * pre-decoded, letterboxed inputs (TF.js `execute` for a graph detector, ONNX Runtime
 * `session.run` for an ONNX one), the same detector and backend, in one run; and the memory
 * of the job's processes.
 *
 *   npm run bench:detect -- [--n 60] [--size 1280x960] [--detector id|folder] [--json]
 *
 * The photos are the test fixtures (tests/fixtures/photos), enlarged to --size and each made
 * distinct (so the cache per image content does not skip them). Progress goes to stderr; the
 * table (or with --json the result object) goes to stdout.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { createDetectorRuntime, detectorInput } from '../src/main/core/detect/detector-engine';
import { resolveDetector } from '../src/main/core/detect/detector-zoo';
import { letterbox } from '../src/main/core/detect/letterbox';
import { createOcellusService } from '../src/main/core/service';
import type { JobInfo } from '../src/shared/types';
import { fmtRate, log, mb, table } from './lib/measure';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '60' },
    size: { type: 'string', default: '1280x960' },
    detector: { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write(
    'npm run bench:detect -- [--n 60] [--size 1280x960] [--detector id|folder] [--json]\n',
  );
  process.exit(0);
}
const n = Number(values.n);
const [width = 1280, height = 960] = (values.size ?? '').split('x').map(Number);
const resources = path.resolve('resources');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ocellus-bench-detect-'));

/** RSS of this process and its children (the detector process), in bytes, from ps. */
function treeRss(): number {
  try {
    const self = Number(execFileSync('ps', ['-o', 'rss=', '-p', String(process.pid)]).toString());
    const kids = execFileSync('ps', ['-o', 'rss=', '--ppid', String(process.pid)])
      .toString()
      .split('\n')
      .map(Number)
      .filter((v) => v > 0);
    return (self + kids.reduce((a, b) => a + b, 0)) * 1024;
  } catch {
    return process.memoryUsage().rss;
  }
}

async function writePhotos(dir: string): Promise<string[]> {
  const fixtures = fs
    .readdirSync('tests/fixtures/photos')
    .filter((f) => f.endsWith('.jpg'))
    .map((f) => path.join('tests/fixtures/photos', f));
  fs.mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < n; i++) {
    const file = path.join(dir, `${String(i).padStart(4, '0')}.jpg`);
    // A brightness step per copy: distinct contents, the same kind of picture.
    await sharp(fixtures[i % fixtures.length] as string)
      .resize(width, height, { fit: 'fill' })
      .modulate({ brightness: 0.9 + (i % 20) / 100 })
      .jpeg({ quality: 90 })
      .toFile(file);
    files.push(file);
  }
  return files;
}

async function jobRun(photos: string): Promise<{ seconds: number; peakRss: number }> {
  const worker = path.resolve('out', 'main', 'embed-worker.js');
  const service = createOcellusService({
    host: 'cli',
    appVersion: 'bench',
    appDataDir: path.join(work, 'appdata'),
    defaultProjectDir: work,
    watch: false,
    trackRecent: false,
    resourcesDir: resources,
    mlWorkerFile: fs.existsSync(worker) ? worker : null,
  });
  if (!fs.existsSync(worker))
    log('no built worker (run electron-vite build): detecting in-process');
  try {
    await service.api.project.create({ path: path.join(work, 'bench.ocellus') });
    await service.api.library.addRoot(photos);
    await service.whenIdle();
    let peak = treeRss();
    const sampler = setInterval(() => (peak = Math.max(peak, treeRss())), 250);
    const started = performance.now();
    const job = await service.api.detect.run({ detector: values.detector ?? null });
    const final = await new Promise<JobInfo>((resolve) => {
      const off = service.bus.on('job:updated', (j) => {
        if (j.id !== job.id || j.state === 'running') return;
        off();
        resolve(j);
      });
    });
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    if (final.state !== 'done') throw new Error(`The detection job ${final.state}: ${final.error}`);
    return { seconds, peakRss: peak };
  } finally {
    await service.dispose();
  }
}

async function bareRun(files: string[]): Promise<{ seconds: number; engine: string; rss: number }> {
  const spec = resolveDetector(values.detector ?? null, resources, path.join(work, 'appdata'));
  const runtime = await createDetectorRuntime(spec);
  // Decoded and letterboxed before the clock starts: the network alone is timed.
  const inputs: Float32Array[] = [];
  for (const f of files) {
    const lb = await letterbox(fs.readFileSync(f), spec.inputSize);
    inputs.push(detectorInput(lb.rgb, spec.divisor));
  }
  await runtime.run(inputs[0] as Float32Array); // warm-up, as the job's first image is
  const started = performance.now();
  for (const x of inputs) await runtime.run(x);
  const seconds = (performance.now() - started) / 1000;
  const rss = process.memoryUsage().rss;
  runtime.dispose();
  return {
    seconds,
    engine: `${runtime.engine}${runtime.backend ? ` (${runtime.backend})` : ''}`,
    rss,
  };
}

async function main(): Promise<void> {
  const photos = path.join(work, 'photos');
  log(`writing ${n} photos of ${width}×${height}`);
  const files = await writePhotos(photos);
  log('the detection job (its own process)');
  const job = await jobRun(photos);
  log('the bare network on pre-decoded inputs');
  const bare = await bareRun(files);
  const jobRate = n / job.seconds;
  const bareRate = n / bare.seconds;
  const result = {
    images: n,
    size: `${width}x${height}`,
    detector: values.detector ?? 'centernet-coco',
    engine: bare.engine,
    cores: os.availableParallelism(),
    job: { seconds: job.seconds, imagesPerSecond: jobRate, peakRssBytes: job.peakRss },
    bare: { seconds: bare.seconds, imagesPerSecond: bareRate, rssBytes: bare.rss },
    ratio: jobRate / bareRate,
  };
  if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    process.stdout.write(
      `${table([
        ['', 'images/s', 'seconds', 'memory', ''],
        [
          'Ocellus detection job',
          fmtRate(jobRate),
          job.seconds.toFixed(1),
          mb(job.peakRss),
          'peak RSS, app + detector process',
        ],
        [
          `bare ${bare.engine}, pre-decoded`,
          fmtRate(bareRate),
          bare.seconds.toFixed(1),
          mb(bare.rss),
          'RSS of this process',
        ],
      ])}\n\n${n} JPEGs of ${width}×${height}, detector ${result.detector}, ${result.cores} cores; job / bare = ${result.ratio.toFixed(2)} (target ≥ 0.8)\n`,
    );
  }
  fs.rmSync(work, { recursive: true, force: true });
}

void main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
