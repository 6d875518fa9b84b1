import path from 'node:path';
import type Database from 'better-sqlite3';
import { csvLine, encodeLabelList, LABEL_SEPARATOR } from '../../../shared/csv';
import { refuseExisting, writeNewFileWithSync } from '../util/fs-atomic';
import { cameraName, exportImages } from './export-data';
import { ensureOutDir } from './out-dir';

// One CSV dialect for every file Ocellus writes: formula cells neutralised (shared/csv.ts).
export { csvCell as csvField, csvLine, LABEL_SEPARATOR, parseCsv } from '../../../shared/csv';

export const LABEL_CSV_COLUMNS = [
  'path',
  'label',
  'source',
  'confidence',
  'labelled_at',
  'sequence',
  'capture_time',
  'camera',
  'status',
] as const;

/**
 * Writes `labels.csv`: one row per present image (labelled or not, broken ones included
 * with their status), several labels joined by ';' with their sources and confidences in
 * the same order. When the project has multi-frame files, a `frame` column (from 0; empty
 * for one-image files) follows the path, as in predictions CSVs. An existing `labels.csv`
 * is refused (ALREADY_EXISTS), never replaced.
 */
export function writeLabelsCsv(
  db: Database.Database,
  outDir: string,
  onProgress: (done: number, total: number) => void = () => {},
): { file: string; rows: number } {
  const file = path.join(outDir, 'labels.csv');
  refuseExisting(file);
  const images = exportImages(db);
  ensureOutDir(outDir);
  // A full disk mid-way leaves no half-written file to be mistaken for an export.
  writeNewFileWithSync(file, (out) => {
    const framed = images.some((im) => im.frames !== null);
    const [first, ...rest] = LABEL_CSV_COLUMNS;
    out.write(csvLine(framed ? [first, 'frame', ...rest] : LABEL_CSV_COLUMNS));
    images.forEach((im, i) => {
      const join = (f: (l: (typeof im.labels)[number]) => string) =>
        im.labels.map(f).join(LABEL_SEPARATOR);
      out.write(
        csvLine([
          im.file,
          ...(framed ? [im.frames === null ? '' : im.frame] : []),
          encodeLabelList(im.labels.map((l) => l.className)),
          join((l) => l.source),
          im.labels.some((l) => l.confidence !== null)
            ? join((l) => (l.confidence === null ? '' : String(l.confidence)))
            : '',
          join((l) => l.createdAt),
          im.sequenceId,
          im.takenAt,
          cameraName(im),
          im.status,
        ]),
      );
      if (i % 500 === 0) onProgress(i, images.length);
    });
  });
  onProgress(images.length, images.length);
  return { file, rows: images.length };
}
