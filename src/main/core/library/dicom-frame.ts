/**
 * One frame of a multi-frame DICOM as a DICOM file of its own, for exports that write a
 * frame (an item with its own label) rather than the whole file. The reference transcoder
 * (dcmjs-codecs) decodes any compressed syntax first; dcmjs reads and writes the dataset.
 * Only the frame's slice of the uncompressed pixel data is ours.
 */
import dcmjs from './dcmjs-quiet';
import { Transcoder } from 'dcmjs-codecs';
import { readFileSafe } from '../util/safe-fs';
import {
  decodersReady,
  EXPLICIT_LE,
  hasDicomPreamble,
  readDicomFacts,
  toArrayBuffer,
} from './dicom';
import { mayBeDicomPath } from './image-formats';
import { MAX_IMAGE_BYTES } from './probe';

// dcmjs is reached only inside the functions that use it, so a build that takes frameCount
// alone (predict.mjs) drops the import.

interface RawElement {
  vr: string;
  Value?: unknown[];
}
type RawDict = Record<string, RawElement>;

const TAG = {
  transferSyntax: '00020010',
  mediaSopInstance: '00020003',
  sopInstance: '00080018',
  frames: '00280008',
  rows: '00280010',
  columns: '00280011',
  samples: '00280002',
  bitsAllocated: '00280100',
  perFrameGroups: '52009230',
  pixelData: '7FE00010',
} as const;

/**
 * Frame `frame` (0-based) of a multi-frame DICOM as a single-frame file in explicit VR
 * little endian: the same attributes, NumberOfFrames 1, only that frame's per-frame
 * functional group, and a new SOP Instance UID (it is a new object, not the original).
 */
export async function singleFrameDicom(bytes: Buffer, frame: number): Promise<Buffer> {
  await decodersReady();
  let buffer = toArrayBuffer(bytes);
  const syntax = first(
    dcmjs.data.DicomMessage.readFile(buffer).meta as RawDict,
    TAG.transferSyntax,
  );
  if (syntax !== EXPLICIT_LE) {
    const transcoder = new Transcoder(buffer);
    transcoder.transcode(EXPLICIT_LE);
    buffer = transcoder.getDicomPart10();
  }
  const file = dcmjs.data.DicomMessage.readFile(buffer);
  const meta = file.meta as RawDict;
  const dict = file.dict as RawDict;
  const count = Number(first(dict, TAG.frames) ?? 1);
  if (!Number.isInteger(frame) || frame < 0 || frame >= count) {
    throw new Error(`The file has ${count} frame(s); there is no frame ${frame + 1}`);
  }
  const bits = Number(first(dict, TAG.bitsAllocated));
  if (bits % 8 !== 0) throw new Error(`${bits}-bit pixels cannot be cut into frames`);
  const frameBytes =
    Number(first(dict, TAG.rows)) *
    Number(first(dict, TAG.columns)) *
    Number(first(dict, TAG.samples) ?? 1) *
    (bits / 8);
  const pixels = concat(dict[TAG.pixelData]?.Value ?? []);
  if (pixels.byteLength < (frame + 1) * frameBytes) throw new Error('The pixel data is too short');
  set(dict, TAG.pixelData, [pixels.slice(frame * frameBytes, (frame + 1) * frameBytes)]);
  set(dict, TAG.frames, ['1']);
  const groups = dict[TAG.perFrameGroups]?.Value;
  if (groups && groups[frame] !== undefined) set(dict, TAG.perFrameGroups, [groups[frame]]);
  const uid = dcmjs.data.DicomMetaDictionary.uid();
  set(dict, TAG.sopInstance, [uid]);
  set(meta, TAG.mediaSopInstance, [uid]);
  const out = new dcmjs.data.DicomDict(meta);
  out.dict = dict;
  return Buffer.from(out.write());
}

function first(dict: RawDict, tag: string): string | undefined {
  const v = dict[tag]?.Value?.[0];
  return v === undefined || v === null ? undefined : String(v);
}

function set(dict: RawDict, tag: string, value: unknown[]): void {
  const el = dict[tag];
  if (el) el.Value = value;
}

// dcmjs hands pixel data back as one buffer, or several (one per fragment or chunk).
function concat(parts: unknown[]): ArrayBuffer {
  const views = parts.map((p) =>
    p instanceof ArrayBuffer ? new Uint8Array(p) : new Uint8Array(p as ArrayBufferLike),
  );
  const out = new Uint8Array(views.reduce((n, v) => n + v.byteLength, 0));
  views.reduce((at, v) => (out.set(v, at), at + v.byteLength), 0);
  return out.buffer;
}

/**
 * How many frames an image file holds: a multi-frame DICOM's NumberOfFrames, else 1 (also
 * for anything unreadable, which its reader then reports). Reads through the safe reader, and
 * only files that can be DICOM (`.dcm`, `.dicom`, or no extension and the `DICM` preamble).
 */
export async function frameCount(file: string, roots?: readonly string[]): Promise<number> {
  const named = /\.(dcm|dicom)$/i.test(file);
  if (!named && !mayBeDicomPath(file)) return 1;
  if (!(await hasDicomPreamble(file, roots))) return 1;
  try {
    return readDicomFacts(await readFileSafe(file, { roots, maxBytes: MAX_IMAGE_BYTES })).frames;
  } catch {
    return 1;
  }
}
