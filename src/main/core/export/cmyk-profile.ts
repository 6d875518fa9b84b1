import path from 'node:path';
import sharp from 'sharp';
import { writeNewFile } from '../util/fs-atomic';

/** The file a bundle holds it in, beside MODEL_CARD.md (the card's Python snippet opens it). */
export const CMYK_PROFILE_FILE = 'cmyk.icc';

let profile: Promise<Buffer> | undefined;

/**
 * The CMYK profile libvips converts a CMYK picture without a profile of its own with (ArgyllCMS's
 * "Chemical proof", released into the public domain by Graeme W. Gill), taken from libvips
 * itself: Pillow has none, and its plain CMYK → RGB formula is 10+ levels off the app's pixels.
 */
export function libvipsCmykProfile(): Promise<Buffer> {
  profile ??= sharp({ create: { width: 1, height: 1, channels: 3, background: '#808080' } })
    .toColourspace('cmyk')
    .withIccProfile('cmyk')
    .jpeg()
    .toBuffer()
    .then(async (jpeg) => {
      const icc = (await sharp(jpeg).metadata()).icc;
      if (!icc) throw new Error('libvips gave no CMYK profile');
      return icc;
    });
  return profile;
}

/** Writes the CMYK profile into a bundle folder. */
export async function writeCmykProfile(dir: string): Promise<void> {
  writeNewFile(path.join(dir, CMYK_PROFILE_FILE), await libvipsCmykProfile());
}
