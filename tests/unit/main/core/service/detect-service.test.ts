import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MdBatchOutput } from '../../../../../src/main/core/detect/megadetector-format';
import { OcellusError } from '../../../../../src/shared/errors';
import { parseCsv } from '../../../../../src/main/core/export/csv';
import { validateCamtrapDp } from '../../../../helpers/camtrap-validator';
import { jobFinished, makeTestService } from '../../../../helpers/service';

const RESOURCES = path.resolve(__dirname, '../../../../../resources');
const PHOTOS = path.resolve(__dirname, '../../../../fixtures/photos');
const THRESHOLD = 0.2;

describe('detection in a project (the CenterNet stand-in on real photos)', () => {
  let t: ReturnType<typeof makeTestService>;
  let ids: Record<string, number>;
  beforeAll(async () => {
    t = makeTestService('web', { resourcesDir: RESOURCES });
    const photos = path.join(t.dir, 'photos');
    fs.mkdirSync(photos);
    for (const f of fs.readdirSync(PHOTOS).filter((n) => n.endsWith('.jpg'))) {
      fs.copyFileSync(path.join(PHOTOS, f), path.join(photos, f));
    }
    await t.service.api.project.create({ path: path.join(t.dir, 'p.ocellus') });
    await t.service.api.library.addRoot(photos);
    await t.service.whenIdle();
    const page = await t.service.api.library.listImages({ limit: 100 });
    ids = Object.fromEntries(page.items.map((i) => [path.basename(i.relPath, '.jpg'), i.id]));
    const job = await t.service.api.detect.run();
    const done = await jobFinished(t.service, job);
    expect(done.state, done.error ?? '').toBe('done');
  }, 180_000);
  afterAll(async () => t?.cleanup());

  it('counts the cat as an animal, the person, and grass and gravel as empty', async () => {
    const c = await t.service.api.detect.counts({ threshold: THRESHOLD });
    expect(c).toMatchObject({
      processed: 4,
      animal: 1,
      person: 1,
      vehicle: 0,
      empty: 2,
      pending: 0,
    });
    expect(c.detector).toMatch(/^centernet-coco@[0-9a-f]{12}$/);
    const empty = await t.service.api.detect.imageIds({ threshold: THRESHOLD, category: 'empty' });
    expect(empty.sort()).toEqual([ids['grass'], ids['gravel']].sort());
    // A threshold above every box: all four are empty.
    expect((await t.service.api.detect.counts({ threshold: 0.99 })).empty).toBe(4);
  });

  it('a cancelled run keeps what it did, and the next run does only the rest', async () => {
    const t2 = makeTestService('web', { resourcesDir: RESOURCES });
    try {
      await t2.service.api.project.create({ path: path.join(t2.dir, 'q.ocellus') });
      await t2.service.api.library.addRoot(path.join(t.dir, 'photos'));
      await t2.service.whenIdle();
      const job = await t2.service.api.detect.run({ batchSize: 1 });
      const off = t2.service.bus.on('job:updated', (j) => {
        if (j.id === job.id && j.done >= 1) void t2.service.api.jobs.cancel(job.id);
      });
      const ended = await jobFinished(t2.service, job);
      off();
      expect(ended.state).toBe('cancelled');
      const partial = await t2.service.api.detect.counts({ threshold: THRESHOLD });
      expect(partial.processed).toBeGreaterThanOrEqual(1);
      expect(partial.processed).toBeLessThan(4);
      expect(partial.pending).toBe(4 - partial.processed);
      const again = await t2.service.api.detect.run({ batchSize: 1 });
      const seen: number[] = [];
      const off2 = t2.service.bus.on('job:updated', (j) => {
        if (j.id === again.id && j.detail?.startsWith('Detecting')) seen.push(j.total);
      });
      expect((await jobFinished(t2.service, again)).state).toBe('done');
      off2();
      expect(seen[0]).toBe(4 - partial.processed);
      expect(await t2.service.api.detect.counts({ threshold: THRESHOLD })).toMatchObject({
        processed: 4,
        animal: 1,
        person: 1,
        empty: 2,
      });
    } finally {
      await t2.cleanup();
    }
  }, 120_000);

  it('draws the cat’s box inside the image', async () => {
    const boxes = await t.service.api.detect.boxes(ids['cat'] as number);
    const best = boxes[0];
    expect(best?.category).toBe('animal');
    expect(best?.confidence).toBeGreaterThan(THRESHOLD);
    for (const v of best?.box ?? []) expect(v).toBeGreaterThanOrEqual(0);
  });

  it('a second run reuses the cached results (per content and detector)', async () => {
    const before = await t.service.api.detect.boxes(ids['cat'] as number);
    const job = await t.service.api.detect.run();
    expect((await jobFinished(t.service, job)).state).toBe('done');
    expect(await t.service.api.detect.boxes(ids['cat'] as number)).toEqual(before);
    expect(await t.service.api.detect.used()).toHaveLength(1);
  });

  it('marks the rest empty as one undoable action, never over a human label without asking', async () => {
    const classes = t.service.api.labels;
    const texture = await classes.addClass('texture');
    await classes.assign([ids['grass'] as number], texture.id);
    const preview = await t.service.api.detect.markEmpty({ threshold: THRESHOLD, preview: true });
    expect(preview).toMatchObject({ candidates: 2, humanLabelled: 1, labelled: 0 });
    const done = await t.service.api.detect.markEmpty({ threshold: THRESHOLD });
    expect(done).toMatchObject({ candidates: 2, humanLabelled: 1, labelled: 1 });
    const empty = (await classes.classes()).find((c) => c.name === 'empty');
    const gravel = await t.service.api.library.image(ids['gravel'] as number);
    expect(gravel.classIds).toEqual([empty?.id]);
    const grass = await t.service.api.library.image(ids['grass'] as number);
    expect(grass.classIds).toEqual([texture.id]);
    await classes.undo();
    expect((await t.service.api.library.image(ids['gravel'] as number)).classIds).toEqual([]);
  });

  it('people confirm, relabel, delete and draw boxes', async () => {
    const [box] = await t.service.api.detect.boxes(ids['cat'] as number);
    const cat = await t.service.api.labels.addClass('cat');
    const confirmed = await t.service.api.detect.updateBox(box?.id as number, {
      status: 'confirmed',
      classId: cat.id,
    });
    expect(confirmed).toMatchObject({ status: 'confirmed', classId: cat.id });
    const drawn = await t.service.api.detect.addBox({
      imageId: ids['gravel'] as number,
      category: 'animal',
      box: [0.1, 0.1, 0.2, 0.2],
    });
    expect(drawn).toMatchObject({ source: 'human', status: 'confirmed', confidence: 1 });
    expect((await t.service.api.detect.counts({ threshold: THRESHOLD })).animal).toBe(2);
    await t.service.api.detect.updateBox(drawn.id, { status: 'deleted' });
    expect((await t.service.api.detect.counts({ threshold: THRESHOLD })).animal).toBe(1);
    await expect(
      t.service.api.detect.addBox({
        imageId: ids['cat'] as number,
        category: 'animal',
        box: [0.5, 0.5, 0.8, 0.1],
      }),
    ).rejects.toThrow(OcellusError);
  });

  it('MegaDetector JSON: import then export gives the input back (up to order and rounding)', async () => {
    const input: MdBatchOutput = {
      info: { format_version: '1.4', detector: 'md_v5a.0.0.pt' },
      detection_categories: { '1': 'animal', '2': 'person', '3': 'vehicle' },
      classification_categories: { '1': 'heron' },
      images: [
        {
          file: 'cat.jpg',
          detections: [
            {
              category: '1',
              conf: 0.912,
              bbox: [0.1, 0.2, 0.3, 0.4],
              classifications: [['1', 0.87]],
            },
            { category: '3', conf: 0.3, bbox: [0.5, 0.5, 0.25, 0.125] },
          ],
        },
        { file: 'person.jpg', detections: [{ category: '2', conf: 0.6, bbox: [0, 0, 1, 1] }] },
        { file: 'grass.jpg', detections: [] },
        { file: 'gravel.jpg', failure: 'Failure image access' },
      ],
    };
    const file = path.join(t.dir, 'md.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        ...input,
        images: [...input.images, { file: 'elsewhere/x.jpg', detections: [] }],
      }),
    );
    const imported = await t.service.api.detect.importResults(file);
    expect(imported).toMatchObject({
      detector: 'import:md_v5a.0.0.pt',
      images: 4,
      boxes: 3,
      unmatched: ['elsewhere/x.jpg'],
    });
    const out = path.join(t.dir, 'out.json');
    await t.service.api.detect.exportResults(out, imported.detector);
    const back = JSON.parse(fs.readFileSync(out, 'utf8')) as MdBatchOutput;
    expect(back.detection_categories).toEqual(input.detection_categories);
    expect(back.info.format_version).toBe('1.4');
    const byFile = (o: MdBatchOutput) =>
      Object.fromEntries(
        o.images.map((i) => [
          i.file,
          i.failure ??
            [...(i.detections ?? [])]
              .map((d) => ({
                ...d,
                classifications: d.classifications?.map(([c, p]) => [
                  o.classification_categories?.[c],
                  p,
                ]),
              }))
              .sort((a, b) => b.conf - a.conf),
        ]),
      );
    expect(byFile(back)).toEqual(byFile(input));
  });

  it('Camtrap DP with boxes: media-level observations with bbox fields that validate against the 1.0 schemas', async () => {
    // The latest results are the imported MegaDetector file above (a heron box on cat.jpg).
    await t.service.api.export.setCamtrapMapping([
      { className: 'heron', observationType: 'animal', scientificName: 'Ardea cinerea' },
    ]);
    const out = path.join(t.dir, 'camtrap');
    const job = await t.service.api.export.dataset({ format: 'camtrap-dp', out });
    expect((await jobFinished(t.service, job)).state).toBe('done');
    expect(validateCamtrapDp(out)).toEqual([]);
    const [header = [], ...rows] = parseCsv(
      fs.readFileSync(path.join(out, 'observations.csv'), 'utf8'),
    );
    const obs = rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
    const boxes = obs.filter((o) => o['observationLevel'] === 'media');
    expect(boxes.map((o) => [o['observationType'], o['scientificName']]).sort()).toEqual([
      ['animal', 'Ardea cinerea'],
      ['human', ''],
      ['vehicle', ''],
    ]);
    const heron = boxes.find((o) => o['scientificName'] === 'Ardea cinerea');
    expect([
      heron?.['bboxX'],
      heron?.['bboxY'],
      heron?.['bboxWidth'],
      heron?.['bboxHeight'],
    ]).toEqual(['0.1', '0.2', '0.3', '0.4']);
    expect(heron?.['classificationProbability']).toBe('0.87');
  });

  it('never writes results over an existing file, a device or a link', async () => {
    const existing = path.join(t.dir, 'existing.json');
    fs.writeFileSync(existing, 'keep me');
    const link = path.join(t.dir, 'link.json');
    fs.symlinkSync(existing, link);
    for (const target of [existing, link]) {
      await expect(t.service.api.detect.exportResults(target)).rejects.toMatchObject({
        code: 'ALREADY_EXISTS',
      });
    }
    expect(fs.readFileSync(existing, 'utf8')).toBe('keep me');
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    await expect(
      t.service.api.detect.exportResults(path.join(t.dir, 'new.json'), 'no-such-detector'),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(fs.existsSync(path.join(t.dir, 'new.json'))).toBe(false);
  });

  it('refuses a file that is not MegaDetector output, saying why, and changes nothing', async () => {
    const bad = path.join(t.dir, 'bad.json');
    fs.writeFileSync(
      bad,
      JSON.stringify({
        images: [{ file: 'cat.jpg', detections: [{ category: '9', conf: 2, bbox: [0, 0, 1] }] }],
        detection_categories: { '1': 'animal' },
      }),
    );
    const before = await t.service.api.detect.used();
    await expect(t.service.api.detect.importResults(bad)).rejects.toThrow(
      /category 9 is not in detection_categories/,
    );
    expect(await t.service.api.detect.used()).toEqual(before);
  });

  it('flags boxes recurring at one place across a camera’s images and suppresses them', async () => {
    const images = ['cat', 'person', 'grass', 'gravel'].map((f) => ({
      file: `${f}.jpg`,
      detections: [{ category: '1', conf: 0.5, bbox: [0.7, 0.7, 0.1, 0.1] }],
    }));
    const file = path.join(t.dir, 'static.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        info: { format_version: '1.4', detector: 'rock' },
        detection_categories: { '1': 'animal' },
        images,
      }),
    );
    const { detector } = await t.service.api.detect.importResults(file);
    const groups = await t.service.api.detect.staticBoxes({ detector, minImages: 4 });
    expect(groups).toHaveLength(1);
    expect(groups[0]?.images).toBe(4);
    expect((await t.service.api.detect.counts({ threshold: 0.2, detector })).animal).toBe(4);
    await t.service.api.detect.suppressStatic(groups[0]?.detectionIds ?? []);
    expect((await t.service.api.detect.counts({ threshold: 0.2, detector })).empty).toBe(4);
  });
});
