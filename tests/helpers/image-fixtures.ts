import fs from 'node:fs';
import path from 'node:path';
import sharp, { type Exif, type Sharp } from 'sharp';

/** A colour as sharp accepts it ('#3366cc', 'red', {r,g,b}). */
export type Colour = string | { r: number; g: number; b: number };

export interface ExifFields {
  /** 'YYYY:MM:DD HH:MM:SS', as cameras write it. */
  DateTimeOriginal?: string;
  /** Written as DateTimeDigitized (exifr calls it CreateDate). */
  CreateDate?: string;
  Make?: string;
  Model?: string;
  BodySerialNumber?: string;
  /** 1..8; written through withMetadata because libvips overwrites a raw IFD0 Orientation. */
  Orientation?: number;
  /** Decimal degrees, negative for S / W. */
  GPSLatitude?: number;
  GPSLongitude?: number;
  /** Metres above sea level (libvips cannot write GPSAltitudeRef, so no negatives). */
  GPSAltitude?: number;
}

export interface ImageSpec {
  width: number;
  height: number;
  color?: Colour;
}

const DEFAULT_COLOUR = '#3366cc';

async function save(file: string, data: Buffer | string): Promise<string> {
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  await fs.promises.writeFile(file, data);
  return file;
}

function solid({ width, height, color = DEFAULT_COLOUR }: ImageSpec): Sharp {
  return sharp({ create: { width, height, channels: 3, background: color } });
}

/** A width×height image whose left half is `left` and right half `right`. */
function halves(width: number, height: number, left: Colour, right: Colour): Sharp {
  const half = Math.floor(width / 2);
  const rightPart = {
    create: { width: width - half, height, channels: 3 as const, background: right },
  };
  return sharp({ create: { width, height, channels: 3, background: left } }).composite([
    { input: rightPart, left: half, top: 0 },
  ]);
}

function rational(value: number, denominator = 1000): string {
  return `${Math.round(Math.abs(value) * denominator)}/${denominator}`;
}

function dms(deg: number): string {
  const a = Math.abs(deg);
  const d = Math.floor(a);
  const m = Math.floor((a - d) * 60);
  const s = (a - d - m / 60) * 3600;
  return `${d}/1 ${m}/1 ${rational(s)}`;
}

function toSharpExif(e: ExifFields): Exif {
  const ifd0: Record<string, string> = {};
  const exif: Record<string, string> = {};
  const gps: Record<string, string> = {};
  if (e.Make !== undefined) ifd0.Make = e.Make;
  if (e.Model !== undefined) ifd0.Model = e.Model;
  if (e.DateTimeOriginal !== undefined) exif.DateTimeOriginal = e.DateTimeOriginal;
  if (e.CreateDate !== undefined) exif.DateTimeDigitized = e.CreateDate;
  if (e.BodySerialNumber !== undefined) exif.BodySerialNumber = e.BodySerialNumber;
  if (e.GPSLatitude !== undefined) {
    gps.GPSLatitudeRef = e.GPSLatitude < 0 ? 'S' : 'N';
    gps.GPSLatitude = dms(e.GPSLatitude);
  }
  if (e.GPSLongitude !== undefined) {
    gps.GPSLongitudeRef = e.GPSLongitude < 0 ? 'W' : 'E';
    gps.GPSLongitude = dms(e.GPSLongitude);
  }
  if (e.GPSAltitude !== undefined) gps.GPSAltitude = rational(e.GPSAltitude, 100);
  return { IFD0: ifd0, IFD2: exif, IFD3: gps };
}

function withExifFields(img: Sharp, exif: ExifFields | undefined): Sharp {
  if (!exif) return img;
  const out = img.withExif(toSharpExif(exif));
  return exif.Orientation === undefined ? out : out.withMetadata({ orientation: exif.Orientation });
}

/** Writes a solid-colour JPEG, optionally with EXIF tags. */
export async function writeJpeg(
  file: string,
  spec: ImageSpec & { exif?: ExifFields; quality?: number },
): Promise<string> {
  const img = withExifFields(solid(spec).jpeg({ quality: spec.quality ?? 90 }), spec.exif);
  return save(file, await img.toBuffer());
}

/** Writes a PNG; `alpha` makes it transparent except an opaque centre square, `bits16` 16-bit. */
export async function writePng(
  file: string,
  spec: ImageSpec & { alpha?: boolean; bits16?: boolean },
): Promise<string> {
  const { width, height, color = DEFAULT_COLOUR } = spec;
  let img = solid(spec);
  if (spec.alpha) {
    const w = Math.max(1, Math.floor(width / 2));
    const h = Math.max(1, Math.floor(height / 2));
    const square = { create: { width: w, height: h, channels: 4 as const, background: color } };
    img = sharp({
      create: { width, height, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } },
    }).composite([
      { input: square, left: Math.floor((width - w) / 2), top: Math.floor((height - h) / 2) },
    ]);
    // Flatten the composite so the 16-bit conversion below sees the final pixels.
    img = sharp(await img.png().toBuffer());
  }
  if (spec.bits16) img = img.toColourspace('rgb16');
  return save(file, await img.png().toBuffer());
}

