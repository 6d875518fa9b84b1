import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  IMAGE_EXTENSIONS,
  isImagePath,
  NOT_AN_IMAGE,
} from '../../../../../src/main/core/library/image-formats';
import { exifDate, probeImage } from '../../../../../src/main/core/library/probe';
import {
  writeAv1Heif,
  writeAvif,
  writeBmp,
  writeCorruptExifJpeg,
  writeEmpty,
  writeGif,
  writeHevcHeic,
  writeHugeHeaderJpeg,
  writeJpeg,
  writePng,
  writeTextAsJpeg,
  writeTiff,
  writeTruncatedJpeg,
  writeWebp,
} from '../../../../helpers/image-fixtures';
import { makeTmpDir } from '../../../../helpers/tmp-dir';

let tmp: { dir: string; cleanup: () => void };
const at = (...parts: string[]): string => path.join(tmp.dir, ...parts);

beforeAll(() => {
  tmp = makeTmpDir('ocellus-probe-');
});
afterAll(() => tmp.cleanup());

describe('image-formats', () => {
  it('recognises image extensions in any case', () => {
    expect(IMAGE_EXTENSIONS.has('.jpe')).toBe(true);
    expect(isImagePath('/a/B.JPG')).toBe(true);
    expect(isImagePath('C:\\x\\y.HeIc')).toBe(true);
    expect(isImagePath('/a/b.bmp')).toBe(true);
    expect(isImagePath('/a/b.txt')).toBe(false);
    expect(isImagePath('/a/jpg')).toBe(false);
    expect(isImagePath('/a/b.jpg.xmp')).toBe(false);
  });
});

