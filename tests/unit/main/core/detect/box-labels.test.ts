import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { derivedLabels } from '../../../../../src/shared/derived-labels';
import type { ClassInfo, Detection } from '../../../../../src/shared/types';
import { writeBoxScenes } from '../../../../helpers/box-scenes';
import { makeTestService } from '../../../../helpers/service';

/** Labelling boxes by class, undone and redone with the label history; labels derived from boxes. */
describe('box labels', () => {
  let t: ReturnType<typeof makeTestService>;
  let imageId: number;
  let boxes: Detection[];
  let deer: ClassInfo;
  let fox: ClassInfo;
  const boxesNow = () => t.service.api.detect.boxes(imageId);
  const classesOf = async () => (await boxesNow()).map((b) => b.classId);

  beforeAll(async () => {
    t = makeTestService();
    const [scene] = await writeBoxScenes(path.join(t.dir, 'scenes'), 1);
    await t.service.api.project.create({ path: path.join(t.dir, 'p.ocellus') });
    await t.service.api.library.addRoot(path.join(t.dir, 'scenes'));
    await t.service.whenIdle();
    imageId = (await t.service.api.library.listImages({})).items[0]?.id ?? -1;
    deer = await t.service.api.labels.addClass('deer');
    fox = await t.service.api.labels.addClass('fox');
    for (const o of scene?.objects ?? []) {
      await t.service.api.detect.addBox({ imageId, category: 'animal', box: o.box });
    }
    boxes = await boxesNow();
  }, 60_000);
  afterAll(async () => {
    await t.cleanup();
  });

  it('labels a box as one undoable action, and undo and redo put it back and forth', async () => {
    const [a, b] = boxes.map((x) => x.id) as [number, number];
    const change = await t.service.api.detect.labelBoxes([a], deer.id);
    expect(change.imageIds).toEqual([imageId]);
    expect(change.canUndo).toBe(true);
    await t.service.api.detect.labelBoxes([b], fox.id);
    expect(await classesOf()).toEqual([deer.id, fox.id]);
    expect((await t.service.api.labels.undo())?.imageIds).toEqual([imageId]);
    expect(await classesOf()).toEqual([deer.id, null]);
    await t.service.api.labels.undo();
    expect(await classesOf()).toEqual([null, null]);
    await t.service.api.labels.redo();
    expect(await classesOf()).toEqual([deer.id, null]);
    // Labelling the same box the same way again is no action: nothing to undo for it.
    const again = await t.service.api.detect.labelBoxes([a], deer.id);
    expect(again.batchId).toBeNull();
    // The image's own labels are untouched: box labels are the box's.
    expect((await t.service.api.library.image(imageId)).classIds).toEqual([]);
  });

  it('refuses an unknown box or class and changes nothing', async () => {
    await expect(t.service.api.detect.labelBoxes([999_999], deer.id)).rejects.toThrow(/No box/);
    await expect(t.service.api.detect.labelBoxes([boxes[0]?.id ?? 0], 424_242)).rejects.toThrow();
    expect(await classesOf()).toEqual([deer.id, null]);
  });

  it('derives an image’s labels from its boxes: one per class, deleted boxes and suggestions left out', () => {
    expect(
      derivedLabels([
        { classId: 2, status: 'confirmed' },
        { classId: 1, status: 'confirmed' },
        { classId: 2, status: 'pending' },
        { classId: 1, status: 'deleted' },
        { classId: null, status: 'confirmed' },
        // A classifier's suggestion is not a label.
        { classId: 1, classConf: 0.9, status: 'pending' },
      ]),
    ).toEqual([
      { classId: 2, boxes: 2 },
      { classId: 1, boxes: 1 },
    ]);
  });
});
