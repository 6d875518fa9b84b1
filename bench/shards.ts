/**
 * `npm run bench:shards [-- --images 400 --size 640x480 --records 1000000 --manifest-lines 10000000]`:
 * sharded prediction on this machine, side by side in one run.
 *
 * 1. Images/s of `ocellus predict --manifest` in 1, 2 and 4 shards as local processes
 *    (`--local-shards`) and as a SLURM job array (`sbatch --wait`, where scripts/slurm-start.sh
 *    brings up a single-node cluster), against one plain `ocellus predict <folder>` (the
 *    reference). A MobileNetV2 bundle (224 px, the Keras model inside nsfwjs).
 * 2. Merging 1 M synthetic records (4 shard files) into a project holding the images they
 *    name: time and peak memory, against reading and parsing the same files alone.
 * 3. Streaming a manifest of 10 M lines into shard counts: time and peak memory.
 */
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { parseArgs, promisify } from 'node:util';
import Database from 'better-sqlite3';
import { shardTotals } from '../src/main/core/cluster/slurm-jobs';
import { createOcellusService } from '../src/main/core/service';
import { fmtRate, log, mb, table } from './lib/measure';
import { makeBundle, writePhoto } from './lib/predict-bundle';

const run = promisify(execFile);
const CLI = path.resolve('out', 'main', 'cli.js');
const SHARDS = [1, 2, 4];

