import { csvLine } from '../../../shared/csv';

/** Saves a blob as a file through the browser's download (works in Electron and browser mode). */
export function downloadBlob(name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  // The download has started from the object URL by now; free it after this task.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/** Rows as CSV text, header first; text cells that could run as formulas are neutralised. */
export function toCsv(header: string[], rows: (string | number | null)[][]): string {
  return [header, ...rows].map((r) => csvLine(r, '\r\n')).join('');
}

/** Downloads a table as a CSV file. */
export function downloadCsv(
  name: string,
  header: string[],
  rows: (string | number | null)[][],
): void {
  downloadBlob(name, new Blob([toCsv(header, rows)], { type: 'text/csv;charset=utf-8' }));
}
