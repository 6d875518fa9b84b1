import type { IndexedLabels } from '../labels/indexed-labels';
import type { ImageTable, RowPlace } from './image-table';

/** One file read in a batch: its place, the row there, the content that row had and the file has. */
export interface ReadFile {
  rootId: number;
  relPath: string;
  slotId: number;
  oldHash: string | null;
  newHash: string;
}

/** Where a row that gave its content to another path came from. */
type Source = { row: number; from: { batch: number } | { missing: RowPlace } };

/**
 * Labels follow content when files trade contents. A file whose content changed to what another
 * row held — a row whose file is missing (renamed over this one), or another file of the
 * batch whose content changed too (two files swapped, or a rename cycle) — gets that row, labels
 * and all. The rows pushed out take the places the moving rows left: a missing file's place
 * (still missing, labels kept for when the content comes back), or a file of the batch with
 * content no row had (labels set aside by content hash: they were given to other pixels).
 * A file whose content changed to new content keeps its row and labels (an edit in place).
 * Returns how many rows moved.
 */
export function followContent(
  files: readonly ReadFile[],
  images: ImageTable,
  labels: IndexedLabels,
): number {
  const changed = files
    .map((f, i) => ({ f, i }))
    .filter(({ f }) => f.oldHash !== null && f.oldHash !== f.newHash);
  if (changed.length === 0) return 0;
  const slots = new Set(files.map((f) => f.slotId));
  const used = new Set<number>();
  const takes = new Map<number, Source>();
  for (const { f, i } of changed) {
    const left = changed.find(
      ({ f: g, i: j }) => j !== i && g.oldHash === f.newHash && !used.has(g.slotId),
    );
    if (left) {
      used.add(left.f.slotId);
      takes.set(i, { row: left.f.slotId, from: { batch: left.i } });
      continue;
    }
    const gone = images.missingWithHash(f.newHash).find((id) => !used.has(id) && !slots.has(id));
    const place = gone === undefined ? undefined : images.placeOf(gone);
    if (gone === undefined || !place) continue;
    used.add(gone);
    takes.set(i, { row: gone, from: { missing: place } });
  }
  if (takes.size === 0) return 0;
  const movers = [...takes.values()].map((s) => s.row);
  const pushed = [...takes.keys()]
    .map((i) => files[i]?.slotId)
    .filter((id): id is number => id !== undefined && !used.has(id));
  const freed = [...takes.values()]
    .map((s) => s.from)
    .filter((from) => !('batch' in from) || !takes.has(from.batch));
  for (const id of [...movers, ...pushed]) images.moveTo(id, 'parked');
  for (const [i, s] of takes) {
    const f = files[i];
    if (f) images.moveTo(s.row, { rootId: f.rootId, relPath: f.relPath, missing: 0 });
  }
  pushed.forEach((id, k) => {
    const from = freed[k];
    if (!from) return;
    if ('missing' in from) {
      images.moveTo(id, from.missing);
      return;
    }
    const f = files[from.batch];
    if (!f) return;
    images.moveTo(id, { rootId: f.rootId, relPath: f.relPath, missing: 0 });
    const former = images.hashOf(id);
    if (former) labels.setAsideFor(id, former);
  });
  return takes.size;
}
