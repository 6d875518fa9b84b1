import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ImageTile, JobInfo } from '../../../../../src/shared/types';
import type { OcellusService } from '../../../../../src/main/core/service';
import {
  PredictionStore,
  predictionFigures,
} from '../../../../../src/main/core/assist/prediction-store';
import { RunStore } from '../../../../../src/main/core/train/run-store';
import { writeJpeg } from '../../../../helpers/image-fixtures';
import { makeTestService } from '../../../../helpers/service';
import { writeTinyCnn } from '../../../../helpers/tiny-models';

describe('prediction figures', () => {
  it('computes top class, confidence, margin and entropy by hand', () => {
    const f = predictionFigures(Float32Array.from([0.2, 0.5, 0.3]));
    expect(f.top).toBe(1);
    expect(f.confidence).toBeCloseTo(0.5, 6);
    expect(f.margin).toBeCloseTo(0.2, 6);
    const h = -(0.2 * Math.log(0.2) + 0.5 * Math.log(0.5) + 0.3 * Math.log(0.3));
    expect(f.entropy).toBeCloseTo(h, 5);
    expect(predictionFigures(Float32Array.from([1, 0])).entropy).toBe(0);
    // Ties: the first of the tied classes, margin 0.
    const tie = predictionFigures(Float32Array.from([0.4, 0.4, 0.2]));
    expect([tie.top, tie.margin]).toEqual([0, 0]);
  });
});

