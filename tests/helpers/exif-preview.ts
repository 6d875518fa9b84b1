import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { Colour } from './image-fixtures';

/**
 * A camera-style JPEG: the main image, and in its EXIF block (APP1, IFD1) an embedded
 * preview JPEG as cameras write one (160×120 typically) — libvips cannot write IFD1, so the
 * TIFF structure is built here by hand. `orientation` goes into IFD0 when given.
 */
export async function jpegWithPreview(spec: {
  width: number;
  height: number;
  color: Colour;
  preview: { width: number; height: number; color: Colour };
  orientation?: number;
}): Promise<Buffer> {
  const solid = (w: number, h: number, c: Colour) =>
    sharp({ create: { width: w, height: h, channels: 3, background: c } }).jpeg({ quality: 85 });
  const main = await solid(spec.width, spec.height, spec.color).toBuffer();
  const thumb = await solid(spec.preview.width, spec.preview.height, spec.preview.color).toBuffer();
  return withPreview(main, thumb, spec.orientation);
}

/** Puts `preview` into a JPEG as its EXIF thumbnail (after SOI and any JFIF APP0, as cameras do). */
export function withPreview(main: Buffer, preview: Buffer, orientation?: number): Buffer {
  const app1 = exifApp1(preview, orientation);
  let at = 2;
  if (main[2] === 0xff && main[3] === 0xe0) at = 4 + main.readUInt16BE(4);
  return Buffer.concat([main.subarray(0, at), app1, main.subarray(at)]);
}

/** Writes `jpegWithPreview` to a file, creating its folder. */
export async function writeJpegWithPreview(
  file: string,
  spec: Parameters<typeof jpegWithPreview>[0],
): Promise<string> {
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  await fs.promises.writeFile(file, await jpegWithPreview(spec));
  return file;
}

function exifApp1(thumb: Buffer, orientation?: number): Buffer {
  const entry = (tag: number, type: number, value: number) => {
    const b = Buffer.alloc(12);
    b.writeUInt16LE(tag, 0);
    b.writeUInt16LE(type, 2);
    b.writeUInt32LE(1, 4);
    if (type === 3) b.writeUInt16LE(value, 8);
    else b.writeUInt32LE(value, 8);
    return b;
  };
  const ifd = (entries: Buffer[], next: number) => {
    const head = Buffer.alloc(2);
    head.writeUInt16LE(entries.length, 0);
    const tail = Buffer.alloc(4);
    tail.writeUInt32LE(next, 0);
    return Buffer.concat([head, ...entries, tail]);
  };
  const SHORT = 3;
  const LONG = 4;
  const ifd0Entries = orientation === undefined ? [] : [entry(0x0112, SHORT, orientation)];
  const ifd0Size = 2 + 12 * ifd0Entries.length + 4;
  const ifd1At = 8 + ifd0Size;
  const ifd1Size = 2 + 12 * 3 + 4;
  const thumbAt = ifd1At + ifd1Size;
  const tiff = Buffer.concat([
    Buffer.from([0x49, 0x49, 0x2a, 0x00, 0x08, 0x00, 0x00, 0x00]),
    ifd(ifd0Entries, ifd1At),
    ifd(
      [entry(0x0103, SHORT, 6), entry(0x0201, LONG, thumbAt), entry(0x0202, LONG, thumb.length)],
      0,
    ),
    thumb,
  ]);
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const head = Buffer.from([0xff, 0xe1, 0, 0]);
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([head, payload]);
}
