import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { derivativePaths } from '../../../../../src/main/core/library/derivative-paths';
import {
  embeddedPreview,
  writePreview,
} from '../../../../../src/main/core/library/embedded-preview';
import { jpegWithPreview, writeJpegWithPreview } from '../../../../helpers/exif-preview';
import { writeJpeg } from '../../../../helpers/image-fixtures';
import { makeTestService } from '../../../../helpers/service';
import { makeTmpDir } from '../../../../helpers/tmp-dir';

const camera = (orientation?: number) =>
  jpegWithPreview({
    width: 640,
    height: 480,
    color: '#c03030',
    preview: { width: 160, height: 120, color: '#30c030' },
    ...(orientation ? { orientation } : {}),
  });

describe('embedded previews', () => {
  const tmp = makeTmpDir();
  afterEach(() => undefined);

  it("finds the camera's EXIF thumbnail, and nothing in a JPEG without one", async () => {
    const meta = await sharp(await camera()).metadata();
    const preview = await embeddedPreview(meta.exif);
    expect(preview?.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expect(await sharp(preview ?? Buffer.alloc(0)).metadata()).toMatchObject({
      width: 160,
      height: 120,
    });
    const plain = await writeJpeg(path.join(tmp.dir, 'plain.jpg'), {
      width: 64,
      height: 48,
      exif: { Make: 'Bushnell' },
    });
    expect(await embeddedPreview((await sharp(plain).metadata()).exif)).toBeNull();
    expect(await embeddedPreview(Buffer.from('Exif\0\0garbage-garbage'))).toBeNull();
    expect(await embeddedPreview(undefined)).toBeNull();
  });

  it('writes the preview upright by the EXIF orientation of its image', async () => {
    const preview = await embeddedPreview((await sharp(await camera(6)).metadata()).exif);
    if (!preview) throw new Error('no preview');
    const turned = path.join(tmp.dir, 'p', 'turned.jpg');
    await writePreview(turned, preview, 6);
    expect(await sharp(turned).metadata()).toMatchObject({ width: 120, height: 160 });
    const asIs = path.join(tmp.dir, 'p', 'as-is.jpg');
    await writePreview(asIs, preview, 1);
    expect(fs.readFileSync(asIs).equals(preview)).toBe(true);
    tmp.cleanup();
  });
});

describe('the grid gets previews as soon as images are indexed', () => {
  let t: ReturnType<typeof makeTestService> | null = null;
  afterEach(async () => {
    await t?.cleanup();
  });

  it('serves the preview before any thumbnail is made, then the thumbnail', async () => {
    t = makeTestService();
    const svc = t.service;
    const photos = path.join(t.dir, 'photos');
    for (let i = 0; i < 3; i++) {
      await writeJpegWithPreview(path.join(photos, `IMG_${i}.JPG`), {
        width: 1600 + i,
        height: 1200,
        color: '#c03030',
        preview: { width: 160, height: 120, color: '#30c030' },
      });
    }
    const file = path.join(t.dir, 'p.ocellus');
    await svc.api.project.create({ path: file });
    const cache = path.join(t.dir, '.p.ocellus-cache');
    // When the import turns to making thumbnails, every image is indexed and none is made yet.
    const early = new Promise<{ type: string; thumbs: boolean; version: string | null }[]>(
      (resolve) => {
        const off = svc.bus.on('job:updated', (job) => {
          if (job.detail !== 'Making thumbnails') return;
          off();
          void (async () => {
            const tiles = (await svc.api.library.listImages({})).items;
            const seen = [];
            for (const tile of tiles) {
              const media = await svc.media('thumb', tile.id);
              const hash = (await svc.api.library.image(tile.id)).hash ?? '';
              seen.push({
                type: media?.contentType ?? 'none',
                thumbs: fs.existsSync(derivativePaths(cache, hash).thumb),
                version: tile.thumbVersion,
              });
            }
            resolve(seen);
          })();
        });
      },
    );
    await svc.api.library.addRoot(photos);
    const seen = await early;
    expect(seen).toHaveLength(3);
    for (const s of seen) {
      expect(s.type).toBe('image/jpeg');
      expect(s.thumbs).toBe(false);
      expect(s.version).toMatch(/^p/);
    }
    await svc.whenIdle();
    const [tile] = (await svc.api.library.listImages({})).items;
    expect(tile?.thumbVersion).toMatch(/^[0-9a-f]{12}$/);
    expect((await svc.media('thumb', tile?.id ?? 0))?.contentType).toBe('image/webp');
  });
});
