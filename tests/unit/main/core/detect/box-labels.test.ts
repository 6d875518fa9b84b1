import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBoxSuggestions } from '../../../../../src/main/core/detect/detection-store';
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

/** A classifier's suggestion on a box, replaced by a person's label, comes back whole on undo. */
describe("box labels over a classifier's suggestion", () => {
  let t: ReturnType<typeof makeTestService>;
  let projectPath: string;
  let imageId: number;
  let boxId: number;
  let deer: ClassInfo;
  let fox: ClassInfo;
  // Not a round number: the confidence must come back bit for bit, not approximately.
  const confidence = 0.7312345678901234;
  const box = async () => (await t.service.api.detect.boxes(imageId)).find((b) => b.id === boxId);

  beforeAll(async () => {
    t = makeTestService();
    const [scene] = await writeBoxScenes(path.join(t.dir, 'scenes'), 1);
    projectPath = path.join(t.dir, 'p.ocellus');
    await t.service.api.project.create({ path: projectPath });
    await t.service.api.library.addRoot(path.join(t.dir, 'scenes'));
    await t.service.whenIdle();
    imageId = (await t.service.api.library.listImages({})).items[0]?.id ?? -1;
    deer = await t.service.api.labels.addClass('deer');
    fox = await t.service.api.labels.addClass('fox');
    const first = scene?.objects[0];
    if (!first) throw new Error('the scene has no object');
    await t.service.api.detect.addBox({ imageId, category: 'animal', box: first.box });
    boxId = (await t.service.api.detect.boxes(imageId))[0]?.id ?? -1;
    // What a box run's suggestions write: the classifier's class and its confidence (a second
    // connection to the same project file, as the suggestion job's owner function writes it).
    const db = new Database(projectPath);
    try {
      writeBoxSuggestions(db, [{ id: boxId, classId: deer.id, confidence }]);
    } finally {
      db.close();
    }
  }, 60_000);
  afterAll(async () => {
    await t.cleanup();
  });

  it('undo gives the class and its confidence back exactly; redo is the person’s label again', async () => {
    expect(await box()).toMatchObject({ classId: deer.id, classConf: confidence });
    await t.service.api.detect.labelBoxes([boxId], fox.id);
    expect(await box()).toMatchObject({ classId: fox.id, classConf: null, status: 'confirmed' });
    await t.service.api.labels.undo();
    const undone = await box();
    expect(undone?.classId).toBe(deer.id);
    expect(undone?.classConf).toBe(confidence);
    await t.service.api.labels.redo();
    expect(await box()).toMatchObject({ classId: fox.id, classConf: null, status: 'confirmed' });
    await t.service.api.labels.undo();
    expect((await box())?.classConf).toBe(confidence);
  });

  it('a drawn box is a step of the history: undo takes it away, redo puts it back', async () => {
    const shown = async () => (await t.service.api.detect.boxes(imageId)).map((b) => b.id);
    const before = await shown();
    const drawn = await t.service.api.detect.addBox({
      imageId,
      category: 'animal',
      box: [0.1, 0.1, 0.2, 0.2],
      classId: fox.id,
    });
    // Shown as drawn, not as a detector's score.
    expect(drawn).toMatchObject({ source: 'human', classId: fox.id, status: 'confirmed' });
    expect(await shown()).toEqual([...before, drawn.id]);
    const undone = await t.service.api.labels.undo();
    expect(undone?.description).toContain('Draw a box (animal)');
    expect(await shown()).toEqual(before);
    await t.service.api.labels.redo();
    expect(await shown()).toEqual([...before, drawn.id]);
    expect((await box())?.id).toBe(boxId);
    // Deleting it is a step too: undo brings it back, and the step before (the draw) stays.
    await t.service.api.detect.updateBox(drawn.id, { status: 'deleted' });
    expect(await shown()).toEqual(before);
    expect((await t.service.api.labels.undo())?.description).toContain('Delete a box');
    expect(await shown()).toEqual([...before, drawn.id]);
    await t.service.api.labels.redo();
    expect(await shown()).toEqual(before);
  });
});
