/**
 * CSV as Ocellus writes and reads it (RFC 4180), shared by the core's exports and imports
 * and the renderer's downloads. Every text cell that a spreadsheet could run as a formula
 * is neutralised (the OWASP rule: a `'` before a cell starting with `=`, `+`, `-`, `@`, tab
 * or CR); numbers, including a text that is a plain number such as "-12.5", stay as they
 * are. Hand-written: a few lines, and no CSV library neutralises formulas reversibly.
 */
import { OcellusError } from './errors';

export type CsvValue = string | number | boolean | null | undefined;

/** Any run of `'` then a formula trigger: the `'`s are escaped by one more on writing. */
const FORMULA_START = /^'*[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The text as a spreadsheet will show it, never as a formula. */
export function neutraliseFormula(text: string): string {
  return FORMULA_START.test(text) && !PLAIN_NUMBER.test(text) ? `'${text}` : text;
}

/** Undoes neutraliseFormula (for cells Ocellus wrote; others are left as they are). */
export function restoreFormula(text: string): string {
  return /^'+[=+\-@\t\r]/.test(text) ? text.slice(1) : text;
}

/** One CSV cell: neutralised when it is text, quoted when it needs it. */
export function csvCell(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'string') return String(value);
  const s = neutraliseFormula(value);
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One CSV line (with its newline). */
export function csvLine(fields: readonly CsvValue[], newline = '\n'): string {
  return `${fields.map(csvCell).join(',')}${newline}`;
}

/** A parsed row: each field's text and whether it was written in quotes. */
export interface CsvRecord {
  fields: string[];
  quoted: boolean[];
}

/**
 * Parses CSV text (RFC 4180: quoted fields, doubled quotes, CRLF or LF, a leading BOM) into
 * records, dropping rows whose fields are all empty. Unterminated quotes are
 * INVALID_ARGUMENT.
 */
export function parseCsvRecords(text: string): CsvRecord[] {
  const rows: CsvRecord[] = [];
  let row: CsvRecord = { fields: [], quoted: [] };
  let field = '';
  let quoted = false;
  let inQuotes = false;
  const endField = () => {
    row.fields.push(field);
    row.quoted.push(quoted);
    field = '';
    quoted = false;
  };
  const endRow = () => {
    endField();
    if (row.fields.some((f) => f !== '')) rows.push(row);
    row = { fields: [], quoted: [] };
  };
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (; i < text.length; i++) {
    const ch = text[i];
    if (inQuotes) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') inQuotes = false;
      else field += ch;
    } else if (ch === '"' && field === '' && !quoted) {
      inQuotes = true;
      quoted = true;
    } else if (ch === ',') endField();
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRow();
    } else field += ch;
  }
  if (inQuotes) throw new OcellusError('INVALID_ARGUMENT', 'The CSV ends inside a quoted field');
  if (field !== '' || quoted || row.fields.length > 0) endRow();
  return rows;
}

/** Parses CSV text into rows of fields (see parseCsvRecords). */
export function parseCsv(text: string): string[][] {
  return parseCsvRecords(text).map((r) => r.fields);
}

/** Separator of several labels (multi-label projects) inside one CSV field. */
export const LABEL_SEPARATOR = ';';

// A name that needs no quoting inside a label list.
const SIMPLE_LABEL = /^[^;",\r\n]*$/;

/**
 * Several class names as one cell's text, joined by ';'. A name holding a ';', a quote or a
 * comma (or with outer spaces) is quoted inside the list, so it reads back as one name.
 */
export function encodeLabelList(names: readonly string[]): string {
  const simple = (n: string) => SIMPLE_LABEL.test(n) && n === n.trim();
  return names.map((n) => (simple(n) ? n : `"${n.replace(/"/g, '""')}"`)).join(LABEL_SEPARATOR);
}

/**
 * The class names of one label cell. Unquoted, ';' separates names; a quoted cell without
 * inner quotes is one name (a ';' in it is part of the name); a quoted cell with inner
 * quotes is a list whose quoted items keep their ';'. Neutralised formulas are restored.
 */
export function decodeLabelList(text: string, quoted: boolean): string[] {
  const cell = restoreFormula(text);
  if (quoted && !cell.includes('"')) return cell.trim() === '' ? [] : [cell.trim()];
  if (!quoted) return splitNames(cell.split(LABEL_SEPARATOR));
  const names: string[] = [];
  let i = 0;
  while (i <= cell.length) {
    while (cell[i] === ' ') i++;
    if (cell[i] === '"') {
      let name = '';
      for (i++; i < cell.length; i++) {
        if (cell[i] === '"' && cell[i + 1] === '"') {
          name += '"';
          i++;
        } else if (cell[i] === '"') break;
        else name += cell[i];
      }
      names.push(name);
      const next = cell.indexOf(LABEL_SEPARATOR, i);
      i = next < 0 ? cell.length + 1 : next + 1;
    } else {
      const next = cell.indexOf(LABEL_SEPARATOR, i);
      const end = next < 0 ? cell.length : next;
      names.push(cell.slice(i, end));
      i = end + 1;
    }
  }
  return splitNames(names);
}

function splitNames(names: string[]): string[] {
  return names.map((n) => n.trim()).filter((n) => n !== '');
}
