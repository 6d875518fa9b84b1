/**
 * DICOM files as images. Parsing, every transfer syntax's decoder (RLE, JPEG baseline,
 * extended and lossless, JPEG-LS, JPEG 2000, deflate) and the grey-level/colour pipeline
 * (modality LUT, window/level, MONOCHROME1, palette, YBR, planar configuration) come from
 * dcmjs-imaging and its WebAssembly codecs; only the percentile default window is ours.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as Codecs from 'dcmjs-codecs';
import type * as Imaging from 'dcmjs-imaging';
import { withSafeFile } from '../util/safe-fs';

/** The metadata keys read from a DICOM file into the image's metadata (split groups). */
export const DICOM_META_KEYS = [
  'PatientID',
  'StudyInstanceUID',
  'SeriesInstanceUID',
  'Laterality',
  'ImageLaterality',
  'StudyDate',
  'Modality',
  'Manufacturer',
] as const;

/** A decoded DICOM frame as 8-bit RGBA, ready for sharp's raw input. */
export interface DicomPixels {
  rgba: Buffer;
  width: number;
  height: number;
}

/** What the header says, for the library's listing. */
export interface DicomFacts {
  width: number;
  height: number;
  frames: number;
  transferSyntax: string;
  /** DICOM_META_KEYS that the file has, as text. */
  meta: Record<string, string>;
}

/** True when the bytes carry the DICOM Part 10 preamble: 128 bytes, then `DICM`. */
export function isDicom(head: Uint8Array): boolean {
  return (
    head.length >= 132 &&
    head[128] === 0x44 &&
    head[129] === 0x49 &&
    head[130] === 0x43 &&
    head[131] === 0x4d
  );
}

/**
 * True when the file starts with the DICOM preamble; reads its first 132 bytes through the
 * safe reader (a FIFO, device or link outside the roots is refused, and so reported false).
 */
export async function hasDicomPreamble(file: string, roots?: readonly string[]): Promise<boolean> {
  try {
    const head = await withSafeFile(file, { roots, maxBytes: MAX_DICOM_BYTES }, async (f) => {
      const buf = Buffer.alloc(132);
      const n = await f.read(buf, 0, 132, 0);
      return buf.subarray(0, n);
    });
    return isDicom(head);
  } catch {
    // Unreadable or refused: not listed as a DICOM image.
    return false;
  }
}

/** The same cap as for any image (library/probe.ts's MAX_IMAGE_BYTES, which imports this module). */
export const MAX_DICOM_BYTES = 1024 * 1024 * 1024;

const nodeRequire = createRequire(import.meta.url);
let ready: Promise<void> | null = null;
let loaded: { imaging: typeof Imaging; codecs: typeof Codecs } | null = null;

/**
 * The decoder packages, required when first needed: their UMD builds load by require() (not
 * by an ES import), and the bundle's predict.mjs, built from this module, finds them in the
 * bundle's own node_modules.
 */
function dcm(): { imaging: typeof Imaging; codecs: typeof Codecs } {
  loaded ??= {
    imaging: nodeRequire('dcmjs-imaging') as typeof Imaging,
    codecs: nodeRequire('dcmjs-codecs') as typeof Codecs,
  };
  return loaded;
}

/** Loads the decoders' WebAssembly once per process. */
export function decodersReady(): Promise<void> {
  const wasm = (pkg: string): string =>
    path.join(path.dirname(nodeRequire.resolve(pkg)), 'dcmjs-native-codecs.wasm');
  ready ??= Promise.all([
    dcm().imaging.NativePixelDecoder.initializeAsync({
      webAssemblyModulePathOrUrl: wasm('dcmjs-imaging'),
    }),
    dcm().codecs.NativeCodecs.initializeAsync({ webAssemblyModulePathOrUrl: wasm('dcmjs-codecs') }),
  ]).then(() => undefined);
  return ready;
}

/**
 * RLE through dcmjs-codecs' transcoder to explicit little endian first: dcmjs-imaging 0.2.5
 * renders decoded RLE colour frames with their samples in the wrong order (a red band comes
 * out white), while the transcoder's RLE decoder gives the right interleaved pixels.
 */
