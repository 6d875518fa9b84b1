import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { OcellusError } from '../../../shared/errors';
import type { LabelImportResult, LabelMode } from '../../../shared/types';
import { ensureClass } from '../labels/classes';
import { LabelStore } from '../labels/label-store';
import { LABEL_SEPARATOR, parseCsv } from './csv';

const MAX_REPORTED = 200;

/**
 * Imports human labels from a CSV of `path,label` (a header naming `path` and `label` or
 * `labels` is optional; extra columns are ignored, several labels are split on ';').
 * Paths are absolute or relative to any root. Unknown paths are reported, not fatal;
 * missing classes are created; all labels land as one undoable batch.
 */
export function importLabelsCsv(
  db: Database.Database,
  file: string,
  labelMode: () => LabelMode,
  opts: { replaceHuman?: boolean } = {},
): LabelImportResult {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new OcellusError('IO_ERROR', `Cannot read ${file}: ${(err as Error).message}`);
  }
  const rows = parseCsv(text);
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
  const roots = (db.prepare('SELECT id, path FROM roots').all() as { id: number; path: string }[])
    .map((r) => ({ id: r.id, path: path.resolve(r.path) }))
    // Longest first, so nested roots resolve to the innermost.
    .sort((a, b) => b.path.length - a.path.length);
  const findImage = db.prepare(
    'SELECT id FROM images WHERE root_id = ? AND rel_path = ? AND missing = 0',
  );
  const lookup = (p: string): number | null => {
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
      const row = findImage.get(c.rootId, c.rel) as { id: number } | undefined;
      if (row) return row.id;
    }
    return null;
  };

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
    rows.slice(hasHeader ? 1 : 0).forEach((row, i) => {
      const p = row[pathCol]?.trim() ?? '';
      if (p === '') return;
      result.rows++;
      const names = (row[labelCol] ?? '')
        .split(LABEL_SEPARATOR)
        .map((s) => s.trim())
        .filter((s) => s !== '');
      if (names.length === 0) return;
      const imageId = lookup(p);
      if (imageId === null) {
        result.unknownCount++;
        if (result.unknown.length < MAX_REPORTED)
          result.unknown.push({ line: i + (hasHeader ? 2 : 1), path: p });
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
