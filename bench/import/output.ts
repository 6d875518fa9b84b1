/** Formatting of the import benchmark's table. */

// ---------------------------------------------------------------------------------------------
// Output

export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function fmtRate(r: number | null): string {
  return r === null ? '–' : `${r.toFixed(1)} img/s`;
}

export function ratio(a: number | null, b: number | null): string {
  return a === null || b === null || b === 0 ? '–' : (a / b).toFixed(2);
}

export function target(value: number | null, min: number): string {
  if (value === null) return `≥ ${min}`;
  return `≥ ${min} ${value >= min ? 'met' : 'MISSED'}`;
}
