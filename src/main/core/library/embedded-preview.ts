import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import exifr from 'exifr';
import sharp from 'sharp';

/** Embedded previews larger than this are not camera thumbnails: left alone. */
const MAX_PREVIEW_BYTES = 512 * 1024;
const EXIF_HEADER = Buffer.from('Exif\0\0', 'latin1');

/**
 * The preview JPEG a camera embedded in an image's EXIF block (the IFD1 thumbnail, usually
 * 160×120), from the block libvips found; null when there is none or it is not a JPEG.
 */
export async function embeddedPreview(exif: Buffer | undefined): Promise<Buffer | null> {
  if (!exif || exif.length < 16) return null;
  const tiff = exif.subarray(0, 6).equals(EXIF_HEADER) ? exif.subarray(6) : exif;
  try {
    const bytes = await exifr.thumbnail(tiff);
    if (!bytes || bytes.length < 4 || bytes.length > MAX_PREVIEW_BYTES) return null;
    const jpeg = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return jpeg[0] === 0xff && jpeg[1] === 0xd8 ? Buffer.from(jpeg) : null;
  } catch {
    // A broken EXIF block only means no preview.
    return null;
  }
}

/**
 * Writes a preview into the cache, turned upright by the image's EXIF orientation (the
 * preview has no EXIF of its own); temp file and rename, so a reader never sees half of it.
 */
export async function writePreview(
  file: string,
  preview: Buffer,
  orientation: number | null,
): Promise<void> {
  const upright =
    orientation !== null && orientation > 1 && orientation <= 8
      ? await sharp(await sharp(preview).withMetadata({ orientation }).toBuffer())
          .rotate()
          .jpeg({ quality: 85 })
          .toBuffer()
      : preview;
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${crypto.randomBytes(6).toString('hex')}.tmp`;
  try {
    await fs.promises.writeFile(tmp, upright);
    await fs.promises.rename(tmp, file);
  } catch (err) {
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
}
