/** Percentiles and the rounding and formatting of latencies, shared by the benchmarks. */

/** Count, median, 95th percentile, maximum and mean of a sample. */
export interface Stats {
  n: number;
  p50: number;
  p95: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles of a sample (rounded to 0.1). */
export function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] ?? 0;
  const mean = s.reduce((a, b) => a + b, 0) / Math.max(1, s.length);
  return {
    n: s.length,
    p50: round(q(0.5), 1),
    p95: round(q(0.95), 1),
    max: round(s.at(-1) ?? 0, 1),
    mean: round(mean, 1),
  };
}

/** How often each string occurs. */
export function countBy(xs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Waits between polls of something the bench cannot be told about. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Milliseconds for a table cell ("—" when unknown). */
export function ms(x: number | null | undefined): string {
  return x === null || x === undefined ? '—' : `${x.toFixed(x < 10 ? 1 : 0)} ms`;
}

/** "p50 / p95 / max" of a sample, in ms. */
export function pct(s: Stats): string {
  return `${ms(s.p50)} / ${ms(s.p95)} / ${ms(s.max)}`;
}
