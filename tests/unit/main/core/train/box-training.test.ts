import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { runCli } from '../../../../../src/main/cli/run-cli';
import type { RunSummary } from '../../../../../src/shared/types';
import { writeBoxScenes, type Scene } from '../../../../helpers/box-scenes';
import { makeTestService, jobFinished as finished } from '../../../../helpers/service';
import { writeTinyCnn } from '../../../../helpers/tiny-models';

/** A run's split (box ids on each side) and each box's image content, from the project file. */
function splitAndImages(file: string, runId: number) {
  const db = new Database(file, { readonly: true });
  try {
    const run = db.prepare('SELECT split FROM runs WHERE id = ?').get(runId) as { split: string };
    const hashes = db.prepare('SELECT id, hash FROM detections').all() as {
      id: number;
      hash: string;
    }[];
    const crops = db
      .prepare("SELECT COUNT(*) AS n FROM embeddings WHERE hash LIKE '%#box:%'")
      .get() as { n: number };
    return {
      split: JSON.parse(run.split) as { train: number[]; validation: number[] },
      imageOf: new Map(hashes.map((h) => [h.id, h.hash])),
      cropVectors: crops.n,
    };
  } finally {
    db.close();
  }
}

/** Crop vectors per model key (the views of a box run have their own keys). */
function cropKeys(file: string): Map<string, number> {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db
      .prepare(
        "SELECT model_key AS k, COUNT(*) AS n FROM embeddings WHERE hash LIKE '%#box:%' GROUP BY model_key",
      )
      .all() as { k: string; n: number }[];
    return new Map(rows.map((r) => [r.k, r.n]));
  } finally {
    db.close();
  }
}

/** A run's released head and the first crop's vector under a model key, as stored. */
function stored(file: string, runId: number, key: string) {
  const db = new Database(file, { readonly: true });
  try {
    const run = db.prepare('SELECT head FROM runs WHERE id = ?').get(runId) as { head: string };
    const row = db
      .prepare('SELECT vector FROM embeddings WHERE model_key = ? ORDER BY hash LIMIT 1')
      .get(key) as { vector: Buffer } | undefined;
    return { head: run.head, vector: row?.vector ?? null };
  } finally {
    db.close();
  }
}

/**
 * Box-level training on composited scenes: discs and squares pasted on noisy backgrounds,
 * two per image, a third of the images holding one of each. A box run learns the kinds from
 * the crops, keeps every image's boxes on one side of the split, and evaluates per box.
 */
