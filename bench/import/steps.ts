/**
 * The import benchmark's steps: an Ocellus import, the plain reference loops, file and folder
 * sizes.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import exifr from 'exifr';
import sharp from 'sharp';
import { log, pool } from '../lib/measure';
import type { OcellusService } from '../../src/main/core/service';
import { type Span, SpanClock, measure, type PhaseKey, type Phase, PhaseRecorder } from './measure';

export interface ImportResult {
  wall: Span;
  phases: Partial<Record<PhaseKey, Phase>>;
  counts: { total: number; ok: number; broken: number; unsupported: number; pending: number };
}

/** Adds a root to the open project and waits until the import job (and any follow-up) ends. */
export async function importRoot(service: OcellusService, folder: string): Promise<ImportResult> {
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

export interface RefResult extends Span {
  items: number;
}

/** (a) The index reference: read, sha256, header, EXIF, at `concurrency`. */
export async function referenceIndex(files: string[], concurrency: number): Promise<RefResult> {
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
export async function referenceThumbs(
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
export async function warmPageCache(files: string[]): Promise<number> {
  let bytes = 0;
  await pool(files, 8, async (file) => {
    const buf = await fs.promises.readFile(file);
    bytes += buf.length;
  });
  return bytes;
}

export function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

export interface FolderSize {
  bytes: number;
  files: number;
}

export function folderSize(dir: string): FolderSize {
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