/** Writes a solid-colour lossless WebP. */
export async function writeWebp(file: string, spec: ImageSpec): Promise<string> {
  return save(file, await solid(spec).webp({ lossless: true }).toBuffer());
}

/** Writes a solid-colour LZW TIFF. */
export async function writeTiff(file: string, spec: ImageSpec): Promise<string> {
  return save(file, await solid(spec).tiff({ compression: 'lzw' }).toBuffer());
}

/** Writes a GIF; with `frames` > 1 an animation whose first frame is `color` and the rest black. */
export async function writeGif(
  file: string,
  spec: ImageSpec & { frames?: number },
): Promise<string> {
  const frames = spec.frames ?? 1;
  const first = await solid(spec).png().toBuffer();
  if (frames === 1) return save(file, await sharp(first).gif().toBuffer());
  const rest = await solid({ ...spec, color: '#000000' })
    .png()
    .toBuffer();
  const stack = [first, ...Array.from({ length: frames - 1 }, () => rest)];
  const img = sharp(stack, { join: { animated: true } }).gif({ delay: 100 });
  return save(file, await img.toBuffer());
}

/** Writes a solid-colour AVIF (a HEIF container with AV1). */
export async function writeAvif(file: string, spec: ImageSpec): Promise<string> {
  return save(file, await solid(spec).avif({ quality: 60, effort: 0 }).toBuffer());
}

/** Writes a HEIF container with AV1 content (what an AV1 '.heic' is); sharp can decode it. */
export async function writeAv1Heif(
  file: string,
  spec: ImageSpec & { exif?: ExifFields },
): Promise<string> {
  const img = solid(spec).heif({ compression: 'av1', quality: 60, effort: 0 });
  return save(file, await withExifFields(img, spec.exif).toBuffer());
}

/**
 * Writes a real HEIC header (hvc1 item, hvcC and ispe properties) with dummy coded data:
 * enough for any HEIF parser to report an HEVC image of the given size, like a phone photo,
 * while sharp's prebuilt libvips (no HEVC decoder) can only read its header.
 */
export async function writeHevcHeic(file: string, width = 4032, height = 3024): Promise<string> {
  const u8 = (n: number): Buffer => Buffer.from([n]);
  const u16 = (n: number): Buffer => Buffer.from([n >> 8, n & 0xff]);
  const u32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const box = (type: string, ...body: Buffer[]): Buffer => {
    const payload = Buffer.concat(body);
    return Buffer.concat([u32(8 + payload.length), Buffer.from(type, 'latin1'), payload]);
  };
  const fullBox = (type: string, version: number, ...body: Buffer[]): Buffer =>
    box(type, u32(version << 24), ...body);

  const coded = Buffer.alloc(64);
  // HEVCDecoderConfigurationRecord: Main profile, level 3.0, 4:2:0 8-bit, no parameter sets.
  const hvcC = box(
    'hvcC',
    Buffer.from([
      1, 0x01, 0x60, 0, 0, 0, 0x90, 0, 0, 0, 0, 0, 0x5a, 0xf0, 0, 0xfc, 0xfd, 0xf8, 0xf8, 0, 0,
      0x0f, 0,
    ]),
  );
  const meta = (dataOffset: number): Buffer =>
    fullBox(
      'meta',
      0,
      fullBox('hdlr', 0, u32(0), Buffer.from('pict'), u32(0), u32(0), u32(0), u8(0)),
      fullBox('pitm', 0, u16(1)),
      // One item, one extent; 4-byte offsets and lengths.
      fullBox(
        'iloc',
        0,
        u8(0x44),
        u8(0),
        u16(1),
        u16(1),
        u16(0),
        u16(1),
        u32(dataOffset),
        u32(coded.length),
      ),
      fullBox('iinf', 0, u16(1), fullBox('infe', 2, u16(1), u16(0), Buffer.from('hvc1'), u8(0))),
      box(
        'iprp',
        box('ipco', hvcC, fullBox('ispe', 0, u32(width), u32(height))),
        fullBox('ipma', 0, u32(1), u16(1), u8(2), u8(0x81), u8(0x02)),
      ),
    );
  const ftyp = box('ftyp', Buffer.from('heic'), u32(0), Buffer.from('mif1heic'));
  const dataOffset = ftyp.length + meta(0).length + 8;
  return save(file, Buffer.concat([ftyp, meta(dataOffset), box('mdat', coded)]));
}

