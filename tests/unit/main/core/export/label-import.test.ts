import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeJpeg } from '../../../../helpers/image-fixtures';
import { makeTestService } from '../../../../helpers/service';

describe('label import from CSV', () => {
  let t: ReturnType<typeof makeTestService>;
  let photos: string;
  beforeEach(async () => {
    t = makeTestService();
    photos = path.join(t.dir, 'photos');
    for (const f of ['a/1.jpg', 'a/2.jpg', 'b/3.jpg'])
      await writeJpeg(path.join(photos, ...f.split('/')), { width: 8, height: 8 });
    await t.service.api.project.create({ path: path.join(t.dir, 'p.ocellus'), labelMode: 'multi' });
    await t.service.api.library.addRoot(photos);
    await t.service.whenIdle();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const names = async () => {
    const classes = await t.service.api.labels.classes();
    const page = await t.service.api.library.listImages({ sort: 'path', limit: 10 });
    return Object.fromEntries(
      page.items.map((im) => [
        im.relPath,
        im.classIds.map((id) => classes.find((c) => c.id === id)?.name).sort(),
      ]),
    );
  };

  it('reads header-less rows, relative and Windows-style paths, several labels per image', async () => {
    const file = path.join(t.dir, 'in.csv');
    fs.writeFileSync(file, 'a/1.jpg,fox;badger\r\na\\2.jpg,fox\r\nb/3.jpg,\r\nzz/9.jpg,fox\r\n');
    const r = await t.service.api.export.importLabels(file);
    expect(r).toMatchObject({ rows: 4, labelled: 2, unknownCount: 1 });
    expect(r.unknown).toEqual([{ line: 4, path: 'zz/9.jpg' }]);
    expect(await names()).toEqual({
      'a/1.jpg': ['badger', 'fox'],
      'a/2.jpg': ['fox'],
      'b/3.jpg': [],
    });
  });

  it('refuses a CSV with a path column but no label column, changing nothing', async () => {
    const file = path.join(t.dir, 'bad.csv');
    fs.writeFileSync(file, 'path,species\na/1.jpg,fox\n');
    await expect(t.service.api.export.importLabels(file)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expect(await t.service.api.labels.classes()).toEqual([]);
    await expect(
      t.service.api.export.importLabels(path.join(t.dir, 'none.csv')),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});
