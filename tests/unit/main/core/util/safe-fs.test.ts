import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  checkPath,
  openChecked,
  openSafe,
  readFileSafe,
} from '../../../../../src/main/core/util/safe-fs';
import { makeTmpDir } from '../../../../helpers/tmp-dir';

const MB = 1024 * 1024;

describe('safe file access', () => {
  let tmp: ReturnType<typeof makeTmpDir>;
  let root: string;
  let outside: string;

  beforeEach(() => {
    tmp = makeTmpDir();
    root = path.join(tmp.dir, 'root');
    outside = path.join(tmp.dir, 'outside');
    fs.mkdirSync(path.join(root, 'sub'), { recursive: true });
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(root, 'sub', 'a.jpg'), 'inside');
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'secret');
  });
  afterEach(() => tmp.cleanup());

  const opts = () => ({ roots: [root], maxBytes: MB });

  it('reads a regular file inside its root, also through a link that stays inside', async () => {
    expect((await readFileSafe(path.join(root, 'sub', 'a.jpg'), opts())).toString()).toBe('inside');
    fs.symlinkSync(path.join(root, 'sub', 'a.jpg'), path.join(root, 'link.jpg'));
    expect((await readFileSafe(path.join(root, 'link.jpg'), opts())).toString()).toBe('inside');
  });

  it('refuses links leading outside the root: another folder, /etc/passwd, /dev/zero', async () => {
    for (const [name, target] of [
      ['secret.jpg', path.join(outside, 'secret.txt')],
      ['passwd.jpg', '/etc/passwd'],
      ['zero.jpg', '/dev/zero'],
    ] as const) {
      fs.symlinkSync(target, path.join(root, name));
      await expect(readFileSafe(path.join(root, name), opts()), name).rejects.toMatchObject({
        code: 'FORBIDDEN_PATH',
        reason: 'outside',
      });
    }
  });

  it('refuses a device, a FIFO and a folder without opening them for reading', async () => {
    await expect(readFileSafe('/dev/zero', { maxBytes: MB })).rejects.toMatchObject({
      code: 'UNSUPPORTED',
      reason: 'not-regular',
    });
    const fifo = path.join(root, 'pipe.jpg');
    execFileSync('mkfifo', [fifo]);
    // Opening a FIFO for reading blocks until a writer comes: this would never settle.
    await expect(readFileSafe(fifo, opts())).rejects.toThrow(/FIFO/);
    await expect(readFileSafe(path.join(root, 'sub'), opts())).rejects.toThrow(/a folder/);
  });

  it('refuses a file above the size cap without reading it (a sparse 2 GB file)', async () => {
    const big = path.join(root, 'sparse.jpg');
    fs.closeSync(fs.openSync(big, 'w'));
    fs.truncateSync(big, 2 * 1024 * MB);
    await expect(readFileSafe(big, opts())).rejects.toMatchObject({
      code: 'TOO_LARGE',
      message: expect.stringMatching(/2\.1 GB.*limit is 1\.0 MB/),
    });
  });

  it('with noLinks refuses even a link that stays inside the folder', async () => {
    fs.symlinkSync(path.join(root, 'sub', 'a.jpg'), path.join(root, 'shard.bin'));
    await expect(
      readFileSafe(path.join(root, 'shard.bin'), { ...opts(), noLinks: true }),
    ).rejects.toMatchObject({ reason: 'link' });
    expect(
      (await readFileSafe(path.join(root, 'sub', 'a.jpg'), { ...opts(), noLinks: true })).length,
    ).toBe(6);
  });

  it('refuses a file swapped after the check: for a FIFO, a link or another file', async () => {
    const file = path.join(root, 'sub', 'a.jpg');
    const other = path.join(root, 'other.jpg');
    fs.writeFileSync(other, 'other');
    const swaps: [string, () => void][] = [
      ['fifo', () => execFileSync('mkfifo', [file])],
      ['link', () => fs.symlinkSync(path.join(outside, 'secret.txt'), file)],
      // Renamed over it: a different inode (a new file could reuse the freed inode number).
      ['other file', () => fs.renameSync(other, file)],
    ];
    for (const [what, swap] of swaps) {
      fs.rmSync(file, { force: true });
      fs.writeFileSync(file, 'inside');
      const checked = await checkPath(file, opts());
      if (what !== 'other file') fs.rmSync(file);
      swap();
      await expect(
        openChecked(checked.real, checked.stat, { ...opts(), roots: checked.roots ?? [] }),
        what,
      ).rejects.toMatchObject({ reason: 'changed' });
    }
  });

  it('reports size and time from the opened descriptor and streams in chunks', async () => {
    const file = path.join(root, 'big.bin');
    fs.writeFileSync(file, Buffer.alloc(3 * MB + 5, 7));
    const f = await openSafe(file, { roots: [root], maxBytes: 4 * MB });
    try {
      expect(f.size).toBe(3 * MB + 5);
      const sizes: number[] = [];
      const total = await f.forEachChunk((c) => {
        sizes.push(c.length);
      });
      expect(total).toBe(3 * MB + 5);
      expect(sizes).toEqual([MB, MB, MB, 5]);
    } finally {
      await f.close();
    }
  });

  it('says a missing file or root is missing', async () => {
    await expect(readFileSafe(path.join(root, 'none.jpg'), opts())).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(
      readFileSafe(path.join(root, 'sub', 'a.jpg'), {
        roots: [path.join(tmp.dir, 'gone')],
        maxBytes: MB,
      }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
