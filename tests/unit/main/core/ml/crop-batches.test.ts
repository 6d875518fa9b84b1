import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cropBatches,
  cropEmbeddingHash,
  embeddingKey,
  type CropItem,
  type EmbedModel,
} from '../../../../../src/main/core/ml/embedder';
import { ProjectStore } from '../../../../../src/main/core/store/project-store';
import type { CropBox } from '../../../../../src/shared/crop';
import { makeTmpDir } from '../../../../helpers/tmp-dir';
import { MIRROR_ONLY } from '../../../../helpers/views';

const BASE: EmbedModel = {
  id: 'base',
  modelJson: '/models/base/model.json',
  modelSha: 'ab'.repeat(32),
  featureOutput: 'features',
  preprocessing: {
    inputSize: [32, 32],
    resize: 'squash',
    normalization: { kind: 'range', min: 0, max: 1 },
  },
};
/** Base and two augmented views, each drawing its view from the crop's key. */
const MODELS: EmbedModel[] = [
  BASE,
  ...[1, 2].map((v) => ({
    ...BASE,
    view: {
      key: `v${v}`,
      params: (hash: string) => ({ ...MIRROR_ONLY, zoom: 0.5 + v / 10, x: (hash.length % 7) / 7 }),
    },
  })),
];

let tmp: { dir: string; cleanup: () => void };
let store: ProjectStore;

beforeAll(() => {
  tmp = makeTmpDir('ocellus-cropbatches-');
  store = ProjectStore.create(path.join(tmp.dir, 'p.ocellus'), { name: 'p', appVersion: '0' });
});
afterAll(() => {
  store.close();
  tmp.cleanup();
});

/** Three boxes on each of three images, listed box by box across the images (as detection ids run). */
function crops(): CropItem[] {
  const out: CropItem[] = [];
  for (let b = 0; b < 3; b++) {
    for (const name of ['a.jpg', 'b.jpg', 'c.jpg']) {
      const box: CropBox = [0.1 * b, 0.1, 0.2, 0.3];
      const file = path.join('/photos', name);
      out.push({ key: cropEmbeddingHash(`hash-${name}`, box), file, box });
    }
  }
  return out;
}

describe('the batches of a crop embedding pass', () => {
  it('puts every box and view of an image in one batch, each vector once', () => {
    const list = crops();
    const batches = cropBatches(store.db, MODELS, [...list, list[0] as CropItem], 16);
    // 3 boxes × 3 models = 9 items an image: one image a batch, since two would pass 16.
    expect(batches.map((b) => b.length)).toEqual([9, 9, 9]);
    for (const batch of batches) {
      expect(new Set(batch.map((t) => t.item.file)).size).toBe(1);
      const pairs = new Set(batch.map((t) => `${t.modelKey}|${t.hash}`));
      expect(pairs.size).toBe(9);
      for (const t of batch) {
        const model = MODELS.find((m) => embeddingKey(m) === t.modelKey);
        expect(t.item.key).toBe(t.hash);
        expect(t.item.view).toEqual(model?.view?.params(t.hash) ?? null);
      }
    }
    // Small batches: an image's items fill whole batches before the next image starts.
    const small = cropBatches(store.db, MODELS, list, 4);
    expect(small.map((b) => b.length)).toEqual([4, 4, 1, 4, 4, 1, 4, 4, 1]);
    expect(small.every((b) => new Set(b.map((t) => t.item.file)).size === 1)).toBe(true);
  });

  it('leaves out the crops a model already has a vector (or an error) for', () => {
    const list = crops();
    const first = list[0] as CropItem;
    const insert = store.db.prepare(
      `INSERT INTO embeddings (model_key, hash, dim, vector, error, created_at)
       VALUES (?, ?, 0, NULL, 'unreadable', '2026-01-01')`,
    );
    insert.run(embeddingKey(MODELS[1] as EmbedModel), first.key);
    const items = cropBatches(store.db, MODELS, list, 16).flat();
    expect(items).toHaveLength(26);
    expect(items.filter((t) => t.hash === first.key).map((t) => t.modelKey)).toEqual([
      embeddingKey(BASE),
      embeddingKey(MODELS[2] as EmbedModel),
    ]);
  });
});
