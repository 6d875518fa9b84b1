import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OcellusService } from '../../../../../src/main/core/service';
import type { ImageTile, LibraryChange } from '../../../../../src/shared/types';
import {
  writeBmp,
  writeEmpty,
  writeJpeg,
  writePng,
  writeRotatedJpeg,
  writeTextAsJpeg,
  writeTruncatedJpeg,
} from '../../../../helpers/image-fixtures';
import { makeTestService } from '../../../../helpers/service';

async function allImages(service: OcellusService): Promise<ImageTile[]> {
  return (await service.api.library.listImages({ limit: 5000 })).items;
}

/** Resolves when `check` holds, re-checking after each library change (no sleeps). */
function waitForLibrary(
  service: OcellusService,
  check: () => Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      off();
      clearTimeout(timer);
      if (err) reject(err);
      else resolve();
    };
    const test = () =>
      void check().then(
        (ok) => ok && finish(),
        (err: Error) => finish(err),
      );
    const off = service.bus.on('library:changed', (_c: LibraryChange) => test());
    const timer = setTimeout(
      () => finish(new Error('library did not reach the expected state')),
      timeoutMs,
    );
    test();
  });
}

describe('image library', () => {
  let t: Awaited<ReturnType<typeof makeTestService>>;
  let photos: string;

  beforeEach(() => {
    t = makeTestService('web', { watch: false });
    photos = path.join(t.dir, 'photos');
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('imports nested, unicode, broken and unsupported files with EXIF, labels and sequences', async () => {
    const exif = (time: string) => ({
      DateTimeOriginal: time,
      Make: 'Reconyx',
      Model: 'HC600',
      BodySerialNumber: 'H600-42',
    });
    await writeJpeg(path.join(photos, 'lion', 'Ñandú 猫 1.jpg'), {
      width: 320,
      height: 240,
      color: '#aa3322',
      exif: exif('2024:05:01 13:45:10'),
    });
    await writeJpeg(path.join(photos, 'lion', 'burst 2.jpg'), {
      width: 320,
      height: 240,
      color: '#aa3323',
      exif: exif('2024:05:01 13:45:40'),
    });
    await writeJpeg(path.join(photos, 'zebra', 'deep', 'later.jpg'), {
      width: 320,
      height: 240,
      color: '#223344',
      exif: exif('2024:05:01 14:30:00'),
    });
    await writePng(path.join(photos, 'zebra', 'alpha.png'), { width: 64, height: 48, alpha: true });
    await writeTextAsJpeg(path.join(photos, 'zebra', 'notes.jpg'));
    await writeEmpty(path.join(photos, 'empty.jpg'));
    await writeTruncatedJpeg(path.join(photos, 'cut.jpg'));
    await writeBmp(path.join(photos, 'old.bmp'), { width: 8, height: 8 });
    fs.writeFileSync(path.join(photos, 'readme.txt'), 'not an image, not listed');

    const project = path.join(t.dir, 'season.ocellus');
    await t.service.api.project.create({ path: project });
    const root = await t.service.api.library.addRoot(photos, { labelsFromFolders: true });
    expect(root.path).toBe(photos);
    await t.service.whenIdle();

    const counts = await t.service.api.library.counts();
    expect(counts).toMatchObject({ total: 8, ok: 4, broken: 3, unsupported: 1, pending: 0 });
    const images = await allImages(t.service);
    const byName = new Map(images.map((i) => [i.relPath, i]));
    expect(byName.get('cut.jpg')?.status).toBe('broken');
    expect(byName.get('empty.jpg')?.error).toMatch(/empty/i);
    expect(byName.get('old.bmp')?.status).toBe('unsupported');
    expect(byName.get('old.bmp')?.error).toBeTruthy();

    const lion = byName.get('lion/Ñandú 猫 1.jpg');
    expect(lion).toBeDefined();
    const detail = await t.service.api.library.image(lion?.id ?? 0);
    expect(detail).toMatchObject({
      width: 320,
      height: 240,
      takenAt: '2024-05-01 13:45:10',
      cameraMake: 'Reconyx',
      cameraSerial: 'H600-42',
    });
    expect(detail.hash).toMatch(/^[0-9a-f]{64}$/);

    // Two shots 30 s apart are one burst; the one 45 min later is another.
    const burst = byName.get('lion/burst 2.jpg');
    const later = byName.get('zebra/deep/later.jpg');
    expect(lion?.sequenceId).not.toBeNull();
    expect(burst?.sequenceId).toBe(lion?.sequenceId);
    expect(later?.sequenceId).not.toBe(lion?.sequenceId);

    const status = await t.service.api.project.status();
    expect(status.classes).toEqual([
      { name: 'lion', count: 2 },
      { name: 'zebra', count: 2 },
    ]);
    expect(status.unlabelled).toBe(0);

    // Filters: problems only, and one folder.
    const problems = await t.service.api.library.listImages({ filter: { status: 'problem' } });
    expect(problems.total).toBe(4);
    const zebra = await t.service.api.library.listImages({ filter: { folder: 'zebra' } });
    expect(zebra.items.map((i) => i.relPath).sort()).toEqual([
      'zebra/alpha.png',
      'zebra/deep/later.jpg',
      'zebra/notes.jpg',
    ]);
  });

  it('writes upright thumbnails and serves only files it owns', async () => {
    await writeRotatedJpeg(path.join(photos, 'rotated.jpg'), 400, 300);
    await t.service.api.project.create({ path: path.join(t.dir, 'p.ocellus') });
    await t.service.api.library.addRoot(photos);
    await t.service.whenIdle();
    const [img] = await allImages(t.service);
    expect(img?.thumbVersion).toBeTruthy();
    const thumb = await t.service.media('thumb', img?.id ?? 0);
    expect(thumb?.contentType).toBe('image/webp');
    const meta = await sharp(thumb?.file ?? '').metadata();
    expect(meta.height).toBeGreaterThan(meta.width ?? Infinity);
    expect(Math.max(meta.width ?? 0, meta.height ?? 0)).toBeLessThanOrEqual(256);

    const original = await t.service.media('original', img?.id ?? 0);
    expect(original?.file).toBe(fs.realpathSync(path.join(photos, 'rotated.jpg')));

    // The file is swapped for a symlink that leads out of the root: refused.
    const secret = path.join(t.dir, 'secret.jpg');
    fs.writeFileSync(secret, 'secret');
    fs.rmSync(path.join(photos, 'rotated.jpg'));
    fs.symlinkSync(secret, path.join(photos, 'rotated.jpg'));
    expect(await t.service.media('original', img?.id ?? 0)).toBeNull();
    expect(await t.service.media('thumb', 999_999)).toBeNull();
  });

  it('keeps labels when a root is removed with keepLabels and its images return', async () => {
    await writeJpeg(path.join(photos, 'cat', 'a.jpg'), { width: 64, height: 64, color: '#101010' });
    await t.service.api.project.create({ path: path.join(t.dir, 'p.ocellus') });
    const root = await t.service.api.library.addRoot(photos, { labelsFromFolders: true });
    await t.service.whenIdle();
    await t.service.api.library.removeRoot(root.id, { keepLabels: true });
    expect((await t.service.api.library.counts()).total).toBe(0);

    const moved = path.join(t.dir, 'elsewhere');
    fs.mkdirSync(moved);
    fs.copyFileSync(path.join(photos, 'cat', 'a.jpg'), path.join(moved, 'renamed.jpg'));
    await t.service.api.library.addRoot(moved);
    await t.service.whenIdle();
    const [img] = await allImages(t.service);
    expect(img?.relPath).toBe('renamed.jpg');
    expect(img?.classIds).toHaveLength(1);
  });

  it('re-points a moved root without losing anything, and refuses overlapping roots', async () => {
    await writeJpeg(path.join(photos, 'cat', 'a.jpg'), { width: 64, height: 64 });
    await t.service.api.project.create({ path: path.join(t.dir, 'p.ocellus') });
    const root = await t.service.api.library.addRoot(photos, { labelsFromFolders: true });
    await t.service.whenIdle();
    await expect(t.service.api.library.addRoot(path.join(photos, 'cat'))).rejects.toMatchObject({
      code: 'ALREADY_EXISTS',
    });

    const newPlace = path.join(t.dir, 'new drive', 'photos');
    fs.mkdirSync(path.dirname(newPlace));
    fs.renameSync(photos, newPlace);
    expect((await t.service.api.library.roots())[0]?.exists).toBe(false);
    await t.service.api.library.relocateRoot(root.id, newPlace);
    await t.service.whenIdle();
    const [img] = await allImages(t.service);
    expect(img).toMatchObject({ relPath: 'cat/a.jpg', status: 'ok' });
    expect(img?.classIds).toHaveLength(1);
    expect((await t.service.api.library.counts()).missing).toBe(0);
  });

  it('follows files added, changed, renamed and deleted while watching', async () => {
    await t.cleanup();
    t = makeTestService('web', { watch: true, writeStabilityMs: 150 });
    photos = path.join(t.dir, 'photos');
    await writeJpeg(path.join(photos, 'cat', 'a.jpg'), { width: 64, height: 64, color: '#ff0000' });
    await t.service.api.project.create({ path: path.join(t.dir, 'p.ocellus') });
    await t.service.api.library.addRoot(photos, { labelsFromFolders: true });
    await t.service.whenIdle();
    const list = async () => new Map((await allImages(t.service)).map((i) => [i.relPath, i]));

    // Added while open.
    await writeJpeg(path.join(photos, 'cat', 'b.jpg'), { width: 64, height: 64, color: '#00ff00' });
    await waitForLibrary(t.service, async () => (await list()).get('cat/b.jpg')?.status === 'ok');

    // Renamed: same row, same label.
    const before = (await list()).get('cat/a.jpg');
    fs.renameSync(path.join(photos, 'cat', 'a.jpg'), path.join(photos, 'cat', 'a-renamed.jpg'));
    await waitForLibrary(
      t.service,
      async () => (await list()).get('cat/a-renamed.jpg')?.status === 'ok',
    );
    const after = (await list()).get('cat/a-renamed.jpg');
    expect(after?.id).toBe(before?.id);
    expect(after?.classIds).toEqual(before?.classIds);

    // A folder renamed: every image keeps its row and labels.
    fs.renameSync(path.join(photos, 'cat'), path.join(photos, 'feline'));
    await waitForLibrary(t.service, async () => {
      const m = await list();
      return (
        m.get('feline/a-renamed.jpg')?.status === 'ok' && m.get('feline/b.jpg')?.status === 'ok'
      );
    });
    expect((await list()).get('feline/a-renamed.jpg')?.id).toBe(before?.id);
    expect((await t.service.api.project.status()).classes).toEqual([{ name: 'cat', count: 2 }]);

    // Deleted: gone from the grid, kept as missing.
    fs.rmSync(path.join(photos, 'feline', 'b.jpg'));
    await waitForLibrary(t.service, async () => !(await list()).has('feline/b.jpg'));
    expect(await t.service.api.library.counts()).toMatchObject({ total: 1, missing: 1 });
  });

  it('reconciles on open what changed while the project was closed', async () => {
    await writeJpeg(path.join(photos, 'a.jpg'), { width: 64, height: 64 });
    const file = path.join(t.dir, 'p.ocellus');
    await t.service.api.project.create({ path: file });
    await t.service.api.library.addRoot(photos);
    await t.service.whenIdle();
    await t.service.api.project.close();

    await writeJpeg(path.join(photos, 'new.jpg'), { width: 64, height: 64, color: '#00ff00' });
    fs.rmSync(path.join(photos, 'a.jpg'));
    // A second service with syncing on, as the desktop app opens a project.
    const again = makeTestService('web', { watch: true });
    try {
      await again.service.api.project.open(file);
      await again.service.whenIdle();
      const items = await allImages(again.service);
      expect(items.map((i) => i.relPath)).toEqual(['new.jpg']);
      expect((await again.service.api.library.counts()).missing).toBe(1);
    } finally {
      await again.cleanup();
    }
  });
});
