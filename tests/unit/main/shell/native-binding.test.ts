import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { electronSqliteBinding } from '../../../../src/main/shell/native-binding';
import { makeTmpDir } from '../../../helpers/tmp-dir';

describe('electronSqliteBinding', () => {
  const tmp = makeTmpDir('ocellus-binding-');
  afterAll(tmp.cleanup);
  const built = path.join(tmp.dir, 'build', 'electron-native', 'better_sqlite3.node');

  it('uses the copy scripts/electron-native.mjs built, in development only', () => {
    expect(electronSqliteBinding(tmp.dir, false)).toBeUndefined();
    fs.mkdirSync(path.dirname(built), { recursive: true });
    fs.writeFileSync(built, '');
    expect(electronSqliteBinding(tmp.dir, false)).toBe(built);
  });

  it('leaves a packaged app to the better-sqlite3 electron-builder rebuilt (app.asar.unpacked)', () => {
    fs.mkdirSync(path.dirname(built), { recursive: true });
    fs.writeFileSync(built, '');
    expect(electronSqliteBinding(tmp.dir, true)).toBeUndefined();
  });
});
