import type { ImageStatus } from '../../../shared/types';
import crypto from 'node:crypto';
import fs from 'node:fs';
import exifr from 'exifr';
import sharp, { type Metadata } from 'sharp';
import {
  FileRefusedError,
  openSafe,
  readFileSafe,
  type SafeFile,
  type SafeOpenOptions,
} from '../util/safe-fs';
import { classifyOpenError, hasReadableSignature, headerProblem } from './image-formats';
import { embeddedPreview } from './embedded-preview';
import { DicomUnsupportedError, isDicom, readDicomFacts } from './dicom';

/** What probing a file can find: every image status but 'pending'. */
export type ProbeStatus = Exclude<ImageStatus, 'pending'>;

export interface ExifInfo {
  /** DateTimeOriginal as written ('YYYY-MM-DD HH:MM:SS', camera-local, no zone); else CreateDate. */
  takenAt: string | null;
  make: string | null;
  model: string | null;
  /** BodySerialNumber, else SerialNumber / CameraSerialNumber (maker-note serials are not read). */
  serial: string | null;
  /** EXIF orientation 1..8. */
  orientation: number | null;
  gpsLat: number | null;
  gpsLon: number | null;
  gpsAlt: number | null;
}

export interface ProbeResult {
  status: ProbeStatus;
  /** The decoder's message (or ours) when not ok. */
  error: string | null;
  size: number;
  mtimeMs: number;
  /** sha256 hex of the whole file; null only if the file could not be read. */
  hash: string | null;
  /** As stored, before EXIF orientation. */
  width: number | null;
  height: number | null;
  /** sharp's metadata().format (AVIF and HEIC both report 'heif'). */
  format: string | null;
  exif: ExifInfo;
  /** The camera's embedded preview JPEG (EXIF thumbnail), if any. */
  preview: Buffer | null;
  /** Metadata the file itself carries (DICOM patient, study, eye…), as image metadata keys. */
  meta: Record<string, string> | null;
  /** Frames in the file when more than one (multi-frame DICOM), else null. */
  frames: number | null;
}

/** An ExifInfo with every field null. */
export function emptyExif(): ExifInfo {
  return {
    takenAt: null,
    make: null,
    model: null,
    serial: null,
    orientation: null,
    gpsLat: null,
    gpsLon: null,
    gpsAlt: null,
  };
}

/** Where an image may be read from and how large it may be. */
export interface ProbeOptions {
  /** The folders the file's real path must lie in (its root); none means anywhere. */
  roots?: readonly string[];
  /** Larger files are listed as unsupported without being read; default MAX_IMAGE_BYTES. */
  maxBytes?: number;
}

/** The largest image file Ocellus reads (1 GiB): well above any photo or scan it can decode. */
export const MAX_IMAGE_BYTES = 1024 * 1024 * 1024;
// Files up to this size are kept whole for the header parse (one read, as before); larger
// ones are hashed as a stream and only their head is kept.
const KEEP_WHOLE_BYTES = 32 * 1024 * 1024;
const HEAD_BYTES = 1024 * 1024;

/**
 * Reads the file once through the safe reader (regular files inside the root only, size
 * cap, timeout), hashing it as it streams; reads header metadata with sharp and EXIF with
 * exifr. Files Ocellus refuses to read are reported with the reason, never opened.
 */
export async function probeImage(
  absPath: string,
  options: ProbeOptions = {},
): Promise<ProbeResult> {
  const result: ProbeResult = {
    status: 'broken',
    error: null,
    size: 0,
    mtimeMs: 0,
    hash: null,
    width: null,
    height: null,
    format: null,
    exif: emptyExif(),
    preview: null,
    meta: null,
    frames: null,
  };
  const safe = { roots: options.roots, maxBytes: options.maxBytes ?? MAX_IMAGE_BYTES };
  const read = await readAndHash(absPath, safe);
  if ('status' in read) return { ...result, ...read };
  Object.assign(result, { size: read.size, mtimeMs: read.mtimeMs, hash: read.hash });
  if (read.size === 0) return { ...result, error: 'Empty file (0 bytes)' };
  if (isDicom(read.head)) return { ...result, ...(await probeDicom(absPath, safe, read)) };

  // Header only; the pixel limit is judged by headerProblem so huge images still get their size.
  const header = await readHeader(absPath, safe, read.head, read.whole);
  if ('status' in header) return { ...result, ...header };
  const { meta, buf } = header;
  result.width = meta.width;
  result.height = meta.height;
  result.format = meta.format;
  result.exif = await readExif(buf, meta);
  result.preview = await embeddedPreview(meta.exif);
  const problem = headerProblem(meta);
  result.status = problem ? problem.status : 'ok';
  result.error = problem ? problem.error : null;
  return result;
}

