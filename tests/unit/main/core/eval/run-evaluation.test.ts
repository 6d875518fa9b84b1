import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../../../src/main/cli/run-cli';
import type { RunSummary } from '../../../../../src/shared/types';
import { writeJpeg } from '../../../../helpers/image-fixtures';
import { sharedMobileNetV2 } from '../../../../helpers/nsfw-models';
import { makeTestService, jobFinished as finished } from '../../../../helpers/service';

describe('evaluating a trained run', () => {
  let t: ReturnType<typeof makeTestService>;
  let run: RunSummary;
  let file: string;
  beforeAll(async () => {
    process.env['OCELLUS_BACKEND'] = 'wasm';
    t = makeTestService();
    const photos = path.join(t.dir, 'photos');
    for (const name of ['red', 'blue']) {
      for (let i = 0; i < 10; i++) {
        const hi = 140 + i * 10;
        const lo = (i * 7) % 50;
        await writeJpeg(path.join(photos, name, `${i}.jpg`), {
          width: 96,
          height: 96,
          color: name === 'red' ? { r: hi, g: lo, b: lo } : { r: lo, g: lo, b: hi },
        });
      }
    }
    // Noisy labels: red photos filed as blue, which a model of colour gets "wrong".
    for (let i = 0; i < 4; i++)
      await writeJpeg(path.join(photos, 'blue', `noisy-${i}.jpg`), {
        width: 96,
        height: 96,
        color: { r: 200 + i * 10, g: 10, b: 10 },
      });
    file = path.join(t.dir, 'p.ocellus');
    await t.service.api.project.create({ path: file });
    await t.service.api.library.addRoot(photos, { labelsFromFolders: true });
    await t.service.whenIdle();
    const model = await t.service.api.ml.importModel(path.dirname(await sharedMobileNetV2()));
    const started = await t.service.api.train.start({
      baseModel: model.id,
      epochs: 15,
      validationFraction: 0.4,
      groupBy: 'none',
      seed: 1,
    });
    await finished(t.service, started.jobId);
    run = await t.service.api.train.run(started.id);
  }, 240_000);
  afterAll(async () => {
    delete process.env['OCELLUS_BACKEND'];
    delete process.env['OCELLUS_APP_DATA'];
    await t.cleanup();
  });

  it('reports figures that agree with the run and with each other', async () => {
    expect(run.status).toBe('done');
    const r = await t.service.api.evaluate.run(run.id);
    expect(r.classes).toEqual(run.classes);
    expect(r.count).toBe(run.counts.validation);
    expect(r.confusionMatrix.flat().reduce((a, b) => a + b, 0)).toBe(r.count);
    const diagonal = r.confusionMatrix.reduce((a, row, i) => a + (row[i] ?? 0), 0);
    expect(r.accuracy).toBeCloseTo(diagonal / r.count, 12);
    // The head's own validation accuracy at its best epoch is the same figure.
    expect(r.accuracy).toBeCloseTo(run.best?.valAccuracy ?? NaN, 5);
    expect(r.perClass.map((c) => c.support)).toEqual(
      r.confusionMatrix.map((row) => row.reduce((a, b) => a + b, 0)),
    );
    expect(r.binary?.kind).toBe('binary');
    expect(r.binary?.positiveClass).toBe(run.classes[1]);
    expect(r.binary?.auc).toBeGreaterThan(0.5);
    expect(r.labels).toMatchObject({ known: true, stale: false, changed: 0 });
    const other = await t.service.api.evaluate.run(run.id, {
      positiveClass: run.classes[0],
      threshold: 0.9,
    });
    expect(other.binary?.atThreshold.threshold).toBe(0.9);
    await expect(
      t.service.api.evaluate.run(run.id, { positiveClass: 'nope' }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(t.service.api.evaluate.run(9999)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('lists mistakes worst first; fixing a label marks the run stale and keeps the image listed', async () => {
    const before = await t.service.api.evaluate.misclassified(run.id);
    const report = await t.service.api.evaluate.run(run.id);
    expect(before.length).toBe(report.count - Math.round(report.accuracy * report.count));
    for (let i = 1; i < before.length; i++)
      expect(before[i - 1]!.confidence).toBeGreaterThanOrEqual(before[i]!.confidence);
    // Relabel one validation image to what the model predicts (as the review's key does).
    const classes = await t.service.api.labels.classes();
    expect(before.length).toBeGreaterThan(0);
    const target = before[0]!;
    const imageId = target.imageId;
    const newClass = classes.find((c) => c.name === target.predictedClass)!;
    await t.service.api.labels.assign([imageId], newClass.id, { replaceHuman: true });
    const fresh = (await t.service.api.evaluate.runs()).find((f) => f.runId === run.id);
    expect(fresh).toMatchObject({ known: true, stale: true, changed: 1 });
    const after = await t.service.api.evaluate.misclassified(run.id);
    expect(after.find((m) => m.imageId === imageId)).toMatchObject({
      relabelled: true,
      trueClass: newClass.name,
      runClass: target.trueClass,
    });
    const r2 = await t.service.api.evaluate.run(run.id);
    expect(r2.labels.changedValidation).toBe(1);
    expect(r2.accuracy).toBeGreaterThan(report.accuracy);
    await t.service.api.labels.undo();
    expect((await t.service.api.evaluate.runs())[0]).toMatchObject({ stale: false });
  });

  it('ocellus evaluate --json prints accuracy and the confusion matrix in class order', async () => {
    await t.service.dispose();
    process.env['OCELLUS_APP_DATA'] = path.join(t.dir, 'appdata');
    let stdout = '';
    let stderr = '';
    const code = await runCli(['evaluate', file, '--json'], {
      stdout: (s) => (stdout += s),
      stderr: (s) => (stderr += s),
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as Record<string, unknown>;
    expect(typeof out['accuracy']).toBe('number');
    expect(out['classes']).toEqual(run.classes);
    const m = out['confusionMatrix'] as number[][];
    expect(m).toHaveLength(run.classes.length);
    expect(m.every((row) => row.length === run.classes.length)).toBe(true);
    expect(m.flat().reduce((a, b) => a + b, 0)).toBe(run.counts.validation);
    expect((out['perClass'] as { name: string }[]).map((c) => c.name)).toEqual(run.classes);
    let text = '';
    expect(
      await runCli(['evaluate', file, '--run', String(run.id)], {
        stdout: (s) => (text += s),
        stderr: () => {},
      }),
    ).toBe(0);
    expect(text).toMatch(/accuracy\s+\d+\.\d %/);
    expect(text).toMatch(/Confusion matrix/);
    // ROC AUC is a fraction and so is its interval (it printed "0.5000 (95 % CI 50.0–50.0)").
    const auc = /ROC AUC (\d\.\d{4}) \(95 % CI (\d\.\d{4})–(\d\.\d{4})\)/.exec(text);
    expect(auc, text).not.toBeNull();
    const [lower, value, upper] = [auc?.[2], auc?.[1], auc?.[3]].map(Number);
    expect(lower).toBeLessThanOrEqual(value ?? NaN);
    expect(value).toBeLessThanOrEqual(upper ?? NaN);
  });
});
