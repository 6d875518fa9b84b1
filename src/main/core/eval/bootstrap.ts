import type { Interval } from '../../../shared/types';
import { seededRandom } from '../util/rng';

export interface BootstrapOptions {
  /** Resamples drawn; 1000 by default. */
  resamples?: number;
  /** Coverage of the interval; 0.95 by default. */
  level?: number;
  seed?: number;
}

/**
 * A statistic of one resample, given as how many times each item was drawn (a weight per
 * item, summing to n): weights let every statistic reuse orderings made once.
 * Null when the statistic is undefined for that resample.
 */
export type Statistic = (weights: Int32Array) => number | null;

/**
 * Percentile bootstrap intervals for several statistics of the same n items, all computed
 * on the same seeded resamples (so the intervals are repeatable and mutually consistent).
 * A resample where a statistic is undefined (an AUC with one class drawn) is skipped for
 * it; fewer than half the resamples defined gives null.
 */
export function bootstrapIntervals<K extends string>(
  n: number,
  statistics: Record<K, Statistic>,
  options: BootstrapOptions = {},
): Record<K, Interval | null> {
  const resamples = options.resamples ?? 1000;
  const level = options.level ?? 0.95;
  const random = seededRandom(options.seed ?? 0);
  const keys = Object.keys(statistics) as K[];
  const values = new Map<K, number[]>(keys.map((k) => [k, []]));
  const weights = new Int32Array(n);
  for (let b = 0; b < (n > 0 ? resamples : 0); b++) {
    weights.fill(0);
    for (let i = 0; i < n; i++) {
      const j = Math.floor(random() * n);
      weights[j] = (weights[j] ?? 0) + 1;
    }
    for (const k of keys) {
      const v = statistics[k](weights);
      if (v !== null && Number.isFinite(v)) values.get(k)?.push(v);
    }
  }
  const alpha = (1 - level) / 2;
  const out = {} as Record<K, Interval | null>;
  for (const k of keys) {
    const v = (values.get(k) ?? []).sort((a, b) => a - b);
    out[k] =
      v.length > 0 && v.length >= resamples / 2
        ? { lower: quantile(v, alpha), upper: quantile(v, 1 - alpha) }
        : null;
  }
  return out;
}

/** Linear-interpolated quantile of sorted values (numpy's default). */
export function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] ?? NaN;
  const b = sorted[hi] ?? NaN;
  return a + (b - a) * (pos - lo);
}
