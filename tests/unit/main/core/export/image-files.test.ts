import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectImageFiles } from '../../../../../src/main/core/export/image-files';
import { collectFiles, manifestItems } from '../../../../../src/main/core/export/manifest';
import { writeJpeg } from '../../../../helpers/image-fixtures';
import { makeTmpDir } from '../../../../helpers/tmp-dir';

describe('the folder walkers of predict.mjs, ocellus predict and manifests', () => {
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
    expect(collectImageFiles([root])).toEqual(expected);
    expect(await collectFiles([root])).toEqual(expected);
    const listed: string[] = [];
    for await (const item of manifestItems(root)) listed.push(item.file);
    expect(listed).toEqual(expected);
  });

  // Root reads any folder, so there is nothing to refuse when the tests run as root.
  it.skipIf(process.getuid?.() === 0)(
    'gives a folder it cannot read a row of its own instead of throwing',
    async () => {
      const root = path.join(tmp.dir, 'locked');
      await writeJpeg(path.join(root, 'a.jpg'), { width: 8, height: 8 });
      fs.chmodSync(root, 0o000);
      try {
        expect(collectImageFiles([root])).toEqual([root]);
      } finally {
        fs.chmodSync(root, 0o755);
      }
    },
  );
});
