import path from 'node:path';
import type Database from 'better-sqlite3';
import {
  type CsvRecord,
  decodeLabelList,
  parseCsvRecords,
  restoreFormula,
} from '../../../shared/csv';
import { OcellusError } from '../../../shared/errors';
import type { LabelImportResult, LabelMode } from '../../../shared/types';
import { ensureClass } from '../labels/class-store';
import { LabelStore } from '../labels/label-store';
import { readTextSafe } from '../util/safe-fs';

const MAX_REPORTED = 200;
/** Largest CSV imported: 256 MB holds some 10^6 rows of long paths. */
export const MAX_CSV_BYTES = 256 * 1024 * 1024;

/** Reads a labels CSV through the safe reader (a regular file, at most MAX_CSV_BYTES). */
export async function readLabelsCsv(file: string): Promise<CsvRecord[]> {
  return parseCsvRecords(await readTextSafe(file, { maxBytes: MAX_CSV_BYTES }));
}

/** Reads and imports a labels CSV (see applyLabelsCsv). */
export async function importLabelsCsv(
  db: Database.Database,
  file: string,
  labelMode: () => LabelMode,
  opts: { replaceHuman?: boolean } = {},
): Promise<LabelImportResult> {
  return applyLabelsCsv(db, await readLabelsCsv(file), file, labelMode, opts);
}

/**
 * Imports human labels from the records of a CSV of `path,label` (a header naming `path` and
 * `label` or `labels` is optional; a `frame` column picks a frame of a multi-frame file, none
 * or an empty cell meaning frame 0; other columns are ignored, several labels are split on ';'
 * unless the cell is quoted). Paths are absolute or relative to any root. Unknown paths are
 * reported, not fatal; missing classes are created; all labels land as one undoable batch.
 * Synchronous, so a caller can run it inside a transaction and roll it back.
 */
export function applyLabelsCsv(
  db: Database.Database,
  records: CsvRecord[],
  file: string,
  labelMode: () => LabelMode,
  opts: { replaceHuman?: boolean } = {},
): LabelImportResult {
  const rows = records.map((r) => r.fields);
  const header = rows[0]?.map((h) => h.trim().toLowerCase()) ?? [];
  const hasHeader = header.includes('path');
  const pathCol = hasHeader ? header.indexOf('path') : 0;
  const labelCol = hasHeader
    ? header.indexOf('label') >= 0
      ? header.indexOf('label')
      : header.indexOf('labels')
    : 1;
  if (labelCol < 0)
    throw new OcellusError('INVALID_ARGUMENT', `${file} has a path column but no label column`);
  // Older files and hand-written ones have no frame column: a path then names frame 0.
  const frameCol = hasHeader ? header.indexOf('frame') : -1;
  const lookup = imageLookup(db);

  const result: LabelImportResult = {
    rows: 0,
    labelled: 0,
    createdClasses: [],
    unknown: [],
    unknownCount: 0,
    batchId: null,
    imageIds: [],
  };
  const pairs: { imageId: number; classId: number }[] = [];
  const classIds = new Map<string, number>();
  const existing = new Set(
    (db.prepare('SELECT name FROM classes').all() as { name: string }[]).map((c) =>
      c.name.toLowerCase(),
    ),
  );
  db.transaction(() => {
    records.slice(hasHeader ? 1 : 0).forEach(({ fields: row, quoted }, i) => {
      const p = restoreFormula(row[pathCol] ?? '').trim();
      if (p === '') return;
      result.rows++;
      const names = decodeLabelList(row[labelCol] ?? '', quoted[labelCol] === true);
      if (names.length === 0) return;
      const frame = frameOf(frameCol < 0 ? '' : (row[frameCol] ?? ''));
      const imageId = frame === null ? null : lookup(p, frame);
      if (imageId === null) {
        result.unknownCount++;
        const shown = frameCol >= 0 && row[frameCol]?.trim() ? `${p} (frame ${row[frameCol]})` : p;
        if (result.unknown.length < MAX_REPORTED)
          result.unknown.push({ line: i + (hasHeader ? 2 : 1), path: shown });
        return;
      }
      for (const name of names) {
        let id = classIds.get(name.toLowerCase());
        if (id === undefined) {
          if (!existing.has(name.toLowerCase())) {
            result.createdClasses.push(name);
            existing.add(name.toLowerCase());
          }
          id = ensureClass(db, name);
          classIds.set(name.toLowerCase(), id);
        }
        pairs.push({ imageId, classId: id });
      }
    });
  })();
  const change = new LabelStore(db, labelMode).assignMany(
    pairs,
    `Import labels from ${path.basename(file)}`,
    opts,
  );
  if (change.replacesHuman) result.replacesHuman = change.replacesHuman;
  result.labelled = change.imageIds.length;
  result.batchId = change.batchId;
  result.imageIds = change.imageIds;
  return result;
}

/** A frame cell: empty means frame 0 (a one-image file); anything but a whole number ≥ 0 is null. */
function frameOf(cell: string): number | null {
  const text = cell.trim();
  if (text === '') return 0;
  return /^\d+$/.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : null;
}

/** Finds a present image by a path absolute or relative to any root (innermost root first). */
export function imageLookup(db: Database.Database): (p: string, frame?: number) => number | null {
  const roots = (db.prepare('SELECT id, path FROM roots').all() as { id: number; path: string }[])
    .map((r) => ({ id: r.id, path: path.resolve(r.path) }))
    // Longest first, so nested roots resolve to the innermost.
    .sort((a, b) => b.path.length - a.path.length);
  const findImage = db.prepare(
    'SELECT id FROM images WHERE root_id = ? AND rel_path = ? AND frame = ? AND missing = 0',
  );
  // A path names a file's first frame unless a frame is given (multi-frame DICOM).
  return (p: string, frame = 0): number | null => {
    const candidates: { rootId: number; rel: string }[] = [];
    if (path.isAbsolute(p)) {
      const abs = path.resolve(p);
      for (const r of roots) {
        const rel = path.relative(r.path, abs);
        if (rel && !rel.startsWith('..') && !path.isAbsolute(rel))
          candidates.push({ rootId: r.id, rel: rel.split(path.sep).join('/') });
      }
    } else {
      const rel = p.replace(/\\/g, '/').replace(/^\.\//, '');
      for (const r of roots) candidates.push({ rootId: r.id, rel });
    }
    for (const c of candidates) {
      const row = findImage.get(c.rootId, c.rel, frame) as { id: number } | undefined;
      if (row) return row.id;
    }
    return null;
  };
}
