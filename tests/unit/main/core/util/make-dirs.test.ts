import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureOutDir } from '../../../../../src/main/core/export/out-dir';
import { makeDirs } from '../../../../../src/main/core/util/make-dirs';
import { makeTmpDir } from '../../../../helpers/tmp-dir';

describe('makeDirs', () => {
  let tmp: ReturnType<typeof makeTmpDir>;
  beforeAll(() => {
    tmp = makeTmpDir();
  });
  afterAll(() => tmp.cleanup());

  it('makes every missing folder, and is a no-op where they are', () => {
    const deep = path.join(tmp.dir, 'a', 'b ü', 'c');
    makeDirs(deep);
    expect(fs.statSync(deep).isDirectory()).toBe(true);
    makeDirs(deep);
    makeDirs(tmp.dir);
  });

  it('says EEXIST for a file and ENOTDIR for a file on the way', () => {
    const file = path.join(tmp.dir, 'f.txt');
    fs.writeFileSync(file, 'x');
    expect(() => makeDirs(file)).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(() => makeDirs(path.join(file, 'sub'))).toThrow(
      expect.objectContaining({ code: 'ENOTDIR' }),
    );
    expect(() => ensureOutDir(file)).toThrow(/is a file, not a folder/);
  });

  // Node's recursive mkdir never returns there: this test would hang (and time out) with it.
  it.runIf(fs.existsSync('/proc/self'))('fails at once under /proc, in words', () => {
    expect(() => makeDirs('/proc/ocellus-export/labels')).toThrow(
      expect.objectContaining({ code: 'ENOENT' }),
    );
    expect(() => ensureOutDir('/proc/ocellus-export')).toThrow(
      /^Cannot make the folder \/proc\/ocellus-export: no folder can be made there/,
    );
  });
});
