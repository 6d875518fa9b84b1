import {
  REFIT_AUTO_LIMIT,
  SMALL_CLASS,
  type RunEstimate,
  type TrainConfig,
} from '../../../shared/types';
import type { TrainingSet } from './dataset';
import { seededRandom, shuffled } from '../util/rng';
import type { SplitItem } from './split';

/** Below this many validation images per class, epochs are not ranked on validation loss. */
export const MIN_VALIDATION_PER_CLASS = 10;
/** Below this many labelled images, crossValidation 0 (auto) runs AUTO_FOLDS folds (feature mode). */
export const CV_AUTO_LIMIT = 1000;
export const AUTO_FOLDS = 5;

/**
 * True when a validation split is too small to choose an epoch by its loss: fewer than
 * about 10 images a class, where one image changes the loss more than an epoch does.
 */
export function tooSmallToRank(validationImages: number, classes: number): boolean {
  return validationImages < MIN_VALIDATION_PER_CLASS * classes;
}

/** Whether the released model is trained again on every label (see TrainConfig.refit). */
export function shouldRefit(refit: TrainConfig['refit'], images: number): boolean {
  return refit === 'always' || (refit === 'auto' && images < REFIT_AUTO_LIMIT);
}

/** Folds of cross-validation to run (1: none); only feature mode is cheap enough to repeat. */
export function foldsFor(config: TrainConfig, images: number): number {
  if (config.mode !== 'features') return 1;
  if (config.crossValidation === 0) return images < CV_AUTO_LIMIT ? AUTO_FOLDS : 1;
  return config.crossValidation;
}

/** The 95 % Wilson score interval of a proportion of `correct` in `n`, or null for n = 0. */
export function wilsonInterval(correct: number, n: number): [number, number] | null {
  if (n <= 0) return null;
  const z = 1.959964;
  const p = correct / n;
  const denom = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denom;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** Mean and sample standard deviation. */
export function meanSd(xs: readonly number[]): { mean: number; sd: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const sd =
    xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, sd };
}

/** Classes with fewer than SMALL_CLASS labelled images. */
export function smallClasses(set: TrainingSet): { name: string; images: number }[] {
  const counts = new Array<number>(set.classes.length).fill(0);
  for (const im of set.images) counts[im.label] = (counts[im.label] ?? 0) + 1;
  return set.classes.flatMap((c, i) =>
    (counts[i] ?? 0) < SMALL_CLASS ? [{ name: c.name, images: counts[i] ?? 0 }] : [],
  );
}

/**
 * Stratified, group-aware k folds: whole groups (bursts, patients…) go, largest first in a
 * seeded order, to the fold that most needs their classes, so every fold has about 1/k of
 * each class and no group is in two folds. Returns the item ids of each fold.
 */
export function kFolds(
  items: readonly SplitItem[],
  k: number,
  seed: number,
  classCount: number,
): number[][] {
  const groups = new Map<string, SplitItem[]>();
  for (const it of items) {
    const g = groups.get(it.group);
    if (g) g.push(it);
    else groups.set(it.group, [it]);
  }
  const totals = new Array<number>(classCount).fill(0);
  for (const it of items) totals[it.label] = (totals[it.label] ?? 0) + 1;
  const fill = Array.from({ length: k }, () => new Array<number>(classCount).fill(0));
  const folds = Array.from({ length: k }, (): number[] => []);
  const random = seededRandom(seed);
  const order = shuffled([...groups.keys()].sort(), random).sort(
    (a, b) => (groups.get(b)?.length ?? 0) - (groups.get(a)?.length ?? 0),
  );
  for (const key of order) {
    const members = groups.get(key) ?? [];
    let bestFold = 0;
    let bestGain = -Infinity;
    for (let f = 0; f < k; f++) {
      // How far below its share (totals/k) this fold is in the group's classes.
      let gain = 0;
      for (const m of members) gain += (totals[m.label] ?? 0) / k - (fill[f]?.[m.label] ?? 0);
      gain -= (folds[f]?.length ?? 0) * 1e-6; // ties: the smaller fold
      if (gain > bestGain) {
        bestGain = gain;
        bestFold = f;
      }
    }
    for (const m of members) {
      const row = fill[bestFold];
      if (row) row[m.label] = (row[m.label] ?? 0) + 1;
      folds[bestFold]?.push(m.id);
    }
  }
  return folds;
}

/** The estimate of a run from its parts; see RunEstimate. */
export function buildEstimate(parts: {
  correct: number;
  validationImages: number;
  epochChoice: RunEstimate['epochChoice'];
  epochs: number;
  folds: { accuracy: number; images: number; epochs: number }[];
  refitImages: number | null;
  set: TrainingSet;
  views: number;
  tta: boolean;
  notes: string[];
}): RunEstimate {
  const n = parts.validationImages;
  const cv = parts.folds.length > 1 ? meanSd(parts.folds.map((f) => f.accuracy)) : null;
  return {
    accuracy: n > 0 ? parts.correct / n : null,
    interval: wilsonInterval(parts.correct, n),
    validationImages: n,
    epochChoice: parts.epochChoice,
    epochs: parts.epochs,
    crossValidation: cv ? { folds: parts.folds, ...cv } : null,
    refit: parts.refitImages !== null ? { images: parts.refitImages, epochs: parts.epochs } : null,
    smallClasses: smallClasses(parts.set),
    views: parts.views,
    tta: parts.tta,
    notes: parts.notes,
  };
}
