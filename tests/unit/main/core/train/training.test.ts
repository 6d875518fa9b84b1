import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TrainProgress } from '../../../../../src/shared/types';
import { writeJpeg } from '../../../../helpers/image-fixtures';
import { sharedMobileNetV2 } from '../../../../helpers/nsfw-models';
import { makeTestService, jobFinished as finished } from '../../../../helpers/service';

describe('training in feature mode', () => {
  let t: ReturnType<typeof makeTestService>;
  beforeEach(async () => {
    process.env['OCELLUS_BACKEND'] = 'wasm';
    t = makeTestService();
    const photos = path.join(t.dir, 'photos');
    // A learnable signal: the dominant colour, in varied shades; bursts of 3.
    const shade = (name: string, i: number) => {
      const hi = 140 + ((i * 9) % 100);
      const lo = (i * 7) % 60;
      return name === 'red'
        ? { r: hi, g: lo, b: lo }
        : name === 'green'
          ? { r: lo, g: hi, b: lo }
          : { r: lo, g: lo, b: hi };
    };
    const colours = { red: 0, green: 1, blue: 2 };
    let n = 0;
    for (const name of Object.keys(colours)) {
      for (let i = 0; i < 12; i++) {
        const sec = String((i % 3) * 5).padStart(2, '0');
        const file = path.join(photos, name, `${i}.jpg`);
        await writeJpeg(file, {
          width: 224,
          height: 224,
          color: shade(name, i),
          exif: {
            DateTimeOriginal: `2024:01:0${1 + (n % 9)} 1${Math.floor(i / 3)}:00:${sec}`,
            Make: 'X',
            Model: 'Y',
            BodySerialNumber: name,
          },
        });
        n++;
      }
    }
    await t.service.api.project.create({ path: path.join(t.dir, 'p.ocellus') });
    await t.service.api.library.addRoot(photos, { labelsFromFolders: true });
    await t.service.whenIdle();
  });
  afterEach(async () => {
    delete process.env['OCELLUS_BACKEND'];
    await t.cleanup();
  });

  it('refuses fewer than two classes with a clear message', async () => {
    const other = makeTestService();
    try {
      await other.service.api.project.create({ path: path.join(other.dir, 'q.ocellus') });
      const model = await other.service.api.ml.importModel(path.dirname(await sharedMobileNetV2()));
      const run = await other.service.api.train.start({ baseModel: model.id, epochs: 2 });
      const job = await finished(other.service, run.jobId);
      expect(job.state).toBe('failed');
      expect((await other.service.api.train.run(run.id)).error).toMatch(/at least 2 classes/);
    } finally {
      await other.cleanup();
    }
  });

  it('closing the project while a run trains cancels the run first, and the file records it', async () => {
    const model = await t.service.api.ml.importModel(path.dirname(await sharedMobileNetV2()));
    const training = new Promise<void>((resolve) => {
      const off = t.service.bus.on('train:progress', (p) => {
        if (!p.epochMetrics) return;
        off();
        resolve();
      });
    });
    const run = await t.service.api.train.start({ baseModel: model.id, epochs: 500, patience: 0 });
    await training;
    // It wrote its next epoch into the closed file and took the process down.
    await t.service.api.project.close();
    await t.service.api.project.open(path.join(t.dir, 'p.ocellus'));
    const after = await t.service.api.train.run(run.id);
    expect(after.status).toBe('cancelled');
    // Stopped when asked, not after its last epoch.
    expect(after.history.length).toBeLessThan(500);
  });

  it('embeds, splits by sequence, trains, keeps the best epoch, and repeats exactly with the same seed', async () => {
    const model = await t.service.api.ml.importModel(path.dirname(await sharedMobileNetV2()));
    const progress: TrainProgress[] = [];
    t.service.bus.on('train:progress', (p) => progress.push(p));
    const run = await t.service.api.train.start({
      baseModel: model.id,
      epochs: 25,
      validationFraction: 0.25,
      groupBy: 'sequence',
      seed: 3,
    });
    expect(run.status).toBe('running');
    expect((await finished(t.service, run.jobId)).state).toBe('done');
    const done = await t.service.api.train.run(run.id);
    expect(done.status).toBe('done');
    expect(done.classes).toEqual(['blue', 'green', 'red']);
    expect(done.counts.train + done.counts.validation).toBe(36);
    expect(done.counts.validation).toBeGreaterThan(0);
    expect(done.leakedContents).toBe(0);
    expect(done.best?.valAccuracy).toBeGreaterThanOrEqual(0.9);
    expect(done.history.length).toBeGreaterThan(0);
    expect(progress.some((p) => p.epochMetrics === null)).toBe(true);
    expect(progress.filter((p) => p.epochMetrics).length).toBe(done.history.length);

    const again = await t.service.api.train.start({
      baseModel: model.id,
      epochs: 25,
      validationFraction: 0.25,
      groupBy: 'sequence',
      seed: 3,
    });
    await finished(t.service, again.jobId);
    const second = await t.service.api.train.run(again.id);
    second.history.forEach((m, i) => {
      expect(Math.abs(m.valLoss - (done.history[i]?.valLoss ?? NaN))).toBeLessThan(1e-5);
    });
    expect((await t.service.api.train.runs()).map((r) => r.id)).toEqual([again.id, run.id]);
    // Each run embeds 3 augmented views of the labelled images, cross-validates and refits.
  }, 180_000);
});