describe('a box-level run on composited scenes', () => {
  let t: ReturnType<typeof makeTestService>;
  let project: string;
  let modelId: string;
  let scenes: Scene[];
  beforeAll(async () => {
    t = makeTestService('web', {
      resourcesDir: path.resolve(__dirname, '../../../../../resources'),
    });
    scenes = await writeBoxScenes(path.join(t.dir, 'scenes'), 18);
    project = path.join(t.dir, 'p.ocellus');
    await t.service.api.project.create({ path: project });
    await t.service.api.library.addRoot(path.join(t.dir, 'scenes'));
    await t.service.whenIdle();
    modelId = (
      await t.service.api.ml.importModel(path.dirname(await writeTinyCnn(path.join(t.dir, 'cnn'))))
    ).id;
    const disc = await t.service.api.labels.addClass('disc');
    const square = await t.service.api.labels.addClass('square');
    const page = await t.service.api.library.listImages({ limit: 100 });
    for (const item of page.items) {
      const scene = scenes.find((s) => s.file === path.basename(item.relPath));
      for (const o of scene?.objects ?? []) {
        await t.service.api.detect.addBox({
          imageId: item.id,
          category: 'animal',
          box: o.box,
          classId: o.kind === 'disc' ? disc.id : square.id,
        });
      }
    }
  }, 60_000);
  afterAll(async () => {
    await t.cleanup();
  });

  /** The last run started: what `ocellus evaluate` takes without --run. */
  let latest: RunSummary | undefined;
  /** Starts a box run with three views per crop; resolves with it and its training step's size. */
  const train = async (seed: number, more: { tta?: boolean } = {}) => {
    const started = await t.service.api.train.start({
      baseModel: modelId,
      unit: 'box',
      epochs: 40,
      hiddenUnits: 16,
      learningRate: 0.01,
      groupBy: 'none',
      validationFraction: 0.3,
      seed,
      viewsPerImage: 3,
      tta: false,
      ...more,
    });
    let steps = 0;
    const off = t.service.bus.on('job:updated', (j) => {
      if (j.id === started.jobId && j.detail?.startsWith('Training the head')) steps = j.total;
    });
    const state = (await finished(t.service, started.jobId)).state;
    off();
    expect(state).toBe('done');
    latest = await t.service.api.train.run(started.id);
    return { run: latest, steps };
  };

  let run: RunSummary;
  it('learns the kinds from the crops and records that it is a box run', async () => {
    const first = await train(3);
    run = first.run;
    expect(run.config.unit).toBe('box');
    expect(run.counts.train + run.counts.validation).toBe(36);
    // The head learns from three views of each training crop (one plain, two augmented).
    expect(run.estimate?.views).toBe(3);
    expect(first.steps).toBe(40 * Math.ceil((3 * run.counts.train) / 32));
    const report = await t.service.api.evaluate.run(run.id);
    expect(report.count).toBe(run.counts.validation);
    expect(report.accuracy).toBeGreaterThanOrEqual(0.9);
  }, 180_000);

  it('refuses a box run in fine-tune mode and an unknown unit', async () => {
    await expect(
      t.service.api.train.start({ baseModel: modelId, unit: 'box', mode: 'finetune' }),
    ).rejects.toThrow(/features mode/);
    await expect(
      t.service.api.train.start({ baseModel: modelId, unit: 'pixel' as 'box' }),
    ).rejects.toThrow(/unit is image or box/);
  });

  it('exports a bundle whose model card says it is a box-level model, with per-box metrics', async () => {
    const out = path.join(t.dir, 'bundle');
    const job = await t.service.api.export.bundle({ out, runId: run.id });
    expect((await finished(t.service, job.id)).error).toBeNull();
    // A box run's bundle detects by default: no detector ran here, so the built-in one goes in.
    const d = JSON.parse(fs.readFileSync(path.join(out, 'detector', 'detector.json'), 'utf8')) as {
      id: string;
      threshold: number;
    };
    expect(d).toMatchObject({ id: 'centernet-coco', threshold: 0.2 });
    const card = fs.readFileSync(path.join(out, 'MODEL_CARD.md'), 'utf8');
    expect(card).toMatch(/## Detector/);
    expect(card).toMatch(/Box-level model/);
    expect(card).toMatch(/10 % of its width/);
    expect(card).toMatch(/Trained on 3 views per training box \(its crop and 2 augmented/);
    expect(card).toMatch(new RegExp(`Recomputed on ${run.counts.validation} validation`));
    // Its counts are boxes: no "12 validation images" anywhere in the card.
    expect(card).toMatch(
      new RegExp(`${run.counts.train} training and ${run.counts.validation} validation boxes`),
    );
    expect(card).not.toMatch(/\b\d+(?: [a-z]+){0,2} images\b/);
  }, 120_000);

  it('leaves the detector out of a box run’s bundle when asked to (detector: null)', async () => {
    const out = path.join(t.dir, 'bundle-plain');
    const job = await t.service.api.export.bundle({
      out,
      runId: run.id,
      detector: null,
    });
    expect((await finished(t.service, job.id)).error).toBeNull();
    expect(fs.existsSync(path.join(out, 'detector'))).toBe(false);
    expect(fs.readFileSync(path.join(out, 'MODEL_CARD.md'), 'utf8')).not.toMatch(/## Detector/);
  }, 120_000);

  it('never separates an image’s boxes and caches one crop vector per box and view', () => {
    const { split, imageOf, cropVectors } = splitAndImages(project, run.id);
    const side = new Map<string, 'train' | 'validation'>();
    for (const [name, ids] of Object.entries(split) as ['train' | 'validation', number[]][]) {
      for (const id of ids) {
        const hash = imageOf.get(id) ?? '';
        expect(side.get(hash) ?? name).toBe(name);
        side.set(hash, name);
      }
    }
    expect(side.size).toBe(18);
    // View 0 and two augmented views of every labelled box (refit and cross-validation use all).
    expect(cropVectors).toBe(36 * 3);
  });

  it('draws the same crop views for the same seed, reusing them, and others for another seed', async () => {
    const before = cropKeys(project);
    const views = [...before.keys()].filter((k) => k.includes('|view:'));
    expect(views).toHaveLength(2);
    for (const k of views) expect(before.get(k)).toBe(36);
    const again = await train(3);
    expect(cropKeys(project)).toEqual(before);
    const head = stored(project, run.id, '').head;
    expect(head).toBeTruthy();
    expect(stored(project, again.run.id, '').head).toBe(head);
    await train(4);
    const after = [...cropKeys(project).keys()].filter((k) => k.includes('|view:'));
    expect(after).toHaveLength(4);
    const v1 = (seed: number) => after.find((k) => k.includes(`seed${seed}:v1`)) ?? '';
    const [a, b] = [stored(project, run.id, v1(3)).vector, stored(project, run.id, v1(4)).vector];
    expect(a).not.toBeNull();
    expect(a?.equals(b ?? Buffer.alloc(0))).toBe(false);
  }, 180_000);
  it('suggests a class per unlabelled box, from its crop, and queues the least sure first', async () => {
    // One scene with a disc and a square, its boxes drawn but not labelled.
    const [extra] = await writeBoxScenes(path.join(t.dir, 'scenes', 'new'), 3, 99).then((s) =>
      s.slice(2),
    );
    await t.service.api.library.rescan();
    await t.service.whenIdle();
    const page = await t.service.api.library.listImages({ limit: 100 });
    const image = page.items.find((i) => i.relPath === `new/${extra?.file}`);
    expect(image).toBeDefined();
    for (const o of extra?.objects ?? []) {
      await t.service.api.detect.addBox({
        imageId: image?.id ?? 0,
        category: 'animal',
        box: o.box,
      });
    }
    const job = await t.service.api.assist.predict(run.id);
    expect((await finished(t.service, job.id)).state).toBe('done');
    const boxes = await t.service.api.detect.boxes(image?.id ?? 0);
    const classes = await t.service.api.labels.classes();
    const name = (id: number | null) => classes.find((c) => c.id === id)?.name;
    expect(boxes.map((b) => name(b.classId))).toEqual(extra?.objects.map((o) => o.kind));
    expect(boxes.every((b) => b.classConf !== null && b.classConf > 0.5)).toBe(true);
    const queue = await t.service.api.detect.uncertainBoxes(10);
    expect(queue.map((b) => b.id).sort()).toEqual(boxes.map((b) => b.id).sort());
    expect(queue[0]?.classConf).toBeLessThanOrEqual(queue[1]?.classConf ?? 1);
    suggested = boxes.map((b) => b.id);
  }, 120_000);

  let suggested: number[] = [];
  it('with flip averaging, suggests from each crop and its mirror, embedded in one pass', async () => {
    expect(suggested.length).toBeGreaterThan(0);
    const mirrored = () => [...cropKeys(project)].filter(([k]) => k.endsWith('|view:mirror'));
    expect(mirrored()).toEqual([]);
    const { run: tta } = await train(3, { tta: true });
    const job = await t.service.api.assist.predict(tta.id);
    expect((await finished(t.service, job.id)).state).toBe('done');
    // One mirrored vector per box to suggest (the boxes the previous test drew).
    expect(mirrored().map(([, n]) => n)).toEqual([suggested.length]);
    const image = (await t.service.api.detect.uncertainBoxes(100)).filter((b) =>
      suggested.includes(b.id),
    );
    expect(image).toHaveLength(suggested.length);
    expect(image.every((b) => b.classConf !== null && b.classConf > 0.5)).toBe(true);
  }, 180_000);

  it('ocellus evaluate counts boxes for a box run', async () => {
    await t.service.api.project.close();
    // The CLI finds the run's base model where the test service keeps it.
    process.env['OCELLUS_APP_DATA'] = path.join(t.dir, 'appdata');
    onTestFinished(() => {
      delete process.env['OCELLUS_APP_DATA'];
    });
    let out = '';
    let err = '';
    const code = await runCli(['evaluate', project, '--run', String(run.id)], {
      stdout: (s) => (out += s),
      stderr: (s) => (err += s),
    });
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toMatch(new RegExp(`^Run ${run.id} on ${run.counts.validation} validation boxes`));
    expect(out).not.toMatch(/images/);
    let json = '';
    await runCli(['evaluate', project, '--json'], { stdout: (s) => (json += s), stderr: () => {} });
    expect(JSON.parse(json)).toMatchObject({ unit: 'box', count: latest?.counts.validation });
  }, 60_000);
});
