import sharp, { type FormatEnum } from 'sharp';

/** A copy of an image without the metadata that can identify people or places. */
export interface Stripped {
  bytes: Buffer;
  /** How: segments/chunks dropped losslessly, or the pixels re-encoded. */
  method: 'lossless' | 're-encoded';
}

// JPEG markers: APP1 (EXIF, XMP), APP13 (IPTC/Photoshop), COM (comments). APP0 (JFIF),
// APP2 (ICC colour profile) and APP14 (Adobe colour transform) say how to show the pixels.
const JPEG_DROPPED = new Set([0xe1, 0xed, 0xfe]);
// PNG chunks with text, EXIF or a modification time.
const PNG_DROPPED = new Set(['eXIf', 'tEXt', 'zTXt', 'iTXt', 'tIME']);

/**
 * Drops EXIF (GPS, camera serial, capture time), XMP, IPTC and comments. JPEG and PNG lose
 * only those segments or chunks, pixel for pixel the same file otherwise (walked here: no
 * maintained package removes them without re-encoding); a JPEG rotated by its EXIF
 * orientation and the other formats are re-encoded by sharp, which writes no metadata.
 */
export async function stripMetadata(bytes: Buffer): Promise<Stripped> {
  const meta = await sharp(bytes).metadata();
  if (meta.format === 'jpeg' && (meta.orientation ?? 1) === 1) {
    const lossless = stripJpeg(bytes);
    if (lossless) return { bytes: lossless, method: 'lossless' };
  }
  if (meta.format === 'png') {
    const lossless = stripPng(bytes);
    if (lossless) return { bytes: lossless, method: 'lossless' };
  }
  const format = meta.format === 'heif' ? 'avif' : (meta.format ?? 'png');
  const img = sharp(bytes).rotate();
  const out =
    format === 'jpeg'
      ? img.jpeg({ quality: 95 })
      : format === 'webp'
        ? img.webp({ lossless: true })
        : img.toFormat(format as keyof FormatEnum);
  return { bytes: await out.toBuffer(), method: 're-encoded' };
}

/** The JPEG without its APP1/APP13/COM segments, or null if its structure is not as expected. */
export function stripJpeg(b: Buffer): Buffer | null {
  if (b[0] !== 0xff || b[1] !== 0xd8) return null;
  const parts: Buffer[] = [b.subarray(0, 2)];
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1] ?? 0;
    // Start of scan: the entropy-coded data and everything after it is kept as it is.
    if (marker === 0xda) {
      parts.push(b.subarray(i));
      return Buffer.concat(parts);
    }
    const length = b.readUInt16BE(i + 2);
    if (length < 2 || i + 2 + length > b.length) return null;
    if (!JPEG_DROPPED.has(marker)) parts.push(b.subarray(i, i + 2 + length));
    i += 2 + length;
  }
  return null;
}

/** The PNG without its text, EXIF and time chunks, or null if it is not a well-formed PNG. */
export function stripPng(b: Buffer): Buffer | null {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (!b.subarray(0, 8).equals(signature)) return null;
  const parts: Buffer[] = [signature];
  let i = 8;
  while (i + 12 <= b.length) {
    const length = b.readUInt32BE(i);
    const type = b.toString('latin1', i + 4, i + 8);
    const end = i + 12 + length;
    if (end > b.length) return null;
    if (!PNG_DROPPED.has(type)) parts.push(b.subarray(i, end));
    i = end;
    if (type === 'IEND') return Buffer.concat(parts);
  }
  return null;
}