describe('suggestions: storage, queue order, accept', () => {
  let t: ReturnType<typeof makeTestService>;
  let ids: Record<string, number>;
  let cat: number;
  let dog: number;
  let bird: number;
  let runId: number;
  let db: Database.Database;

  // Probabilities per image over [cat, dog, bird], chosen so margin and entropy orders differ.
  const probs: Record<string, number[]> = {
    a: [0.9, 0.05, 0.05], // margin 0.85
    b: [0.45, 0.44, 0.11], // margin 0.01 — the least sure by margin
    c: [0.4, 0.3, 0.3], // margin 0.10 — the highest entropy
    d: [0.1, 0.7, 0.2], // margin 0.50, dog
    e: [0.2, 0.2, 0.6], // margin 0.40, bird
  };

  beforeEach(async () => {
    t = makeTestService();
    const photos = path.join(t.dir, 'photos');
    for (const [i, name] of ['a', 'b', 'c', 'd', 'e'].entries()) {
      await writeJpeg(path.join(photos, `${name}.jpg`), {
        width: 40,
        height: 30,
        color: { r: 40 * i, g: 100, b: 200 - 30 * i },
      });
    }
    await t.service.api.project.create({ path: path.join(t.dir, 'p.ocellus') });
    await t.service.api.library.addRoot(photos);
    await t.service.whenIdle();
    const page = await t.service.api.library.listImages({ sort: 'path' });
    ids = Object.fromEntries(page.items.map((im) => [im.relPath.replace('.jpg', ''), im.id]));
    cat = (await t.service.api.labels.addClass('cat')).id;
    dog = (await t.service.api.labels.addClass('dog')).id;
    bird = (await t.service.api.labels.addClass('bird')).id;
    // A second connection on the same file plays the prediction job's part.
    db = new Database(path.join(t.dir, 'p.ocellus'));
    const runs = new RunStore(db);
    runId = runs.create({
      baseModel: 'x',
      mode: 'features',
      hiddenUnits: 4,
      dropout: 0,
      epochs: 1,
      batchSize: 1,
      learningRate: 0.01,
      validationFraction: 0.2,
      groupBy: 'none',
      classWeighting: false,
      patience: 0,
      seed: 1,
      unfreezeLayers: 0,
      warmupEpochs: 0,
      baseLearningRateFactor: 1,
      augmentation: { flip: false, crop: 1, rotation: 0, colour: 0 },
      viewsPerImage: 1,
      refit: 'never',
      crossValidation: 1,
      tta: false,
    });
    runs.setDataset(runId, {
      classes: ['cat', 'dog', 'bird'],
      counts: {
        train: 0,
        validation: 0,
        perClass: [],
        excludedUnlabelled: 0,
        excludedUnreadable: 0,
        excludedNoEmbedding: 0,
      },
      split: { train: [], validation: [] },
      leaked: 0,
      backend: 'cpu',
      datasetKey: 'k',
    });
    runs.finish(runId, 'done', {});
    const store = new PredictionStore(db);
    store.write(
      runId,
      [cat, dog, bird],
      Object.entries(probs).map(([name, p]) => ({
        imageId: ids[name] ?? 0,
        probabilities: Float32Array.from(p),
      })),
    );
    store.publish(runId);
  });
  afterEach(async () => {
    db.close();
    await t.cleanup();
  });

  const names = (items: ImageTile[]) =>
    items.map((it) => Object.keys(ids).find((k) => ids[k] === it.id));

  it('stores one suggestion per image and lists the queue by margin or by entropy', async () => {
    const api = t.service.api;
    const byMargin = await api.library.listImages({
      filter: { suggested: true },
      sort: 'uncertain',
    });
    expect(names(byMargin.items)).toEqual(['b', 'c', 'e', 'd', 'a']);
    const byEntropy = await api.library.listImages({ sort: 'entropy' });
    const entropyOf = (n: string) => predictionFigures(Float32Array.from(probs[n] ?? [])).entropy;
    const expected = Object.keys(probs).sort((x, y) => entropyOf(y) - entropyOf(x));
    expect(names(byEntropy.items)).toEqual(expected);
    expect(byEntropy.items[0]?.suggestion).toMatchObject({ runId, classId: cat });

    const dogs = await api.library.listImages({ filter: { predictedClassId: dog } });
    expect(names(dogs.items)).toEqual(['d']);
    const sure = await api.library.imageIds({ minConfidence: 0.6 }, 'confidence');
    expect(sure).toEqual([ids['a'], ids['d'], ids['e']]);
    const unsure = await api.library.imageIds({ maxConfidence: 0.45 }, 'path');
    expect(unsure).toEqual([ids['b'], ids['c']]);
    expect(await api.assist.status()).toMatchObject({ runId, predicted: 5, unconfirmed: 5 });
    const detail = await api.assist.prediction(ids['d'] ?? 0);
    expect(detail?.probabilities.map((p) => [p.name, Math.round(p.p * 100)])).toEqual([
      ['cat', 10],
      ['dog', 70],
      ['bird', 20],
    ]);
  });

  it('accepting takes only the suggestions the user saw: one a retrain changed is left', async () => {
    const api = t.service.api;
    const [d, e] = [ids['d'] ?? 0, ids['e'] ?? 0];
    // The user saw d as cat (since retrained to dog) and e as bird (still bird).
    const change = await api.assist.accept([d, e], {
      seen: [
        [d, cat],
        [e, bird],
      ],
    });
    expect(change.imageIds).toEqual([e]);
    expect(change.description).toBe(
      'Accept 1 image suggested by the model; 1 image left: suggestion changed since shown',
    );
    const only = await api.assist.accept([d], { seen: [[d, cat]] });
    expect(only.imageIds).toEqual([]);
    expect(only.description).toMatch(
      /^Nothing accepted: the suggestion changed since it was shown/,
    );
    await expect(api.assist.accept([d], { seen: [[d]] as never })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  it('accepting makes a human label that remembers the run; undo takes it back', async () => {
    const api = t.service.api;
    const change = await api.assist.accept([ids['d'] ?? 0]);
    expect(change.imageIds).toEqual([ids['d']]);
    const [d] = (await api.library.listImages({ filter: { imageIds: [ids['d'] ?? 0] } })).items;
    expect(d?.classIds).toEqual([dog]);
    const history = await api.labels.history(ids['d'] ?? 0);
    expect(history.at(-1)).toMatchObject({ source: 'human', runId, classId: dog, action: 'add' });
    expect(history.at(-1)?.confidence).toBeCloseTo(0.7, 5);
    // Confirmed images leave the queue; the suggestion still shows, now agreeing.
    expect(await api.library.imageIds({ suggested: true }, 'uncertain')).not.toContain(ids['d']);
    expect((await api.assist.status()).unconfirmed).toBe(4);
    // A queue opened before the accept keeps the image in place.
    const opened = new Date(Date.now() - 60_000).toISOString();
    expect(
      await api.library.imageIds({ suggested: true, suggestedSince: opened }, 'uncertain'),
    ).toEqual([ids['b'], ids['c'], ids['e'], ids['d'], ids['a']]);
    await api.labels.undo();
    expect(await api.library.imageIds({ suggested: true }, 'uncertain')).toContain(ids['d']);
  });

  it('bulk accept counts first, skips images a human labelled, and is one undo', async () => {
    const api = t.service.api;
    // A human said "bird" for a; the model says cat at 90 %: the human label stays.
    await api.labels.assign([ids['a'] ?? 0], bird);
    expect(await api.library.imageIds({ disagrees: true })).toEqual([ids['a']]);
    const preview = await api.assist.bulkAcceptPreview(0.6);
    expect(preview.count).toBe(2); // d (dog 0.7), e (bird 0.6); a is human-labelled
    expect(preview.runId).toBe(runId);
    // Asked about 1 (a retrain moved the figures since), or about another run: nothing is accepted.
    await expect(api.assist.bulkAccept(0.6, null, { count: 1, runId })).rejects.toThrow(
      /changed while you were asked: 2 images now reach ≥ 60 %, not 1/,
    );
    await expect(api.assist.bulkAccept(0.6, null, { count: 2, runId: runId + 1 })).rejects.toThrow(
      /changed while you were asked: 2 images now reach ≥ 60 %, from run/,
    );
    expect((await api.assist.bulkAcceptPreview(0.6)).count).toBe(2);
    const change = await api.assist.bulkAccept(0.6, null, { count: 2, runId });
    expect(change.imageIds.sort()).toEqual([ids['d'], ids['e']].sort());
    const tiles = (await api.library.listImages({ sort: 'path' })).items;
    expect(tiles.map((x) => x.classIds)).toEqual([[bird], [], [], [dog], [bird]]);
    expect((await api.assist.bulkAcceptPreview(0.6)).count).toBe(0);
    expect((await api.assist.bulkAcceptPreview(0, cat)).count).toBe(2); // b and c
    await api.labels.undo();
    const after = (await api.library.listImages({ sort: 'path' })).items;
    expect(after.map((x) => x.classIds)).toEqual([[bird], [], [], [], []]);
    await expect(api.assist.bulkAccept(1.5)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    // Accepting over a human label of another class asks first; once asked, it replaces it.
    expect(await api.assist.accept([ids['a'] ?? 0])).toMatchObject({ replacesHuman: 1 });
    await api.assist.accept([ids['a'] ?? 0], { replaceHuman: true });
    const [a1] = (await api.library.listImages({ filter: { imageIds: [ids['a'] ?? 0] } })).items;
    expect(a1?.classIds).toEqual([cat]);
    expect(await api.library.imageIds({ disagrees: true })).toEqual([]);
  });

  it('a new complete set replaces the old one; an unfinished one is dropped', async () => {
    const store = new PredictionStore(db);
    store.write(
      runId + 1,
      [dog, cat, bird],
      [{ imageId: ids['a'] ?? 0, probabilities: Float32Array.from([0.9, 0.05, 0.05]) }],
    );
    store.discard(runId + 1);
    expect((await t.service.api.assist.status()).predicted).toBe(5);
    store.write(
      runId + 1,
      [dog, cat, bird],
      [{ imageId: ids['a'] ?? 0, probabilities: Float32Array.from([0.9, 0.05, 0.05]) }],
    );
    store.publish(runId + 1);
    expect(await t.service.api.assist.status()).toMatchObject({ runId: runId + 1, predicted: 1 });
    const [a] = (await t.service.api.library.listImages({ filter: { imageIds: [ids['a'] ?? 0] } }))
      .items;
    expect(a?.suggestion?.classId).toBe(dog);
  });
});

function finished(service: OcellusService, kind: string): Promise<JobInfo> {
  return new Promise((resolve) => {
    const off = service.bus.on('job:updated', (j) => {
      if (j.kind === kind && j.state !== 'running') {
        off();
        resolve(j);
      }
    });
  });
}

describe('suggestions after a training run', () => {
  let t: ReturnType<typeof makeTestService>;
  beforeEach(() => {
    process.env['OCELLUS_BACKEND'] = 'cpu';
    t = makeTestService();
  });
  afterEach(async () => {
    delete process.env['OCELLUS_BACKEND'];
    await t.cleanup();
  });

  it('predicts every readable image with the run that just finished', async () => {
    const photos = path.join(t.dir, 'photos');
    for (let i = 0; i < 4; i++) {
      await writeJpeg(path.join(photos, 'red', `${i}.jpg`), {
        width: 32,
        height: 32,
        color: { r: 200 + i * 10, g: 10, b: 10 },
      });
      await writeJpeg(path.join(photos, 'blue', `${i}.jpg`), {
        width: 32,
        height: 32,
        color: { r: 10, g: 10, b: 200 + i * 10 },
      });
    }
    for (let i = 0; i < 3; i++) {
      await writeJpeg(path.join(t.dir, 'new', `${i}.jpg`), {
        width: 32,
        height: 32,
        color: { r: 100, g: 10, b: 100 + i * 40 },
      });
    }
    await t.service.api.project.create({ path: path.join(t.dir, 'p.ocellus') });
    await t.service.api.library.addRoot(photos, { labelsFromFolders: true });
    await t.service.api.library.addRoot(path.join(t.dir, 'new'));
    await t.service.whenIdle();
    await t.service.api.assist.updateSettings({ quickRetrain: false });
    const model = await t.service.api.ml.importModel(
      path.dirname(await writeTinyCnn(path.join(t.dir, 'cnn'))),
    );
    const predicted = finished(t.service, 'predict');
    const run = await t.service.api.train.start({
      baseModel: model.id,
      epochs: 3,
      groupBy: 'none',
    });
    expect((await predicted).state).toBe('done');
    const status = await t.service.api.assist.status();
    expect(status).toMatchObject({ runId: run.id, predicted: 11, unconfirmed: 3 });
    const queue = await t.service.api.library.listImages({
      filter: { suggested: true },
      sort: 'uncertain',
    });
    expect(queue.total).toBe(3);
    const margins = queue.items.map((i) => i.suggestion?.margin ?? NaN);
    expect(margins).toEqual([...margins].sort((a, b) => a - b));
    for (const tile of queue.items) {
      expect(tile.suggestion?.confidence).toBeGreaterThanOrEqual(0.5);
      expect(tile.classIds).toEqual([]);
    }

    // The same run explains itself and finds neighbours through the contract.
    const first = queue.items[0]?.id ?? 0;
    const map = await t.service.api.assist.heatMap(first);
    expect(map).toMatchObject({ imageId: first, runId: run.id, width: 30, height: 30 });
    expect(map.values).toHaveLength(900);
    expect(Math.max(...map.values)).toBeLessThanOrEqual(1);
    expect(Math.min(...map.values)).toBeGreaterThanOrEqual(0);
    expect(['red', 'blue']).toContain(map.className);
    const similar = await t.service.api.assist.similar(first, 5);
    expect(similar.scanned).toBe(11);
    expect(similar.items).toHaveLength(5);
    expect(similar.items.map((i) => i.imageId)).not.toContain(first);
    const scores = similar.items.map((i) => i.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));

    // Quick retrain: a label, a short pause, a new run in the background, new suggestions.
    await t.service.api.assist.updateSettings({
      quickRetrain: true,
      quickRetrainDelaySeconds: 0.5,
    });
    const refreshed = new Promise<number | null>((resolve) => {
      const off = t.service.bus.on('assist:changed', (st) => {
        if (st.runId !== null && st.runId !== run.id) {
          off();
          resolve(st.runId);
        }
      });
    });
    const red = (await t.service.api.labels.classes()).find((c) => c.name === 'red')?.id ?? 0;
    await t.service.api.labels.assign([first], red);
    const newRun = await refreshed;
    expect(newRun).toBeGreaterThan(run.id);
    const retrained = await t.service.api.train.run(newRun ?? 0);
    expect(retrained.status).toBe('done');
    expect(retrained.counts.train + retrained.counts.validation).toBe(9);
    expect(await t.service.api.assist.status()).toMatchObject({ predicted: 11, unconfirmed: 2 });
  });
});
