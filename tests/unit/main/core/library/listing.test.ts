import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PredictionStore } from '../../../../../src/main/core/assist/prediction-store';
import { LibraryDb } from '../../../../../src/main/core/library/library-db';
import type { OcellusApi } from '../../../../../src/shared/api';
import type { ImageFilter, ImageSort, ListCursor } from '../../../../../src/shared/types';
import { writeJpeg } from '../../../../helpers/image-fixtures';
import { makeTestService } from '../../../../helpers/service';

interface Row {
  id: number;
  root_id: number;
  rel_path: string;
  taken_at: string | null;
  mtime_ms: number | null;
  labelled: number;
  margin: number | null;
  entropy: number | null;
  confidence: number | null;
}

const SORTS: ImageSort[] = ['path', 'time', 'imported', 'uncertain', 'entropy', 'confidence'];

/** The order each sort promises, computed here from the raw columns. */
function reference(rows: Row[], sort: ImageSort): number[] {
  const cmp = (a: (string | number)[], b: (string | number)[]) => {
    for (let i = 0; i < a.length; i++) {
      const x = a[i] as string | number;
      const y = b[i] as string | number;
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  };
  const key = (r: Row): (string | number)[] => {
    const has = r.margin === null ? 1 : 0;
    switch (sort) {
      case 'time':
        return [r.taken_at ?? '~', r.mtime_ms ?? -1, r.id];
      case 'imported':
        return [r.id];
      case 'uncertain':
        return has ? [1, 0, r.id] : [0, r.margin ?? 0, r.id];
      case 'entropy':
        return has ? [1, 0, r.id] : [0, -(r.entropy ?? 0), -r.id];
      case 'confidence':
        return has ? [1, 0, r.id] : [0, -(r.confidence ?? 0), -r.id];
      default:
        return [r.root_id, r.rel_path];
    }
  };
  return [...rows].sort((a, b) => cmp(key(a), key(b))).map((r) => r.id);
}

describe('keyset listing', () => {
  let t: ReturnType<typeof makeTestService>;
  let api: OcellusApi;
  let file: string;
  let rows: Row[];

  beforeAll(async () => {
    t = makeTestService();
    api = t.service.api;
    const photos = path.join(t.dir, 'photos');
    const other = path.join(t.dir, 'other');
    // Some with capture times (two equal), some without (mtime decides), in two roots.
    for (let i = 0; i < 14; i++) {
      const folder = i % 3 === 0 ? 'b' : 'a';
      const exif =
        i % 4 === 0 ? undefined : { DateTimeOriginal: `2024:05:0${1 + (i % 3)} 10:00:00` };
      const f = await writeJpeg(path.join(photos, folder, `img${String(i).padStart(2, '0')}.jpg`), {
        width: 8,
        height: 8,
        color: { r: i * 10, g: 0, b: 0 },
        ...(exif ? { exif } : {}),
      });
      fs.utimesSync(f, 1_700_000_000 + ((i * 7) % 5), 1_700_000_000 + ((i * 7) % 5));
    }
    for (let i = 0; i < 4; i++)
      await writeJpeg(path.join(other, `z${i}.jpg`), { width: 8, height: 8, color: '#00ff00' });
    file = path.join(t.dir, 'p.ocellus');
    await api.project.create({ path: file });
    await api.library.addRoot(photos);
    await api.library.addRoot(other);
    await t.service.whenIdle();
    const ids = await api.library.imageIds({}, 'imported');
    const deer = (await api.labels.addClass('deer')).id;
    const fox = (await api.labels.addClass('fox')).id;
    await api.labels.assign(
      ids.filter((_, i) => i % 5 === 1),
      deer,
    );
    // Suggestions for most images (equal confidences included), none for a few.
    const db = new Database(file);
    const preds = new PredictionStore(db);
    db.prepare(
      "INSERT INTO runs (id, status, config, started_at) VALUES (7, 'done', '{}', 'x')",
    ).run();
    preds.write(
      7,
      [deer, fox],
      ids
        .filter((_, i) => i % 6 !== 5)
        .map((imageId, i) => ({
          imageId,
          probabilities: Float32Array.from(
            i % 4 === 0 ? [0.75, 0.25] : [0.5 + i / 40, 0.5 - i / 40],
          ),
        })),
    );
    preds.publish(7);
    rows = db
      .prepare(
        `SELECT i.id, i.root_id, i.rel_path, i.taken_at, i.mtime_ms,
                EXISTS (SELECT 1 FROM labels l WHERE l.image_id = i.id) AS labelled,
                p.margin, p.entropy, p.confidence
           FROM images i LEFT JOIN predictions p ON p.image_id = i.id AND p.run_id = 7
          WHERE i.missing = 0`,
      )
      .all() as Row[];
    db.close();
  });
  afterEach(() => {
    // One project for every case; closed once at the end below.
  });

  /** Every id of a listing, fetched `size` at a time from cursors. */
  async function chunked(filter: ImageFilter, sort: ImageSort, size: number): Promise<number[]> {
    const out: number[] = [];
    let after: ListCursor | null = null;
    for (let guard = 0; guard < 100; guard++) {
      const page = await api.library.listIds({ filter, sort, after, limit: size });
      out.push(...page.ids);
      if (!page.next) return out;
      after = page.next;
    }
    throw new Error('the listing did not end');
  }

  it('lists every order by cursor exactly as the order promises, in chunks of any size', async () => {
    for (const sort of SORTS) {
      const want = reference(rows, sort);
      for (const size of [1, 3, 7, 1000])
        expect(await chunked({}, sort, size), `${sort} by ${size}`).toEqual(want);
      expect(await api.library.imageIds({}, sort)).toEqual(want);
      const legacy = await api.library.listImages({ sort, limit: 5000 });
      expect(legacy.items.map((x) => x.id)).toEqual(want);
    }
  });

  it('applies filters on top of the order: unlabelled, suggestions, human-labelled', async () => {
    const unlabelled = rows.filter((r) => !r.labelled);
    for (const sort of SORTS) {
      expect(await chunked({ unlabelled: true }, sort, 2)).toEqual(reference(unlabelled, sort));
      const sure = rows.filter((r) => (r.confidence ?? 0) >= 0.6);
      expect(await chunked({ minConfidence: 0.6 }, sort, 2)).toEqual(reference(sure, sort));
    }
    const human = await chunked({ humanLabelled: true }, 'path', 2);
    expect(human).toEqual(
      reference(
        rows.filter((r) => r.labelled),
        'path',
      ),
    );
    expect(await chunked({ humanLabelled: false }, 'path', 5)).toEqual(
      reference(unlabelled, 'path'),
    );
  });

  it('keeps an explicit list in its own order, and tiles come back in the order asked', async () => {
    const some = reference(rows, 'imported').slice(2, 9).reverse();
    expect(await chunked({ imageIds: some }, 'path', 3)).toEqual(some);
    const tiles = await api.library.tiles([some[2] ?? 0, 999_999, some[0] ?? 0]);
    expect(tiles.map((x) => x.id)).toEqual([some[2], some[0]]);
    await expect(
      api.library.tiles(Array.from({ length: 5001 }, (_, i) => i + 1)),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('finds a chunk after a cursor by an index search, never a sort of the whole table', () => {
    const db = new Database(file, { readonly: true });
    const ldb = new LibraryDb(db);
    for (const sort of SORTS) {
      for (const filter of [{}, { unlabelled: true }, { suggested: true }]) {
        const plans = ldb.listPlan({ sort, filter });
        // Each part walks an index from the cursor (SEARCH … (keys>?) or the rowid range).
        for (const plan of plans) {
          const text = plan.join('\n');
          expect(text, `${sort} ${JSON.stringify(filter)}`).not.toMatch(/TEMP B-TREE/);
          expect(text, `${sort} ${JSON.stringify(filter)}`).toMatch(/SEARCH (i|p) USING/);
        }
      }
    }
    db.close();
  });

  it('refuses a cursor from another listing or a made-up one', async () => {
    const page = await api.library.listIds({ sort: 'path', limit: 1 });
    await expect(
      api.library.listIds({ sort: 'time', after: page.next, limit: 1 }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    for (const after of [
      [9, 1],
      ['x', 1, 'a'],
      [0, { a: 1 }, 'b'],
    ] as unknown as ListCursor[])
      await expect(api.library.listIds({ sort: 'path', after })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
  });

  it('closes the project', async () => {
    await t.cleanup();
  });
});