/** Size, format and metadata of a DICOM file, from its header (pixels are not decoded here). */
async function probeDicom(
  absPath: string,
  safe: SafeOpenOptions,
  read: { head: Buffer; whole: boolean },
): Promise<Partial<ProbeResult>> {
  try {
    const bytes = read.whole ? read.head : await readFileSafe(absPath, safe);
    const facts = readDicomFacts(bytes);
    const problem = headerProblem({ format: 'dicom', width: facts.width, height: facts.height });
    return {
      status: problem ? problem.status : 'ok',
      error: problem ? problem.error : null,
      width: facts.width,
      height: facts.height,
      format: 'dicom',
      meta: facts.meta,
      frames: facts.frames > 1 ? facts.frames : null,
    };
  } catch (err) {
    if (err instanceof FileRefusedError) return refusal(err);
    const status = err instanceof DicomUnsupportedError ? 'unsupported' : 'broken';
    return { status, error: `DICOM: ${errorMessage(err)}`, format: 'dicom' };
  }
}

type Refusal = { status: 'broken' | 'unsupported'; error: string; size?: number; mtimeMs?: number };

/**
 * One pass over the file through the safe reader: size and time from the opened descriptor
 * (consistent even if the file is being replaced), the sha256, and its bytes, whole up to
 * KEEP_WHOLE_BYTES, else the first HEAD_BYTES.
 */
async function readAndHash(
  absPath: string,
  safe: SafeOpenOptions,
): Promise<
  { size: number; mtimeMs: number; hash: string; head: Buffer; whole: boolean } | Refusal
> {
  let file: SafeFile;
  try {
    file = await openSafe(absPath, safe);
  } catch (err) {
    return { ...(await statOf(absPath)), ...refusal(err) };
  }
  try {
    const whole = file.size <= KEEP_WHOLE_BYTES;
    const hash = crypto.createHash('sha256');
    const kept: Buffer[] = [];
    let keptBytes = 0;
    const size = await file.forEachChunk((chunk) => {
      hash.update(chunk);
      if (whole || keptBytes < HEAD_BYTES) {
        kept.push(Buffer.from(chunk));
        keptBytes += chunk.length;
      }
    });
    return {
      size,
      mtimeMs: file.mtimeMs,
      hash: hash.digest('hex'),
      head: Buffer.concat(kept),
      whole,
    };
  } catch (err) {
    return { size: file.size, mtimeMs: file.mtimeMs, ...refusal(err) };
  } finally {
    await file.close();
  }
}

/**
 * sharp's header metadata, from the kept bytes when they suffice; a cut-off buffer fails some
 * loaders (TIFF says "unsupported format", and keeps its tags wherever the writer put them),
 * so a file that starts like an image is then read whole, never junk such as sparse zeros.
 */
async function readHeader(
  absPath: string,
  safe: SafeOpenOptions,
  head: Buffer,
  whole: boolean,
): Promise<{ meta: Metadata; buf: Buffer } | Refusal> {
  try {
    const meta = await sharp(head, { limitInputPixels: false }).metadata();
    if (whole || meta.format !== 'tiff') return { meta, buf: head };
  } catch (err) {
    if (whole || !hasReadableSignature(head.subarray(0, 16))) {
      return classifyOpenError(head.subarray(0, 32), errorMessage(err));
    }
  }
  let buf = head;
  try {
    buf = await readFileSafe(absPath, safe);
    return { meta: await sharp(buf, { limitInputPixels: false }).metadata(), buf };
  } catch (err) {
    return err instanceof FileRefusedError
      ? refusal(err)
      : classifyOpenError(buf.subarray(0, 32), errorMessage(err));
  }
}

/** Status and message of an image Ocellus would not or could not read. */
export function refusal(err: unknown): { status: 'broken' | 'unsupported'; error: string } {
  if (err instanceof FileRefusedError) {
    switch (err.reason) {
      case 'not-regular':
        return { status: 'unsupported', error: `Not read: ${afterPath(err.message)}` };
      case 'too-large':
        return {
          status: 'unsupported',
          error: `File too large to read: ${afterPath(err.message)}`,
        };
      case 'outside':
      case 'link':
        return {
          status: 'unsupported',
          error: 'Not read: it is a link leading outside the folder',
        };
      case 'missing':
        return { status: 'broken', error: 'Cannot read file: it no longer exists' };
      case 'timeout':
        return {
          status: 'broken',
          error: 'Cannot read file: reading timed out (the drive may be hung or unplugged)',
        };
      case 'changed':
        return { status: 'broken', error: 'Cannot read file: it was replaced while being read' };
      default:
        return { status: 'broken', error: readErrorMessage(err.original ?? err) };
    }
  }
  return { status: 'broken', error: readErrorMessage(err) };
}

// "…/x.jpg is a FIFO (named pipe), not a regular file…" → "it is a FIFO (named pipe)…".
function afterPath(message: string): string {
  const m = / (is (?:too large|a |an |not ).*)$/.exec(message);
  return m ? `it ${m[1]}` : message;
}

/** Size and time of a path without following a final link, or zeros. */
async function statOf(absPath: string): Promise<{ size: number; mtimeMs: number }> {
  try {
    // lstat: the size of a link's target outside the folder is none of our business.
    const st = await fs.promises.lstat(absPath);
    return { size: st.isFile() ? st.size : 0, mtimeMs: st.mtimeMs };
  } catch {
    // The file is gone or its folder is unreadable.
    return { size: 0, mtimeMs: 0 };
  }
}

