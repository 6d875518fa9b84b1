/**
 * Manifests and predictions files are long user files streamed line by line: each is opened
 * once through the safe reader and streamed from that descriptor, so a FIFO or a device put
 * at the name, even after the first check, is refused instead of hanging the import.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manifestItems } from '../../../../../src/main/core/export/manifest';
import { importPredictionRecords } from '../../../../../src/main/core/export/prediction-import';
import { ProjectStore } from '../../../../../src/main/core/store/project-store';
import { makeTmpDir } from '../../../../helpers/tmp-dir';

const record = (i: number) =>
  JSON.stringify({ path: `/nowhere/${i}.jpg`, sha256: null, probabilities: { a: 0.7, b: 0.3 } });

async function collect(manifest: string): Promise<string[]> {
  const out: string[] = [];
  for await (const item of manifestItems(manifest)) out.push(item.path);
  return out;
}

describe('manifests', () => {
  let tmp: ReturnType<typeof makeTmpDir>;
  beforeEach(() => (tmp = makeTmpDir()));
  afterEach(() => tmp.cleanup());

  it('are streamed from a regular file (or a link to one)', async () => {
    const file = path.join(tmp.dir, 'files.txt');
    fs.writeFileSync(file, 'a.jpg\n\n b.jpg \r\n');
    fs.symlinkSync(file, path.join(tmp.dir, 'link.txt'));
    expect(await collect(file)).toEqual(['a.jpg', 'b.jpg']);
    expect(await collect(path.join(tmp.dir, 'link.txt'))).toEqual(['a.jpg', 'b.jpg']);
  });

  it('are refused, without hanging, when a FIFO or linked to /dev/zero', async () => {
    const fifo = path.join(tmp.dir, 'fifo.txt');
    execFileSync('mkfifo', [fifo]);
    await expect(collect(fifo)).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    fs.symlinkSync('/dev/zero', path.join(tmp.dir, 'zero.txt'));
    await expect(collect(path.join(tmp.dir, 'zero.txt'))).rejects.toThrow(/character device/);
  });
});

describe('importing predictions files', () => {
  let tmp: ReturnType<typeof makeTmpDir>;
  let store: ProjectStore;
  beforeEach(() => {
    tmp = makeTmpDir();
    store = ProjectStore.create(path.join(tmp.dir, 'p.ocellus'), { name: 'p', appVersion: '0' });
  });
  afterEach(() => {
    store.close();
    tmp.cleanup();
  });

  it('refuses, without hanging, a file swapped for a FIFO after the first check', async () => {
    const first = path.join(tmp.dir, 'shard-0.jsonl');
    const second = path.join(tmp.dir, 'shard-1.jsonl');
    // Over one write batch, so the import reports progress (and swaps) before the second file.
    fs.writeFileSync(first, Array.from({ length: 2500 }, (_, i) => record(i)).join('\n'));
    fs.writeFileSync(second, record(9999));
    let swapped = false;
    const job = {
      throwIfCancelled: () => undefined,
      progress: () => {
        if (swapped) return;
        swapped = true;
        fs.rmSync(second);
        execFileSync('mkfifo', [second]);
      },
    };
    const run = importPredictionRecords(store.db, { files: [first, second], name: 'x' }, job);
    await expect(run).rejects.toMatchObject({
      code: 'UNSUPPORTED',
      message: expect.stringMatching(/FIFO/),
    });
    expect(swapped).toBe(true);
  });

  it('refuses a missing file or a link to /dev/zero before importing anything', async () => {
    const job = { throwIfCancelled: () => undefined, progress: () => undefined };
    const missing = path.join(tmp.dir, 'missing.jsonl');
    await expect(
      importPredictionRecords(store.db, { files: [missing], name: 'x' }, job),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const zero = path.join(tmp.dir, 'zero.jsonl');
    fs.symlinkSync('/dev/zero', zero);
    await expect(
      importPredictionRecords(store.db, { files: [zero], name: 'x' }, job),
    ).rejects.toThrow(/character device/);
  });
});
