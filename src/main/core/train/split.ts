import { seededRandom, shuffled } from '../util/rng';

export interface SplitItem {
  id: number;
  /** Class index. */
  label: number;
  /** Items of one group (sequence, camera, patient…) never straddle the split. */
  group: string;
  /** Content hash: identical files on both sides are reported as leakage. */
  hash?: string | null;
}

export interface Split {
  train: number[];
  validation: number[];
  /** Per class: [train count, validation count]. */
  perClass: [number, number][];
  /** Groups or contents found on both sides (should be empty). */
  leaks: { groups: string[]; hashes: string[] };
}

/**
 * A stratified, group-aware train/validation split. Whole groups go to validation, in a
 * seeded random order, while that brings each class closer to its target share; so class
 * proportions stay close to the whole set and no group is on both sides.
 */
export function splitTrainValidation(
  items: readonly SplitItem[],
  validationFraction: number,
  seed: number,
  classCount: number,
): Split {
  if (!(validationFraction > 0 && validationFraction < 1)) {
    throw new RangeError('validationFraction must be between 0 and 1');
  }
  const groups = new Map<string, SplitItem[]>();
  for (const it of items) {
    const g = groups.get(it.group);
    if (g) g.push(it);
    else groups.set(it.group, [it]);
  }
  const totals = new Array<number>(classCount).fill(0);
  for (const it of items) totals[it.label] = (totals[it.label] ?? 0) + 1;
  const target = totals.map((n) => n * validationFraction);
  const inVal = new Array<number>(classCount).fill(0);
  const random = seededRandom(seed);
  // Big groups first (they are the hard ones to place), random order among equals.
  const order = shuffled([...groups.keys()].sort(), random).sort(
    (a, b) => (groups.get(b)?.length ?? 0) - (groups.get(a)?.length ?? 0),
  );
  const validation = new Set<string>();
  for (const key of order) {
    const members = groups.get(key) ?? [];
    const add = new Array<number>(classCount).fill(0);
    for (const m of members) add[m.label] = (add[m.label] ?? 0) + 1;
    // Sum of squared shortfalls before and after moving this group to validation.
    let before = 0;
    let after = 0;
    for (let c = 0; c < classCount; c++) {
      const t = target[c] ?? 0;
      before += ((inVal[c] ?? 0) - t) ** 2;
      after += ((inVal[c] ?? 0) + (add[c] ?? 0) - t) ** 2;
    }
    // Never empty a class's training side.
    const starves = add.some((n, c) => n > 0 && (inVal[c] ?? 0) + n >= (totals[c] ?? 0));
    if (after < before && !starves) {
      validation.add(key);
      for (let c = 0; c < classCount; c++) inVal[c] = (inVal[c] ?? 0) + (add[c] ?? 0);
    }
  }
  const train: number[] = [];
  const val: number[] = [];
  const perClass = totals.map((): [number, number] => [0, 0]);
  const trainHashes = new Set<string>();
  const valHashes = new Set<string>();
  for (const it of items) {
    const isVal = validation.has(it.group);
    (isVal ? val : train).push(it.id);
    const pc = perClass[it.label];
    if (pc) pc[isVal ? 1 : 0]++;
    if (it.hash) (isVal ? valHashes : trainHashes).add(it.hash);
  }
  return {
    train,
    validation: val,
    perClass,
    leaks: { groups: [], hashes: [...valHashes].filter((h) => trainHashes.has(h)) },
  };
}
