import { describe, expect, it } from 'vitest';
import { bootstrapIntervals, quantile } from '../../../../../src/main/core/eval/bootstrap';
import { calibration } from '../../../../../src/main/core/eval/calibration';
import { evaluationFigures } from '../../../../../src/main/core/eval/report';
import { seededRandom } from '../../../../../src/main/core/util/rng';

/** n items, right with probability 0.8 (seeded). */
function outcomes(n: number, seed: number): boolean[] {
  const r = seededRandom(seed);
  return Array.from({ length: n }, () => r() < 0.8);
}

function accuracyInterval(right: boolean[], seed = 1) {
  const n = right.length;
  return bootstrapIntervals(
    n,
    {
      acc: (w) => right.reduce((a, ok, i) => a + (ok ? (w[i] ?? 0) : 0), 0) / n,
    },
    { seed },
  ).acc;
}

describe('bootstrap intervals', () => {
  it('contain the point estimate and narrow as n grows', () => {
    const widths: number[] = [];
    for (const n of [40, 160, 640]) {
      const right = outcomes(n, n);
      const point = right.filter(Boolean).length / n;
      const ci = accuracyInterval(right);
      expect(ci).not.toBeNull();
      expect(ci!.lower).toBeLessThanOrEqual(point);
      expect(ci!.upper).toBeGreaterThanOrEqual(point);
      widths.push(ci!.upper - ci!.lower);
    }
    expect(widths[1]).toBeLessThan(widths[0]!);
    expect(widths[2]).toBeLessThan(widths[1]!);
    // Roughly the normal approximation 2·1.96·√(p(1−p)/n) ≈ 0.062 at n = 640.
    expect(widths[2]).toBeGreaterThan(0.04);
    expect(widths[2]).toBeLessThan(0.09);
  });

  it('repeats exactly with the same seed and differs with another', () => {
    const r = seededRandom(7);
    const x = Array.from({ length: 100 }, () => r());
    const meanCi = (seed: number) =>
      bootstrapIntervals(
        x.length,
        { mean: (w) => x.reduce((a, v, i) => a + v * (w[i] ?? 0), 0) / x.length },
        { seed },
      ).mean;
    expect(meanCi(3)).toEqual(meanCi(3));
    expect(meanCi(3)).not.toEqual(meanCi(4));
  });

  it('is null for a statistic undefined on most resamples', () => {
    const out = bootstrapIntervals(10, { never: () => null, zero: () => 0 }, { resamples: 50 });
    expect(out.never).toBeNull();
    expect(out.zero).toEqual({ lower: 0, upper: 0 });
  });

  it('interpolates quantiles linearly, as numpy does', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([0, 10], 0.025)).toBeCloseTo(0.25, 12);
  });

  it('brackets the headline figures of an evaluation', () => {
    const r = seededRandom(5);
    const n = 120;
    const yTrue = Int32Array.from({ length: n }, (_, i) => i % 2);
    const probs = new Float32Array(n * 2);
    yTrue.forEach((y, i) => {
      const p = Math.min(0.99, Math.max(0.01, (y === 1 ? 0.65 : 0.35) + (r() - 0.5) * 0.6));
      probs[i * 2 + 1] = p;
      probs[i * 2] = 1 - p;
    });
    const f = evaluationFigures({
      classes: ['a', 'b'],
      yTrue,
      probs,
      positiveIndex: 1,
      threshold: 0.5,
      resamples: 400,
      seed: 9,
    });
    const inside = (v: number | null, ci: { lower: number; upper: number } | null) => {
      expect(ci).not.toBeNull();
      expect(ci!.lower).toBeLessThanOrEqual(v!);
      expect(ci!.upper).toBeGreaterThanOrEqual(v!);
    };
    inside(f.accuracy, f.intervals.accuracy);
    inside(f.macro.f1, f.intervals.macroF1);
    inside(f.binary!.auc, f.binary!.intervals.auc);
    inside(f.binary!.atThreshold.sensitivity, f.binary!.intervals.sensitivity);
    inside(f.binary!.atThreshold.specificity, f.binary!.intervals.specificity);
    expect(f.binary!.positiveClass).toBe('b');
    expect(f.confusionMatrix.flat().reduce((a, b) => a + b, 0)).toBe(n);
  });
});

describe('calibration', () => {
  it('bins top-label confidence and weighs each gap by its share of items', () => {
    const c = calibration([0.95, 0.95, 0.55, 0.55, 0.5], [true, false, true, true, false]);
    expect(c.bins).toHaveLength(10);
    expect(c.bins[9]).toMatchObject({ count: 2, accuracy: 0.5 });
    expect(c.bins[9]?.confidence).toBeCloseTo(0.95, 12);
    expect(c.bins[5]).toMatchObject({ count: 2, accuracy: 1 });
    // 0.5 sits in (0.4, 0.5].
    expect(c.bins[4]).toMatchObject({ count: 1, accuracy: 0, confidence: 0.5 });
    expect(c.ece).toBeCloseTo((2 / 5) * 0.45 + (2 / 5) * 0.45 + (1 / 5) * 0.5, 12);
    expect(c.mce).toBeCloseTo(0.5, 12);
    expect(c.bins[0]).toMatchObject({ count: 0, accuracy: null, confidence: null });
  });

  it('is 0 for a perfectly calibrated set', () => {
    expect(calibration([0.75, 0.75, 0.75, 0.75], [true, true, true, false]).ece).toBeCloseTo(0, 12);
  });
});
