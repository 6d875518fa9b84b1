import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pct } from '../../../../../src/shared/format';
import type { JobInfo } from '../../../../../src/shared/types';
import { writeRedBlue } from '../../../../helpers/image-fixtures';
import { makeTestService, jobFinished as finished } from '../../../../helpers/service';
import { writeTinyCnn } from '../../../../helpers/tiny-models';

/** Embedding rows per model key in the project file. */
function embeddingKeys(file: string): Map<string, number> {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db
      .prepare('SELECT model_key AS k, COUNT(*) AS n FROM embeddings GROUP BY model_key')
      .all() as { k: string; n: number }[];
    return new Map(rows.map((r) => [r.k, r.n]));
  } finally {
    db.close();
  }
}

function viewVector(file: string, key: string): Buffer | null {
  const db = new Database(file, { readonly: true });
  try {
    const row = db
      .prepare('SELECT vector FROM embeddings WHERE model_key = ? ORDER BY hash LIMIT 1')
      .get(key) as { vector: Buffer } | undefined;
    return row?.vector ?? null;
  } finally {
    db.close();
  }
}

/**
 * Feature mode on a small set: augmented views embedded per seed, epochs fixed because the
 * validation split is too small to rank them, 5-fold cross-validation, and the released head
 * refit on every label while evaluation keeps the head that did not see the validation split.
 */
describe('a feature-mode run on a small set', () => {
  let t: ReturnType<typeof makeTestService>;
  let project: string;
  let modelId: string;
  let lastJob: JobInfo | undefined;
  beforeAll(async () => {
    t = makeTestService();
    await writeRedBlue(path.join(t.dir, 'photos'), 10, 48);
    project = path.join(t.dir, 'p.ocellus');
    await t.service.api.project.create({ path: project });
    await t.service.api.library.addRoot(path.join(t.dir, 'photos'), { labelsFromFolders: true });
    await t.service.whenIdle();
    modelId = (
      await t.service.api.ml.importModel(path.dirname(await writeTinyCnn(path.join(t.dir, 'cnn'))))
    ).id;
  }, 60_000);
  afterAll(async () => {
    await t.cleanup();
  });

  const train = async (seed: number) => {
    const run = await t.service.api.train.start({
      baseModel: modelId,
      epochs: 12,
      hiddenUnits: 8,
      learningRate: 0.01,
      groupBy: 'none',
      seed,
      // The mirror embeddings of test-time flip averaging would join the view keys counted below.
      tta: false,
    });
    lastJob = await finished(t.service, run.jobId);
    expect(lastJob.state).toBe('done');
    return t.service.api.train.run(run.id);
  };

  it('refits on every label, cross-validates, fixes the epochs and says so', async () => {
    const run = await train(5);
    const e = run.estimate;
    expect(e).not.toBeNull();
    expect(run.counts.validation).toBe(4);
    expect(e?.validationImages).toBe(4);
    expect(e?.epochChoice).toBe('fixed');
    expect(e?.epochs).toBe(12);
    expect(run.history).toHaveLength(12);
    expect(e?.notes.join(' ')).toMatch(/too small to choose an epoch/);
    expect(e?.refit).toEqual({ images: 20, epochs: 12 });
    expect(e?.crossValidation?.folds).toHaveLength(5);
    expect(e?.crossValidation?.folds.reduce((n, f) => n + f.images, 0)).toBe(20);
    expect(e?.interval?.[0]).toBeLessThanOrEqual(e?.accuracy ?? NaN);
    expect(e?.smallClasses).toEqual([
      { name: 'blue', images: 10 },
      { name: 'red', images: 10 },
    ]);
    expect(e?.views).toBe(4);
    // Evaluation uses the head that never saw the validation split: the estimate's figure.
    const report = await t.service.api.evaluate.run(run.id);
    expect(report.count).toBe(4);
    expect(report.accuracy).toBeCloseTo(e?.accuracy ?? NaN, 6);
    // The finished job (its toast, the jobs panel) states the estimate, not its last phase.
    expect(lastJob?.detail).toMatch(
      /^Estimated accuracy [\d.]+ % \(95 % interval [\d.]+ % – [\d.]+ %, 4 validation images\); 5-fold cross-validation [\d.]+ % ± [\d.]+ %; released model trained on all 20 images$/,
    );
    expect(lastJob?.detail).toContain(`Estimated accuracy ${pct(e?.accuracy)}`);
  }, 120_000);

  it('embeds each augmented view once per seed: the same seed reuses them, another makes new ones', async () => {
    const before = embeddingKeys(project);
    const views = [...before.keys()].filter((k) => k.includes('|view:'));
    expect(views).toHaveLength(3);
    for (const k of views) expect(before.get(k)).toBe(20);
    await train(5);
    expect(embeddingKeys(project)).toEqual(before);
    await train(6);
    const after = [...embeddingKeys(project).keys()].filter((k) => k.includes('|view:'));
    expect(after).toHaveLength(6);
    const v1 = (seed: number) => after.find((k) => k.includes(`seed${seed}:v1`)) ?? '';
    expect(viewVector(project, v1(5))?.equals(viewVector(project, v1(6)) ?? Buffer.alloc(0))).toBe(
      false,
    );
  }, 120_000);
});