function uncompressedRle(bytes: Buffer): Buffer {
  const head = new (dcm().imaging.DicomImage)(toArrayBuffer(bytes));
  if (head.getTransferSyntaxUid() !== RLE_LOSSLESS) return bytes;
  const transcoder = new (dcm().codecs.Transcoder)(toArrayBuffer(bytes));
  transcoder.transcode(EXPLICIT_LE);
  return Buffer.from(transcoder.getDicomPart10());
}

/** The bytes as an ArrayBuffer of their own (what dcmjs and its codecs read). */
export function toArrayBuffer(bytes: Buffer): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

// Transfer syntaxes the decoders cannot read, with the reason shown to the user.
const UNSUPPORTED_SYNTAXES: Record<string, string> = {
  '1.2.840.10008.1.2.4.100': 'MPEG-2 video',
  '1.2.840.10008.1.2.4.101': 'MPEG-2 video',
  '1.2.840.10008.1.2.4.102': 'MPEG-4 video',
  '1.2.840.10008.1.2.4.103': 'MPEG-4 video',
  '1.2.840.10008.1.2.4.104': 'MPEG-4 video',
  '1.2.840.10008.1.2.4.105': 'MPEG-4 video',
  '1.2.840.10008.1.2.4.106': 'MPEG-4 video',
  '1.2.840.10008.1.2.4.107': 'HEVC video',
  '1.2.840.10008.1.2.4.108': 'HEVC video',
  '1.2.840.10008.1.2.4.92': 'JPEG 2000 Part 2 multi-component',
  '1.2.840.10008.1.2.4.93': 'JPEG 2000 Part 2 multi-component',
  '1.2.840.10008.1.2.4.94': 'JPIP referenced (pixels on a server)',
  '1.2.840.10008.1.2.4.95': 'JPIP referenced (pixels on a server)',
  '1.2.840.10008.1.2.4.52': 'retired JPEG extended process 3 & 5',
  '1.2.840.10008.1.2.4.53': 'retired JPEG spectral selection',
  '1.2.840.10008.1.2.4.55': 'retired JPEG full progression',
};

const RLE_LOSSLESS = '1.2.840.10008.1.2.5';
/** Explicit VR little endian: uncompressed, the syntax every reader takes. */
export const EXPLICIT_LE = '1.2.840.10008.1.2.1';

/** Thrown for a DICOM file that is healthy but cannot be shown as an image. */
export class DicomUnsupportedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DicomUnsupportedError';
  }
}

function openImage(bytes: Buffer): Imaging.DicomImage {
  let image: Imaging.DicomImage;
  try {
    image = new (dcm().imaging.DicomImage)(toArrayBuffer(bytes));
  } catch (err) {
    // The parser's words for a file that stops inside an element.
    if (/more than currently allocated buffer/i.test(String(err)))
      throw new Error('the file ends inside its header (truncated)', { cause: err });
    throw err;
  }
  const syntax = image.getTransferSyntaxUid();
  const why = UNSUPPORTED_SYNTAXES[syntax];
  if (why) {
    throw new DicomUnsupportedError(`DICOM transfer syntax ${syntax} (${why}) is not supported`);
  }
  const elements = image.getElements();
  if (elements['PixelData'] === undefined && elements['FloatPixelData'] === undefined) {
    const sop = text(elements['Modality']) ?? 'non-image';
    throw new DicomUnsupportedError(`DICOM ${sop} object without pixel data (not an image)`);
  }
  return image;
}

const PIXEL_DATA_TAG = Buffer.from([0xe0, 0x7f, 0x10, 0x00]);
const SEQUENCE_END = Buffer.from([0xfe, 0xff, 0xdd, 0xe0]);

/** Deflated explicit VR little endian: the dataset after the file meta is zlib-compressed. */
const DEFLATED_LE = '1.2.840.10008.1.2.1.99';
/** Implicit VR little endian: the default syntax, elements without a VR. */
const IMPLICIT_LE = '1.2.840.10008.1.2';

