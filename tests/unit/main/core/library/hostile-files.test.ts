/**
 * Regression tests for files that crashed, hung or leaked through the import: links to
 * devices and to files outside the root, FIFOs and sparse giants named `.jpg`, found by
 * scanning, rescanning and watching (chokidar reports links even in its first scan).
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { OcellusService } from '../../../../../src/main/core/service';
import { renderDerivatives } from '../../../../../src/main/core/library/derivatives';
import { probeImage } from '../../../../../src/main/core/library/probe';
import type { ImageTile } from '../../../../../src/shared/types';
import { writeJpeg } from '../../../../helpers/image-fixtures';
import { makeTestService } from '../../../../helpers/service';
import { makeTmpDir } from '../../../../helpers/tmp-dir';

const sha256 = (file: string): string =>
  crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

async function byPath(service: OcellusService): Promise<Map<string, ImageTile>> {
  const { items } = await service.api.library.listImages({ limit: 1000 });
  return new Map(items.map((i) => [i.relPath, i]));
}

/** Resolves once `check` holds, re-checked on every library change (no sleeps). */
function until(service: OcellusService, check: () => Promise<boolean>): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const test = () =>
      void check().then(
        (ok) => {
          if (ok && !settled) {
            settled = true;
            off();
            resolve();
          }
        },
        (err: unknown) => {
          off();
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    const off = service.bus.on('library:changed', test);
    test();
  });
}

describe('hostile files in a root', () => {
  let t: ReturnType<typeof makeTestService>;
  let photos: string;
  let outside: string;

  beforeEach(() => {
    t = makeTestService('web', { watch: true, writeStabilityMs: 100 });
    photos = path.join(t.dir, 'photos');
    outside = path.join(t.dir, 'outside');
    fs.mkdirSync(photos);
    fs.mkdirSync(outside);
  });
  afterEach(() => t.cleanup());

  /** The hostile set: each kind of file that must never be read as an image. */
  function plant(dir: string): void {
    fs.symlinkSync('/dev/zero', path.join(dir, 'zero.jpg'));
    fs.symlinkSync('/etc/passwd', path.join(dir, 'passwd.jpg'));
    execFileSync('mkfifo', [path.join(dir, 'pipe.jpg')]);
    const sparse = path.join(dir, 'sparse.jpg');
    fs.closeSync(fs.openSync(sparse, 'w'));
    fs.truncateSync(sparse, 1.9e9);
  }

  function expectNothingRead(images: Map<string, ImageTile>): void {
    expect(images.has('zero.jpg')).toBe(false);
    expect(images.has('passwd.jpg')).toBe(false);
    expect(images.get('pipe.jpg')).toMatchObject({ status: 'unsupported' });
    expect(images.get('pipe.jpg')?.error).toMatch(/FIFO/);
    expect(images.get('sparse.jpg')).toMatchObject({ status: 'unsupported' });
    expect(images.get('sparse.jpg')?.error).toMatch(/too large.*1\.9 GB/);
  }

  it('import and rescan list FIFOs and giants as unsupported and skip links leading out', async () => {
    await writeJpeg(path.join(photos, 'good.jpg'), { width: 32, height: 32 });
    plant(photos);
    await t.service.api.project.create({ path: path.join(t.dir, 'p.ocellus') });
    await t.service.api.library.addRoot(photos);
    await t.service.whenIdle();
    let images = await byPath(t.service);
    expect(images.get('good.jpg')?.status).toBe('ok');
    expectNothingRead(images);
    const [root] = await t.service.api.library.roots();
    expect(root?.problems.map((p) => p.relPath).sort()).toEqual(['passwd.jpg', 'zero.jpg']);

    await t.service.api.library.rescan();
    await t.service.whenIdle();
    images = await byPath(t.service);
    expectNothingRead(images);
  });

  it('the watcher never reads links to devices or outside files, found at open or later', async () => {
    await writeJpeg(path.join(photos, 'good.jpg'), { width: 32, height: 32 });
    const file = path.join(t.dir, 'p.ocellus');
    await t.service.api.project.create({ path: file });
    await t.service.api.library.addRoot(photos);
    await t.service.whenIdle();
    await t.service.api.project.close();

    // Present when the project opens: chokidar's first scan reports the links.
    plant(photos);
    await t.service.api.project.open(file);
    // A link to a file that does not exist yet, made while watched; the file comes later.
    const later = path.join(outside, 'later.jpg');
    fs.symlinkSync(later, path.join(photos, 'later.jpg'));
    await writeJpeg(later, { width: 16, height: 16 });
    // A normal photo written afterwards: once it is in, the watcher has flushed the rest.
    await writeJpeg(path.join(photos, 'after.jpg'), { width: 24, height: 24, color: '#00ff00' });
    await until(t.service, async () => (await byPath(t.service)).get('after.jpg')?.status === 'ok');
    await t.service.whenIdle();

    const images = await byPath(t.service);
    expectNothingRead(images);
    expect(images.has('later.jpg')).toBe(false);
    const leaked = [sha256('/etc/passwd'), sha256(later)];
    for (const img of images.values()) {
      const detail = await t.service.api.library.image(img.id);
      expect(leaked).not.toContain(detail.hash);
    }
  });

  it('renders no thumbnail for an original swapped for a link leading out', async () => {
    const good = await writeJpeg(path.join(photos, 'good.jpg'), { width: 32, height: 32 });
    const secret = await writeJpeg(path.join(outside, 'secret.jpg'), { width: 32, height: 32 });
    fs.rmSync(good);
    fs.symlinkSync(secret, good);
    const thumb = path.join(t.dir, 'cache', 't.webp');
    const input = path.join(t.dir, 'cache', 'i.jpg');
    const r = await renderDerivatives(good, thumb, input, { roots: [photos] });
    expect(r).toMatchObject({ ok: false, status: 'unsupported' });
    expect(fs.existsSync(thumb)).toBe(false);
  });
});

