import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  scanRoot,
  type ScanEntry,
  type ScanOptions,
  type ScanProblem,
} from '../../../../../src/main/core/library/scanner';
import { makeTmpDir } from '../../../../helpers/tmp-dir';

const isImage = (relPath: string): boolean => /\.(jpe?g|png)$/i.test(relPath);

/** Writes a small file, creating its folders. */
function put(root: string, rel: string, content = 'x'): string {
  const file = path.join(root, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

async function collect(
  root: string,
  options: Partial<ScanOptions> = {},
): Promise<{ entries: ScanEntry[]; batches: number[]; problems: ScanProblem[] }> {
  const problems: ScanProblem[] = [];
  const batches: number[] = [];
  const entries: ScanEntry[] = [];
  for await (const batch of scanRoot(root, {
    isCandidate: isImage,
    onProblem: (p) => problems.push(p),
    ...options,
  })) {
    batches.push(batch.length);
    entries.push(...batch);
  }
  return { entries, batches, problems };
}

const paths = (entries: ScanEntry[]): string[] => entries.map((e) => e.relPath);

describe('scanRoot', () => {
  let root: string;
  let cleanups: (() => void)[];

  beforeEach(() => {
    const tmp = makeTmpDir('ocellus-scan-');
    root = tmp.dir;
    cleanups = [tmp.cleanup];
  });
  afterEach(() => {
    for (const cleanup of cleanups.reverse()) cleanup();
  });

  it('lists nested candidates in a stable order, with sizes, mtimes and unicode names as stored', async () => {
    put(root, 'b.jpg', '12345');
    put(root, 'a.jpg');
    put(root, 'notes.txt');
    put(root, 'Ñandú 猫/im age.JPG', 'abc');
    // Stored decomposed, as macOS HFS+ and some cameras write names.
    put(root, 'cafe\u0301/x.png');
    put(root, 'sub/deeper/c.png');
    put(root, 'sub/B.jpg');
    fs.mkdirSync(path.join(root, 'empty'));
    const when = new Date('2021-06-01T10:20:30Z');
    fs.utimesSync(path.join(root, 'b.jpg'), when, when);

    const { entries, problems } = await collect(root);
    expect(paths(entries)).toEqual([
      'a.jpg',
      'b.jpg',
      'cafe\u0301/x.png',
      'sub/B.jpg',
      'sub/deeper/c.png',
      'Ñandú 猫/im age.JPG',
    ]);
    expect(entries[1]).toEqual({ relPath: 'b.jpg', size: 5, mtimeMs: when.getTime() });
    expect(entries[5]?.size).toBe(3);
    expect(problems).toEqual([]);
    // The same tree walked twice gives the same answer.
    expect(paths((await collect(root)).entries)).toEqual(paths(entries));
  });

  it('skips hidden and system clutter', async () => {
    put(root, 'keep.jpg');
    put(root, '.DS_Store');
    put(root, '._keep.jpg'); // AppleDouble companion: not an image despite the name
    put(root, 'Thumbs.db');
    put(root, '@eaDir/keep.jpg/SYNOPHOTO_THUMB_XL.jpg');
    put(root, '.Trashes/501/old.jpg');
    put(root, '$RECYCLE.BIN/S-1-5-21/$RABC.jpg');
    put(root, 'System Volume Information/x.jpg');
    put(root, '.thumbnails/t.jpg');
    put(root, 'sub/._keep2.jpg');
    put(root, 'sub/keep2.jpg');

    const { entries, problems } = await collect(root);
    expect(paths(entries)).toEqual(['keep.jpg', 'sub/keep2.jpg']);
    expect(problems).toEqual([]);
  });

  it('terminates on symlink loops and lists every file once', async () => {
    put(root, 'a/x.jpg');
    put(root, 'b/y.jpg');
    fs.symlinkSync('..', path.join(root, 'a', 'loop'), 'dir'); // a/loop → root
    fs.symlinkSync('.', path.join(root, 'a', 'self'), 'dir');
    fs.symlinkSync('../a', path.join(root, 'b', 'to-a'), 'dir');

    const { entries, problems } = await collect(root);
    expect(paths(entries)).toEqual(['a/x.jpg', 'b/y.jpg']);
    expect(problems).toEqual([]);
  });

  it('reports and skips links that lead outside the root', async () => {
    const outside = makeTmpDir('ocellus-outside-');
    cleanups.push(outside.cleanup);
    put(outside.dir, 'secret.jpg');
    put(root, 'in.jpg');
    fs.symlinkSync(outside.dir, path.join(root, 'elsewhere'), 'dir');
    fs.symlinkSync(path.join(outside.dir, 'secret.jpg'), path.join(root, 'out.jpg'), 'file');
    fs.mkdirSync(path.join(root, 'sub'));
    fs.symlinkSync('../..', path.join(root, 'sub', 'up'), 'dir');

    const { entries, problems } = await collect(root);
    expect(paths(entries)).toEqual(['in.jpg']);
    expect(problems).toEqual([
      { relPath: 'elsewhere', error: 'Link leads outside the root, skipped' },
      { relPath: 'out.jpg', error: 'Link leads outside the root, skipped' },
      { relPath: 'sub/up', error: 'Link leads outside the root, skipped' },
    ]);
  });

  it('follows links inside the root, preferring a folder’s own path over a link to it', async () => {
    put(root, 'real/a.jpg');
    put(root, '.stash/b.jpg');
    fs.symlinkSync('real', path.join(root, 'a-link'), 'dir'); // sorts before 'real'
    fs.symlinkSync('.stash', path.join(root, 'alias'), 'dir');
    fs.symlinkSync('real/a.jpg', path.join(root, 'link.jpg'), 'file');
    fs.symlinkSync('nowhere.jpg', path.join(root, 'broken.jpg'), 'file');

    const { entries, problems } = await collect(root);
    expect(paths(entries)).toEqual(['link.jpg', 'real/a.jpg', 'alias/b.jpg']);
    expect(entries[0]?.size).toBe(1);
    expect(problems).toEqual([
      { relPath: 'broken.jpg', error: 'Link leads nowhere (its target is missing), skipped' },
    ]);
  });

  it('reports an unreadable folder and lists the rest', async () => {
    put(root, 'a/ok.jpg');
    put(root, 'locked/x.jpg');
    put(root, 'z.jpg');
    const locked = path.join(fs.realpathSync(root), 'locked');
    fs.chmodSync(locked, 0o000);
    const realOpendir = fs.promises.opendir.bind(fs.promises);
    const spy = vi.spyOn(fs.promises, 'opendir');
    try {
      let chmodBlocks: boolean;
      try {
        fs.readdirSync(locked);
        chmodBlocks = false;
      } catch {
        chmodBlocks = true;
      }
      console.info(
        chmodBlocks
          ? 'unreadable folder: real chmod 000'
          : 'unreadable folder: running with CAP_DAC_OVERRIDE (root), chmod 000 does not block; simulating EACCES from opendir',
      );
      if (!chmodBlocks) {
        // Running as root (CAP_DAC_OVERRIDE): mode 000 does not stop reads. Have
        // opendir fail for that one folder exactly as the kernel would for a user.
        spy.mockImplementation(async (dir, options) => {
          if (path.resolve(String(dir)) === locked) {
            throw Object.assign(new Error(`EACCES: permission denied, opendir '${locked}'`), {
              code: 'EACCES',
              errno: -13,
              syscall: 'opendir',
              path: locked,
            });
          }
          return realOpendir(dir, options);
        });
      }
      const { entries, problems } = await collect(root);
      expect(paths(entries)).toEqual(['z.jpg', 'a/ok.jpg']);
      expect(problems).toEqual([
        { relPath: 'locked', error: 'Folder cannot be read (permission denied)' },
      ]);
    } finally {
      spy.mockRestore();
      fs.chmodSync(locked, 0o755);
    }
  });

  it('reports a folder that vanishes during the walk and goes on', async () => {
    put(root, 'a.jpg');
    put(root, 'b/x.jpg');
    put(root, 'c/y.jpg');
    const problems: ScanProblem[] = [];
    const seen: string[] = [];
    for await (const batch of scanRoot(root, {
      isCandidate: isImage,
      onProblem: (p) => problems.push(p),
      batchSize: 1,
    })) {
      seen.push(...paths(batch));
      // The root has been listed but b not yet opened.
      if (seen.length === 1) fs.rmSync(path.join(root, 'b'), { recursive: true });
    }
    expect(seen).toEqual(['a.jpg', 'c/y.jpg']);
    expect(problems).toEqual([{ relPath: 'b', error: 'Folder vanished during the scan' }]);
  });

  it('throws a clear error when the root is missing or not a folder', async () => {
    const missing = path.join(root, 'no such folder');
    await expect(collect(missing)).rejects.toThrow(`Folder not found: ${missing}`);
    const file = put(root, 'file.jpg');
    await expect(collect(file)).rejects.toThrow(`Not a folder: ${file}`);
    await expect(collect(path.join(file, 'below'))).rejects.toThrow(/Not a folder|not found/);
  });

  it('stops with an AbortError when the signal is aborted', async () => {
    for (let i = 0; i < 5; i++) put(root, `f${i}/a.jpg`);
    const controller = new AbortController();
    const gen = scanRoot(root, { isCandidate: isImage, signal: controller.signal, batchSize: 1 });
    const first = await gen.next();
    expect(first.value).toHaveLength(1);
    controller.abort();
    await expect(gen.next()).rejects.toMatchObject({ name: 'AbortError' });
    expect((await gen.next()).done).toBe(true);

    await expect(collect(root, { signal: AbortSignal.abort() })).rejects.toMatchObject({
      name: 'AbortError',
    });
  });

  it('yields batches of batchSize, spanning folders', async () => {
    for (let i = 0; i < 4; i++) put(root, `one/${i}.jpg`);
    for (let i = 0; i < 3; i++) put(root, `two/${i}.jpg`);
    expect((await collect(root, { batchSize: 3 })).batches).toEqual([3, 3, 1]);
    expect((await collect(root, { batchSize: 7 })).batches).toEqual([7]);
    await expect(collect(root, { batchSize: 0 })).rejects.toThrow(RangeError);

    for (let i = 0; i < 494; i++) put(root, `many/${String(i).padStart(3, '0')}.jpg`);
    const { batches, entries } = await collect(root);
    expect(batches).toEqual([500, 1]);
    expect(new Set(paths(entries)).size).toBe(501);
  });
});
