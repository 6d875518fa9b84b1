import path from 'node:path';
import type Database from 'better-sqlite3';
import { parseCsv } from '../../../shared/csv';
import { OcellusError } from '../../../shared/errors';
import { readTextSafe } from '../util/safe-fs';
import type { MetadataImport, MetadataKey } from '../../../shared/types';

// The one CSV reader (RFC 4180, BOM, quoted fields), shared with the label import.
export { parseCsv } from '../../../shared/csv';

/** Largest metadata CSV read (about 10^6 rows of long paths and a few keys). */
const MAX_METADATA_CSV_BYTES = 256 * 1024 * 1024;

/**
 * Imports image metadata from a CSV whose first column (`path` or `file`) names an image —
 * absolute, or relative to a root folder — and whose other columns are keys (patient id,
 * eye…). Values replace earlier ones of the same key; empty cells are skipped. All or
 * nothing: one transaction.
 */
export async function importMetadataCsv(
  db: Database.Database,
  file: string,
): Promise<MetadataImport> {
  // A regular file of sane size only: never a FIFO or a device that would block or not end.
  const text = await readTextSafe(file, { maxBytes: MAX_METADATA_CSV_BYTES });
  const [header, ...rows] = parseCsv(text);
  const first = header?.[0]?.trim().toLowerCase();
  if (!header || (first !== 'path' && first !== 'file') || header.length < 2) {
    throw new OcellusError(
      'INVALID_ARGUMENT',
      'The metadata CSV needs a header row: path,<key>,<key>… (first column path or file)',
    );
  }
  const keys = header.slice(1).map((k) => k.trim());
  if (keys.some((k) => !k))
    throw new OcellusError('INVALID_ARGUMENT', 'A metadata column has no name');
  const roots = db.prepare('SELECT id, path FROM roots').all() as { id: number; path: string }[];
  const byRel = db.prepare('SELECT id FROM images WHERE rel_path = ? AND missing = 0');
  const inRoot = db.prepare('SELECT id FROM images WHERE root_id = ? AND rel_path = ?');
  const put = db.prepare(
    'INSERT OR REPLACE INTO image_meta (image_id, key, value) VALUES (?, ?, ?)',
  );
  const find = (p: string): number[] => {
    if (path.isAbsolute(p)) {
      for (const r of roots) {
        const rel = path.relative(r.path, p);
        if (!rel.startsWith('..') && !path.isAbsolute(rel)) {
          // Every frame of a multi-frame file: they share the file's patient, eye, study.
          const rows = inRoot.all(r.id, rel.split(path.sep).join('/')) as { id: number }[];
          if (rows.length > 0) return rows.map((row) => row.id);
        }
      }
      return [];
    }
    return (byRel.all(p.replace(/\\/g, '/').replace(/^\.\//, '')) as { id: number }[]).map(
      (r) => r.id,
    );
  };
  let matched = 0;
  const unmatched: string[] = [];
  db.transaction(() => {
    for (const row of rows) {
      const p = row[0]?.trim() ?? '';
      const ids = p ? find(p) : [];
      if (ids.length === 0) {
        unmatched.push(p);
        continue;
      }
      matched += ids.length;
      for (const id of ids) {
        keys.forEach((k, i) => {
          const v = row[i + 1]?.trim();
          if (v) put.run(id, k, v);
        });
      }
    }
  })();
  return { matched, unmatched: unmatched.length, unmatchedSample: unmatched.slice(0, 10), keys };
}

/**
 * A writer of the metadata an image file carries itself (DICOM patient, study, eye…), for
 * the indexer: each key replaces the image's earlier value, as a CSV import does.
 */
export function fileMetadataWriter(
  db: Database.Database,
): (imageId: number, meta: Readonly<Record<string, string>>) => void {
  const put = db.prepare(
    'INSERT OR REPLACE INTO image_meta (image_id, key, value) VALUES (?, ?, ?)',
  );
  return (imageId, meta) => {
    for (const [key, value] of Object.entries(meta)) put.run(imageId, key, value);
  };
}

/** Metadata keys in the project, with how many images have each and how many values. */
export function metadataKeys(db: Database.Database): MetadataKey[] {
  return db
    .prepare(
      'SELECT key, COUNT(*) AS images, COUNT(DISTINCT value) AS values_ FROM image_meta GROUP BY key ORDER BY key',
    )
    .all()
    .map((r) => {
      const row = r as { key: string; images: number; values_: number };
      return { key: row.key, images: row.images, values: row.values_ };
    });
}

/**
 * Refuses metadata keys no image has, naming a key that differs only in case and the keys
 * there are: a misspelt key would otherwise group or check nothing, and say nothing.
 */
export function requireMetadataKeys(db: Database.Database, wanted: readonly string[]): void {
  const keys = metadataKeys(db).map((k) => k.key);
  for (const key of wanted) {
    if (keys.includes(key)) continue;
    const near = keys.find((k) => k.toLowerCase() === key.toLowerCase());
    throw new OcellusError(
      'INVALID_ARGUMENT',
      near
        ? `No image has the metadata key "${key}"; did you mean "${near}"? (keys match case)`
        : keys.length
          ? `No image has the metadata key "${key}"; the keys are ${keys.map((k) => `"${k}"`).join(', ')}`
          : `No image has the metadata key "${key}": this project has no image metadata yet (import a CSV first)`,
    );
  }
}

/** image id → value of one metadata key. */
export function metadataValues(db: Database.Database, key: string): Map<number, string> {
  const rows = db.prepare('SELECT image_id, value FROM image_meta WHERE key = ?').all(key) as {
    image_id: number;
    value: string;
  }[];
  return new Map(rows.map((r) => [r.image_id, r.value]));
}
