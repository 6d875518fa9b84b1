/**
 * Measuring and printing helpers shared by the benchmarks (bench/*.ts): progress lines,
 * durations, rates and the side-by-side table.
 */

/** A progress line on stderr (stdout carries the result). */
export function log(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

/** Milliseconds as "12.3 s" or "4.5 min". */
export function secs(ms: number): string {
  return ms >= 60_000 ? `${(ms / 60_000).toFixed(1)} min` : `${(ms / 1000).toFixed(1)} s`;
}

export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MB`;
}

/** Items per second, or null without a duration. */
export function rate(items: number, seconds: number | null | undefined): number | null {
  return seconds && seconds > 0 ? items / seconds : null;
}

export function fmtRate(r: number | null): string {
  return r === null ? '–' : r.toFixed(1);
}

/** The median of numbers (NaN for none). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? NaN) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

/** Wall seconds of an async function. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, seconds: (performance.now() - started) / 1000 };
}

/**
 * A plain-text table under a rule: the first column left-aligned, the last one too unless
 * `lastLeft` is off, the others right-aligned.
 */
export function table(rows: string[][], { lastLeft = true } = {}): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  const line = (r: string[]) =>
    r
      .map((cell, c) =>
        c === 0 || (lastLeft && c === r.length - 1)
          ? cell.padEnd(widths[c] ?? 0)
          : cell.padStart(widths[c] ?? 0),
      )
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const [head, ...body] = rows;
  return [line(head ?? []), rule, ...body.map(line)].join('\n');
}

/** Runs `fn` over the items, at most `limit` at a time. */
export async function pool<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
