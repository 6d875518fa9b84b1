import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeJpeg } from '../../../../helpers/image-fixtures';
import { makeTestService } from '../../../../helpers/service';

/** Labels belong to content: files that trade contents take their labels with them. */
describe('labels follow content when files swap, rotate or are renamed over', () => {
  let t: ReturnType<typeof makeTestService>;
  let photos: string;
  const names = ['a', 'b', 'c', 'd'] as const;
  const colours = { a: '#ff0000', b: '#00ff00', c: '#0000ff', d: '#ffff00' };
  const classOf: Record<string, number> = {};

  beforeEach(async () => {
    t = makeTestService('web', { watch: false });
    photos = path.join(t.dir, 'photos');
    for (const [i, n] of names.entries())
      await writeJpeg(path.join(photos, `${n}.jpg`), {
        width: 40 + 8 * i,
        height: 40,
        color: colours[n],
      });
    await t.service.api.project.create({ path: path.join(t.dir, 'p.ocellus') });
    await t.service.api.library.addRoot(photos);
    await t.service.whenIdle();
    const items = (await t.service.api.library.listImages({ limit: 100 })).items;
    for (const n of names) {
      const cls = await t.service.api.labels.addClass(`class-${n}`);
      classOf[n] = cls.id;
      const img = items.find((i) => i.relPath === `${n}.jpg`);
      await t.service.api.labels.assign([img!.id], cls.id);
    }
  });
  afterEach(async () => {
    await t.cleanup();
  });

  /** The class names on each present file, by file. */
  async function labelsByFile(): Promise<Record<string, string[]>> {
    const items = (await t.service.api.library.listImages({ limit: 100 })).items;
    const name = (id: number) => Object.keys(classOf).find((k) => classOf[k] === id) ?? '?';
    return Object.fromEntries(items.map((i) => [i.relPath, i.classIds.map(name)]));
  }

  async function rescan(): Promise<void> {
    // Later times on every file, so the rescan reads them all whatever their sizes.
    const later = new Date(Date.now() + 10_000);
    for (const f of fs.readdirSync(photos)) fs.utimesSync(path.join(photos, f), later, later);
    await t.service.api.library.rescan();
    await t.service.whenIdle();
  }

  const mv = (from: string, to: string) =>
    fs.renameSync(path.join(photos, from), path.join(photos, to));

  it('two files swapped: each keeps the labels of its own pixels', async () => {
    mv('a.jpg', 'tmp.jpg');
    mv('b.jpg', 'a.jpg');
    mv('tmp.jpg', 'b.jpg');
    await rescan();
    expect(await labelsByFile()).toEqual({
      'a.jpg': ['b'],
      'b.jpg': ['a'],
      'c.jpg': ['c'],
      'd.jpg': ['d'],
    });
  });

  it('three files rotated', async () => {
    mv('a.jpg', 'tmp.jpg');
    mv('c.jpg', 'a.jpg');
    mv('b.jpg', 'c.jpg');
    mv('tmp.jpg', 'b.jpg');
    await rescan();
    expect(await labelsByFile()).toEqual({
      'a.jpg': ['c'],
      'b.jpg': ['a'],
      'c.jpg': ['b'],
      'd.jpg': ['d'],
    });
  });

  it('a file renamed over another: its labels follow, and the lost pixels keep theirs until they return', async () => {
    mv('c.jpg', 'a.jpg');
    await rescan();
    expect(await labelsByFile()).toEqual({ 'a.jpg': ['c'], 'b.jpg': ['b'], 'd.jpg': ['d'] });
    const counts = await t.service.api.library.counts();
    expect(counts.missing).toBe(1);
    // The red picture comes back under a new name: its label comes with it.
    await writeJpeg(path.join(photos, 'back.jpg'), { width: 40, height: 40, color: colours.a });
    await rescan();
    expect(await labelsByFile()).toEqual({
      'a.jpg': ['c'],
      'b.jpg': ['b'],
      'back.jpg': ['a'],
      'd.jpg': ['d'],
    });
  });

  it('a file moved onto another while a third takes new pixels: the pushed-out labels are set aside', async () => {
    mv('b.jpg', 'a.jpg');
    await writeJpeg(path.join(photos, 'b.jpg'), { width: 200, height: 40, color: '#808080' });
    await rescan();
    expect(await labelsByFile()).toEqual({
      'a.jpg': ['b'],
      'b.jpg': [],
      'c.jpg': ['c'],
      'd.jpg': ['d'],
    });
    // Kept by content: the red picture returns, and so does its label.
    await writeJpeg(path.join(photos, 'red.jpg'), { width: 40, height: 40, color: colours.a });
    await rescan();
    expect((await labelsByFile())['red.jpg']).toEqual(['a']);
  });

  it('a file edited in place keeps its labels', async () => {
    await writeJpeg(path.join(photos, 'd.jpg'), {
      width: 64,
      height: 40,
      color: colours.d,
      quality: 60,
    });
    await rescan();
    expect((await labelsByFile())['d.jpg']).toEqual(['d']);
  });
});
