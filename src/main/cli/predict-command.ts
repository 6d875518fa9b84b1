import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { OcellusError } from '../../shared/errors';
import {
  boxPredictionLine,
  boxPredictionsHeader,
  predictionLine,
  predictionsHeader,
} from '../../shared/predictions-csv';
import type {
  ImagePrediction,
  ManifestPredictResult,
  PredictSource,
  ShardSpec,
} from '../../shared/types';
import { shardFileName } from '../core/cluster/slurm-script';
import { writeNewFileWith } from '../core/util/fs-atomic';
import type { OcellusService } from '../core/service';
import { usageError, type CliIo } from './cli-io';
import { openToRead } from './open-project';
import { nothingPredicted } from '../core/library/image-check';
import { makeDirs } from '../core/util/make-dirs';
import { refuseUnfinished } from '../core/export/out-dir';

const USAGE =
  'usage: ocellus predict <bundle-dir|project.ocellus> <images or folders…> [--out predictions.csv]\n' +
  '   or: ocellus predict <bundle-dir|project.ocellus> --manifest <files.txt|folder> [--shard i/N] --out <file.jsonl> [--resume]\n' +
  '   or: ocellus predict <bundle-dir|project.ocellus> --manifest <files.txt|folder> --local-shards N --out <dir> [--resume]';

const OPTIONS = {
  run: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  'batch-size': { type: 'string' },
  manifest: { type: 'string' },
  shard: { type: 'string' },
  resume: { type: 'boolean' },
  'local-shards': { type: 'string' },
  progress: { type: 'boolean' },
} as const;

/**
 * `ocellus predict`: image files to CSV (or JSON) as before, or a manifest (one shard of it,
 * or N shards as local processes) to JSON Lines. Every path goes through the contract.
 */
export async function predict(service: OcellusService, args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: OPTIONS });
  const [source, ...inputs] = positionals;
  const manifest = values.manifest;
  if (!source) throw new OcellusError('INVALID_ARGUMENT', USAGE);
  if (manifest !== undefined && inputs.length > 0)
    throw usageError('give images or --manifest, not both');
  if (manifest === undefined && inputs.length === 0)
    throw usageError(
      `no images to predict: name files or folders after ${source}, or a --manifest`,
    );
  const batchSize =
    values['batch-size'] === undefined ? 16 : positiveInt(values['batch-size'], '--batch-size');
  const outNeeded =
    'with --manifest, --out names where the predictions go (a .jsonl file, or a folder for --local-shards)';
  if (manifest !== undefined && values['local-shards'] !== undefined) {
    if (!values.out) throw usageError(outNeeded);
    return localShards(args, positiveInt(values['local-shards'], '--local-shards'), io);
  }
  const from = await sourceOf(service, source, values.run);
  if (manifest === undefined) {
    const run = (write: (text: string) => void) =>
      predictFiles(service, from, inputs, { ...values, write }, batchSize, io);
    // A new file, published whole at the end: an existing one is refused, never replaced.
    if (values.out === undefined) return run((text) => io.stdout(text));
    return writeNewFileWith(path.resolve(values.out), (file) => run((text) => file.write(text)));
  }
  if (!values.out) throw usageError(outNeeded);
  const shard = values.shard === undefined ? undefined : parseShard(values.shard);
  const tty = process.stderr.isTTY === true;
  const stop = followProgress(service, io, tty, values.progress === true);
  try {
    const r = await service.api.predict.manifest({
      source: from,
      manifest: path.resolve(manifest),
      out: path.resolve(values.out),
      shard,
      resume: values.resume === true,
      batchSize,
    });
    stop();
    if (values.json) io.stdout(`${JSON.stringify(r, null, 2)}\n`);
    io.stderr(`${tty ? '\r\x1b[K' : ''}${manifestSummary(r)}\n`);
    return 0;
  } finally {
    stop();
  }
}

