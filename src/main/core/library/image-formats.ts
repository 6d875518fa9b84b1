import path from 'node:path';

/** File extensions (lowercase, with the dot) that the library treats as images. */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set([
  '.jpg',
  '.jpeg',
  '.jpe',
  '.png',
  '.webp',
  '.tif',
  '.tiff',
  '.gif',
  '.avif',
  '.heic',
  '.heif',
  '.bmp',
  '.dcm',
  '.dicom',
]);

/** True when the path's extension (any case) is one of IMAGE_EXTENSIONS. */
export function isImagePath(p: string): boolean {
  return IMAGE_EXTENSIONS.has(path.extname(p).toLowerCase());
}

/**
 * True for a file name without an extension (not a dot file): DICOM files often have none
 * (`IM0001`), so such files are opened to look for the DICOM preamble before being listed.
 */
export function mayBeDicomPath(p: string): boolean {
  const base = path.basename(p);
  return path.extname(base) === '' && !base.startsWith('.');
}

/**
 * sharp's default `limitInputPixels` (0x3FFF²). We check it ourselves from the header so the
 * message can name the dimensions instead of sharp's bare "exceeds pixel limit".
 */
export const MAX_INPUT_PIXELS = 0x3fff * 0x3fff;

/** Why an image cannot be used although its file is fine. */
export interface FormatProblem {
  status: 'unsupported';
  error: string;
}

/** The few header facts `headerProblem` needs; a subset of sharp's `Metadata`. */
export interface HeaderFacts {
  format: string;
  width: number;
  height: number;
  compression?: string | undefined;
}

/**
 * Reasons, known from the header alone, that decoding would fail: HEVC-compressed HEIF
 * (the prebuilt libvips ships only the AV1 decoder) and images above the pixel limit.
 */
export function headerProblem(meta: HeaderFacts): FormatProblem | null {
  if (meta.format === 'heif' && meta.compression === 'hevc') {
    return {
      status: 'unsupported',
      error:
        'HEIC image compressed with HEVC (H.265): this build has no HEVC decoder; convert it to JPEG first',
    };
  }
  const pixels = meta.width * meta.height;
  if (pixels > MAX_INPUT_PIXELS) {
    const mp = (n: number): string => (n / 1e6).toFixed(1);
    return {
      status: 'unsupported',
      error: `Image too large to decode: ${meta.width}×${meta.height} pixels (${mp(pixels)} MP, limit ${mp(MAX_INPUT_PIXELS)} MP)`,
    };
  }
  return null;
}

// Magic numbers of formats people keep next to their photos but sharp's prebuilt libvips
// cannot read; they let us say "unsupported" rather than "broken" for a healthy file.
const UNSUPPORTED_SIGNATURES: ReadonlyArray<{ name: string; test: (b: Uint8Array) => boolean }> = [
  { name: 'BMP', test: isBmp },
  { name: 'ICO', test: (b) => startsWith(b, [0, 0, 1, 0]) },
  { name: 'PSD', test: (b) => startsWith(b, [0x38, 0x42, 0x50, 0x53]) },
  { name: 'JPEG XL', test: (b) => startsWith(b, [0xff, 0x0a]) || hasBox(b, 'JXL ') },
  { name: 'JPEG 2000', test: (b) => hasBox(b, 'jP  ') || startsWith(b, [0xff, 0x4f, 0xff, 0x51]) },
];

// "BM" alone would also match text, so require the zero reserved words and a known DIB header size.
function isBmp(b: Uint8Array): boolean {
  if (b.length < 18 || b[0] !== 0x42 || b[1] !== 0x4d) return false;
  if (b[6] !== 0 || b[7] !== 0 || b[8] !== 0 || b[9] !== 0) return false;
  const dibSize = b[14]! | (b[15]! << 8) | (b[16]! << 16) | (b[17]! << 24);
  return [12, 16, 40, 52, 56, 64, 108, 124].includes(dibSize);
}

function startsWith(b: Uint8Array, sig: readonly number[]): boolean {
  return b.length >= sig.length && sig.every((v, i) => b[i] === v);
}

function hasBox(b: Uint8Array, type: string): boolean {
  return b.length >= 8 && String.fromCharCode(b[4]!, b[5]!, b[6]!, b[7]!) === type;
}

/**
 * Names a known image format that sharp cannot read, from the first bytes of the file;
 * null when the bytes are not a recognised image at all (then the file is broken).
 */
export function sniffUnsupportedFormat(head: Uint8Array): string | null {
  return UNSUPPORTED_SIGNATURES.find((s) => s.test(head))?.name ?? null;
}

/** sharp's message when it does not recognise the bytes as any format it can load. */
export function isUnknownFormatError(message: string): boolean {
  return /unsupported image format/i.test(message);
}

/** What a file whose bytes match no image format says, on import and in every predict path. */
export const NOT_AN_IMAGE = 'Not an image: its bytes match no format Ocellus reads';

/**
 * The classification of a sharp failure to open a buffer, worded the same on import and in
 * every predict path: a known format sharp cannot read is named; bytes of no format are "not
 * an image" (sharp says "Input buffer contains unsupported image format", which reads as if
 * the format were known); other failures keep sharp's message.
 */
export function classifyOpenError(
  head: Uint8Array,
  message: string,
): { status: 'broken' | 'unsupported'; error: string } {
  if (!isUnknownFormatError(message)) return { status: 'broken', error: message };
  const known = sniffUnsupportedFormat(head);
  return known
    ? {
        status: 'unsupported',
        error: `${known} images are not supported; convert it to PNG or JPEG`,
      }
    : { status: 'broken', error: NOT_AN_IMAGE };
}

// Signatures of the formats sharp reads; a file starting otherwise is not worth reading whole.
const READABLE_SIGNATURES: ReadonlyArray<(b: Uint8Array) => boolean> = [
  (b) => startsWith(b, [0xff, 0xd8, 0xff]), // JPEG
  (b) => startsWith(b, [0x89, 0x50, 0x4e, 0x47]), // PNG
  (b) => startsWith(b, [0x47, 0x49, 0x46, 0x38]), // GIF8
  (b) => startsWith(b, [0x52, 0x49, 0x46, 0x46]), // RIFF (WebP)
  (b) => startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a]), // TIFF
  (b) => startsWith(b, [0x49, 0x49, 0x2b, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2b]), // BigTIFF
  (b) => hasBox(b, 'ftyp'), // HEIF, AVIF
];

/** True when the first bytes are those of a format sharp can read (the rest may be anything). */
export function hasReadableSignature(head: Uint8Array): boolean {
  return READABLE_SIGNATURES.some((test) => test(head));
}
