import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OcellusError } from '../../../../../src/shared/errors';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../../../../src/main/core/store/migrations';
import { OCELLUS_APPLICATION_ID } from '../../../../../src/main/core/store/project-file';
import { ProjectStore } from '../../../../../src/main/core/store/project-store';
import { makeTmpDir } from '../../../../helpers/tmp-dir';

const appVersion = '9.9.9-test';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof OcellusError ? err.code : `not-ocellus: ${String(err)}`;
  }
  return undefined;
}

describe('migrations', () => {
  it('are listed in strictly increasing version order, so none is ever skipped', () => {
    const versions = MIGRATIONS.map((m) => m.version);
    expect(versions).toEqual([...new Set(versions)].sort((a, b) => a - b));
    expect(LATEST_SCHEMA_VERSION).toBe(Math.max(...versions));
  });

  it('build every table of every step on a fresh project', () => {
    const dir = makeTmpDir();
    const store = ProjectStore.create(path.join(dir.dir, 'm.ocellus'), { name: 'm', appVersion });
    const tables = (
      store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
        name: string;
      }[]
    ).map((t) => t.name);
    const columns = (store.db.prepare('PRAGMA table_info(runs)').all() as { name: string }[]).map(
      (c) => c.name,
    );
    store.close();
    dir.cleanup();
    expect(tables).toEqual(expect.arrayContaining(['exports', 'predictions']));
    expect(columns).toContain('dataset_labels');
  });
});

describe('ProjectStore', () => {
  let tmp: ReturnType<typeof makeTmpDir>;
  beforeEach(() => (tmp = makeTmpDir()));
  afterEach(() => tmp.cleanup());

  it('creates a WAL project with identity, schema and metadata, and reopens it', () => {
    const file = path.join(tmp.dir, 'Serengeti ünïcode');
    const store = ProjectStore.create(file, { name: 'Serengeti', labelMode: 'multi', appVersion });
    expect(store.path).toBe(`${file}.ocellus`);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    const summary = store.summary();
    expect(summary).toMatchObject({
      name: 'Serengeti',
      labelMode: 'multi',
      schemaVersion: LATEST_SCHEMA_VERSION,
      createdWith: appVersion,
    });
    store.close();

    const raw = new Database(`${file}.ocellus`, { readonly: true });
    expect(raw.pragma('application_id', { simple: true })).toBe(OCELLUS_APPLICATION_ID);
    raw.close();

    const again = ProjectStore.open(`${file}.ocellus`, { appVersion });
    expect(again.summary()).toEqual(summary);
    expect(again.status()).toMatchObject({
      images: { total: 0, ok: 0, broken: 0, unsupported: 0, pending: 0, missing: 0 },
      classes: [],
      unlabelled: 0,
    });
    again.close();
  });

  it('refuses to overwrite an existing file or create in a missing folder', () => {
    const file = path.join(tmp.dir, 'a.ocellus');
    fs.writeFileSync(file, 'precious');
    expect(codeOf(() => ProjectStore.create(file, { appVersion }))).toBe('ALREADY_EXISTS');
    expect(fs.readFileSync(file, 'utf8')).toBe('precious');
    expect(codeOf(() => ProjectStore.create(path.join(tmp.dir, 'nope', 'b'), { appVersion }))).toBe(
      'NOT_FOUND',
    );
  });

  it('refuses text files, foreign SQLite files and folders without touching them', () => {
    const text = path.join(tmp.dir, 'notes.ocellus');
    fs.writeFileSync(text, 'just some text that is long enough? '.repeat(10));
    const before = fs.readFileSync(text);
    expect(codeOf(() => ProjectStore.open(text, { appVersion }))).toBe('NOT_A_PROJECT');
    expect(fs.readFileSync(text).equals(before)).toBe(true);

    const foreign = path.join(tmp.dir, 'other.db');
    const db = new Database(foreign);
    db.exec('CREATE TABLE t (x INTEGER)');
    db.close();
    const foreignBefore = fs.readFileSync(foreign);
    expect(codeOf(() => ProjectStore.open(foreign, { appVersion }))).toBe('NOT_A_PROJECT');
    expect(fs.readFileSync(foreign).equals(foreignBefore)).toBe(true);
    expect(fs.existsSync(`${foreign}-wal`)).toBe(false);

    const empty = path.join(tmp.dir, 'empty.ocellus');
    fs.writeFileSync(empty, '');
    expect(codeOf(() => ProjectStore.open(empty, { appVersion }))).toBe('NOT_A_PROJECT');
    expect(codeOf(() => ProjectStore.open(tmp.dir, { appVersion }))).toBe('NOT_A_PROJECT');
    expect(
      codeOf(() => ProjectStore.open(path.join(tmp.dir, 'missing.ocellus'), { appVersion })),
    ).toBe('NOT_FOUND');
  });

  it('refuses a project written by a newer app and leaves it byte-identical', () => {
    const file = path.join(tmp.dir, 'future.ocellus');
    ProjectStore.create(file, { appVersion }).close();
    const db = new Database(file);
    db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const before = fs.readFileSync(file);
    let err: unknown;
    try {
      ProjectStore.open(file, { appVersion });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OcellusError);
    expect((err as OcellusError).code).toBe('PROJECT_TOO_NEW');
    expect((err as OcellusError).message).toMatch(/newer version of Ocellus/);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });

  it('reads the identity from the WAL when the header was never checkpointed', () => {
    const file = path.join(tmp.dir, 'walonly.ocellus');
    const store = ProjectStore.create(file, { name: 'W', appVersion });
    store.db.prepare("INSERT INTO meta (key, value) VALUES ('note', 'in wal')").run();
    // Simulate a crash: copy the files while the connection still holds WAL content.
    const copy = path.join(tmp.dir, 'copy.ocellus');
    fs.copyFileSync(file, copy);
    fs.copyFileSync(`${file}-wal`, `${copy}-wal`);
    store.close();
    const reopened = ProjectStore.open(copy, { appVersion });
    const note = reopened.db.prepare("SELECT value FROM meta WHERE key = 'note'").get() as
      { value: string } | undefined;
    expect(note?.value).toBe('in wal');
    reopened.close();
  });
});
