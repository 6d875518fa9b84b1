import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { labelCounter } from '../labels/label-counts';
import { isImagePath, mayBeDicomPath } from './image-formats';
import { hasDicomPreamble } from './dicom';
import { ImageTable } from './image-table';
import { scanRoot, type ScanEntry, type ScanProblem } from './scanner';

interface KnownRow {
  id: number;
  size: number | null;
  mtime_ms: number | null;
  missing: number;
  status: string;
  error: string | null;
}

/** Writes what is on disk for some files of a root: new and changed files become pending. */
export class FileRecorder {
  private readonly find: Database.Statement;
  private readonly images: ImageTable;

  constructor(private readonly db: Database.Database) {
    this.find = db.prepare(
      'SELECT id, size, mtime_ms, missing, status, error FROM images WHERE root_id = ? AND rel_path = ? AND frame = 0',
    );
    this.images = new ImageTable(db);
  }

  /** Records a batch in one transaction; returns how many rows became pending. */
  record(rootId: number, entries: readonly ScanEntry[]): number {
    const now = new Date().toISOString();
    let changed = 0;
    this.db.transaction(() => {
      for (const e of entries) {
        const row = this.find.get(rootId, e.relPath) as KnownRow | undefined;
        const mtime = Math.round(e.mtimeMs);
        if (e.unsupported !== undefined) {
          // Never read, so never pending: the reason is known from the directory entry.
          if (!row) this.images.insertUnsupported(rootId, e.relPath, e.unsupported, mtime, now);
          else if (
            row.missing === 1 ||
            row.status !== 'unsupported' ||
            row.error !== e.unsupported
          ) {
            this.images.markUnsupported(row.id, e.unsupported, mtime);
            this.images.markFramesMissing(row.id, 1);
          } else continue;
          changed++;
        } else if (!row) {
          this.images.insertPending(rootId, e.relPath, e.size, mtime, now);
          changed++;
        } else if (row.missing === 1 || row.size !== e.size || row.mtime_ms !== mtime) {
          this.images.repend(row.id, e.size, mtime);
          changed++;
        }
      }
    })();
    if (changed > 0) labelCounter(this.db).invalidate();
    return changed;
  }

  /** Marks files of a root as gone (kept as missing, so labels survive a move). */
  markMissing(rootId: number, relPaths: readonly string[]): number {
    let n = 0;
    this.db.transaction(() => {
      for (const p of relPaths) n += this.images.markMissing(rootId, p);
    })();
    if (n > 0) labelCounter(this.db).invalidate();
    return n;
  }

  /** Marks every file under a folder of a root as gone. */
  markFolderMissing(rootId: number, folder: string): number {
    const n = this.images.markFolderMissing(rootId, folder);
    if (n > 0) labelCounter(this.db).invalidate();
    return n;
  }
}

export interface ReconcileResult {
  /** False when the root folder is not there (unplugged drive): nothing was marked missing. */
  rootPresent: boolean;
  seen: number;
  pending: number;
  missing: number;
  problems: ScanProblem[];
}

/**
 * Brings the project in line with a root folder on disk: every image file is recorded,
 * changed ones re-read, vanished ones marked missing. A cancelled scan marks nothing missing.
 */
export async function reconcileRoot(
  db: Database.Database,
  rootId: number,
  rootPath: string,
  signal: AbortSignal,
  onProgress: (seen: number) => void,
): Promise<ReconcileResult> {
  const result: ReconcileResult = {
    rootPresent: true,
    seen: 0,
    pending: 0,
    missing: 0,
    problems: [],
  };
  if (!isFolder(rootPath)) return { ...result, rootPresent: false };
  const recorder = new FileRecorder(db);
  const seen = new Set<string>();
  for await (const found of scanRoot(rootPath, {
    isCandidate: (rel) => isImagePath(rel) || mayBeDicomPath(rel),
    signal,
    onProblem: (p) => result.problems.push(p),
  })) {
    if (signal.aborted) return result;
    const batch = await withoutNonDicom(found, rootPath);
    for (const e of batch) seen.add(e.relPath);
    result.pending += recorder.record(rootId, batch);
    result.seen = seen.size;
    onProgress(result.seen);
  }
  if (signal.aborted) return result;
  // In chunks, giving way between them: a root of a million files must not hold the
  // database (and every label write waiting for it) for the whole comparison.
  const known = db.prepare(
    'SELECT rel_path FROM images WHERE root_id = ? AND missing = 0 AND rel_path > ? ORDER BY rel_path LIMIT ?',
  );
  let after = '';
  for (;;) {
    const rows = known.raw().all(rootId, after, GONE_CHUNK) as [string][];
    if (rows.length === 0) break;
    after = rows[rows.length - 1]?.[0] ?? after;
    const gone = rows.map((r) => r[0]).filter((p) => !seen.has(p));
    if (gone.length) result.missing += recorder.markMissing(rootId, gone);
    await new Promise((r) => setImmediate(r));
    if (signal.aborted) return result;
  }
  return result;
}

const GONE_CHUNK = 5000;

/** The batch without its extensionless files that are not DICOM (README, LICENSE…). */
async function withoutNonDicom(batch: ScanEntry[], rootPath: string): Promise<ScanEntry[]> {
  const keep = await Promise.all(
    batch.map(
      (e) =>
        isImagePath(e.relPath) ||
        (e.unsupported === undefined &&
          hasDicomPreamble(path.join(rootPath, ...e.relPath.split('/')), [rootPath])),
    ),
  );
  return batch.filter((_, i) => keep[i]);
}

function isFolder(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}
