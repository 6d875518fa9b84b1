import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LabelsChanged } from '../../../../../src/shared/types';
import { writeJpeg } from '../../../../helpers/image-fixtures';
import { makeTestService } from '../../../../helpers/service';

describe('classes and labels', () => {
  let t: ReturnType<typeof makeTestService>;
  let ids: number[];

  async function labelsOf(id: number): Promise<string[]> {
    const classes = await t.service.api.labels.classes();
    const img = await t.service.api.library.image(id);
    return img.classIds.map((c) => classes.find((k) => k.id === c)?.name ?? '?').sort();
  }

  beforeEach(async () => {
    t = makeTestService();
    const photos = path.join(t.dir, 'photos');
    for (let i = 0; i < 6; i++) {
      await writeJpeg(path.join(photos, `${i}.jpg`), {
        width: 32,
        height: 32,
        color: { r: i * 40, g: 0, b: 0 },
      });
    }
    await t.service.api.project.create({ path: path.join(t.dir, 'p.ocellus') });
    await t.service.api.library.addRoot(photos);
    await t.service.whenIdle();
    ids = await t.service.api.library.imageIds({}, 'path');
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('creates classes with hotkeys 1, 2, … and refuses duplicate names in any case', async () => {
    const deer = await t.service.api.labels.addClass('Deer');
    const boar = await t.service.api.labels.addClass('  wild   boar ');
    expect([deer.hotkey, boar.hotkey]).toEqual(['1', '2']);
    expect(boar.name).toBe('wild boar');
    await expect(t.service.api.labels.addClass('deer')).rejects.toMatchObject({
      code: 'ALREADY_EXISTS',
    });
    await expect(t.service.api.labels.addClass('  ')).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    // Taking a hotkey moves it from the class that had it.
    await t.service.api.labels.updateClass(boar.id, { hotkey: '1', color: '#112233' });
    const [d, b] = await t.service.api.labels.classes();
    expect([d?.hotkey, b?.hotkey, b?.color]).toEqual([null, '1', '#112233']);
  });

  it('single-label: assigning replaces; undo and redo restore exactly, bulk included', async () => {
    const deer = await t.service.api.labels.addClass('deer');
    const boar = await t.service.api.labels.addClass('boar');
    const events: LabelsChanged[] = [];
    t.service.bus.on('labels:changed', (e) => events.push(e));

    await t.service.api.labels.assign(ids.slice(0, 4), deer.id);
    // Replacing a human's labels with another class asks first: nothing is written.
    const asked = await t.service.api.labels.assign(
      [ids[0] ?? 0, ids[1] ?? 0, ids[5] ?? 0],
      boar.id,
    );
    expect(asked).toMatchObject({ replacesHuman: 2, imageIds: [], batchId: null });
    expect(await labelsOf(ids[5] ?? 0)).toEqual([]);
    const change = await t.service.api.labels.assign([ids[0] ?? 0, ids[1] ?? 0], boar.id, {
      replaceHuman: true,
    });
    expect(change).toMatchObject({ canUndo: true, canRedo: false });
    expect(await labelsOf(ids[0] ?? 0)).toEqual(['boar']);
    expect((await t.service.api.labels.counts()).classes.map((c) => c.count)).toEqual([2, 2]);

    const undone = await t.service.api.labels.undo();
    expect(undone?.description).toMatch(/^Undo Label 2 images as boar/);
    expect(await labelsOf(ids[0] ?? 0)).toEqual(['deer']);
    await t.service.api.labels.undo();
    expect((await t.service.api.labels.counts()).unlabelled).toBe(6);
    expect(await t.service.api.labels.undo()).toBeNull();

    await t.service.api.labels.redo();
    await t.service.api.labels.redo();
    expect(await labelsOf(ids[0] ?? 0)).toEqual(['boar']);
    expect(await labelsOf(ids[3] ?? 0)).toEqual(['deer']);
    expect(await t.service.api.labels.redo()).toBeNull();

    // A new action after an undo drops the redo.
    await t.service.api.labels.undo();
    await t.service.api.labels.clear([ids[5] ?? 0]);
    expect((await t.service.api.labels.clear([ids[3] ?? 0])).canRedo).toBe(false);
    expect(events.length).toBeGreaterThan(5);
    expect(events.at(-1)?.imageIds).toEqual([ids[3]]);

    const history = await t.service.api.labels.history(ids[0] ?? 0);
    expect(history.map((h) => [h.action, h.className, h.source, h.undone])).toEqual([
      ['add', 'deer', 'human', false],
      ['remove', 'deer', 'human', true],
      ['add', 'boar', 'human', true],
    ]);
  });

  it('multi-label keeps several classes; switching to single keeps one per image', async () => {
    await t.service.api.labels.setLabelMode('multi');
    const a = await t.service.api.labels.addClass('animal');
    const n = await t.service.api.labels.addClass('night');
    await t.service.api.labels.assign([ids[0] ?? 0, ids[1] ?? 0], a.id);
    await t.service.api.labels.assign([ids[0] ?? 0], n.id);
    expect(await labelsOf(ids[0] ?? 0)).toEqual(['animal', 'night']);
    const { affectedImages } = await t.service.api.labels.setLabelMode('single');
    expect(affectedImages).toBe(1);
    expect(await labelsOf(ids[0] ?? 0)).toHaveLength(1);
    expect(await labelsOf(ids[1] ?? 0)).toEqual(['animal']);
    expect((await t.service.api.project.current())?.labelMode).toBe('single');
  });

  it('merge moves labels and deletes the source; delete removes labels, not images; rename keeps labels', async () => {
    await t.service.api.labels.setLabelMode('multi');
    const fox = await t.service.api.labels.addClass('fox');
    const vulpes = await t.service.api.labels.addClass('Vulpes');
    await t.service.api.labels.assign([ids[0] ?? 0, ids[1] ?? 0], fox.id);
    await t.service.api.labels.assign([ids[1] ?? 0, ids[2] ?? 0], vulpes.id);
    expect((await t.service.api.labels.counts()).canUndo).toBe(true);
    expect(await t.service.api.labels.mergeClasses(fox.id, vulpes.id)).toEqual({ moved: 1 });
    // Undo stops at a merge: its earlier steps name a class that is gone.
    expect((await t.service.api.labels.counts()).canUndo).toBe(false);
    expect(await t.service.api.labels.undo()).toBeNull();
    await t.service.api.labels.assign([ids[3] ?? 0], vulpes.id);
    expect((await t.service.api.labels.counts()).canUndo).toBe(true);
    await t.service.api.labels.undo();
    expect((await t.service.api.labels.counts()).canUndo).toBe(false);
    const after = await t.service.api.labels.classes();
    expect(after.map((c) => [c.name, c.count])).toEqual([['Vulpes', 3]]);
    expect(await labelsOf(ids[1] ?? 0)).toEqual(['Vulpes']);

    await t.service.api.labels.updateClass(vulpes.id, { name: 'red fox' });
    expect(await labelsOf(ids[2] ?? 0)).toEqual(['red fox']);
    await expect(t.service.api.labels.mergeClasses(vulpes.id, vulpes.id)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });

    expect(await t.service.api.labels.deleteClass(vulpes.id)).toEqual({ removedLabels: 3 });
    expect(await t.service.api.labels.classes()).toEqual([]);
    expect((await t.service.api.library.counts()).total).toBe(6);
    expect((await t.service.api.labels.counts()).unlabelled).toBe(6);
    // History survives the class, by id.
    expect((await t.service.api.labels.history(ids[0] ?? 0))[0]).toMatchObject({
      action: 'add',
      className: null,
    });
  });

  it('labels a whole sequence, reorders classes, and reports readiness to train', async () => {
    const c1 = await t.service.api.labels.addClass('one');
    const c2 = await t.service.api.labels.addClass('two');
    const [first] = (await t.service.api.library.listImages({ limit: 1 })).items;
    const seq = first?.sequenceId ?? 0;
    const inSeq = (await t.service.api.library.imageIds({ sequenceId: seq })).length;
    const change = await t.service.api.labels.assignSequence(seq, c1.id);
    expect(change.imageIds).toHaveLength(inSeq);
    expect((await t.service.api.labels.reorderClasses([c2.id, c1.id])).map((c) => c.name)).toEqual([
      'two',
      'one',
    ]);
    let counts = await t.service.api.labels.counts();
    expect(counts.readyToTrain).toBe(false);
    expect(counts.readyHint).toMatch(/at least 5/);
    await t.service.api.labels.assign(ids.slice(0, 5), c1.id);
    await t.service.api.labels.assign(ids.slice(5), c2.id);
    counts = await t.service.api.labels.counts();
    expect(counts.readyToTrain).toBe(false);
    expect(counts.unlabelled).toBe(0);
  });
});
