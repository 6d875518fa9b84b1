import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dicomBytes } from '../../../../helpers/dicom-fixtures';
import { jobFinished, makeTestService } from '../../../../helpers/service';

const RESOURCES = path.resolve(__dirname, '../../../../../resources');
const PHOTOS = path.resolve(__dirname, '../../../../fixtures/photos');
const THRESHOLD = 0.2;

/**
 * The project's detection job reads each content where the library found it: a frame of a
 * multi-frame DICOM through the shared opener, and a content found in two roots from one
 * row's root and path together.
 */
describe('detection on DICOM frames and on a content in two roots', () => {
  let t: ReturnType<typeof makeTestService>;
  beforeAll(async () => {
    t = makeTestService('web', { resourcesDir: RESOURCES });
    // Frame 0 holds the person photo's pixels, frame 1 the grass's.
    const first = path.join(t.dir, 'first');
    const second = path.join(t.dir, 'second');
    fs.mkdirSync(first);
    fs.mkdirSync(second);
    const frames: Buffer[] = [];
    for (const name of ['person', 'grass']) {
      frames.push(
        await sharp(path.join(PHOTOS, `${name}.jpg`))
          .raw()
          .toBuffer(),
      );
    }
    const size = { width: 480, height: 480, channels: 3 } as const;
    fs.writeFileSync(path.join(first, 'scene.dcm'), Buffer.from(dicomBytes(frames, size)));
    // The same cat under a name sorting last in the first root and first in the second: a
    // root of one row with the path of the other names no file.
    fs.copyFileSync(path.join(PHOTOS, 'cat.jpg'), path.join(first, 'z-cat.jpg'));
    fs.copyFileSync(path.join(PHOTOS, 'cat.jpg'), path.join(second, 'a-cat.jpg'));
    await t.service.api.project.create({ path: path.join(t.dir, 'p.ocellus') });
    await t.service.api.library.addRoot(first);
    await t.service.whenIdle();
    await t.service.api.library.addRoot(second);
    await t.service.whenIdle();
    const job = await t.service.api.detect.run();
    const done = await jobFinished(t.service, job);
    expect(done.state, done.error ?? '').toBe('done');
  }, 180_000);
  afterAll(async () => t?.cleanup());

  it('detects in every frame and in the cat, and none of them fails', async () => {
    const c = await t.service.api.detect.counts({ threshold: THRESHOLD });
    // Counted per image: two frames and the cat's two copies (one content, detected once).
    expect(c).toMatchObject({ processed: 4, pending: 0, person: 1, animal: 2, empty: 1 });
  });

  it('finds the person in frame 0 and nothing in frame 1 (the grass)', async () => {
    const page = await t.service.api.library.listImages({ limit: 100 });
    const frame = (k: number) =>
      page.items.find((i) => i.relPath === 'scene.dcm' && (i.frame ?? 0) === k)?.id ?? 0;
    const above = async (id: number) =>
      (await t.service.api.detect.boxes(id))
        .filter((b) => b.confidence >= THRESHOLD)
        .map((b) => b.category);
    expect(await above(frame(0))).toEqual(['person']);
    expect(await above(frame(1))).toEqual([]);
  });
});
