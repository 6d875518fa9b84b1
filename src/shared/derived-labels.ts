/**
 * An image's labels derived from its boxes: each class its (not deleted) boxes carry, with
 * how many boxes carry it. A multi-species image is one observation per class.
 */
export interface DerivedLabel {
  classId: number;
  boxes: number;
}

/** The derived labels of an image's boxes, most boxes first (then by class id). */
export function derivedLabels(
  boxes: readonly { classId: number | null; status: string }[],
): DerivedLabel[] {
  const counts = new Map<number, number>();
  for (const b of boxes) {
    if (b.classId === null || b.status === 'deleted') continue;
    counts.set(b.classId, (counts.get(b.classId) ?? 0) + 1);
  }
  return [...counts]
    .map(([classId, n]) => ({ classId, boxes: n }))
    .sort((a, b) => b.boxes - a.boxes || a.classId - b.classId);
}
