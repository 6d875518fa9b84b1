import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stageSavedModel } from '../../../../../src/main/core/ml/saved-model';
import { copyFileSafe } from '../../../../../src/main/core/util/safe-copy';
import { makeTmpDir } from '../../../../helpers/tmp-dir';

// Written by tests/fixtures/saved-model/make_saved_model.py with the tensorflow-cpu wheel.
const FIXTURE = path.resolve('tests/fixtures/saved-model/tiny-cnn');

// Staging copies the user's folder before TensorFlow reads it, so these refusals need no
// native backend: nothing but regular files inside the folder is ever copied.
describe('staging a SavedModel folder copies only its regular files', () => {
  let tmp: ReturnType<typeof makeTmpDir>;
  let src: string;
  let staging: string;
  let secret: string;

  beforeEach(() => {
    tmp = makeTmpDir();
    src = path.join(tmp.dir, 'model');
    staging = path.join(tmp.dir, 'staging');
    fs.cpSync(FIXTURE, src, { recursive: true });
    fs.mkdirSync(staging);
    secret = path.join(tmp.dir, 'secret.txt');
    fs.writeFileSync(secret, 'not part of the model');
  });
  afterEach(() => tmp.cleanup());

  const stagedFiles = () =>
    fs.existsSync(staging) ? fs.readdirSync(staging, { recursive: true }).map(String) : [];

  it('refuses a symbolic link inside the folder and copies nothing it points at', async () => {
    fs.symlinkSync(secret, path.join(src, 'variables', 'extra.data'));
    await expect(stageSavedModel(src, staging)).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    expect(stagedFiles().some((f) => f.includes('extra.data'))).toBe(false);
  });

  it('refuses a FIFO inside the folder at once instead of blocking on it', async () => {
    execFileSync('mkfifo', [path.join(src, 'variables', 'pipe')]);
    await expect(stageSavedModel(src, staging)).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    expect(stagedFiles().some((f) => f.includes('pipe'))).toBe(false);
  });

  it('copies each file from its checked descriptor: a link or FIFO given to the copy is refused', async () => {
    const link = path.join(src, 'link.pb');
    fs.symlinkSync(secret, link);
    const fifo = path.join(src, 'fifo.pb');
    execFileSync('mkfifo', [fifo]);
    const safe = { roots: [src], noLinks: true, maxBytes: 1024 * 1024 };
    await expect(copyFileSafe(link, path.join(staging, 'a'), safe)).rejects.toMatchObject({
      code: 'FORBIDDEN_PATH',
    });
    await expect(copyFileSafe(fifo, path.join(staging, 'b'), safe)).rejects.toMatchObject({
      code: 'UNSUPPORTED',
    });
    expect(stagedFiles()).toEqual([]);
    const pb = path.join(src, 'saved_model.pb');
    await copyFileSafe(pb, path.join(staging, 'saved_model.pb'), {
      ...safe,
      maxBytes: fs.statSync(pb).size,
    });
    expect(fs.readFileSync(path.join(staging, 'saved_model.pb'))).toEqual(fs.readFileSync(pb));
  });
});
