import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ProjectStore } from '../../../../../src/main/core/store/project-store';
import { FOREIGN_READS, TABLE_OWNERS } from '../../../../../src/main/core/store/table-owners';

const root = path.resolve(import.meta.dirname, '../../../../..');
const coreDir = path.join(root, 'src/main/core');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'migrations' ? [] : sources(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/**
 * The tables a source names in SQL: after FROM, JOIN, INTO, UPDATE or TABLE, or opening a
 * string as `table a` (a fragment with a one-letter alias). With `writes`, only after
 * INSERT INTO, UPDATE, DELETE FROM and REPLACE INTO.
 */
function tablesIn(text: string, tables: readonly string[], writes = false): Set<string> {
  const names = tables.join('|');
  const found = new Set<string>();
  const patterns = writes
    ? [
        new RegExp(
          `\\b(?:INSERT(?: OR [A-Z]+)? INTO|UPDATE|DELETE FROM|REPLACE INTO)\\s+(${names})\\b`,
          'g',
        ),
      ]
    : [
        new RegExp(`\\b(?:FROM|JOIN|INTO|UPDATE|TABLE)\\s+(${names})\\b`, 'g'),
        new RegExp(`['\`"]\\s*(${names})\\s+[a-z]\\b`, 'g'),
      ];
  for (const pattern of patterns) for (const m of text.matchAll(pattern)) found.add(m[1]!);
  return found;
}

/** Whether a source file is (part of) the owner: the file itself, or a file of a folder owner. */
function ownedBy(owner: string | undefined, rel: string): boolean {
  return owner === rel || (owner !== undefined && owner.endsWith('/') && rel.startsWith(owner));
}

describe('each table has one owner', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocellus-owners-'));
  const store = ProjectStore.create(path.join(dir, 'p.ocellus'), { appVersion: 'test' });
  const tables = (
    store.db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
      .all() as { name: string }[]
  ).map((r) => r.name);
  afterAll(() => {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('names an owner for every table of a fresh project', () => {
    expect(Object.keys(TABLE_OWNERS).sort()).toEqual([...tables].sort());
  });

  it('names owners that exist', () => {
    const missing = Object.values(TABLE_OWNERS).filter(
      (owner) => !fs.existsSync(path.join(coreDir, owner)),
    );
    expect(missing).toEqual([]);
  });

  it('finds the table names it scans for (the scanner is not blind)', () => {
    expect([
      ...tablesIn("db.prepare('SELECT 1 FROM labels l JOIN images i ON 1')", tables),
    ]).toEqual(['labels', 'images']);
    expect([...tablesIn('`predictions p JOIN roots r`', tables)].sort()).toEqual([
      'predictions',
      'roots',
    ]);
    expect([...tablesIn("'12 images in 3 s'", tables)]).toEqual([]);
    expect([
      ...tablesIn('`INSERT OR IGNORE INTO labels (a) SELECT a FROM runs`', tables, true),
    ]).toEqual(['labels']);
  });

  it('writes each table only in its owner', () => {
    const stray = sources(coreDir).flatMap((file) => {
      const rel = path.relative(coreDir, file).replaceAll(path.sep, '/');
      return [...tablesIn(fs.readFileSync(file, 'utf8'), tables, true)]
        .filter((table) => !ownedBy(TABLE_OWNERS[table], rel))
        .map((table) => `${rel}: ${table}`);
    });
    expect(stray).toEqual([]);
  });

  it('keeps SQL naming a table in its owner (or a listed read)', () => {
    const stray: string[] = [];
    const used = new Set<string>();
    for (const file of sources(coreDir)) {
      const rel = path.relative(coreDir, file).replaceAll(path.sep, '/');
      for (const table of tablesIn(fs.readFileSync(file, 'utf8'), tables)) {
        if (ownedBy(TABLE_OWNERS[table], rel)) continue;
        const key = `${rel}: ${table}`;
        if (FOREIGN_READS.includes(key)) used.add(key);
        else stray.push(key);
      }
    }
    expect(stray).toEqual([]);
    // A listed read that has moved to its owner comes off the list.
    expect(FOREIGN_READS.filter((key) => !used.has(key))).toEqual([]);
  });
});
