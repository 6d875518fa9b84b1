/**
 * An image's labels derived from its boxes: each class people gave its (not deleted) boxes,
 * with how many boxes carry it; a classifier's suggestion for a box is not a label. A
 * multi-species image is one observation per class.
 */
export interface DerivedLabel {
  classId: number;
  boxes: number;
}

/** The derived labels of an image's boxes, most boxes first (then by class id). */
export function derivedLabels(
  boxes: readonly { classId: number | null; classConf?: number | null; status: string }[],
): DerivedLabel[] {
  const counts = new Map<number, number>();
  for (const b of boxes) {
    if (b.classId === null || b.status === 'deleted' || (b.classConf ?? null) !== null) continue;
    counts.set(b.classId, (counts.get(b.classId) ?? 0) + 1);
  }
  return [...counts]
    .map(([classId, n]) => ({ classId, boxes: n }))
    .sort((a, b) => b.boxes - a.boxes || a.classId - b.classId);
}
