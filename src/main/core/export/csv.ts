import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { OcellusError } from '../../../shared/errors';
import { cameraName, exportImages } from './export-data';

/** Quotes a CSV field when it needs it (RFC 4180). */
export function csvField(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  const s = String(value);
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One CSV line (with its newline). */
export function csvLine(fields: readonly (string | number | boolean | null | undefined)[]): string {
  return `${fields.map(csvField).join(',')}\n`;
}

/** Parses CSV text (RFC 4180: quoted fields, doubled quotes, CRLF or LF) into rows. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"' && field === '') {
      quoted = true;
    } else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (quoted) throw new OcellusError('INVALID_ARGUMENT', 'The CSV ends inside a quoted field');
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0] === ''));
}

/** Separator of several labels (multi-label projects) inside one CSV field. */
export const LABEL_SEPARATOR = ';';

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
 * the same order.
 */
export function writeLabelsCsv(
  db: Database.Database,
  outDir: string,
  onProgress: (done: number, total: number) => void = () => {},
): { file: string; rows: number } {
  const images = exportImages(db);
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, 'labels.csv');
  const tmp = `${file}.partial`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, csvLine(LABEL_CSV_COLUMNS));
    images.forEach((im, i) => {
      const join = (f: (l: (typeof im.labels)[number]) => string) =>
        im.labels.map(f).join(LABEL_SEPARATOR);
      fs.writeSync(
        fd,
        csvLine([
          im.file,
          join((l) => l.className),
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
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  onProgress(images.length, images.length);
  return { file, rows: images.length };
}
