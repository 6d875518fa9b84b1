/**
 * Number and time formats of the app, one per quantity: shares (accuracy, recall…) as
 * "93.4 %", scores (AUC, AP, ECE) as "0.935", intervals in the format of their figure.
 */

/** A share in percent with one decimal: "93.4 %"; "–" when there is none. */
export function pct(v: number | null | undefined): string {
  return v === null || v === undefined || Number.isNaN(v) ? '–' : `${(v * 100).toFixed(1)} %`;
}

/** A score with three decimals: "0.935"; "–" when there is none. */
export function score(v: number | null | undefined, digits = 3): string {
  return v === null || v === undefined || Number.isNaN(v) ? '–' : v.toFixed(digits);
}

/** An interval in its figure's format: "91.2–95.1 %" or "0.901–0.962". */
export function interval(
  i: { lower: number; upper: number } | null | undefined,
  kind: 'pct' | 'score',
): string {
  if (!i) return '–';
  return kind === 'pct'
    ? `${(i.lower * 100).toFixed(1)}–${(i.upper * 100).toFixed(1)} %`
    : `${i.lower.toFixed(3)}–${i.upper.toFixed(3)}`;
}

/** A duration for people: "14 ms", "3.2 s", "4 min", "1.5 h". */
export function duration(seconds: number): string {
  if (seconds < 1) return `${Math.max(1, Math.round(seconds * 1000))} ms`;
  if (seconds < 90) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** Local date and time as "2026-05-03 14:02" (sortable, the same on every machine). */
export function dateTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** Local time of day as "14:02". */
export function timeOfDay(iso: string): string {
  return dateTime(iso).slice(11);
}

/** "1 epoch", "2 epochs": a count with its noun (the plural given when not noun + s). */
export function plural(n: number, noun: string, many = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : many}`;
}