describe('probeImage: formats', () => {
  const cases: Array<[string, (file: string) => Promise<string>, string]> = [
    ['a.jpg', (f) => writeJpeg(f, { width: 64, height: 48 }), 'jpeg'],
    ['a.png', (f) => writePng(f, { width: 64, height: 48 }), 'png'],
    ['alpha.png', (f) => writePng(f, { width: 64, height: 48, alpha: true }), 'png'],
    ['deep.png', (f) => writePng(f, { width: 64, height: 48, bits16: true }), 'png'],
    ['a.webp', (f) => writeWebp(f, { width: 64, height: 48 }), 'webp'],
    ['a.tiff', (f) => writeTiff(f, { width: 64, height: 48 }), 'tiff'],
    ['a.gif', (f) => writeGif(f, { width: 64, height: 48 }), 'gif'],
    ['anim.gif', (f) => writeGif(f, { width: 64, height: 48, frames: 3 }), 'gif'],
    ['a.avif', (f) => writeAvif(f, { width: 64, height: 48 }), 'heif'],
    ['av1.heic', (f) => writeAv1Heif(f, { width: 64, height: 48 }), 'heif'],
  ];
  it.each(cases)('%s probes ok with its size and format', async (name, write, format) => {
    const file = await write(at('formats', name));
    const r = await probeImage(file);
    expect(r).toMatchObject({ status: 'ok', error: null, width: 64, height: 48, format });
    expect(r.size).toBe(fs.statSync(file).size);
    expect(r.mtimeMs).toBe(fs.statSync(file).mtimeMs);
    expect(r.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('handles a unicode path with spaces', async () => {
    const file = await writeJpeg(at('Ñandú 猫', 'im age.jpg'), { width: 30, height: 20 });
    const r = await probeImage(file);
    expect(r).toMatchObject({ status: 'ok', width: 30, height: 20, format: 'jpeg' });
  });

  it('hashes the whole file content: same bytes same hash, other bytes other hash', async () => {
    const a = await writeJpeg(at('hash', 'a.jpg'), { width: 40, height: 30, color: '#112233' });
    const b = at('hash', 'sub', 'b-copy.jpg');
    fs.mkdirSync(path.dirname(b), { recursive: true });
    fs.copyFileSync(a, b);
    const c = await writeJpeg(at('hash', 'c.jpg'), { width: 40, height: 30, color: '#112234' });
    const [ra, rb, rc] = await Promise.all([probeImage(a), probeImage(b), probeImage(c)]);
    const expected = crypto.createHash('sha256').update(fs.readFileSync(a)).digest('hex');
    expect(ra.hash).toBe(expected);
    expect(rb.hash).toBe(expected);
    expect(rc.hash).not.toBe(expected);
  });

  it('reports stored (not oriented) size for an EXIF-rotated JPEG', async () => {
    const file = await writeJpeg(at('rot.jpg'), {
      width: 60,
      height: 40,
      exif: { Orientation: 6 },
    });
    const r = await probeImage(file);
    expect(r).toMatchObject({ status: 'ok', width: 60, height: 40 });
    expect(r.exif.orientation).toBe(6);
  });
});

describe('probeImage: EXIF', () => {
  it('reads fields exactly as written', async () => {
    const file = await writeJpeg(at('exif', 'cam.jpg'), {
      width: 32,
      height: 24,
      exif: {
        DateTimeOriginal: '2024:05:01 13:45:10',
        CreateDate: '2024:05:01 13:45:11',
        Make: 'Reconyx',
        Model: 'HyperFire 2',
        BodySerialNumber: 'H2-0042',
        Orientation: 3,
        GPSLatitude: -33.8569,
        GPSLongitude: 151.2153,
        GPSAltitude: 58.5,
      },
    });
    const { status, exif } = await probeImage(file);
    expect(status).toBe('ok');
    expect(exif).toMatchObject({
      takenAt: '2024-05-01 13:45:10',
      make: 'Reconyx',
      model: 'HyperFire 2',
      serial: 'H2-0042',
      orientation: 3,
      gpsAlt: 58.5,
    });
    expect(exif.gpsLat).toBeCloseTo(-33.8569, 4);
    expect(exif.gpsLon).toBeCloseTo(151.2153, 4);
  });

  it('falls back to CreateDate (DateTimeDigitized) when DateTimeOriginal is missing', async () => {
    const file = await writeJpeg(at('exif', 'digitized.jpg'), {
      width: 16,
      height: 16,
      exif: { CreateDate: '2023:12:31 23:59:59' },
    });
    expect((await probeImage(file)).exif.takenAt).toBe('2023-12-31 23:59:59');
  });

  it('does not shift the time whatever the local time zone', async () => {
    // A date that is on another day in UTC for any zone east of UTC+1.
    const file = await writeJpeg(at('exif', 'midnight.jpg'), {
      width: 16,
      height: 16,
      exif: { DateTimeOriginal: '2024:01:01 00:30:00' },
    });
    expect((await probeImage(file)).exif.takenAt).toBe('2024-01-01 00:30:00');
  });

  it('reads EXIF from a HEIF container too', async () => {
    const file = await writeAv1Heif(at('exif', 'phone.heic'), {
      width: 32,
      height: 24,
      exif: { DateTimeOriginal: '2022:02:02 02:02:02', Make: 'Apple' },
    });
    const r = await probeImage(file);
    expect(r.status).toBe('ok');
    expect(r.exif).toMatchObject({ takenAt: '2022-02-02 02:02:02', make: 'Apple' });
  });

  it('gives all-null EXIF for an image without EXIF', async () => {
    const file = await writePng(at('exif', 'plain.png'), { width: 16, height: 16 });
    const r = await probeImage(file);
    expect(r.status).toBe('ok');
    expect(Object.values(r.exif).every((v) => v === null)).toBe(true);
  });

  it('keeps an image with a corrupt EXIF segment ok, with null EXIF', async () => {
    const file = await writeCorruptExifJpeg(at('exif', 'corrupt.jpg'), { width: 50, height: 40 });
    const r = await probeImage(file);
    expect(r).toMatchObject({ status: 'ok', error: null, width: 50, height: 40, format: 'jpeg' });
    expect(r.exif).toEqual({
      takenAt: null,
      make: null,
      model: null,
      serial: null,
      orientation: null,
      gpsLat: null,
      gpsLon: null,
      gpsAlt: null,
    });
  });

  it('normalises EXIF date strings without reinterpreting them', () => {
    expect(exifDate('2024:05:01 13:45:10')).toBe('2024-05-01 13:45:10');
    expect(exifDate('2024-05-01T13:45:10+02:00')).toBe('2024-05-01 13:45:10');
    expect(exifDate('2024:05:01 13:45')).toBe('2024-05-01 13:45:00');
    expect(exifDate('0000:00:00 00:00:00')).toBeNull();
    expect(exifDate('    :  :     :  :  ')).toBeNull();
    expect(exifDate(1714571110)).toBeNull();
  });
});

describe('probeImage: problems', () => {
  it('reports a 0-byte file as broken', async () => {
    const r = await probeImage(await writeEmpty(at('bad', 'empty.jpg')));
    expect(r).toMatchObject({ status: 'broken', error: 'Empty file (0 bytes)', size: 0 });
    expect(r.hash).toBe(crypto.createHash('sha256').digest('hex'));
  });

  it('reports text named .jpg as broken: not an image, as every predict path says', async () => {
    const r = await probeImage(await writeTextAsJpeg(at('bad', 'text.jpg')));
    expect(r.status).toBe('broken');
    expect(r.error).toBe(NOT_AN_IMAGE);
    expect(r.width).toBeNull();
    expect(r.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reads only the header, so a truncated JPEG still probes ok', async () => {
    const r = await probeImage(await writeTruncatedJpeg(at('bad', 'cut.jpg')));
    expect(r).toMatchObject({ status: 'ok', width: 800, height: 600 });
  });

  it('reports BMP as unsupported, naming the format', async () => {
    const r = await probeImage(await writeBmp(at('bad', 'old.bmp'), { width: 20, height: 10 }));
    expect(r.status).toBe('unsupported');
    expect(r.error).toMatch(/^BMP images are not supported/);
    expect(r.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reports an HEVC HEIC as unsupported, with its size from the header', async () => {
    const r = await probeImage(await writeHevcHeic(at('bad', 'IMG_0001.HEIC'), 4032, 3024));
    expect(r).toMatchObject({ status: 'unsupported', format: 'heif', width: 4032, height: 3024 });
    expect(r.error).toMatch(/HEIC.*HEVC/);
  });

  it('reports an image beyond the pixel limit as unsupported, naming its size', async () => {
    const r = await probeImage(await writeHugeHeaderJpeg(at('bad', 'huge.jpg'), 30000, 20000));
    expect(r).toMatchObject({ status: 'unsupported', width: 30000, height: 20000 });
    expect(r.error).toContain('30000×20000');
  });

  it('reports an unreadable path as broken with a clear message and no hash', async () => {
    const dir = at('bad', 'folder.jpg');
    fs.mkdirSync(dir, { recursive: true });
    const r = await probeImage(dir);
    expect(r).toMatchObject({
      status: 'unsupported',
      hash: null,
      error: expect.stringMatching(/^Not read: it is a folder, not a regular file/),
    });

    const gone = await probeImage(at('bad', 'missing.jpg'));
    expect(gone).toMatchObject({ status: 'broken', hash: null, size: 0 });
    expect(gone.error).toMatch(/no longer exists/);
  });

  // Root reads anything and Windows has no mode bits, so only a normal POSIX user can test this.
  it.skipIf(process.platform === 'win32' || process.getuid?.() === 0)(
    'reports a file without read permission as broken',
    async () => {
      const file = await writeJpeg(at('bad', 'locked.jpg'), { width: 8, height: 8 });
      fs.chmodSync(file, 0o000);
      try {
        const r = await probeImage(file);
        expect(r).toMatchObject({
          status: 'broken',
          hash: null,
          error: 'Cannot read file: permission denied',
        });
        expect(r.size).toBe(fs.statSync(file).size);
      } finally {
        fs.chmodSync(file, 0o644);
      }
    },
  );
});
