import type { RunSummary } from '../../../shared/types';

/** The words a run's counts take: images, or boxes (their crops) for a box-level run. */
export interface RunUnit {
  /** One item: "image" or "box". */
  one: string;
  /** Several: "images" or "boxes". */
  many: string;
  /** What the model sees of an item: "image" or "crop". */
  seen: string;
}

/** What a run's counts count, from its configured unit. */
export function runUnit(run: Pick<RunSummary, 'config'>): RunUnit {
  return run.config.unit === 'box'
    ? { one: 'box', many: 'boxes', seen: 'crop' }
    : { one: 'image', many: 'images', seen: 'image' };
}