/** Writes an uncompressed 24-bit BMP (a format sharp cannot read). */
export async function writeBmp(file: string, spec: ImageSpec): Promise<string> {
  const { width, height } = spec;
  const rowSize = Math.ceil((width * 3) / 4) * 4;
  const header = Buffer.alloc(54);
  header.write('BM', 0, 'latin1');
  header.writeUInt32LE(54 + rowSize * height, 2);
  header.writeUInt32LE(54, 10);
  header.writeUInt32LE(40, 14);
  header.writeInt32LE(width, 18);
  header.writeInt32LE(height, 22);
  header.writeUInt16LE(1, 26);
  header.writeUInt16LE(24, 28);
  header.writeUInt32LE(rowSize * height, 34);
  return save(file, Buffer.concat([header, Buffer.alloc(rowSize * height, 0x80)]));
}

/** Writes a valid, detailed JPEG cut in half, so the scan data ends early. */
export async function writeTruncatedJpeg(file: string, width = 800, height = 600): Promise<string> {
  const full = await halves(width, height, '#c03020', '#2040c0')
    .blur(0.8)
    .jpeg({ quality: 95 })
    .toBuffer();
  return save(file, full.subarray(0, Math.floor(full.length / 2)));
}

/** Writes plain text under an image name. */
export async function writeTextAsJpeg(file: string): Promise<string> {
  return save(file, 'This is a text file pretending to be a photo.\n');
}

/** Writes a 0-byte file. */
export async function writeEmpty(file: string): Promise<string> {
  return save(file, Buffer.alloc(0));
}

/** Writes a valid JPEG whose APP1 (EXIF) segment is garbage after its 'Exif\0\0' header. */
export async function writeCorruptExifJpeg(file: string, spec: ImageSpec): Promise<string> {
  const exif: ExifFields = { DateTimeOriginal: '2024:05:01 13:45:10', Make: 'Broken' };
  const buf = Buffer.from(await withExifFields(solid(spec).jpeg(), exif).toBuffer());
  const start = buf.indexOf(Buffer.from('Exif\0\0', 'latin1'));
  if (start < 0) throw new Error('sharp wrote no EXIF segment');
  const segmentLength = buf.readUInt16BE(start - 2) - 2;
  for (let i = start + 6; i < start + segmentLength; i++) buf[i] = (i * 151 + 89) & 0xff;
  return save(file, buf);
}

/**
 * Writes a landscape JPEG (left half red, right half blue) tagged Orientation 6: upright it
 * is portrait with red on top and blue below.
 */
export async function writeRotatedJpeg(file: string, width = 400, height = 300): Promise<string> {
  const img = halves(width, height, '#ff0000', '#0000ff').jpeg({ quality: 95 });
  return save(file, await img.withMetadata({ orientation: 6 }).toBuffer());
}

/** Writes a tiny JPEG whose header claims width×height, beyond sharp's pixel limit by default. */
export async function writeHugeHeaderJpeg(
  file: string,
  width = 30000,
  height = 20000,
): Promise<string> {
  const buf = Buffer.from(await solid({ width: 16, height: 16 }).jpeg().toBuffer());
  for (let i = 2; i + 9 < buf.length;) {
    const marker = buf[i + 1]!;
    if (marker >= 0xc0 && marker <= 0xc2) {
      buf.writeUInt16BE(height, i + 5);
      buf.writeUInt16BE(width, i + 7);
      return save(file, buf);
    }
    i += 2 + buf.readUInt16BE(i + 2);
  }
  throw new Error('no SOF marker found');
}

/** The RGB of the pixel at (x, y) of an image file, after flattening alpha on white. */
export async function pixelAt(
  file: string,
  x: number,
  y: number,
): Promise<[number, number, number]> {
  const { data, info } = await sharp(file)
    .flatten({ background: '#ffffff' })
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  const i = (y * info.width + x) * info.channels;
  return [data[i]!, data[i + 1]!, data[i + 2]!];
}

/** The i-th shade of the red class of the colour fixtures (a learnable two-class set). */
export const redShade = (i: number) => ({ r: 150 + i * 10, g: i * 6, b: i * 4 });
/** The i-th shade of the blue class of the colour fixtures. */
export const blueShade = (i: number) => ({ r: i * 4, g: i * 6, b: 150 + i * 10 });

/** `dir/red/<i>.jpg` and `dir/blue/<i>.jpg`, `count` shades each, size×size pixels. */
export async function writeRedBlue(dir: string, count: number, size = 224): Promise<void> {
  for (let i = 0; i < count; i++) {
    await writeJpeg(path.join(dir, 'red', `${i}.jpg`), {
      width: size,
      height: size,
      color: redShade(i),
    });
    await writeJpeg(path.join(dir, 'blue', `${i}.jpg`), {
      width: size,
      height: size,
      color: blueShade(i),
    });
  }
}
