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

/**
 * Where the pixel data element's header is: the first (7FE0,0010) tag that is an element
 * header (explicit VR: OB, OW or UN and two zero bytes), or -1. An icon's pixel data inside a
 * sequence would come first; then the main one goes unchecked rather than misjudged.
 */
function pixelDataAt(bytes: Buffer, implicit: boolean): number {
  for (let at = bytes.indexOf(PIXEL_DATA_TAG, 128); at >= 0;) {
    const vr = bytes.toString('latin1', at + 4, at + 6);
    if (implicit || (['OB', 'OW', 'UN'].includes(vr) && bytes.readUInt16LE(at + 6) === 0))
      return at;
    at = bytes.indexOf(PIXEL_DATA_TAG, at + 1);
  }
  return -1;
}

/**
 * Why the pixel data is shorter than the header says, or null. The parser fills what a cut
 * file lacks with zeros, which would be taken for black pixels: the element's length is
 * checked against the file (little endian), an encapsulated one must reach its end, and
 * uncompressed data must hold every frame the header counts.
 */
export function pixelDataShortfall(
  bytes: Buffer,
  elements: Record<string, unknown>,
  syntax: string,
): string | null {
  // A deflated dataset cannot be read in place (the parser inflates it whole).
  if (syntax === DEFLATED_LE) return null;
  const at = pixelDataAt(bytes, syntax === IMPLICIT_LE);
  if (at < 0) return null;
  const lengthAt = syntax === IMPLICIT_LE ? at + 4 : at + 8;
  if (lengthAt + 4 > bytes.length) return 'the file ends in its pixel data header (truncated)';
  const length = bytes.readUInt32LE(lengthAt);
  const start = lengthAt + 4;
  if (length === 0xffffffff) {
    return bytes.indexOf(SEQUENCE_END, start) < 0
      ? 'the compressed pixel data stops before its end (truncated file)'
      : null;
  }
  if (start + length > bytes.length)
    return `the file holds ${Math.max(0, bytes.length - start)} of the ${length} bytes of pixel data (truncated)`;
  const rows = number(elements['Rows']) ?? 0;
  const columns = number(elements['Columns']) ?? 0;
  const samples = number(elements['SamplesPerPixel']) ?? 1;
  const bits = number(elements['BitsAllocated']) ?? 8;
  const frames = Math.max(1, number(elements['NumberOfFrames']) ?? 1);
  const perFrame =
    bits === 1 ? (rows * columns * samples) / 8 : rows * columns * samples * (bits / 8);
  if (perFrame > 0 && length < perFrame * frames)
    return `the pixel data holds ${Math.floor(length / perFrame)} of the ${frames} frames the header counts`;
  return null;
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
