import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { keysetChunk, orderByOf } from '../../../../../src/main/core/library/keyset';
import type { ListCursor } from '../../../../../src/shared/types';

describe('keyset chunks', () => {
  const db = new Database(':memory:');
  db.exec(
    'CREATE TABLE images (id INTEGER PRIMARY KEY, k TEXT NOT NULL, missing INTEGER NOT NULL)',
  );
  db.exec('CREATE INDEX images_k ON images(k, id)');
  const insert = db.prepare('INSERT INTO images (id, k, missing) VALUES (?, ?, 0)');
  // 3,000 rows, keys with many ties (the id breaks them).
  for (let i = 1; i <= 3000; i++) insert.run(i, `k${String((i * 7919) % 97).padStart(3, '0')}`);
  const parts = [{ from: 'images i', where: [], keys: ['i.k', 'i.id'], descending: false }];
  const filter = { where: 'i.missing = 0', params: {} };
  const all = (
    db
      .prepare(`SELECT id FROM images i ORDER BY ${orderByOf(parts, 'x')}`)
      .raw()
      .all() as [number][]
  ).map((r) => r[0]);

  it('a chunk out of time stops at a cursor, and the chunks after it give the same listing', () => {
    const first = keysetChunk(db, parts, filter, null, 3000, 0);
    // The clock is read every 512 rows, so a spent budget ends the chunk there.
    expect(first.ids).toHaveLength(512);
    expect(first.next).not.toBeNull();
    const out = [...first.ids];
    let after: ListCursor | null = first.next;
    while (after) {
      const page = keysetChunk(db, parts, filter, after, 700, 0);
      out.push(...page.ids);
      after = page.next;
    }
    expect(out).toEqual(all);
  });

  it('without a budget a chunk holds its limit, and the last one says it is the last', () => {
    const a = keysetChunk(db, parts, filter, null, 2999);
    expect(a.ids).toEqual(all.slice(0, 2999));
    const b = keysetChunk(db, parts, filter, a.next, 2999);
    expect(b).toEqual({ ids: all.slice(2999), next: null });
  });
});
