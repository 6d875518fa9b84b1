import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeJpeg } from '../../../../helpers/image-fixtures';
import { jobFinished, makeTestService } from '../../../../helpers/service';
import { writeTinyCnn } from '../../../../helpers/tiny-models';

describe('training runs have names', () => {
  let t: ReturnType<typeof makeTestService>;
  let base: string;
  beforeEach(async () => {
    process.env['OCELLUS_BACKEND'] = 'cpu';
    t = makeTestService();
    const photos = path.join(t.dir, 'photos');
    for (let i = 0; i < 6; i++) {
      await writeJpeg(path.join(photos, 'red', `${i}.jpg`), {
        width: 40,
        height: 40,
        color: { r: 160 + i * 10, g: i * 8, b: i * 5 },
      });
      await writeJpeg(path.join(photos, 'blue', `${i}.jpg`), {
        width: 40,
        height: 40,
        color: { r: i * 5, g: i * 8, b: 160 + i * 10 },
      });
    }
    await t.service.api.project.create({ path: path.join(t.dir, 'p.ocellus') });
    await t.service.api.library.addRoot(photos, { labelsFromFolders: true });
    await t.service.whenIdle();
    base = (
      await t.service.api.ml.importModel(
        path.dirname(await writeTinyCnn(path.join(t.dir, 'base-cnn'))),
      )
    ).id;
  });
  afterEach(async () => {
    delete process.env['OCELLUS_BACKEND'];
    await t.cleanup();
  });

  it('keeps the base model’s name and a title people can change', async () => {
    expect(base).toMatch(/^imported-/);
    const run = await t.service.api.train.start(
      { baseModel: base, epochs: 2, groupBy: 'none' },
      { title: '  first   try ' },
    );
    expect(run).toMatchObject({ title: 'first try', baseName: 'base-cnn' });
    expect((await jobFinished(t.service, run.jobId)).state).toBe('done');
    const renamed = await t.service.api.train.setTitle(run.id, 'Colours, no grouping');
    expect(renamed.title).toBe('Colours, no grouping');
    expect((await t.service.api.train.runs())[0]).toMatchObject({
      title: 'Colours, no grouping',
      baseName: 'base-cnn',
    });
    expect((await t.service.api.train.setTitle(run.id, '   ')).title).toBeNull();
    await expect(t.service.api.train.setTitle(run.id, 'x'.repeat(201))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(t.service.api.train.setTitle(999, 'x')).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('retries a failed run as a new run with the same settings and title', async () => {
    // One class only: the run fails with a clear message.
    await t.service.api.labels.mergeClasses(
      (await t.service.api.labels.classes())[0]!.id,
      (await t.service.api.labels.classes())[1]!.id,
    );
    const run = await t.service.api.train.start(
      { baseModel: base, epochs: 3, groupBy: 'none', seed: 7 },
      { title: 'one class' },
    );
    const failed = await jobFinished(t.service, run.jobId);
    expect(failed).toMatchObject({ state: 'failed', subject: String(run.id), retryable: true });
    expect(failed.error).toMatch(/at least 2 classes/);
    const again = await t.service.api.jobs.retry(failed.id);
    expect(again.kind).toBe('train');
    const runs = await t.service.api.train.runs();
    expect(runs).toHaveLength(2);
    expect(runs[0]).toMatchObject({ title: 'one class', config: { seed: 7, epochs: 3 } });
    expect(again.subject).toBe(String(runs[0]!.id));
    await jobFinished(t.service, again);

    // A retry never acts on another project than its own.
    await t.service.api.project.create({ path: path.join(t.dir, 'other.ocellus') });
    await expect(t.service.api.jobs.retry(failed.id)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: /no longer open/,
    });
  });
});