/** Bytes one frame of uncompressed pixels takes, or 0 when the header does not say. */
function frameBytes(elements: Record<string, unknown>): number {
  const rows = number(elements['Rows']) ?? 0;
  const columns = number(elements['Columns']) ?? 0;
  const samples = number(elements['SamplesPerPixel']) ?? 1;
  const bits = number(elements['BitsAllocated']) ?? 8;
  // YBR_FULL_422 keeps two samples per pixel, whatever SamplesPerPixel says.
  const perPixel = text(elements['PhotometricInterpretation']) === 'YBR_FULL_422' ? 2 : samples;
  return bits === 1
    ? Math.ceil((rows * columns * perPixel) / 8)
    : rows * columns * perPixel * (bits / 8);
}

/** All (7FE0,0010) tags in the file past the preamble. */
function pixelDataTags(bytes: Buffer): number[] {
  const out: number[] = [];
  for (
    let at = bytes.indexOf(PIXEL_DATA_TAG, 128);
    at >= 0;
    at = bytes.indexOf(PIXEL_DATA_TAG, at + 1)
  )
    out.push(at);
  return out;
}

/**
 * The main pixel data element: its value's start and declared length, or null when it cannot
 * be told apart. Explicit VR: the last (7FE0,0010) with an OB, OW or UN header (an icon's comes
 * before it). Implicit VR has no VR to check: the tag whose length is what the header's
 * frames need (odd sizes padded by one byte).
 */
function mainPixelData(
  bytes: Buffer,
  implicit: boolean,
  need: number,
): { start: number; length: number } | null {
  const tags = pixelDataTags(bytes);
  if (!implicit) {
    const at = tags.findLast(
      (t) =>
        t + 12 <= bytes.length &&
        ['OB', 'OW', 'UN'].includes(bytes.toString('latin1', t + 4, t + 6)) &&
        bytes.readUInt16LE(t + 6) === 0,
    );
    return at === undefined ? null : { start: at + 12, length: bytes.readUInt32LE(at + 8) };
  }
  const at = tags.findLast((t) => {
    const length = t + 8 <= bytes.length ? bytes.readUInt32LE(t + 4) : -1;
    return need > 0 && (length === need || length === need + 1);
  });
  return at === undefined ? null : { start: at + 8, length: bytes.readUInt32LE(at + 4) };
}

/**
 * Why the pixel data is shorter than the header says, or null. The parser fills what a cut
 * file lacks with zeros, which would be taken for black pixels. Uncompressed pixels (explicit
 * or implicit VR, little endian) must all be in the file for every frame the header counts;
 * compressed ones must reach their end. Where the main pixel data cannot be told apart,
 * nothing is judged.
 */
export function pixelDataShortfall(
  bytes: Buffer,
  elements: Record<string, unknown>,
  syntax: string,
): string | null {
  const native = syntax === EXPLICIT_LE || syntax === IMPLICIT_LE;
  const perFrame = frameBytes(elements);
  const frames = Math.max(1, number(elements['NumberOfFrames']) ?? 1);
  if (!native) {
    // Deflated and big-endian files are not read in place; encapsulated ones end with a delimiter.
    if (syntax === DEFLATED_LE || syntax === '1.2.840.10008.1.2.2') return null;
    const main = mainPixelData(bytes, false, 0);
    if (!main || main.length !== 0xffffffff) return null;
    return bytes.indexOf(SEQUENCE_END, main.start) < 0
      ? 'the compressed pixel data stops before its end (truncated file)'
      : null;
  }
  const main = mainPixelData(bytes, syntax === IMPLICIT_LE, perFrame * frames);
  if (!main || perFrame <= 0) return null;
  const present = Math.max(0, Math.min(main.length, bytes.length - main.start));
  if (present >= perFrame * frames) return null;
  if (main.length > bytes.length - main.start)
    return `the file holds ${present} of the ${main.length} bytes of pixel data (truncated)`;
  return `the pixel data holds ${Math.floor(present / perFrame)} of the ${frames} frames the header counts`;
}

