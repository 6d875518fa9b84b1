import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectImageFiles } from '../../../../../src/main/core/export/image-files';
import { manifestItems } from '../../../../../src/main/core/export/manifest';
import { writeJpeg } from '../../../../helpers/image-fixtures';
import { makeTmpDir } from '../../../../helpers/tmp-dir';

describe('the folder walker of predict.mjs, ocellus predict and manifests', () => {
  let tmp: ReturnType<typeof makeTmpDir>;
  beforeEach(() => (tmp = makeTmpDir()));
  afterEach(() => tmp.cleanup());

  it('walks a folder once however many links lead back into it, and ends on a link loop', async () => {
    const root = path.join(tmp.dir, 'photos');
    await writeJpeg(path.join(root, 'a.jpg'), { width: 8, height: 8 });
    await writeJpeg(path.join(root, 'sub', 'b.jpg'), { width: 8, height: 8 });
    fs.symlinkSync(root, path.join(root, 'sub', 'up')); // a loop
    fs.symlinkSync(path.join(root, 'sub'), path.join(root, 'again')); // the same folder twice
    fs.symlinkSync('self.jpg', path.join(root, 'self.jpg')); // ELOOP on stat
    const expected = [
      path.join(root, 'a.jpg'),
      path.join(root, 'again', 'b.jpg'),
      path.join(root, 'self.jpg'),
    ];
    expect(await collectImageFiles([root])).toEqual(expected);
    const listed: string[] = [];
    for await (const item of manifestItems(root)) listed.push(item.file);
    expect(listed).toEqual(expected);
  });

  // Root reads any folder, so there is nothing to refuse when the tests run as root.
  it.skipIf(process.getuid?.() === 0)(
    'gives a folder it cannot read a row of its own instead of throwing',
    async () => {
      const root = path.join(tmp.dir, 'photos');
      const locked = path.join(root, 'locked');
      await writeJpeg(path.join(locked, 'a.jpg'), { width: 8, height: 8 });
      await writeJpeg(path.join(root, 'z.jpg'), { width: 8, height: 8 });
      fs.chmodSync(locked, 0o000);
      try {
        const expected = [locked, path.join(root, 'z.jpg')];
        expect(await collectImageFiles([root])).toEqual(expected);
        const listed: string[] = [];
        for await (const item of manifestItems(root)) listed.push(item.file);
        expect(listed).toEqual(expected);
      } finally {
        fs.chmodSync(locked, 0o755);
      }
    },
  );

  it('lists images and extensionless DICOM in sorted depth-first order, files given as given, hidden entries skipped', async () => {
    const root = path.join(tmp.dir, 'scans');
    await writeJpeg(path.join(root, 'b', 'x.jpg'), { width: 8, height: 8 });
    await writeJpeg(path.join(root, 'a.jpg'), { width: 8, height: 8 });
    await writeJpeg(path.join(root, '.hidden', 'h.jpg'), { width: 8, height: 8 });
    fs.writeFileSync(path.join(root, 'notes.txt'), 'not listed');
    const dicom = Buffer.alloc(200);
    dicom.write('DICM', 128, 'latin1');
    fs.writeFileSync(path.join(root, 'IM0001'), dicom);
    fs.writeFileSync(path.join(root, 'README'), 'no preamble');
    const given = path.join(tmp.dir, 'given.txt');
    fs.writeFileSync(given, 'named on the command line');
    expect(await collectImageFiles([root, given, path.join(tmp.dir, 'missing.jpg')])).toEqual([
      path.join(root, 'IM0001'),
      path.join(root, 'a.jpg'),
      path.join(root, 'b', 'x.jpg'),
      given,
      path.join(tmp.dir, 'missing.jpg'),
    ]);
  });

  it('stops with TOO_LARGE past its limit of folder entries instead of walking on', async () => {
    const root = path.join(tmp.dir, 'many');
    for (let i = 0; i < 5; i++)
      await writeJpeg(path.join(root, `${i}.jpg`), { width: 4, height: 4 });
    await expect(collectImageFiles([root], 4)).rejects.toMatchObject({ code: 'TOO_LARGE' });
    expect(await collectImageFiles([root], 5)).toHaveLength(5);
  });
});