describe('probeImage: files that must never be read', () => {
  let tmp: ReturnType<typeof makeTmpDir>;
  const at = (...parts: string[]): string => path.join(tmp.dir, ...parts);
  beforeAll(() => {
    tmp = makeTmpDir('ocellus-probe-');
  });
  afterAll(() => tmp.cleanup());
  const root = (): string => at('hostile');

  it('lists a FIFO named .jpg as unsupported at once, without opening it for reading', async () => {
    fs.mkdirSync(root(), { recursive: true });
    const fifo = at('hostile', 'pipe.jpg');
    execFileSync('mkfifo', [fifo]);
    // Before: open() waited for a writer forever and this test timed out.
    const r = await probeImage(fifo, { roots: [root()] });
    expect(r).toMatchObject({ status: 'unsupported', hash: null });
    expect(r.error).toMatch(/FIFO/);
  });

  it('lists links to /dev/zero and /etc/passwd as unsupported, reading neither', async () => {
    fs.mkdirSync(root(), { recursive: true });
    for (const [name, target] of [
      ['zero.jpg', '/dev/zero'],
      ['passwd.jpg', '/etc/passwd'],
    ]) {
      const link = at('hostile', name as string);
      fs.symlinkSync(target as string, link);
      const r = await probeImage(link, { roots: [root()] });
      expect(r, name).toMatchObject({ status: 'unsupported', hash: null, size: 0 });
      expect(r.error, name).toMatch(/link leading outside the folder/);
    }
  });

  it('lists a sparse 1.9 GB .jpg as too large without reading it', async () => {
    fs.mkdirSync(root(), { recursive: true });
    const big = at('hostile', 'sparse.jpg');
    fs.closeSync(fs.openSync(big, 'w'));
    fs.truncateSync(big, 1.9e9);
    const r = await probeImage(big, { roots: [root()] });
    expect(r).toMatchObject({ status: 'unsupported', hash: null, size: 1.9e9 });
    expect(r.error).toMatch(/^File too large to read: it is too large \(1\.9 GB/);
  });

  it('hashes a file above the keep-whole size as a stream and still reads its header', async () => {
    const file = await writeJpeg(at('big', 'padded.jpg'), { width: 640, height: 480 });
    // Bytes after the JPEG's end marker are ignored by decoders: a 40 MB file, valid image.
    fs.appendFileSync(file, Buffer.alloc(40 * 1024 * 1024, 1));
    const r = await probeImage(file, { roots: [at('big')] });
    expect(r).toMatchObject({ status: 'ok', width: 640, height: 480, format: 'jpeg' });
    expect(r.hash).toBe(crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex'));
  });

  it('reads a TIFF above the keep-whole size whole, since its tags may follow the pixels', async () => {
    const file = at('big', 'raw.tiff');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const img = sharp({
      create: { width: 3000, height: 4000, channels: 3, background: '#808080' },
    });
    await img.tiff({ compression: 'none' }).toFile(file);
    expect(fs.statSync(file).size).toBeGreaterThan(32 * 1024 * 1024);
    const r = await probeImage(file, { roots: [at('big')] });
    expect(r).toMatchObject({ status: 'ok', width: 3000, height: 4000, format: 'tiff' });
  });
});
