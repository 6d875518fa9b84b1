import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OcellusService } from '../../../../../src/main/core/service';
import { parseCsv } from '../../../../../src/main/core/export/csv';
import { PYDICOM_DIR } from '../../../../helpers/dicom-fixtures';
import { writeJpeg } from '../../../../helpers/image-fixtures';
import { jobFinished, makeTestService } from '../../../../helpers/service';

/** `relPath#frame` → class names, for every item. */
async function labelsByItem(service: OcellusService): Promise<Record<string, string[]>> {
  const classes = await service.api.labels.classes();
  const page = await service.api.library.listImages({
    filter: {},
    sort: 'path',
    offset: 0,
    limit: 100,
  });
  return Object.fromEntries(
    page.items.map((im) => [
      `${im.relPath}#${im.frame ?? 0}`,
      im.classIds.map((id) => classes.find((c) => c.id === id)?.name ?? '?').sort(),
    ]),
  );
}

describe('labels.csv with multi-frame files', () => {
  let t: ReturnType<typeof makeTestService>;
  let photos: string;
  let cine: string;
  beforeAll(async () => {
    t = makeTestService();
    photos = path.join(t.dir, 'photos');
    await writeJpeg(path.join(photos, 'plain', 'a.jpg'), { width: 16, height: 16 });
    cine = path.join(photos, 'cine', 'two.dcm');
    fs.mkdirSync(path.dirname(cine), { recursive: true });
    fs.copyFileSync(path.join(PYDICOM_DIR, 'SC_rgb_rle_2frame.dcm'), cine);
    await t.service.api.project.create({ path: path.join(t.dir, 'p.ocellus') });
    await t.service.api.library.addRoot(photos, { labelsFromFolders: true });
    await t.service.whenIdle();
  }, 60_000);
  afterAll(async () => {
    await t.cleanup();
  });

  it('writes a frame column after the path, empty for one-image files', async () => {
    const out = path.join(t.dir, 'csv');
    const job = await jobFinished(
      t.service,
      await t.service.api.export.dataset({ format: 'csv', out }),
    );
    expect(job.state).toBe('done');
    const [header = [], ...rows] = parseCsv(fs.readFileSync(path.join(out, 'labels.csv'), 'utf8'));
    expect(header.slice(0, 3)).toEqual(['path', 'frame', 'label']);
    expect(rows.map((r) => r.slice(0, 3))).toEqual([
      [cine, '0', 'cine'],
      [cine, '1', 'cine'],
      [path.join(photos, 'plain', 'a.jpg'), '', 'plain'],
    ]);
  });

  it('imports by path and frame; without a frame column a path is frame 0', async () => {
    const other = makeTestService();
    try {
      await other.service.api.project.create({ path: path.join(other.dir, 'q.ocellus') });
      await other.service.api.library.addRoot(photos);
      await other.service.whenIdle();
      const withFrames = path.join(other.dir, 'frames.csv');
      fs.writeFileSync(
        withFrames,
        `path,frame,label\n${cine},1,moving\ncine/two.dcm,7,ghost\nplain/a.jpg,,still\n`,
      );
      const r = await other.service.api.export.importLabels(withFrames);
      expect(r.unknown).toEqual([{ line: 3, path: 'cine/two.dcm (frame 7)' }]);
      expect(await labelsByItem(other.service)).toEqual({
        'cine/two.dcm#0': [],
        'cine/two.dcm#1': ['moving'],
        'plain/a.jpg#0': ['still'],
      });
      // An older file, no frame column: the path names the first frame.
      const older = path.join(other.dir, 'older.csv');
      fs.writeFileSync(older, `path,label\ncine/two.dcm,first\n`);
      expect((await other.service.api.export.importLabels(older)).unknown).toEqual([]);
      expect((await labelsByItem(other.service))['cine/two.dcm#0']).toEqual(['first']);
      expect((await labelsByItem(other.service))['cine/two.dcm#1']).toEqual(['moving']);
    } finally {
      await other.cleanup();
    }
  });
});