/**
 * The last line of a manifest run: files and the rows written for them (a multi-frame DICOM
 * writes a row per frame), each with its rate, so the figures match the output file.
 */
export function manifestSummary(r: ManifestPredictResult): string {
  const per = (n: number) => (n / Math.max(r.seconds, 1e-3)).toFixed(1);
  const resumed = r.resumed ? `, ${r.resumed} rows already there (resumed)` : '';
  const errors = r.errors ? `, ${r.errors} unreadable` : '';
  return `${r.files} files, ${r.written} rows in ${r.seconds.toFixed(1)} s (${per(r.files)} files/s, ${per(r.written)} rows/s)${resumed}${errors}, on ${r.engine === 'onnx' ? 'ONNX Runtime' : 'TF.js'} → ${r.out}`;
}

/** `--shard i/N` (0 ≤ i < N). */
export function parseShard(text: string): ShardSpec {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index >= count)
    throw new OcellusError('INVALID_ARGUMENT', `--shard must be i/N with 0 ≤ i < N, not ${text}`);
  return { index, count };
}

function positiveInt(text: string, name: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new OcellusError('INVALID_ARGUMENT', `${name} must be a whole number ≥ 1, not ${text}`);
  return n;
}

/** A bundle folder (it has labels.json), else a project file opened read-only. */
async function sourceOf(
  service: OcellusService,
  source: string,
  run: string | undefined,
): Promise<PredictSource> {
  // A bundle whose export was killed may hold labels.json and a model, but not all of it.
  refuseUnfinished(source);
  if (fs.existsSync(path.join(source, 'labels.json'))) {
    // A bundle is one run already: a --run it would ignore is a mistake worth saying.
    if (run !== undefined)
      throw new OcellusError(
        'INVALID_ARGUMENT',
        '--run picks a run of a project; a bundle is one run',
      );
    return { bundle: path.resolve(source) };
  }
  await openToRead(service, source);
  return { runId: run === undefined ? undefined : positiveInt(run, '--run') };
}

async function predictFiles(
  service: OcellusService,
  from: PredictSource,
  inputs: string[],
  values: { json?: boolean; out?: string; write: (text: string) => void },
  batchSize: number,
  io: CliIo,
): Promise<number> {
  const predictor = await service.api.predict.open(from);
  const { classes } = predictor;
  const files = await service.api.predict.files(inputs.map((p) => path.resolve(p)));
  const out = values.write;
  const tty = process.stderr.isTTY === true;
  const started = Date.now();
  const all: ImagePrediction[] = [];
  let errors = 0;
  const decides = predictor.decides;
  // A frame column only when some file has several frames: other outputs stay as they were.
  const framed = files.some((f) => typeof f !== 'string');
  const header = predictor.detects
    ? boxPredictionsHeader(classes, decides, framed)
    : predictionsHeader(classes, decides, framed);
  const line = (row: ImagePrediction) =>
    predictor.detects
      ? boxPredictionLine(row, classes, decides, framed)
      : predictionLine(row, classes, decides, framed);
  if (!values.json) out(header);
  try {
    for (let i = 0; i < files.length; i += batchSize) {
      const rows = await service.api.predict.images(predictor.id, files.slice(i, i + batchSize));
      for (const row of rows) {
        if (row.error) errors++;
        if (values.json) all.push(row);
        else out(line(row));
      }
      if (tty) io.stderr(`\r\x1b[K${Math.min(i + batchSize, files.length)}/${files.length} images`);
    }
  } finally {
    await service.api.predict.close(predictor.id);
  }
  if (values.json)
    out(
      `${JSON.stringify(
        all.map((r) => ({
          path: r.path,
          ...(r.frame === undefined ? {} : { frame: r.frame }),
          ...(predictor.detects
            ? {
                box: r.box ?? null,
                detection: r.detection ?? null,
                detectionConfidence: r.detectionConfidence ?? null,
              }
            : {}),
          label: r.label || null,
          confidence: r.confidence,
          probabilities: r.probabilities
            ? Object.fromEntries(classes.map((c, k) => [c, r.probabilities?.[k] ?? null]))
            : null,
          ...(decides ? { decision: r.decision ?? null } : {}),
          error: r.error,
        })),
        null,
        2,
      )}\n`,
    );
  const seconds = (Date.now() - started) / 1000;
  io.stderr(
    `${tty ? '\r\x1b[K' : ''}${files.length} images in ${seconds.toFixed(1)} s (${(files.length / Math.max(seconds, 1e-3)).toFixed(1)} images/s)${errors ? `, ${errors} unreadable` : ''}, on ${predictor.engine === 'onnx' ? 'ONNX Runtime' : 'TF.js'}\n`,
  );
  const nothing = nothingPredicted(files.length, errors);
  if (nothing) io.stderr(`ocellus predict: ${nothing}\n`);
  if (nothing && values.out) io.stderr(`ocellus predict: ${values.out} holds those rows\n`);
  return nothing ? 1 : 0;
}

