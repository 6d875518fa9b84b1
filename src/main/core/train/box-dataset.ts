import path from 'node:path';
import type Database from 'better-sqlite3';
import type { SplitGrouping } from '../../../shared/types';
import { ClassStore } from '../labels/class-store';
import { labelledBoxes } from '../detect/detection-store';
import { cropEmbeddingHash, type CropItem } from '../ml/embedder';
import { imageGroups, trainableClasses, type TrainingSet } from './dataset';

/** A box run's items: the training set (ids are box ids, hashes crop keys) and the crops to embed. */
export interface BoxTrainingSet {
  set: TrainingSet;
  crops: CropItem[];
}

/**
 * The boxes a box run learns from: not deleted, with a person's class, on a readable image.
 * Each box takes its image's split group (a box-level run is grouped like an image-level
 * one, and with 'none' every image is its own group), so all boxes of one image, and of its
 * burst when grouped by sequence, stay on one side of the split. Classes with fewer than two
 * boxes are left out; fewer than two classes is refused.
 */
export function collectBoxTrainingSet(
  db: Database.Database,
  groupBy: SplitGrouping,
  rootPath: (rootId: number) => string | null,
): BoxTrainingSet {
  const boxes = labelledBoxes(db).flatMap((b) =>
    b.classId === null ? [] : [{ ...b, classId: b.classId }],
  );
  const classRows = new ClassStore(db).list().map((c) => ({ id: c.id, name: c.name }));
  const classes = trainableClasses(
    classRows,
    boxes.map((b) => b.classId),
    'Box-level training',
    'labelled boxes',
  );
  const index = new Map(classes.map((c, i) => [c.id, i]));
  const groups = imageGroups(
    db,
    groupBy,
    boxes.map((b) => b.imageId),
  );
  const set: TrainingSet = { classes, images: [], excludedUnlabelled: 0, excludedUnreadable: 0 };
  const crops: CropItem[] = [];
  for (const b of boxes) {
    const label = index.get(b.classId);
    const root = rootPath(b.rootId);
    if (label === undefined || root === null) continue;
    const key = cropEmbeddingHash(b.hash, b.box);
    set.images.push({
      id: b.id,
      hash: key,
      label,
      group: groups.get(b.imageId) ?? `image:${b.imageId}`,
    });
    const file = path.join(root, ...b.relPath.split('/'));
    crops.push({ key, file, frame: b.frame, box: b.box });
  }
  return { set, crops };
}
