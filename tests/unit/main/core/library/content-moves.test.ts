import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dicomBytes, writeBytes } from '../../../../helpers/dicom-fixtures';
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

describe('labels follow content across the batches the indexer reads in', () => {
  let t: ReturnType<typeof makeTestService>;
  afterEach(async () => {
    await t.cleanup();
  });

  it('two of 140 changed files swapped, read 128 at a time, and a rename chain across them', async () => {
    t = makeTestService('web', { watch: false });
    const photos = path.join(t.dir, 'photos');
    const name = (i: number) => `f${String(i).padStart(4, '0')}.jpg`;
    for (let i = 0; i < 140; i++) {
      const c = (n: number) => ((i * n) % 256).toString(16).padStart(2, '0');
      await writeJpeg(path.join(photos, name(i)), {
        width: 24,
        height: 24,
        color: `#${c(37)}${c(91)}${c(151)}`,
      });
    }
    await t.service.api.project.create({ path: path.join(t.dir, 'p.ocellus') });
    await t.service.api.library.addRoot(photos);
    await t.service.whenIdle();
    const items = (await t.service.api.library.listImages({ limit: 500 })).items;
    const byPath = new Map(items.map((i) => [i.relPath, i.id]));
    const first = await t.service.api.labels.addClass('first');
    const last = await t.service.api.labels.addClass('last');
    const chain = await t.service.api.labels.addClass('chain');
    await t.service.api.labels.assign([byPath.get(name(0))!], first.id);
    await t.service.api.labels.assign([byPath.get(name(139))!], last.id);
    await t.service.api.labels.assign([byPath.get(name(130))!], chain.id);
    const mv = (a: string, b: string) => fs.renameSync(path.join(photos, a), path.join(photos, b));
    // f0000 ↔ f0139; f0120 deleted and f0121…f0130 each renamed one down.
    mv(name(0), 'tmp.jpg');
    mv(name(139), name(0));
    mv('tmp.jpg', name(139));
    fs.rmSync(path.join(photos, name(120)));
    for (let i = 121; i <= 130; i++) mv(name(i), name(i - 1));
    const later = new Date(Date.now() + 10_000);
    for (const f of fs.readdirSync(photos)) fs.utimesSync(path.join(photos, f), later, later);
    await t.service.api.library.rescan();
    await t.service.whenIdle();
    const after = (await t.service.api.library.listImages({ limit: 500 })).items;
    const labelled = Object.fromEntries(
      after.filter((i) => i.classIds.length > 0).map((i) => [i.relPath, i.classIds]),
    );
    expect(labelled).toEqual({
      [name(0)]: [last.id],
      [name(129)]: [chain.id],
      [name(139)]: [first.id],
    });
  });
});

it('two single-frame DICOM files swapped keep the labels of their own pixels', async () => {
  const t = makeTestService('web', { watch: false });
  try {
    const scans = path.join(t.dir, 'scans');
    const grey = (v: number) =>
      dicomBytes(new Uint8Array(64).fill(v), { width: 8, height: 8, channels: 1 });
    writeBytes(path.join(scans, 'a.dcm'), grey(10));
    writeBytes(path.join(scans, 'b.dcm'), grey(200));
    await t.service.api.project.create({ path: path.join(t.dir, 'p.ocellus') });
    await t.service.api.library.addRoot(scans);
    await t.service.whenIdle();
    const items = (await t.service.api.library.listImages({ limit: 10 })).items;
    const ids: Record<string, number> = {};
    for (const n of ['a', 'b']) {
      const c = await t.service.api.labels.addClass(n);
      ids[n] = c.id;
      await t.service.api.labels.assign([items.find((i) => i.relPath === `${n}.dcm`)!.id], c.id);
    }
    const mv = (x: string, y: string) => fs.renameSync(path.join(scans, x), path.join(scans, y));
    mv('a.dcm', 't.dcm');
    mv('b.dcm', 'a.dcm');
    mv('t.dcm', 'b.dcm');
    const later = new Date(Date.now() + 10_000);
    for (const f of fs.readdirSync(scans)) fs.utimesSync(path.join(scans, f), later, later);
    await t.service.api.library.rescan();
    await t.service.whenIdle();
    const after = (await t.service.api.library.listImages({ limit: 10 })).items;
    expect(Object.fromEntries(after.map((i) => [i.relPath, i.classIds]))).toEqual({
      'a.dcm': [ids['b']],
      'b.dcm': [ids['a']],
    });
  } finally {
    await t.cleanup();
  }
});