function options() {
  const { values } = parseArgs({
    options: {
      images: { type: 'string', default: '400' },
      size: { type: 'string', default: '640x480' },
      records: { type: 'string', default: '1000000' },
      'manifest-lines': { type: 'string', default: '10000000' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'usage: npm run bench:shards -- [--images N] [--size WxH] [--records N] [--manifest-lines N]\n',
    );
    process.exit(0);
  }
  const [width, height] = values.size.split('x').map(Number);
  return {
    images: Number(values.images),
    width: width ?? 640,
    height: height ?? 480,
    records: Number(values.records),
    manifestLines: Number(values['manifest-lines']),
  };
}

/** Peak resident memory while `fn` runs (sampled every 50 ms), and its wall seconds. */
async function peak<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number; rss: number }> {
  let rss = process.memoryUsage().rss;
  const timer = setInterval(() => (rss = Math.max(rss, process.memoryUsage().rss)), 50);
  const started = performance.now();
  try {
    const value = await fn();
    rss = Math.max(rss, process.memoryUsage().rss);
    return { value, seconds: (performance.now() - started) / 1000, rss };
  } finally {
    clearInterval(timer);
  }
}

async function wall(cmd: string, args: string[], cwd: string): Promise<number> {
  const started = performance.now();
  await run(cmd, args, { cwd, maxBuffer: 1 << 26 });
  return (performance.now() - started) / 1000;
}

/** Seconds from sbatch until the array leaves the queue (polled every 100 ms: sbatch --wait backs off to tens of seconds). */
async function slurmWall(script: string): Promise<number> {
  const started = performance.now();
  const job = (await run('sbatch', ['--parsable', script])).stdout.trim();
  while ((await run('squeue', ['-h', '-j', job])).stdout.trim() !== '')
    await new Promise((r) => setTimeout(r, 100));
  return (performance.now() - started) / 1000;
}

async function slurmReady(): Promise<string | null> {
  try {
    await run('bash', ['scripts/slurm-start.sh']);
    return null;
  } catch (err) {
    return ((err as { stdout?: string }).stdout ?? String(err)).trim();
  }
}

/** Images/s per way of running the same manifest. */
async function throughput(work: string, n: number): Promise<string[][]> {
  const bundle = await makeBundle(work);
  const manifest = path.join(work, 'files.txt');
  const images = path.join(work, 'images');
  fs.writeFileSync(
    manifest,
    fs
      .readdirSync(images)
      .map((f) => path.join(images, f))
      .join('\n'),
  );
  const node = process.execPath;
  const rows: string[][] = [];
  const add = (name: string, seconds: number) =>
    rows.push([name, fmtRate(n / seconds), `${seconds.toFixed(1)} s`]);
  log('one plain ocellus predict (reference)');
  add(
    'ocellus predict <folder>, one process (reference)',
    await wall(node, [CLI, 'predict', bundle, images, '--out', 'p.csv'], work),
  );
  for (const k of SHARDS) {
    log(`${k} local shard(s)`);
    add(
      `--local-shards ${k}`,
      await wall(
        node,
        [
          CLI,
          'predict',
          bundle,
          '--manifest',
          manifest,
          '--local-shards',
          String(k),
          '--out',
          `local-${k}`,
        ],
        work,
      ),
    );
  }
  const why = await slurmReady();
  for (const k of SHARDS) {
    if (why) {
      rows.push([`SLURM array of ${k}`, '–', why]);
      continue;
    }
    log(`SLURM array of ${k}`);
    const out = path.join(work, `slurm-${k}`);
    await run(node, [
      CLI,
      'cluster',
      'slurm',
      bundle,
      '--manifest',
      manifest,
      '--shards',
      String(k),
      '--out',
      out,
      '--cpus',
      String(Math.max(1, Math.floor(os.availableParallelism() / k))),
    ]);
    add(
      `SLURM array of ${k}, submit to last task done`,
      await slurmWall(path.join(out, 'predict-array.sh')),
    );
  }
  return rows;
}

/** A project whose images carry the hashes of `count` synthetic records, and the shard files. */
async function syntheticMerge(
  work: string,
  count: number,
): Promise<{ project: string; files: string[] }> {
  const project = path.join(work, 'merge.ocellus');
  const service = createOcellusService({
    host: 'cli',
    appVersion: 'bench',
    appDataDir: path.join(work, 'appdata'),
    defaultProjectDir: work,
    watch: false,
    trackRecent: false,
  });
  await service.api.project.create({ path: project, name: 'Merge' });
  await service.api.labels.addClass('empty');
  await service.api.labels.addClass('deer');
  await service.dispose();
  const db = new Database(project);
  const root = db
    .prepare("INSERT INTO roots (path, added_at) VALUES (?, '2026-01-01')")
    .run('/data/season').lastInsertRowid;
  const insert = db.prepare(
    "INSERT INTO images (root_id, rel_path, status, hash, imported_at) VALUES (?, ?, 'ok', ?, '2026-01-01')",
  );
  const hash = (i: number) => crypto.createHash('sha256').update(String(i)).digest('hex');
  db.transaction(() => {
    for (let i = 0; i < count; i++) insert.run(root, `cam${i % 50}/IMG_${i}.jpg`, hash(i));
  })();
  db.close();
  const files = [0, 1, 2, 3].map((s) => path.join(work, `shard-${s}-of-4.jsonl`));
  const fds = files.map((f) => fs.openSync(f, 'w'));
  let chunk: string[] = ['', '', '', ''];
  for (let i = 0; i < count; i++) {
    const p = ((i * 7919) % 1000) / 1000;
    chunk[i % 4] +=
      `${JSON.stringify({ path: `/data/season/cam${i % 50}/IMG_${i}.jpg`, sha256: hash(i), label: p < 0.5 ? 'deer' : 'empty', confidence: Math.max(p, 1 - p), probabilities: { deer: 1 - p, empty: p }, decision: null, error: null })}\n`;
    if (i % 10_000 === 9_999) {
      chunk.forEach((c, s) => fs.writeSync(fds[s]!, c));
      chunk = ['', '', '', ''];
    }
  }
  chunk.forEach((c, s) => fs.writeSync(fds[s]!, c));
  fds.forEach((fd) => fs.closeSync(fd));
  return { project, files };
}

async function merge(work: string, count: number): Promise<string[][]> {
  log(`writing ${count} synthetic records and a project with their images`);
  const { project, files } = await syntheticMerge(work, count);
  log('reading and parsing the records alone (reference), in a child process');
  const plain = await child(['parse', ...files]);
  log('import-predictions, in a child process');
  const merged = await child(['merge', project, ...files]);
  if (merged.count !== count) throw new Error(`matched ${merged.count} of ${count}`);
  return [
    [
      `import-predictions, ${count} records in 4 shards`,
      `${merged.seconds.toFixed(1)} s`,
      fmtRate(count / merged.seconds),
      mb(merged.maxRss),
    ],
    [
      'read + JSON.parse the same files (reference)',
      `${plain.seconds.toFixed(1)} s`,
      fmtRate(plain.count / plain.seconds),
      mb(plain.maxRss),
    ],
  ];
}

async function manifestScan(work: string, lines: number): Promise<string[][]> {
  log(`writing a manifest of ${lines} lines`);
  const file = path.join(work, 'big-manifest.txt');
  const fd = fs.openSync(file, 'w');
  for (let i = 0; i < lines; i += 100_000) {
    let chunk = '';
    for (let j = i; j < Math.min(lines, i + 100_000); j++)
      chunk += `/data/season/cam${j % 50}/IMG_${j}.jpg\n`;
    fs.writeSync(fd, chunk);
  }
  fs.closeSync(fd);
  const scan = await child(['scan', file]);
  const wc = await peak(async () => (await run('wc', ['-l', file])).stdout);
  fs.rmSync(file);
  return [
    [
      `manifest of ${lines} lines into 64 shard counts`,
      `${scan.seconds.toFixed(1)} s`,
      fmtRate(lines / scan.seconds),
      mb(scan.maxRss),
    ],
    [
      'wc -l of the same file (reference)',
      `${wc.seconds.toFixed(1)} s`,
      fmtRate(lines / wc.seconds),
      '–',
    ],
  ];
}

interface ChildResult {
  count: number;
  seconds: number;
  /** Peak resident memory of the whole child process. */
  maxRss: number;
}

/** Runs one streaming measurement in a fresh process, so its peak memory is its own. */
async function child(args: string[]): Promise<ChildResult> {
  const { stdout } = await run(process.execPath, [process.argv[1] ?? '', '--child', ...args], {
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout) as ChildResult;
}

/** The child side: `--child parse|merge|scan …`. */
async function childMain(what: string, args: string[]): Promise<void> {
  const started = performance.now();
  let count = 0;
  if (what === 'parse') {
    for (const f of args)
      for await (const line of readline.createInterface({
        input: fs.createReadStream(f),
        crlfDelay: Infinity,
      }))
        if (JSON.parse(line)) count++;
  } else if (what === 'merge') {
    const [project, ...files] = args;
    const work = path.dirname(project ?? '.');
    const service = createOcellusService({
      host: 'cli',
      appVersion: 'bench',
      appDataDir: path.join(work, 'appdata'),
      defaultProjectDir: work,
      watch: false,
      trackRecent: false,
    });
    await service.api.project.open(project ?? '');
    count = (await service.api.predict.importRecords({ files, name: 'bench' })).matched;
    await service.dispose();
  } else {
    count = (await shardTotals(args[0] ?? '', 64)).reduce((a, b) => a + b, 0);
  }
  const result: ChildResult = {
    count,
    seconds: (performance.now() - started) / 1000,
    maxRss: process.resourceUsage().maxRSS * 1024,
  };
  process.stdout.write(JSON.stringify(result));
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') {
    await childMain(process.argv[3] ?? '', process.argv.slice(4));
    return;
  }
  const opts = options();
  if (!fs.existsSync(CLI)) throw new Error('out/main/cli.js is missing: run npm run build first');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ocellus-bench-shards-'));
  try {
    log(`writing ${opts.images} JPEGs of ${opts.width}×${opts.height}`);
    for (let i = 0; i < opts.images; i++)
      await writePhoto(
        path.join(work, 'images', `${String(i).padStart(5, '0')}.jpg`),
        opts.width,
        opts.height,
        i,
      );
    const load = os.loadavg()[0] ?? 0;
    const rates = await throughput(work, opts.images);
    const merged = await merge(work, opts.records);
    const scanned = await manifestScan(work, opts.manifestLines);
    process.stdout.write(
      `\n${opts.images} JPEGs of ${opts.width}×${opts.height}, MobileNetV2 224 px, ${os.availableParallelism()} cores, load average ${load.toFixed(1)} at the start\n\n` +
        `${table([['how', 'images/s', 'wall'], ...rates])}\n\n` +
        `${table([['streaming', 'time', 'records/s', 'peak RSS'], ...merged, ...scanned])}\n`,
    );
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
