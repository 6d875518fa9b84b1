import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LabelStore } from '../../../../../src/main/core/labels/label-store';
import { writeJpeg } from '../../../../helpers/image-fixtures';
import { makeTestService } from '../../../../helpers/service';

describe('human labels are protected', () => {
  let t: ReturnType<typeof makeTestService>;
  let ids: number[];
  let deer: number;
  let fox: number;

  const classOf = async (id: number) => (await t.service.api.library.image(id)).classIds;

  beforeEach(async () => {
    t = makeTestService();
    const photos = path.join(t.dir, 'photos');
    for (let i = 0; i < 5; i++)
      await writeJpeg(path.join(photos, `${i}.jpg`), { width: 8, height: 8, color: '#808080' });
    await t.service.api.project.create({ path: path.join(t.dir, 'p.ocellus') });
    await t.service.api.library.addRoot(photos);
    await t.service.whenIdle();
    ids = await t.service.api.library.imageIds({}, 'path');
    deer = (await t.service.api.labels.addClass('deer')).id;
    fox = (await t.service.api.labels.addClass('fox')).id;
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('a class key over human labels of another class writes nothing and says how many', async () => {
    const [a = 0, b = 0, c = 0] = ids;
    await t.service.api.labels.assign([a, b], deer);
    const asked = await t.service.api.labels.assign([a, b, c], fox);
    expect(asked).toMatchObject({ replacesHuman: 2, batchId: null, imageIds: [] });
    expect(asked.description).toMatch(/2 images/);
    expect([await classOf(a), await classOf(c)]).toEqual([[deer], []]);
    // The same class again is no conflict, and says nothing changed.
    const same = await t.service.api.labels.assign([a, b], deer);
    expect(same).toMatchObject({ imageIds: [], description: 'All 2 images already deer' });
    expect(same.replacesHuman).toBeUndefined();
    const done = await t.service.api.labels.assign([a, b, c], fox, { replaceHuman: true });
    expect(done.description).toBe('Label 3 images as fox');
    expect(await classOf(a)).toEqual([fox]);
  });

  it('a model label is replaced without asking; multi-label projects never replace', async () => {
    const [a = 0, b = 0] = ids;
    // A model's label, written as the store writes one (no API call writes them).
    const db = new Database(path.join(t.dir, 'p.ocellus'));
    new LabelStore(db, () => 'single').assign([a], deer, 'model', {
      model: { runId: 1, confidence: 0.9 },
    });
    db.close();
    expect((await t.service.api.labels.assign([a], fox)).imageIds).toEqual([a]);
    await t.service.api.labels.setLabelMode('multi');
    await t.service.api.labels.assign([b], deer);
    const change = await t.service.api.labels.assign([b], fox);
    expect(change.replacesHuman).toBeUndefined();
    expect((await classOf(b)).sort()).toEqual([deer, fox].sort());
  });

  it('labelling a burst asks as a class key does', async () => {
    const [first] = (await t.service.api.library.listImages({ limit: 1 })).items;
    const seq = first?.sequenceId;
    if (seq === null || seq === undefined) throw new Error('no sequence');
    const inSeq = await t.service.api.library.imageIds({ sequenceId: seq });
    await t.service.api.labels.assign([inSeq[0] ?? 0], deer);
    expect(await t.service.api.labels.assignSequence(seq, fox)).toMatchObject({
      replacesHuman: 1,
    });
    const done = await t.service.api.labels.assignSequence(seq, fox, { replaceHuman: true });
    expect(done.imageIds).toHaveLength(inSeq.length);
  });

  it('taking human labels off several images asks first, with the count; one image does not', async () => {
    const [a = 0, b = 0, c = 0] = ids;
    await t.service.api.labels.assign([a, b, c], deer, { replaceHuman: true });
    const asked = await t.service.api.labels.unassign([a, b, c], deer);
    expect(asked).toMatchObject({ replacesHuman: 3, imageIds: [], batchId: null });
    expect(await classOf(a)).toEqual([deer]);
    expect((await t.service.api.labels.clear([a, b])).replacesHuman).toBe(2);
    expect((await t.service.api.labels.unassign([a], deer)).imageIds).toEqual([a]);
    expect((await t.service.api.labels.clear([b, c], { replaceHuman: true })).imageIds).toEqual([
      b,
      c,
    ]);
    expect(await classOf(c)).toEqual([]);
  });

  it('an action that changes nothing keeps redo', async () => {
    const [a = 0, b = 0] = ids;
    await t.service.api.labels.assign([a], deer);
    await t.service.api.labels.undo();
    expect((await t.service.api.labels.clear([b])).canRedo).toBe(true);
    expect((await t.service.api.labels.unassign([b], fox)).canRedo).toBe(true);
    expect((await t.service.api.labels.redo())?.imageIds).toEqual([a]);
  });

  it('a label import over human labels asks first and leaves nothing behind, not even classes', async () => {
    const [a = 0] = ids;
    await t.service.api.labels.assign([a], deer);
    const file = path.join(t.dir, 'labels.csv');
    fs.writeFileSync(file, 'path,label\n0.jpg,badger\n1.jpg,fox\n');
    const asked = await t.service.api.export.importLabels(file);
    expect(asked).toMatchObject({ replacesHuman: 1, batchId: null });
    expect((await t.service.api.labels.classes()).map((c) => c.name)).toEqual(['deer', 'fox']);
    expect(await classOf(ids[1] ?? 0)).toEqual([]);
    const done = await t.service.api.export.importLabels(file, { replaceHuman: true });
    expect(done.labelled).toBe(2);
    expect((await t.service.api.labels.classes()).map((c) => c.name)).toContain('badger');
  });

  it('rejects options that are not an object of booleans', async () => {
    await expect(
      t.service.api.labels.assign([ids[0] ?? 0], deer, {
        replaceHuman: 'yes' as unknown as boolean,
      }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
