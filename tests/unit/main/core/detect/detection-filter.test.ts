import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DetectionFilter } from '../../../../../src/shared/api';
import { writeJpeg } from '../../../../helpers/image-fixtures';
import { makeTestService } from '../../../../helpers/service';

const CATEGORIES: DetectionFilter[] = ['empty', 'animal', 'person', 'vehicle'];

/**
 * The grid's detection filter runs as a condition of the library's image query: for every
 * category, threshold and burst setting it lists exactly the images the detect panel's
 * verdicts give (detect.imageIds), bursts, failed images and human boxes included.
 */
describe('detection filter in the image query', () => {
  let t: ReturnType<typeof makeTestService>;
  let ids: Record<string, number>;
  beforeAll(async () => {
    t = makeTestService();
    const photos = path.join(t.dir, 'photos');
    // Two bursts of three frames (seconds apart) and two lone frames, hours apart.
    const frames = [
      ['a1', '2026:06:01 05:00:00'],
      ['a2', '2026:06:01 05:00:02'],
      ['a3', '2026:06:01 05:00:04'],
      ['b1', '2026:06:01 09:00:00'],
      ['b2', '2026:06:01 09:00:02'],
      ['b3', '2026:06:01 09:00:04'],
      ['lone', '2026:06:01 13:00:00'],
      ['broken', '2026:06:01 17:00:00'],
    ] as const;
    for (const [name, time] of frames) {
      await writeJpeg(path.join(photos, `${name}.jpg`), {
        width: 16,
        height: 12,
        color: { r: 90, g: 100, b: 80 },
        exif: { DateTimeOriginal: time, Make: 'Trap', Model: 'One' },
      });
    }
    await t.service.api.project.create({ path: path.join(t.dir, 'p.ocellus') });
    await t.service.api.library.addRoot(photos);
    await t.service.whenIdle();
    const page = await t.service.api.library.listImages({ limit: 100 });
    ids = Object.fromEntries(page.items.map((i) => [path.basename(i.relPath, '.jpg'), i.id]));
    const box = (category: string, conf: number) => ({
      category,
      conf,
      bbox: [0.1, 0.1, 0.3, 0.3],
    });
    const md = {
      info: { format_version: '1.4', detector: 'md_test' },
      detection_categories: { '1': 'animal', '2': 'person', '3': 'vehicle' },
      images: [
        { file: 'a1.jpg', detections: [] },
        { file: 'a2.jpg', detections: [box('1', 0.6)] },
        { file: 'a3.jpg', detections: [box('2', 0.5)] },
        { file: 'b1.jpg', detections: [box('1', 0.15)] },
        { file: 'b2.jpg', detections: [] },
        { file: 'b3.jpg', detections: [box('3', 0.9), box('1', 0.3)] },
        { file: 'lone.jpg', detections: [box('2', 0.25)] },
        { file: 'broken.jpg', failure: 'Failure image access' },
      ],
    };
    const file = path.join(t.dir, 'md.json');
    fs.writeFileSync(file, JSON.stringify(md));
    await t.service.api.detect.importResults(file);
  }, 60_000);
  afterAll(async () => t?.cleanup());

  it('lists, for every category, threshold and burst setting, what the verdicts give', async () => {
    let compared = 0;
    for (const threshold of [0.1, 0.2, 0.4, 0.95]) {
      for (const burstAware of [true, false]) {
        for (const category of CATEGORIES) {
          const expected = await t.service.api.detect.imageIds({ threshold, burstAware, category });
          const page = await t.service.api.library.listImages({
            filter: { detection: { category, threshold, burstAware } },
            limit: 100,
          });
          const got = page.items.map((i) => i.id).sort((a, b) => a - b);
          expect(got, `${category} at ${threshold}, burst ${burstAware}`).toEqual(
            [...expected].sort((a, b) => a - b),
          );
          expect(page.total).toBe(expected.length);
          compared += expected.length;
        }
      }
    }
    expect(compared).toBeGreaterThan(20);
  });

  it('keeps the frames of a burst with an animal as animals, and only when burst-aware', async () => {
    const animal = async (burstAware: boolean) =>
      (
        await t.service.api.library.listImages({
          filter: { detection: { category: 'animal', threshold: 0.2, burstAware } },
          limit: 100,
        })
      ).items
        .map((i) => i.id)
        .sort((a, b) => a - b);
    const of = (...names: string[]) => names.map((n) => ids[n]).sort((a, b) => (a ?? 0) - (b ?? 0));
    // a3 has a person of its own: not kept for its burst. The failed image is nowhere.
    expect(await animal(true)).toEqual(of('a1', 'a2', 'b1', 'b2', 'b3'));
    expect(await animal(false)).toEqual(of('a2', 'b3'));
  });

  it("gives a page of tiles' boxes at a threshold in one call", async () => {
    const got = await t.service.api.detect.tileBoxes({
      imageIds: Object.values(ids),
      threshold: 0.2,
    });
    const of = (name: string) =>
      (got[ids[name] ?? -1] ?? []).map((b) => [b.category, b.confidence]);
    expect(of('a2')).toEqual([['animal', 0.6]]);
    expect(of('b3')).toEqual([
      ['vehicle', 0.9],
      ['animal', 0.3],
    ]);
    expect(of('b1')).toEqual([]);
    expect(of('broken')).toEqual([]);
    await expect(
      t.service.api.detect.tileBoxes({ imageIds: Array(5001).fill(1), threshold: 0.2 }),
    ).rejects.toThrow(/at most 5000/);
  });

  it('refuses a category it does not know', async () => {
    await expect(
      t.service.api.library.listImages({
        filter: { detection: { category: "x') OR 1=1 --" as DetectionFilter, threshold: 0.2 } },
      }),
    ).rejects.toThrow(/category/);
  });
});
