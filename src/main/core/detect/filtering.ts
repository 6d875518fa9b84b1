import type { DetectionCounts } from '../../../shared/types';
import type { ImageTop } from './detection-store';

/** What one image is at a threshold: its categories, or empty, or kept for its burst. */
export interface ImageVerdict {
  imageId: number;
  animal: boolean;
  person: boolean;
  vehicle: boolean;
  /** No box at or above the threshold, but another frame of its burst has an animal. */
  burstKept: boolean;
  empty: boolean;
  failed: boolean;
}

/**
 * Sorts processed images at a threshold. Burst-aware: a burst (sequence) with an animal in
 * any frame keeps all its frames as animal candidates, since an animal half out of frame or
 * behind grass in one frame is often clear in the next.
 */
export function verdicts(
  tops: readonly ImageTop[],
  threshold: number,
  burstAware = true,
): ImageVerdict[] {
  const animalBursts = new Set<number>();
  if (burstAware) {
    for (const t of tops) {
      if (t.sequenceId !== null && t.animal >= threshold) animalBursts.add(t.sequenceId);
    }
  }
  return tops.map((t) => {
    const failed = t.error !== null;
    const animal = t.animal >= threshold;
    const person = t.person >= threshold;
    const vehicle = t.vehicle >= threshold;
    const any = animal || person || vehicle;
    const burstKept = !any && !failed && t.sequenceId !== null && animalBursts.has(t.sequenceId);
    return {
      imageId: t.imageId,
      animal,
      person,
      vehicle,
      burstKept,
      empty: !any && !burstKept && !failed,
      failed,
    };
  });
}

/** Counts per category at a threshold; animal includes the frames kept for their burst. */
export function countVerdicts(
  list: readonly ImageVerdict[],
  readable: number,
  detector: string | null,
  threshold: number,
): DetectionCounts {
  const c: DetectionCounts = {
    detector,
    threshold,
    processed: 0,
    empty: 0,
    animal: 0,
    person: 0,
    vehicle: 0,
    burstKept: 0,
    pending: 0,
  };
  let failed = 0;
  for (const v of list) {
    if (v.failed) {
      failed++;
      continue;
    }
    c.processed++;
    if (v.empty) c.empty++;
    if (v.animal || v.burstKept) c.animal++;
    if (v.burstKept) c.burstKept++;
    if (v.person) c.person++;
    if (v.vehicle) c.vehicle++;
  }
  c.pending = Math.max(0, readable - c.processed - failed) + failed;
  return c;
}