/** Echoes a manifest job's progress: in place on a terminal, a line every few seconds in a log. */
function followProgress(
  service: OcellusService,
  io: CliIo,
  tty: boolean,
  log: boolean,
): () => void {
  if (!tty && !log) return () => {};
  let last = 0;
  return service.bus.on('job:updated', (j) => {
    if (j.kind !== 'predict-manifest' || j.state !== 'running') return;
    const now = Date.now();
    if (!tty && now - last < 5000 && j.done < j.total) return;
    last = now;
    // The job counts files (manifest lines), whatever rows their frames make.
    const rate = j.rate ? ` ${j.rate.toFixed(1)} files/s` : '';
    io.stderr(
      tty ? `\r\x1b[K${j.done}/${j.total} files${rate}` : `${j.done}/${j.total} files${rate}\n`,
    );
  });
}

/**
 * `--local-shards N`: the same shards a cluster would run, as N local processes of this CLI,
 * each writing `<out>/shard-i-of-N.jsonl` with `--resume` (so running it again finishes them).
 */
async function localShards(args: string[], count: number, io: CliIo): Promise<number> {
  const cli = process.argv[1];
  if (!cli) throw new OcellusError('INTERNAL', 'Cannot tell where this CLI runs from');
  const { values } = parseArgs({ args, allowPositionals: true, options: OPTIONS });
  const dir = path.resolve(values.out ?? '.');
  makeDirs(dir);
  const passOn = args.filter((_, i) => !isOwnOption(args, i));
  const started = Date.now();
  const threads = Math.max(1, Math.floor(os.availableParallelism() / count));
  const codes = await Promise.all(
    Array.from({ length: count }, (_, i) => {
      const child = spawn(
        process.execPath,
        [
          cli,
          'predict',
          ...passOn,
          '--shard',
          `${i}/${count}`,
          '--out',
          path.join(dir, shardFileName(i, count)),
          '--resume',
        ],
        {
          stdio: ['ignore', 'ignore', 'pipe'],
          // The shards share this machine's cores instead of each taking all of them.
          env: { ...process.env, OCELLUS_THREADS: String(threads) },
        },
      );
      child.stderr.on('data', (d: Buffer) => io.stderr(`[shard ${i}/${count}] ${d.toString()}`));
      return new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
    }),
  );
  const failed = codes.filter((c) => c !== 0).length;
  io.stderr(
    `${count - failed} of ${count} shards done in ${((Date.now() - started) / 1000).toFixed(1)} s → ${dir}\n`,
  );
  return failed ? 1 : 0;
}

/** The options `--local-shards` sets for each child itself (and their values). */
function isOwnOption(args: string[], i: number): boolean {
  const own = ['--local-shards', '--out', '--shard'];
  const a = args[i] ?? '';
  if (own.some((o) => a === o || a.startsWith(`${o}=`)) || a === '--resume') return true;
  const prev = args[i - 1] ?? '';
  return own.includes(prev);
}
