import type { ReliabilityBin } from '../../../shared/types';

export interface Calibration {
  bins: ReliabilityBin[];
  /** Expected calibration error: Σ (n_b / n) · |accuracy_b − confidence_b|. */
  ece: number;
  /** The largest gap of any non-empty bin. */
  mce: number;
}

/**
 * Reliability diagram of the top-label confidence in equal-width bins, and the expected
 * calibration error (Guo et al. 2017).
 */
export function calibration(
  confidence: ArrayLike<number>,
  correct: ArrayLike<boolean>,
  binCount = 10,
): Calibration {
  const count = new Array<number>(binCount).fill(0);
  const confSum = new Array<number>(binCount).fill(0);
  const right = new Array<number>(binCount).fill(0);
  const n = confidence.length;
  for (let i = 0; i < n; i++) {
    const c = Math.min(1, Math.max(0, confidence[i] ?? 0));
    const b = Math.min(binCount - 1, Math.max(0, Math.ceil(c * binCount) - 1));
    count[b] = (count[b] ?? 0) + 1;
    confSum[b] = (confSum[b] ?? 0) + c;
    if (correct[i]) right[b] = (right[b] ?? 0) + 1;
  }
  let ece = 0;
  let mce = 0;
  const bins = count.map((m, b): ReliabilityBin => {
    const conf = m > 0 ? (confSum[b] ?? 0) / m : null;
    const acc = m > 0 ? (right[b] ?? 0) / m : null;
    if (conf !== null && acc !== null) {
      const gap = Math.abs(acc - conf);
      ece += (m / n) * gap;
      mce = Math.max(mce, gap);
    }
    return {
      lower: b / binCount,
      upper: (b + 1) / binCount,
      count: m,
      confidence: conf,
      accuracy: acc,
    };
  });
  return { bins, ece, mce };
}
