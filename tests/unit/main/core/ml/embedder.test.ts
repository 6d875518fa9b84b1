import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeJpeg } from '../../../../helpers/image-fixtures';
import { nativeBackend } from '../../../../helpers/native-backend';
import { sharedMobileNetV2 } from '../../../../helpers/nsfw-models';
import { makeTestService, jobFinished as finished } from '../../../../helpers/service';
import { writeTinyCnn } from '../../../../helpers/tiny-models';
import Database from 'better-sqlite3';
import { EmbedEngine } from '../../../../../src/main/core/ml/embed-engine';
import { defaultPreprocessing } from '../../../../../src/main/core/ml/zoo';

describe('embeddings', () => {
  let t: ReturnType<typeof makeTestService>;
  let photos: string;
  beforeEach(async () => {
    process.env['OCELLUS_BACKEND'] = 'wasm';
    t = makeTestService();
    photos = path.join(t.dir, 'photos');
    await writeJpeg(path.join(photos, 'a.jpg'), { width: 320, height: 240, color: '#cc2222' });
    await writeJpeg(path.join(photos, 'b.jpg'), { width: 320, height: 240, color: '#22cc22' });
    await writeJpeg(path.join(photos, 'copy-of-a.jpg'), {
      width: 320,
      height: 240,
      color: '#cc2222',
    });
    await t.service.api.project.create({ path: path.join(t.dir, 'p.ocellus') });
    await t.service.api.library.addRoot(photos);
    await t.service.whenIdle();
  });
  afterEach(async () => {
    delete process.env['OCELLUS_BACKEND'];
    await t.cleanup();
  });

  it('embeds each distinct image once, and the next run is served from the cache', async () => {
    const modelJson = await writeTinyCnn(path.join(t.dir, 'tiny'));
    const imported = await t.service.api.ml.importModel(path.dirname(modelJson));
    const job = await t.service.api.ml.embed(imported.id);
    expect(await finished(t.service, job)).toMatchObject({ state: 'done' });
    const st = await t.service.api.ml.embeddingStatus(imported.id);
    // a.jpg and copy-of-a.jpg share their content: two distinct images.
    expect(st).toMatchObject({ total: 2, embedded: 2, failed: 0, dim: 8 });

    const again = await t.service.api.ml.embed(imported.id);
    const final = await finished(t.service, again);
    expect(final).toMatchObject({ state: 'done', total: 0 });
  });

  it('uses the real Keras MobileNetV2: feature layer found, 1280-d, deterministic', async () => {
    const modelJson = await sharedMobileNetV2();
    const imported = await t.service.api.ml.importModel(path.dirname(modelJson));
    const job = await t.service.api.ml.embed(imported.id, { batchSize: 2 });
    expect(await finished(t.service, job)).toMatchObject({ state: 'done' });
    expect(await t.service.api.ml.embeddingStatus(imported.id)).toMatchObject({
      embedded: 2,
      dim: 1280,
    });
    expect((await t.service.api.ml.status()).backend).toBe('wasm');

    // The stored vector equals a fresh computation on the same image, twice over.
    const db = new Database(path.join(t.dir, 'p.ocellus'), { readonly: true });
    const rows = db
      .prepare('SELECT hash, vector FROM embeddings WHERE vector IS NOT NULL')
      .all() as {
      hash: string;
      vector: Buffer;
    }[];
    db.close();
    const a = (await t.service.api.library.listImages({})).items.find((i) => i.relPath === 'a.jpg');
    const aHash = (await t.service.api.library.image(a?.id ?? 0)).hash;
    const stored = rows.find((r) => r.hash === aHash);
    expect(stored).toBeDefined();
    const storedVec = new Float32Array(new Uint8Array(stored?.vector ?? Buffer.alloc(0)).buffer);
    const engine = await EmbedEngine.create({
      modelJson,
      featureOutput: 'auto',
      preprocessing: defaultPreprocessing(modelJson),
    });
    expect(engine.featureLayer).toMatch(/pool|relu/i);
    const input = path.join(photos, 'a.jpg');
    const [first] = engine.infer(await engine.prepare([{ key: 'x', file: input }]));
    const [second] = engine.infer(await engine.prepare([{ key: 'x', file: input }]));
    engine.dispose();
    expect(Array.from(first?.vector ?? [])).toEqual(Array.from(second?.vector ?? []));
    // The job read the model-input cache (320 px), this run the original: close, not equal.
    const diff = Math.max(
      ...Array.from(storedVec).map((v, i) => Math.abs(v - (first?.vector?.[i] ?? 0))),
    );
    expect(diff).toBeLessThan(0.5);
    const bRow = rows.find((r) => r.hash !== aHash);
    expect(bRow?.vector.equals(stored?.vector ?? Buffer.alloc(0))).toBe(false);
  });
});

describe('backend setting and SavedModel folders', () => {
  it('saves a working backend choice, refuses one that cannot start, and explains SavedModels', async () => {
    const native = nativeBackend();
    const t = makeTestService();
    const savedBackend = () =>
      (
        JSON.parse(fs.readFileSync(path.join(t.dir, 'appdata', 'settings.json'), 'utf8')) as {
          backend: string;
        }
      ).backend;
    try {
      expect((await t.service.api.ml.setBackend('cpu')).backend).toBe('cpu');
      expect(savedBackend()).toBe('cpu');
      const sm = path.join(t.dir, 'saved');
      fs.mkdirSync(sm);
      fs.writeFileSync(path.join(sm, 'saved_model.pb'), 'x');
      if (native.available) {
        expect((await t.service.api.ml.setBackend('tensorflow')).backend).toBe('tensorflow');
        expect(savedBackend()).toBe('tensorflow');
        // A file named saved_model.pb that is not one is refused for what it is.
        await expect(t.service.api.ml.importModel(sm)).rejects.toMatchObject({
          code: 'INVALID_ARGUMENT',
          message: /not a readable SavedModel/,
        });
      } else {
        await expect(t.service.api.ml.setBackend('tensorflow')).rejects.toMatchObject({
          code: 'UNSUPPORTED',
        });
        expect(savedBackend()).toBe('cpu');
      }
      // On another backend a SavedModel cannot run at all, and the error says why.
      await t.service.api.ml.setBackend('wasm');
      await expect(t.service.api.ml.importModel(sm)).rejects.toMatchObject({
        code: 'UNSUPPORTED',
        message: /SavedModel runs on the native TensorFlow backend only.*the backend here is wasm/,
      });
    } finally {
      await t.cleanup();
    }
  });
});
