/**
 * Import benchmark: Ocellus's library import (scan, index, thumbnails) against a plain
 * sharp/exifr loop on the same files, side by side in one run. Each side runs in its own child
 * process (this script with --part), so that its RSS and maxRSS are its own.
 *
 *   npm run bench:import -- [--n 20000] [--big 200] [--data DIR] [--keep] [--json]
 *
 * The test images are generated once (untimed) and cached in --data, one folder per set size.
 * Progress goes to stderr; the table (or with --json the result object) goes to stdout.
 */
import { fork } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import exifr from 'exifr';
import sharp, { type OverlayOptions } from 'sharp';
import { log, pool, rate, secs, table } from './lib/measure';
import { cacheDirFor } from '../src/main/core/library/derivative-paths';
import { createOcellusService, type OcellusService } from '../src/main/core/service';
import type { JobInfo } from '../src/shared/types';
import { seededRandom } from '../src/main/core/util/rng';

// ---------------------------------------------------------------------------------------------
// Options

interface Options {
  n: number;
  big: number;
  data: string;
  keep: boolean;
  json: boolean;
  /** Internal: which part a child process runs (parts run in children so RSS is their own). */
  part: Part | null;
  /** Internal: the run's temporary folder, for the children. */
  work: string | null;
}

type Part = 'generate' | 'ocellus' | 'reference';

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      n: { type: 'string', default: '20000' },
      big: { type: 'string', default: '200' },
      data: { type: 'string', default: path.join(os.tmpdir(), 'ocellus-bench-import') },
      keep: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      part: { type: 'string' },
      work: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      'Usage: npm run bench:import -- [--n 20000] [--big 200] [--data DIR] [--keep] [--json]\n',
    );
    process.exit(0);
  }
  const count = (name: string, v: string, min: number): number => {
    const x = Number(v);
    if (!Number.isInteger(x) || x < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
    return x;
  };
  return {
    n: count('n', values.n, 1),
    big: count('big', values.big, 0),
    data: path.resolve(values.data),
    keep: values.keep,
    json: values.json,
    part: values.part === undefined ? null : partName(values.part),
    work: values.work ?? null,
  };
}

function partName(v: string): Part {
  if (v === 'generate' || v === 'ocellus' || v === 'reference') return v;
  throw new Error(`Unknown --part ${v}`);
}

const PARALLELISM = os.availableParallelism();

// ---------------------------------------------------------------------------------------------
// Test images: nested camera-trap cards, EXIF, varied content, generated once

interface ImageSet {
  kind: 'small' | 'big';
  count: number;
  width: number;
  height: number;
  dir: string;
  /** Written beside (not inside) the set folder when the set is complete. */
  manifest: string;
}

/** Part of the set's folder name: a change to the generator makes new sets. */
const GENERATOR_VERSION = 1;
const PER_FOLDER = 500;
const FOLDERS_PER_CARD = 2;

function imageSet(data: string, kind: 'small' | 'big', count: number): ImageSet {
  const [width, height] = kind === 'small' ? [1024, 768] : [4000, 3000];
  const name = `${kind}-${width}x${height}-n${count}-v${GENERATOR_VERSION}`;
  return {
    kind,
    count,
    width,
    height,
    dir: path.join(data, name),
    manifest: path.join(data, `${name}.json`),
  };
}

interface FileSpec {
  file: string;
  card: number;
  /** Index on the card, from 0. */
  k: number;
}

function fileSpec(set: ImageSet, i: number): FileSpec {
  const perCard = PER_FOLDER * FOLDERS_PER_CARD;
  const card = Math.floor(i / perCard);
  const k = i % perCard;
  const folder = `${100 + Math.floor(k / PER_FOLDER)}${set.kind === 'small' ? 'RECNX' : 'CANON'}`;
  const name = `IMG_${String(k + 1).padStart(4, '0')}.JPG`;
  const cardName = `CAM${String(card + 1).padStart(2, '0')}`;
  return { file: path.join(set.dir, cardName, 'DCIM', folder, name), card, k };
}

function setFiles(set: ImageSet): string[] {
  return Array.from({ length: set.count }, (_, i) => fileSpec(set, i).file);
}

function isComplete(set: ImageSet): boolean {
  try {
    const m = JSON.parse(fs.readFileSync(set.manifest, 'utf8')) as {
      version?: number;
      count?: number;
    };
    return m.version === GENERATOR_VERSION && m.count === set.count;
  } catch {
    return false;
  }
}