/** Header facts and metadata of a DICOM file (parses the whole file; does not decode pixels). */
export function readDicomFacts(bytes: Buffer): DicomFacts {
  const image = openImage(bytes);
  const elements = image.getElements();
  const short = pixelDataShortfall(bytes, elements, image.getTransferSyntaxUid());
  if (short) throw new Error(short);
  const meta: Record<string, string> = {};
  for (const key of DICOM_META_KEYS) {
    const value = text(elements[key]);
    if (value !== null) meta[key] = value;
  }
  return {
    width: image.getWidth(),
    height: image.getHeight(),
    frames: image.getNumberOfFrames(),
    transferSyntax: image.getTransferSyntaxUid(),
    meta,
  };
}

/**
 * Decodes one frame (the first by default) to 8-bit RGBA. Grey images use the file's first
 * VOI window when it has one, else the 1st–99th percentile of the frame's stored values
 * (through the rescale slope/intercept), which keeps a few hot pixels from washing out the
 * image the way a min–max window does.
 */
export async function decodeDicom(bytes: Buffer, frame = 0): Promise<DicomPixels> {
  return renderDicomFrame(await parseDicom(bytes), frame);
}

/** A DICOM parsed for rendering (decoders loaded, RLE transcoded), for several frames of one file. */
export async function parseDicom(bytes: Buffer): Promise<Imaging.DicomImage> {
  await decodersReady();
  return openImage(uncompressedRle(bytes));
}

/** One frame of a parsed DICOM as 8-bit RGBA, windowed as `decodeDicom` says. */
export function renderDicomFrame(image: Imaging.DicomImage, frame: number): DicomPixels {
  const elements = image.getElements();
  const hasWindow = elements['WindowCenter'] !== undefined && elements['WindowWidth'] !== undefined;
  let rendered = image.render({ frame, calculateHistograms: !hasWindow, renderOverlays: false });
  const window = !hasWindow && rendered.histograms ? percentileWindow(rendered, elements) : null;
  if (window) rendered = image.render({ frame, windowLevel: window, renderOverlays: false });
  return { rgba: Buffer.from(rendered.pixels), width: rendered.width, height: rendered.height };
}

type Rendered = ReturnType<Imaging.DicomImage['render']>;

// Only grey images have a window to choose: colour renders carry no window level.
function percentileWindow(
  rendered: Rendered,
  elements: Record<string, unknown>,
): Imaging.WindowLevel | null {
  const histogram = rendered.histograms?.[0];
  if (!rendered.windowLevel || !histogram || histogram.getIdentifier() !== 'gray') return null;
  const min = histogram.getMinimum();
  const max = histogram.getMaximum();
  // A huge value range (32-bit dose grids) would cost more to walk than the render itself.
  if (!(max > min) || max - min > 1 << 20) return null;
  let total = 0;
  for (let v = min; v <= max; v++) total += histogram.get(v) ?? 0;
  const low = valueAtFraction(histogram, min, max, total * 0.01);
  const high = valueAtFraction(histogram, min, max, total * 0.99);
  if (!(high > low)) return null;
  const slope = number(elements['RescaleSlope']) ?? 1;
  const intercept = number(elements['RescaleIntercept']) ?? 0;
  const [a, b] = [low * slope + intercept, high * slope + intercept].sort((x, y) => x - y) as [
    number,
    number,
  ];
  return new (dcm().imaging.WindowLevel)(b - a, (a + b) / 2, 'Percentile 1–99 window');
}

function valueAtFraction(
  histogram: NonNullable<Rendered['histograms']>[number],
  min: number,
  max: number,
  target: number,
): number {
  let seen = 0;
  for (let v = min; v <= max; v++) {
    seen += histogram.get(v) ?? 0;
    if (seen >= target) return v;
  }
  return max;
}

function text(value: unknown): string | null {
  const first = Array.isArray(value) ? value[0] : value;
  if (typeof first === 'number' && Number.isFinite(first)) return String(first);
  if (typeof first === 'object' && first !== null && 'Alphabetic' in first) {
    return text((first as { Alphabetic: unknown }).Alphabetic);
  }
  if (typeof first !== 'string') return null;
  // eslint-disable-next-line no-control-regex
  const t = first.replace(/[\u0000\s]+$/, '').trim();
  return t === '' ? null : t;
}

function number(value: unknown): number | null {
  const first = Array.isArray(value) ? value[0] : value;
  const n = typeof first === 'string' ? Number(first) : first;
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
}
