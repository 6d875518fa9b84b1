import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { IndexedLabels } from '../labels/indexed-labels';
import { labelCounter } from '../labels/label-counts';
import { writePreview } from './embedded-preview';
import { frameHash } from './frames';
import { ImageTable, type ProbedRow } from './image-table';
import { fileMetadataWriter } from './image-metadata';
import type { RootRow } from './library-db';
import { probeImage, type ProbeResult } from './probe';
import { followContent, type ReadFile } from './content-moves';

const BATCH = 128;
const CONCURRENCY = 8;
/** Rows read with a batch beyond it, as the other ends of content that moved. */
const MAX_JOINED = 1024;

interface PendingRow {
  id: number;
  root_id: number;
  rel_path: string;
}

/**
 * Reads every pending image: content hash, header metadata and EXIF. Files that moved
 * (same content as a missing image) take over the missing row, so their labels follow them.
 */
export class Indexer {
  private readonly selectPending: Database.Statement;
  private readonly countPending: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    private readonly rootPath: (rootId: number) => string,
    private readonly labelMode: () => 'single' | 'multi',
    /** Where the embedded preview of some content goes; none written without it. */
    private readonly previewFile?: (hash: string) => string,
  ) {
    this.selectPending = db.prepare(
      "SELECT id, root_id, rel_path FROM images WHERE status = 'pending' AND missing = 0 AND frame = 0 AND id > ? ORDER BY id LIMIT ?",
    );
    this.countPending = db.prepare(
      "SELECT COUNT(*) AS n FROM images WHERE status = 'pending' AND missing = 0 AND frame = 0",
    );
  }

  /** How many images wait to be read. */
  pendingCount(): number {
    return (this.countPending.get() as { n: number }).n;
  }

  /** Reads pending images until none are left or `shouldStop` says so; reports each batch. */
  async run(shouldStop: () => boolean, onBatch: (done: number) => void): Promise<void> {
    let lastId = 0;
    let done = 0;
    for (;;) {
      if (shouldStop()) return;
      const rows = this.selectPending.all(lastId, BATCH) as PendingRow[];
      if (rows.length === 0) return;
      lastId = rows[rows.length - 1]?.id ?? lastId;
      const results = await this.probeAll(rows);
      await this.joinContentSources(rows, results);
      // Previews first: once the rows say "ok" the grid asks for them.
      await this.writePreviews(results);
      this.write(rows, results);
      done += rows.length;
      onBatch(done);
    }
  }

  private probeAll(rows: readonly PendingRow[]): Promise<ProbeResult[]> {
    return mapLimit(rows, CONCURRENCY, (row) => {
      const root = this.rootPath(row.root_id);
      return probeImage(path.join(root, ...row.rel_path.split('/')), { roots: [root] });
    });
  }

  /**
   * Reads, with the batch, the other changed files whose rows held the content this batch
   * found at other paths (two files swapped across batches, a rename chain): labels follow
   * content only when both ends are read together (content-moves.ts). Up to MAX_JOINED rows.
   */
  private async joinContentSources(rows: PendingRow[], results: ProbeResult[]): Promise<void> {
    const seen = new Set(rows.map((r) => r.id));
    const images = new ImageTable(this.db);
    let fresh = results.map((r, i) => ({ r, row: rows[i] }));
    while (fresh.length > 0 && rows.length < BATCH + MAX_JOINED) {
      const hashes = fresh
        .filter(
          ({ r, row }) => r.status === 'ok' && r.hash && row && images.hashOf(row.id) !== r.hash,
        )
        .map(({ r }) => r.hash as string);
      const more = images
        .rowsWithHashes(hashes)
        .filter((row) => !seen.has(row.id) && (row.status === 'pending' || this.changedOnDisk(row)))
        .map(({ id, root_id, rel_path }) => ({ id, root_id, rel_path }))
        .slice(0, BATCH + MAX_JOINED - rows.length);
      if (more.length === 0) return;
      for (const row of more) seen.add(row.id);
      const read = await this.probeAll(more);
      rows.push(...more);
      results.push(...read);
      fresh = read.map((r, i) => ({ r, row: more[i] }));
    }
  }

  /** Whether a row's file has another size or time than when it was read (the watcher may not have said yet). */
  private changedOnDisk(
    row: PendingRow & { size: number | null; mtime_ms: number | null },
  ): boolean {
    try {
      const st = fs.statSync(path.join(this.rootPath(row.root_id), ...row.rel_path.split('/')));
      return st.size !== row.size || Math.round(st.mtimeMs) !== row.mtime_ms;
    } catch {
      return false;
    }
  }

  private async writePreviews(results: ProbeResult[]): Promise<void> {
    const target = this.previewFile;
    if (!target) return;
    await Promise.all(
      results.map(async (r) => {
        if (r.status !== 'ok' || !r.hash || !r.preview) return;
        const file = target(r.hash);
        if (fs.existsSync(file)) return;
        try {
          await writePreview(file, r.preview, r.exif.orientation);
        } catch (err) {
          // A cache that could not be written: the thumbnail comes later, as without one.
          console.error(`[ocellus] preview ${file}:`, err);
        }
      }),
    );
  }

  private write(rows: PendingRow[], results: ProbeResult[]): void {
    const db = this.db;
    const now = new Date().toISOString();
    const roots = new Map(
      (db.prepare('SELECT * FROM roots').all() as RootRow[]).map((r) => [r.id, r]),
    );
    const images = new ImageTable(db);
    const labels = new IndexedLabels(db);
    const putMeta = fileMetadataWriter(db);
    // What follows a row's read: its file's metadata, labels kept by content, folder labels.
    const settle = (id: number, row: PendingRow, r: ProbeResult, hash: string | null) => {
      if (r.meta) putMeta(id, r.meta);
      if (hash) labels.restoreByHash(id, hash);
      const root = roots.get(row.root_id);
      const segments = row.rel_path.split('/');
      if (root?.labels_from_folders && segments.length >= 2 && r.status === 'ok') {
        const single = this.labelMode() === 'single';
        if (!single || !labels.has(id)) {
          labels.addFromFolder(id, (segments[0] ?? '').normalize('NFC'), now);
        }
      }
    };
    // The row a content takes: a missing row with that content moves here (the file moved,
    // its labels follow) unless the slot's own row already has labels.
    const claim = (slot: number | null, hash: string | null, row: PendingRow, frame: number) => {
      if (!hash || (slot !== null && labels.has(slot))) return slot;
      const moved = images.missingWithHash(hash)[0];
      if (moved === undefined || moved === slot) return slot;
      images.takeOver(moved, slot, row.root_id, row.rel_path, frame);
      return moved;
    };
    db.transaction(() => {
      // The row at each path now: a row may have moved here, or away, since the batch was picked.
      const slotOf = (row: PendingRow) => images.frameRow(row.root_id, row.rel_path, 0) ?? row.id;
      const files: ReadFile[] = [];
      rows.forEach((row, i) => {
        const r = results[i];
        // Single-frame files only: a multi-frame DICOM's frames are rows of their own.
        if (r?.status !== 'ok' || !r.hash || (r.frames ?? 1) > 1) return;
        const slotId = slotOf(row);
        files.push({ ...place(row), slotId, oldHash: images.hashOf(slotId), newHash: r.hash });
      });
      followContent(files, images, labels);
      rows.forEach((row, i) => {
        const r = results[i];
        if (!r) return;
        const ok = r.status === 'ok';
        const slot = slotOf(row);
        const id = (ok ? claim(slot, r.hash, row, 0) : null) ?? slot;
        images.writeProbe(probedRow(id, r, r.hash));
        settle(id, row, r, r.hash);
        // A multi-frame file: one row per further frame, each with its own content key.
        const frames = ok && r.hash ? (r.frames ?? 1) : 1;
        for (let k = 1; k < frames; k++) {
          const hash = frameHash(r.hash ?? '', k);
          const slot = images.frameRow(row.root_id, row.rel_path, k);
          const frameId =
            claim(slot, hash, row, k) ?? images.insertFrame(row.root_id, row.rel_path, k, now);
          images.writeProbe(probedRow(frameId, r, hash));
          settle(frameId, row, r, hash);
        }
        // Only a DICOM has frames; anything else read is one image (a file that stopped being
        // readable may have had frames: they go too).
        if (r.format === 'dicom' || !ok) images.markFramesMissing(id, frames);
      });
    })();
    // Images became readable (or not) and may have brought labels.
    labelCounter(db).invalidate();
  }
}

function place(row: PendingRow): { rootId: number; relPath: string } {
  return { rootId: row.root_id, relPath: row.rel_path };
}

function probedRow(id: number, r: ProbeResult, hash: string | null): ProbedRow {
  return {
    id,
    status: r.status,
    error: r.error,
    size: r.size,
    mtimeMs: Math.round(r.mtimeMs),
    hash,
    width: r.width,
    height: r.height,
    format: r.format,
    takenAt: r.exif.takenAt,
    make: r.exif.make,
    model: r.exif.model,
    serial: r.exif.serial,
    orientation: r.exif.orientation,
    gpsLat: r.exif.gpsLat,
    gpsLon: r.exif.gpsLon,
    gpsAlt: r.exif.gpsAlt,
    frames: r.frames,
  };
}

/** Maps with at most `limit` promises in flight, keeping the input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