/** A message for people from a failed read, naming the cause rather than the errno. */
export function readErrorMessage(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'Cannot read file: permission denied';
    case 'ENOENT':
      return 'Cannot read file: it no longer exists';
    case 'EISDIR':
      return 'Cannot read file: it is a folder';
    default:
      return `Cannot read file: ${errorMessage(err)}`;
  }
}

/**
 * The message of anything thrown, trimmed, each distinct line once (libvips repeats a line per
 * attempt: "VipsJpeg: premature end of JPEG image" came twice in one row).
 */
export function errorMessage(err: unknown): string {
  const lines = (err instanceof Error ? err.message : String(err))
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return [...new Set(lines)].join('; ');
}

type ExifBlock = Record<string | number, unknown>;
interface ExifBlocks {
  ifd0?: ExifBlock;
  exif?: ExifBlock;
  gps?: ExifBlock;
}

// Numeric keys avoid exifr's name clashes (it calls 0xA431 BodySerialNumber "SerialNumber").
const TAG = {
  make: 0x010f,
  model: 0x0110,
  orientation: 0x0112,
  dateTimeOriginal: 0x9003,
  createDate: 0x9004,
  bodySerialNumber: 0xa431,
  serialNumber: 0xfde9,
  cameraSerialNumber: 0xc62f,
  gpsAltitudeRef: 5,
  gpsAltitude: 6,
} as const;

const EXIFR_OPTIONS = {
  translateKeys: false,
  translateValues: false,
  // Keeps dates as the written strings: revived Dates would be read in the local time zone.
  reviveValues: false,
  mergeOutput: false,
  ifd1: false,
  interop: false,
  makerNote: false,
  userComment: false,
  xmp: false,
  icc: false,
  iptc: false,
  jfif: false,
  ihdr: false,
};

const EXIF_HEADER = Buffer.from('Exif\0\0', 'latin1');

async function readExif(buf: Buffer, meta: Metadata): Promise<ExifInfo> {
  // libvips has already found the EXIF block in any container (JPEG, PNG, WebP, HEIF); exifr
  // reads it as plain TIFF. Only TIFF files keep their tags in the file's own IFDs.
  let source: Buffer | null = null;
  if (meta.exif && meta.exif.length > 8) {
    source = meta.exif.subarray(0, 6).equals(EXIF_HEADER) ? meta.exif.subarray(6) : meta.exif;
  } else if (meta.format === 'tiff') {
    source = buf;
  }
  if (!source) return emptyExif();
  try {
    const blocks = (await exifr.parse(source, EXIFR_OPTIONS)) as ExifBlocks | undefined;
    return blocks ? toExifInfo(blocks) : emptyExif();
  } catch {
    // Corrupt EXIF never fails the image.
    return emptyExif();
  }
}

function toExifInfo(b: ExifBlocks): ExifInfo {
  const ifd0 = b.ifd0 ?? {};
  const exif = b.exif ?? {};
  const gps = b.gps ?? {};
  const orientation = ifd0[TAG.orientation];
  const alt = finite(gps[TAG.gpsAltitude]);
  const altRef = gps[TAG.gpsAltitudeRef];
  const belowSeaLevel = altRef === 1 || (altRef instanceof Uint8Array && altRef[0] === 1);
  return {
    takenAt: exifDate(exif[TAG.dateTimeOriginal]) ?? exifDate(exif[TAG.createDate]),
    make: text(ifd0[TAG.make]),
    model: text(ifd0[TAG.model]),
    serial:
      text(exif[TAG.bodySerialNumber]) ??
      text(exif[TAG.serialNumber]) ??
      text(ifd0[TAG.serialNumber]) ??
      text(ifd0[TAG.cameraSerialNumber]),
    orientation:
      typeof orientation === 'number' &&
      Number.isInteger(orientation) &&
      orientation >= 1 &&
      orientation <= 8
        ? orientation
        : null,
    gpsLat: latLon(gps.latitude, 90),
    gpsLon: latLon(gps.longitude, 180),
    gpsAlt: alt === null ? null : belowSeaLevel ? -alt : alt,
  };
}

/** 'YYYY:MM:DD HH:MM:SS' (or with '-', 'T', missing seconds) to 'YYYY-MM-DD HH:MM:SS'; no zone maths. */
export function exifDate(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const m = /^\s*(\d{4})[:\-/.](\d{2})[:\-/.](\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?/.exec(value);
  if (!m) return null;
  const [, y, mo, d, h, mi, s = '00'] = m;
  // Cameras with an unset clock write zeros; that is no date at all.
  if (Number(y) === 0 || Number(mo) === 0 || Number(d) === 0) return null;
  return `${y}-${mo}-${d} ${h}:${mi}:${s}`;
}

function text(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return null;
  // eslint-disable-next-line no-control-regex
  const t = value.replace(/\u0000+$/, '').trim();
  return t === '' ? null : t;
}

function finite(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function latLon(value: unknown, max: number): number | null {
  const n = finite(value);
  return n !== null && Math.abs(n) <= max ? n : null;
}