/** The project's seeded PRNG, so generated data match across runs. */
const rng = seededRandom;

interface Base {
  data: Buffer;
  width: number;
  height: number;
}

/** A gradient with soft shapes and sensor-like noise: JPEGs of it have realistic sizes. */
async function makeBase(width: number, height: number, seed: number, sigma: number): Promise<Base> {
  const r = rng(seed * 7919 + 17);
  const hue = Math.floor(r() * 360);
  const shapes = Array.from({ length: 40 }, () => {
    const cx = Math.floor(r() * width);
    const cy = Math.floor(r() * height);
    const rx = Math.floor((0.02 + r() * 0.12) * width);
    const ry = Math.floor((0.01 + r() * 0.1) * height);
    const h = (hue + Math.floor(r() * 120) - 60 + 360) % 360;
    const l = 20 + Math.floor(r() * 45);
    return `<ellipse cx="${cx}" cy="${cy}" rx="${rx}" ry="${ry}" fill="hsl(${h},40%,${l}%)" fill-opacity="0.55"/>`;
  }).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
<defs><linearGradient id="g" x1="0" y1="0" x2="${r().toFixed(2)}" y2="1">
<stop offset="0" stop-color="hsl(${hue},35%,65%)"/>
<stop offset="1" stop-color="hsl(${(hue + 90) % 360},45%,22%)"/></linearGradient></defs>
<rect width="100%" height="100%" fill="url(#g)"/>${shapes}</svg>`;
  const noise = await sharp({
    create: {
      width,
      height,
      channels: 3,
      background: { r: 128, g: 128, b: 128 },
      noise: { type: 'gaussian', mean: 128, sigma },
    },
  })
    .raw()
    .toBuffer();
  const { data, info } = await sharp(Buffer.from(svg), { limitInputPixels: false })
    .composite([{ input: noise, raw: { width, height, channels: 3 }, blend: 'overlay' }])
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** 'YYYY:MM:DD HH:MM:SS' as cameras write it (no zone). */
function exifTime(seconds: number): string {
  const d = new Date(seconds * 1000);
  const p = (x: number) => String(x).padStart(2, '0');
  return `${d.getUTCFullYear()}:${p(d.getUTCMonth() + 1)}:${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

async function generateSet(set: ImageSet): Promise<void> {
  if (isComplete(set)) return;
  const small = set.kind === 'small';
  const baseCount = small ? 16 : 4;
  const marginW = small ? 256 : 200;
  const marginH = small ? 192 : 150;
  log(`generating ${set.count} JPEGs ${set.width}×${set.height} in ${set.dir}`);
  const started = performance.now();
  const bases: Base[] = [];
  for (let b = 0; b < baseCount; b++) {
    bases.push(
      // Noise levels chosen for realistic sizes: ~90–200 kB at 1024×768, ~2.5–4.5 MB at 12 MP.
      await makeBase(
        set.width + marginW,
        set.height + marginH,
        b + (small ? 0 : 1000),
        small ? 6 + (b % 7) : 12 + (b % 4) * 2,
      ),
    );
  }
  let made = 0;
  let skipped = 0;
  await pool(
    Array.from({ length: set.count }, (_, i) => i),
    PARALLELISM,
    async (i) => {
      const spec = fileSpec(set, i);
      if (fs.existsSync(spec.file)) {
        skipped++;
        return;
      }
      const base = bases[i % baseCount] as Base;
      // A distinct window of the base for every image of that base, then per-image changes.
      const j = Math.floor(i / baseCount);
      const left = small ? j % marginW : (j * 4) % marginW;
      const top = small ? (Math.floor(j / marginW) * 37) % marginH : (j * 3) % marginH;
      const r = rng(i * 2654435761 + (small ? 1 : 2));
      const gain = 0.8 + r() * 0.4;
      const overlays: OverlayOptions[] = [];
      // About one frame in five has an "animal" in it; the rest are empty, as on real cards.
      if (r() < 0.2) {
        const w = Math.floor(set.width * (0.15 + r() * 0.2));
        const h = Math.floor(w * 0.6);
        const hue = Math.floor(r() * 60);
        const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">
<ellipse cx="${w * 0.45}" cy="${h * 0.55}" rx="${w * 0.35}" ry="${h * 0.3}" fill="hsl(${hue},35%,30%)"/>
<ellipse cx="${w * 0.82}" cy="${h * 0.35}" rx="${w * 0.12}" ry="${h * 0.14}" fill="hsl(${hue},35%,26%)"/>
<rect x="${w * 0.2}" y="${h * 0.7}" width="${w * 0.05}" height="${h * 0.3}" fill="hsl(${hue},30%,22%)"/>
<rect x="${w * 0.6}" y="${h * 0.7}" width="${w * 0.05}" height="${h * 0.3}" fill="hsl(${hue},30%,22%)"/></svg>`;
        overlays.push({
          input: Buffer.from(svg),
          left: Math.floor(r() * (set.width - w)),
          top: Math.floor(r() * (set.height - h)),
        });
      }
      const event = Math.floor(spec.k / 3);
      const er = rng(spec.card * 100_003 + event);
      const start = Date.UTC(2024, 4, 1 + spec.card, 6, 0, 0) / 1000;
      const taken = start + event * 1800 + Math.floor(er() * 1200) + (spec.k % 3);
      const serial = small
        ? `H600-${String(4200 + spec.card).padStart(5, '0')}`
        : `0${31022000 + spec.card}`;
      let img = sharp(base.data, {
        raw: { width: base.width, height: base.height, channels: 3 },
        limitInputPixels: false,
      })
        .extract({ left, top, width: set.width, height: set.height })
        .linear(gain, 0);
      if (overlays.length > 0) img = img.composite(overlays);
      const out = img.jpeg({ quality: 84 + (i % 7) }).withExif({
        IFD0: small
          ? { Make: 'RECONYX', Model: 'HC600 HYPERFIRE' }
          : { Make: 'Canon', Model: 'Canon EOS 90D' },
        IFD2: { DateTimeOriginal: exifTime(taken), BodySerialNumber: serial },
      });
      await fs.promises.mkdir(path.dirname(spec.file), { recursive: true });
      const part = `${spec.file}.part`;
      await out.toFile(part);
      await fs.promises.rename(part, spec.file);
      made++;
      if ((made + skipped) % 1000 === 0) {
        log(`  ${made + skipped}/${set.count} (${secs(performance.now() - started)})`);
      }
    },
  );
  fs.writeFileSync(
    set.manifest,
    JSON.stringify({ version: GENERATOR_VERSION, count: set.count, made, skipped }),
  );
  log(`  done: ${made} written, ${skipped} already there, ${secs(performance.now() - started)}`);
}

/**
 * Runs one part of the benchmark in a child process (this same script) and returns what it
 * sends back: each part's RSS and maxRSS are then its own, not the sum of what ran before.
 */
function runPart<T>(part: Part, opts: Options, work: string | null): Promise<T> {
  const script = process.argv[1];
  if (!script) throw new Error('Cannot tell which script is running');
  const args = ['--part', part, '--n', String(opts.n), '--big', String(opts.big)];
  args.push('--data', opts.data);
  if (work) args.push('--work', work);
  return new Promise((resolve, reject) => {
    let result: T | undefined;
    const child = fork(script, args, { stdio: 'inherit' });
    child.on('message', (m) => (result = m as T));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code !== 0) reject(new Error(`${part} failed (${signal ?? code})`));
      else if (part !== 'generate' && result === undefined) reject(new Error(`${part}: no result`));
      else resolve(result as T);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Measuring

/** Runs fn over items with at most `limit` in flight (no batches: a free slot takes the next). */

/** Samples RSS every 100 ms into every open window (windows may nest). */
class RssSampler {
  private readonly windows = new Set<{ peak: number }>();
  private timer: NodeJS.Timeout | null = null;

  start(): void {
    this.timer = setInterval(() => this.sample(), 100);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  open(): { peak: number } {
    const w = { peak: 0 };
    this.windows.add(w);
    this.sample();
    return w;
  }

  /** Closes a window; returns its peak. */
  close(w: { peak: number }): number {
    this.sample();
    this.windows.delete(w);
    return w.peak;
  }

  private sample(): void {
    const rss = process.memoryUsage.rss();
    for (const w of this.windows) if (rss > w.peak) w.peak = rss;
  }
}

const rss = new RssSampler();

/** Wall time, CPU use and event-loop use of one stretch of work. */
interface Span {
  seconds: number;
  /** (user + system CPU time) / wall time: how many of the cores were busy on average. */
  cores: number;
  /** Fraction of the wall time the main thread's event loop was busy. */
  eventLoop: number;
  peakRss: number;
}

class SpanClock {
  private readonly t = performance.now();
  private readonly cpu = process.cpuUsage();
  private readonly elu: EventLoopUtilization = performance.eventLoopUtilization();
  private readonly rssWindow = rss.open();

  stop(): Span {
    const ms = performance.now() - this.t;
    const cpu = process.cpuUsage(this.cpu);
    return {
      seconds: ms / 1000,
      cores: (cpu.user + cpu.system) / 1000 / ms,
      eventLoop: performance.eventLoopUtilization(this.elu).utilization,
      peakRss: rss.close(this.rssWindow),
    };
  }
}

async function measure(fn: () => Promise<void>): Promise<Span> {
  const clock = new SpanClock();
  await fn();
  return clock.stop();
}

type PhaseKey = 'scan' | 'read' | 'thumbs' | 'other';

interface Phase extends Span {
  /** The phase's total as the job announced it (images to read or to render). */
  items: number;
  /** The highest done count seen in its events (progress events are throttled). */
  done: number;
}

function phaseKey(detail: string): PhaseKey {
  if (detail.startsWith('Scanning')) return 'scan';
  if (detail === 'Reading images') return 'read';
  if (detail === 'Making thumbnails') return 'thumbs';
  return 'other';
}

/**
 * Cuts the import job's `job:updated` events into phases (by `detail`). A phase ends at the
 * next phase or when the job ends, so the last phase includes the job's final bookkeeping
 * (sequence regrouping).
 */
class PhaseRecorder {
  readonly phases = new Map<PhaseKey, Phase>();
  private current: {
    key: PhaseKey;
    jobId: string;
    clock: SpanClock;
    items: number;
    done: number;
  } | null = null;

  onJob(job: JobInfo): void {
    if (job.kind !== 'import') return;
    const key = job.state === 'running' && job.detail ? phaseKey(job.detail) : null;
    if (this.current && (this.current.key !== key || this.current.jobId !== job.id)) {
      this.close();
    }
    if (key && !this.current) {
      this.current = { key, jobId: job.id, clock: new SpanClock(), items: 0, done: 0 };
    }
    if (this.current) {
      this.current.items = Math.max(this.current.items, job.total);
      this.current.done = Math.max(this.current.done, job.done);
    }
    if (job.state === 'failed') log(`import job failed: ${job.error}`);
  }

  private close(): void {
    const cur = this.current;
    if (!cur) return;
    this.current = null;
    const span = cur.clock.stop();
    const prev = this.phases.get(cur.key);
    if (!prev) {
      this.phases.set(cur.key, { ...span, items: cur.items, done: cur.done });
    } else {
      // The same phase again (the job came back to it): add up, weighting the averages by time.
      const total = prev.seconds + span.seconds;
      prev.cores = (prev.cores * prev.seconds + span.cores * span.seconds) / total;
      prev.eventLoop = (prev.eventLoop * prev.seconds + span.eventLoop * span.seconds) / total;
      prev.seconds = total;
      prev.peakRss = Math.max(prev.peakRss, span.peakRss);
      prev.items += cur.items;
      prev.done += cur.done;
    }
    const what = cur.key === 'scan' ? 'scanned' : `${cur.items} items`;
    log(`  ${cur.key}: ${what} in ${span.seconds.toFixed(2)} s, peak RSS ${mb(span.peakRss)}`);
  }
}

interface ImportResult {
  wall: Span;
  phases: Partial<Record<PhaseKey, Phase>>;
  counts: { total: number; ok: number; broken: number; unsupported: number; pending: number };
}

/** Adds a root to the open project and waits until the import job (and any follow-up) ends. */
async function importRoot(service: OcellusService, folder: string): Promise<ImportResult> {
  const rec = new PhaseRecorder();
  const off = service.bus.on('job:updated', (job) => rec.onJob(job));
  const clock = new SpanClock();
  try {
    await service.api.library.addRoot(folder);
    await service.whenIdle();
  } finally {
    off();
  }
  const wall = clock.stop();
  const counts = await service.api.library.counts();
  if (counts.pending > 0 || counts.ok + counts.broken + counts.unsupported !== counts.total) {
    log(`  warning: import left ${JSON.stringify(counts)}`);
  }
  return { wall, phases: Object.fromEntries(rec.phases), counts };
}

interface RefResult extends Span {
  items: number;
}

/** (a) The index reference: read, sha256, header, EXIF, at `concurrency`. */
async function referenceIndex(files: string[], concurrency: number): Promise<RefResult> {
  let withDate = 0;
  const span = await measure(() =>
    pool(files, concurrency, async (file) => {
      const buf = await fs.promises.readFile(file);
      crypto.createHash('sha256').update(buf).digest('hex');
      const meta = await sharp(buf).metadata();
      const tags = (await exifr.parse(buf)) as Record<string, unknown> | undefined;
      if (meta.width && tags?.['DateTimeOriginal']) withDate++;
    }),
  );
  if (withDate !== files.length) log(`  warning: EXIF date found in ${withDate}/${files.length}`);
  return { ...span, items: files.length };
}

/** (b) The thumbnail reference: one 256 px WebP per image, nothing else. */
async function referenceThumbs(
  files: string[],
  outDir: string,
  concurrency: number,
): Promise<RefResult> {
  fs.mkdirSync(outDir, { recursive: true });
  const span = await measure(() => {
    let i = 0;
    return pool(files, concurrency, async (file) => {
      const target = path.join(outDir, `${i++}.webp`);
      await sharp(file).rotate().resize(256, 256, { fit: 'inside' }).webp().toFile(target);
    });
  });
  return { ...span, items: files.length };
}

/** Reads every file once so both sides start from the same (warm) page cache. */
async function warmPageCache(files: string[]): Promise<number> {
  let bytes = 0;
  await pool(files, 8, async (file) => {
    const buf = await fs.promises.readFile(file);
    bytes += buf.length;
  });
  return bytes;
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

interface FolderSize {
  bytes: number;
  files: number;
}

function folderSize(dir: string): FolderSize {
  let bytes = 0;
  let files = 0;
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        bytes += fs.statSync(p).size;
        files++;
      }
    }
  };
  walk(dir);
  return { bytes, files };
}

// ---------------------------------------------------------------------------------------------
// Output

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function fmtRate(r: number | null): string {
  return r === null ? '–' : `${r.toFixed(1)} img/s`;
}

function ratio(a: number | null, b: number | null): string {
  return a === null || b === null || b === 0 ? '–' : (a / b).toFixed(2);
}

function target(value: number | null, min: number): string {
  if (value === null) return `≥ ${min}`;
  return `≥ ${min} ${value >= min ? 'met' : 'MISSED'}`;
}

// ---------------------------------------------------------------------------------------------
// Main

interface OcellusPart {
  small: ImportResult;
  big: ImportResult | null;
  regroupSeconds: number;
  project: { path: string; main: number; wal: number; shm: number; afterClose: number };
  cache: { dir: string; thumbs: FolderSize; inputs: FolderSize };
  rssAtStart: number;
  peakRss: number;
  maxRss: number;
}

/** Child: imports the small set, then the big set as a second root, through the service. */
async function ocellusPart(small: ImageSet, big: ImageSet, work: string): Promise<OcellusPart> {
  const rssAtStart = process.memoryUsage.rss();
  const all = rss.open();
  const projectPath = path.join(work, 'bench.ocellus');
  const service = createOcellusService({
    host: 'cli',
    appVersion: __OCELLUS_VERSION__,
    appDataDir: path.join(work, 'appdata'),
    defaultProjectDir: work,
    watch: false,
    trackRecent: false,
  });
  await service.api.project.create({ path: projectPath });
  log(`Ocellus: importing ${small.dir}`);
  const ocSmall = await importRoot(service, small.dir);
  if (ocSmall.counts.ok !== small.count) {
    log(`  warning: ${ocSmall.counts.ok} of ${small.count} images imported ok`);
  }
  // The end of the job regroups sequences; time that alone to see what the last phase carries.
  const regroup = await measure(async () => {
    await service.api.library.updateSettings({ sequenceGapSeconds: 60 });
  });
  let ocBig: ImportResult | null = null;
  if (big.count > 0) {
    log(`Ocellus: importing ${big.dir} (second root)`);
    ocBig = await importRoot(service, big.dir);
  }
  const main = fileSize(projectPath);
  const wal = fileSize(`${projectPath}-wal`);
  const shm = fileSize(`${projectPath}-shm`);
  const cacheDir = cacheDirFor(projectPath);
  const cache = {
    dir: cacheDir,
    thumbs: folderSize(path.join(cacheDir, 'thumbs')),
    inputs: folderSize(path.join(cacheDir, 'inputs')),
  };
  const peakRss = rss.close(all);
  const maxRss = process.resourceUsage().maxRSS * 1024;
  await service.dispose();
  const afterClose = fileSize(projectPath) + fileSize(`${projectPath}-wal`);
  return {
    small: ocSmall,
    big: ocBig,
    regroupSeconds: regroup.seconds,
    project: { path: projectPath, main, wal, shm, afterClose },
    cache,
    rssAtStart,
    peakRss,
    maxRss,
  };
}

interface ReferencePart {
  index: RefResult;
  thumbs: RefResult;
  bigIndex: RefResult | null;
  bigThumbs: RefResult | null;
  thumbBytes: number;
  rssAtStart: number;
  peakRss: number;
  maxRss: number;
}

/** Child: the plain loops, on the same files, with concurrency = availableParallelism. */
async function referencePart(small: ImageSet, big: ImageSet, work: string): Promise<ReferencePart> {
  const rssAtStart = process.memoryUsage.rss();
  const all = rss.open();
  const smallFiles = setFiles(small);
  const bigFiles = big.count > 0 ? setFiles(big) : [];
  log(`reference: index loop, concurrency ${PARALLELISM}`);
  const index = await referenceIndex(smallFiles, PARALLELISM);
  log(`  ${index.seconds.toFixed(2)} s`);
  const out = path.join(work, 'reference-thumbs');
  log(`reference: thumbnails 1024×768, concurrency ${PARALLELISM}`);
  const thumbs = await referenceThumbs(smallFiles, path.join(out, 'small'), PARALLELISM);
  log(`  ${thumbs.seconds.toFixed(2)} s`);
  let bigIndex: RefResult | null = null;
  let bigThumbs: RefResult | null = null;
  if (bigFiles.length > 0) {
    log(`reference: index + thumbnails 4000×3000, concurrency ${PARALLELISM}`);
    bigIndex = await referenceIndex(bigFiles, PARALLELISM);
    bigThumbs = await referenceThumbs(bigFiles, path.join(out, 'big'), PARALLELISM);
    log(`  ${bigIndex.seconds.toFixed(2)} s + ${bigThumbs.seconds.toFixed(2)} s`);
  }
  const thumbBytes = folderSize(out).bytes;
  fs.rmSync(out, { recursive: true, force: true });
  return {
    index,
    thumbs,
    bigIndex,
    bigThumbs,
    thumbBytes,
    rssAtStart,
    peakRss: rss.close(all),
    maxRss: process.resourceUsage().maxRSS * 1024,
  };
}

async function child(opts: Options, part: Part, small: ImageSet, big: ImageSet): Promise<void> {
  if (part === 'generate') {
    await generateSet(small);
    if (big.count > 0) await generateSet(big);
    return;
  }
  if (!opts.work) throw new Error('--work is missing');
  rss.start();
  const result =
    part === 'ocellus'
      ? await ocellusPart(small, big, opts.work)
      : await referencePart(small, big, opts.work);
  rss.stop();
  await new Promise<void>((resolve, reject) =>
    process.send
      ? process.send(result, (err: Error | null) => (err ? reject(err) : resolve()))
      : resolve(),
  );
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const small = imageSet(opts.data, 'small', opts.n);
  const big = imageSet(opts.data, 'big', opts.big);
  if (opts.part) return child(opts, opts.part, small, big);

  const genStart = performance.now();
  if (!isComplete(small) || (big.count > 0 && !isComplete(big))) {
    await runPart('generate', opts, null);
  }
  const generationMs = performance.now() - genStart;
  log(`test images ready in ${secs(generationMs)} (generation is not timed)`);

  const runStart = performance.now();
  const loadStart = os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
  const smallFiles = setFiles(small);
  const bigFiles = big.count > 0 ? setFiles(big) : [];
  const smallBytes = await warmPageCache(smallFiles);
  const bigBytes = await warmPageCache(bigFiles);
  log(
    `page cache warmed: ${smallFiles.length} files ${mb(smallBytes)} (avg ${(smallBytes / smallFiles.length / 1024).toFixed(0)} kB)` +
      (bigFiles.length ? `, ${bigFiles.length} big ${mb(bigBytes)}` : ''),
  );

  // A fresh project each run; Ocellus first, then the reference, each in its own process.
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ocellus-bench-run-'));
  const oc = await runPart<OcellusPart>('ocellus', opts, work);
  const ref = await runPart<ReferencePart>('reference', opts, work);
  const runMs = performance.now() - runStart;
  const ocSmall = oc.small;
  const ocBig = oc.big;
  const {
    index: refIndex,
    thumbs: refThumbs,
    bigIndex: refBigIndex,
    bigThumbs: refBigThumbs,
  } = ref;
  const { project, cache } = oc;

  // --- Results
  const p = ocSmall.phases;
  const ocIndexRate = rate(p.read?.items ?? 0, p.read?.seconds);
  const ocThumbRate = rate(p.thumbs?.items ?? 0, p.thumbs?.seconds);
  const ocBigThumbRate = ocBig
    ? rate(ocBig.phases.thumbs?.items ?? 0, ocBig.phases.thumbs?.seconds)
    : null;
  const ocBigIndexRate = ocBig
    ? rate(ocBig.phases.read?.items ?? 0, ocBig.phases.read?.seconds)
    : null;
  const refIndexRate = rate(refIndex.items, refIndex.seconds);
  const refThumbRate = rate(refThumbs.items, refThumbs.seconds);
  const refBigThumbRate = refBigThumbs ? rate(refBigThumbs.items, refBigThumbs.seconds) : null;
  const refBigIndexRate = refBigIndex ? rate(refBigIndex.items, refBigIndex.seconds) : null;
  const busy = (s: Span | null | undefined) =>
    s ? `${s.cores.toFixed(2)} cores, loop ${(s.eventLoop * 100).toFixed(0)}%` : '–';
  const cpuMs = (s: Span | null | undefined, items: number | undefined) =>
    s && items ? (s.cores * s.seconds * 1000) / items : null;
  const fmtMs = (x: number | null) => (x === null ? '–' : `${x.toFixed(1)} ms`);
  /** The two lines under a rate: CPU time per image, and how busy the cores and the loop were. */
  const cost = (oc: Phase | undefined, ref: RefResult | null): string[][] => {
    const a = cpuMs(oc, oc?.items);
    const b = cpuMs(ref, ref?.items);
    return [
      ['  CPU time per image', fmtMs(a), fmtMs(b), ratio(a, b), ''],
      ['  cores busy, event loop busy', busy(oc), busy(ref), '', ''],
    ];
  };
  const nSmall = small.count.toLocaleString('en');

  const rows: string[][] = [
    ['what', 'Ocellus', 'plain reference', 'ratio', 'target'],
    [
      `scan ${nSmall} files (1024×768)`,
      p.scan ? `${p.scan.seconds.toFixed(2)} s` : '–',
      '–',
      '–',
      '',
    ],
    [
      `index 1024×768 (${nSmall})`,
      fmtRate(ocIndexRate),
      fmtRate(refIndexRate),
      ratio(ocIndexRate, refIndexRate),
      target(ocIndexRate, 500),
    ],
    ...cost(p.read, refIndex),
    [
      `thumbnails 1024×768 (${nSmall})`,
      fmtRate(ocThumbRate),
      fmtRate(refThumbRate),
      ratio(ocThumbRate, refThumbRate),
      '',
    ],
    ...cost(p.thumbs, refThumbs),
  ];
  if (ocBig) {
    rows.push(
      [
        `index 4000×3000 (${big.count})`,
        fmtRate(ocBigIndexRate),
        fmtRate(refBigIndexRate),
        ratio(ocBigIndexRate, refBigIndexRate),
        '',
      ],
      ...cost(ocBig.phases.read, refBigIndex),
      [
        `thumbnails 4000×3000 (${big.count})`,
        fmtRate(ocBigThumbRate),
        fmtRate(refBigThumbRate),
        ratio(ocBigThumbRate, refBigThumbRate),
        target(ocBigThumbRate, 40),
      ],
      ...cost(ocBig.phases.thumbs, refBigThumbs),
    );
  }
  const ocWall = ocSmall.wall.seconds + (ocBig?.wall.seconds ?? 0);
  const refWall =
    refIndex.seconds +
    refThumbs.seconds +
    (refBigIndex?.seconds ?? 0) +
    (refBigThumbs?.seconds ?? 0);
  rows.push(
    [
      'import wall time (all phases)',
      `${ocWall.toFixed(1)} s`,
      `${refWall.toFixed(1)} s`,
      ratio(ocWall, refWall),
      '',
    ],
    [
      'peak RSS (sampled every 100 ms)',
      mb(oc.peakRss),
      mb(ref.peakRss),
      ratio(oc.peakRss, ref.peakRss),
      '',
    ],
    [
      'maxRSS (process.resourceUsage)',
      mb(oc.maxRss),
      mb(ref.maxRss),
      ratio(oc.maxRss, ref.maxRss),
      '',
    ],
    ['  RSS when the part started', mb(oc.rssAtStart), mb(ref.rssAtStart), '', ''],
    ['project file + WAL (open)', `${mb(project.main)} + ${mb(project.wal)}`, '–', '', ''],
    ['project file after close', mb(project.afterClose), '–', '', ''],
    [
      'cache folder (thumbs + inputs)',
      `${mb(cache.thumbs.bytes)} + ${mb(cache.inputs.bytes)}`,
      `${mb(ref.thumbBytes)} thumbs only`,
      '',
      '',
    ],
  );

  const notes = [
    `ratio = Ocellus ÷ reference: for rates below 1 means Ocellus is slower; for times, CPU and sizes above 1 means Ocellus takes more. ` +
      `CPU time = user + system of the whole process. Load average ${loadStart} at start, ${os
        .loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')} at end (other work on the machine skews wall times, less so CPU time). ` +
      `${os.cpus().length} CPUs, availableParallelism ${PARALLELISM}, sharp concurrency ${sharp.concurrency()}, UV_THREADPOOL_SIZE ${process.env['UV_THREADPOOL_SIZE'] ?? '4 (default)'}.`,
    `Ocellus rates are per phase, timed from its job:updated events; the last phase (thumbnails) runs until the job ends, which includes regrouping sequences (${(oc.regroupSeconds * 1000).toFixed(0)} ms when run alone for ${nSmall} images).`,
    `The thumbnail reference writes only a 256 px WebP (default effort); Ocellus reads each file once and writes a 256 px WebP (effort 0) AND the exact network input (224×224 centre crop, lossless PNG), each decoded from that buffer with shrink-on-load.`,
    `The index reference runs exifr.parse(buf) with default options on the whole file; Ocellus parses the EXIF block sharp found. Both hash the whole file with sha256.`,
    `Project opened with watch: false (no chokidar watcher), as the CLI does. Page cache warmed before timing; Ocellus ran first, then the reference, each in its own child process (so RSS and maxRSS are each side's own).`,
    `Generation ${secs(generationMs)} (0 when cached), benchmark run ${secs(runMs)}.`,
  ];

  const result = {
    n: small.count,
    big: big.count,
    data: opts.data,
    parallelism: PARALLELISM,
    generationSeconds: generationMs / 1000,
    runSeconds: runMs / 1000,
    rates: {
      ocellus: {
        index: ocIndexRate,
        thumbs: ocThumbRate,
        bigIndex: ocBigIndexRate,
        bigThumbs: ocBigThumbRate,
      },
      reference: {
        index: refIndexRate,
        thumbs: refThumbRate,
        bigIndex: refBigIndexRate,
        bigThumbs: refBigThumbRate,
      },
    },
    targets: {
      index: { min: 500, value: ocIndexRate, met: (ocIndexRate ?? 0) >= 500 },
      bigThumbs: { min: 40, value: ocBigThumbRate, met: (ocBigThumbRate ?? 0) >= 40 },
    },
    ocellus: oc,
    reference: ref,
    kept: opts.keep ? project.path : null,
  };

  if (opts.keep) log(`project kept: ${project.path} (cache ${cache.dir})`);
  else fs.rmSync(work, { recursive: true, force: true });

  if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else
    process.stdout.write(
      `\n${table(rows, { lastLeft: false })}\n\n${notes.map((n) => `- ${n}`).join('\n')}\n`,
    );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
