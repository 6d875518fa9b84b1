/**
 * A full disk during an import: thumbnail writes used to be retried forever with no backoff.
 * Now the job stops with DISK_FULL after a bounded, backed-off retry, the project stays
 * consistent, and a rescan after space is freed finishes the work. A real full file system
 * (a small tmpfs) where this process may mount one, and an injected ENOSPC everywhere.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { OcellusService } from '../../../../../src/main/core/service';
import { makeTestService } from '../../../../helpers/service';
import { makeTmpDir } from '../../../../helpers/tmp-dir';

/** Noisy photos, so their cached thumbnails and model inputs take real space. */
async function writeNoisyPhotos(dir: string, count: number): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    await sharp({
      create: {
        width: 800,
        height: 600,
        channels: 3,
        background: '#808080',
        noise: { type: 'gaussian', mean: 100 + i, sigma: 60 },
      },
    })
      .jpeg({ quality: 90 })
      .toFile(path.join(dir, `p${String(i).padStart(3, '0')}.jpg`));
  }
}

function canMountTmpfs(): boolean {
  if (process.platform !== 'linux') return false;
  const probe = fs.mkdtempSync('/tmp/ocellus-mount-probe-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
}

const TMPFS = canMountTmpfs();

async function expectAllDerived(service: OcellusService, count: number): Promise<void> {
  const { items } = await service.api.library.listImages({ limit: 1000 });
  expect(items).toHaveLength(count);
  for (const img of items) {
    expect(img.status, img.relPath).toBe('ok');
    expect(img.thumbVersion, img.relPath).toBeTruthy();
  }
}

function integrity(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    return db.pragma('integrity_check', { simple: true }) as string;
  } finally {
    db.close();
  }
}

const PHOTOS = 16;

describe('a full disk during an import', () => {
  let shared: ReturnType<typeof makeTmpDir>;
  let t: ReturnType<typeof makeTestService>;
  let photos: string;
  let errors: ReturnType<typeof vi.spyOn>;

  beforeAll(async () => {
    shared = makeTmpDir();
    photos = path.join(shared.dir, 'photos');
    await writeNoisyPhotos(photos, PHOTOS);
  });
  afterAll(() => shared.cleanup());
  beforeEach(() => {
    t = makeTestService('cli');
    errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  });
  afterEach(async () => {
    errors.mockRestore();
    vi.restoreAllMocks();
    await t.cleanup();
  });

  it.skipIf(!TMPFS)(
    'on a 1.5 MB tmpfs: stops with DISK_FULL, keeps the project whole, resumes after space is freed',
    async () => {
      const small = path.join(t.dir, 'small');
      fs.mkdirSync(small);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1536k', 'tmpfs', small]);
      try {
        const file = path.join(small, 'p.ocellus');
        await t.service.api.project.create({ path: file });
        await t.service.api.library.addRoot(photos);
        const failed = await t.service.whenIdle();
        expect(failed).toMatchObject({ state: 'failed', errorCode: 'DISK_FULL' });
        expect(failed?.error).toMatch(/^The disk holding .* is full/);
        // One line for the stop, not one per image per try.
        expect(errors.mock.calls.length).toBeLessThan(10);

        // A write of the API that cannot fit is DISK_FULL too (SQLITE_FULL), not INTERNAL.
        const csv = path.join(t.dir, 'meta.csv');
        const keys = Array.from({ length: 40 }, (_, k) => `key${k}`);
        fs.writeFileSync(
          csv,
          [
            ['path', ...keys].join(','),
            ...fs
              .readdirSync(photos)
              .map((f) => [f, ...keys.map(() => 'v'.repeat(2000))].join(',')),
          ].join('\n'),
        );
        await expect(t.service.api.library.importMetadata(csv)).rejects.toMatchObject({
          code: 'DISK_FULL',
        });

        await t.service.api.project.close();
        expect(integrity(file)).toBe('ok');
        execFileSync('mount', ['-o', 'remount,size=64m', small]);
        await t.service.api.project.open(file);
        await t.service.api.library.rescan();
        expect(await t.service.whenIdle()).toMatchObject({ state: 'done' });
        await expectAllDerived(t.service, PHOTOS);
        await t.service.api.project.close();
      } finally {
        execFileSync('umount', ['-l', small]);
      }
    },
  );

  it('with ENOSPC injected into every cache write: bounded retries, then DISK_FULL, then resumes', async () => {
    const file = path.join(t.dir, 'p.ocellus');
    const cache = path.join(t.dir, '.p.ocellus-cache');
    let full = true;
    let refused = 0;
    const rename = fs.promises.rename.bind(fs.promises);
    vi.spyOn(fs.promises, 'rename').mockImplementation(async (from, to) => {
      if (full && String(to).startsWith(cache)) {
        refused++;
        throw Object.assign(new Error('ENOSPC: no space left on device, rename'), {
          code: 'ENOSPC',
        });
      }
      return rename(from, to);
    });
    await t.service.api.project.create({ path: file });
    await t.service.api.library.addRoot(photos);
    const failed = await t.service.whenIdle();
    expect(failed).toMatchObject({ state: 'failed', errorCode: 'DISK_FULL' });
    // Each render in flight tries three times; then the whole job stops.
    expect(refused).toBeGreaterThan(0);
    expect(refused).toBeLessThan(100);
    expect(errors.mock.calls.length).toBeLessThan(10);

    full = false;
    await t.service.api.library.rescan();
    expect(await t.service.whenIdle()).toMatchObject({ state: 'done' });
    await expectAllDerived(t.service, PHOTOS);
  });
});
