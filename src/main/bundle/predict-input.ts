import type sharpModule from 'sharp';
import { decodeDicom, hasDicomPreamble, MAX_DICOM_BYTES } from '../core/library/dicom';
import { frameCount } from '../core/library/dicom-frame';
import { geometryPixels } from '../core/library/pixel-steps';
import type { DetectorSource } from '../core/detect/letterbox';
import { readFileSafe } from '../core/util/safe-fs';
import { checkImageFile, decoding } from '../core/library/image-check';
import { normalise } from '../core/ml/preprocess';
import type { PreprocessingSpec } from '../core/ml/zoo-types';

export type Sharp = typeof sharpModule;

/** What a file holds, from its first bytes: each kind has its decoder in DECODERS. */
export type FileKind = 'image' | 'dicom';

/** One classifier input: a file, or one frame (from 0) of a multi-frame DICOM. */
export interface Input {
  path: string;
  frame?: number;
}

/** Decodes one input of its kind to the network's pixels ([h, w, 3] sRGB bytes). */
export type Decoder = (input: Input, spec: PreprocessingSpec, sharp: Sharp) => Promise<Buffer>;

/**
 * The decoder of each kind of file: the app's pixel steps for everything sharp opens; for
 * DICOM the app's own decoding and windowing (library/dicom.ts, with dcmjs-imaging from the
 * bundle's node_modules), then the same steps on the decoded pixels, as library/image-source.ts
 * hands them to sharp.
 */
export const DECODERS: Record<FileKind, Decoder> = {
  image: (input, spec, sharp) => geometryPixels(sharp(input.path, { failOn: 'truncated' }), spec),
  dicom: async (input, spec, sharp) => {
    const { input: rgba, raw } = await dicomSource(input);
    return geometryPixels(sharp(rgba, { raw, failOn: 'truncated' }), spec);
  },
};

/** One frame of a DICOM file decoded by the app's own decoding and windowing, for sharp. */
async function dicomSource(
  input: Input,
): Promise<{ input: Buffer; raw: { width: number; height: number; channels: 4 } }> {
  const bytes = await readFileSafe(input.path, { maxBytes: MAX_DICOM_BYTES });
  const { rgba, width, height } = await decodeDicom(bytes, input.frame ?? 0);
  return { input: rgba, raw: { width, height, channels: 4 } };
}

/**
 * What sharp opens for an input, by its kind, for the detector and the crops: the file's
 * path, or a DICOM frame's pixels decoded as the classifier's DICOM decoder decodes them.
 */
export async function openInput(input: Input): Promise<DetectorSource> {
  await checkImageFile(input.path);
  return (await fileKind(input.path)) === 'dicom' ? dicomSource(input) : input.path;
}

/** The kind of a file from its first 132 bytes (DICOM's preamble and "DICM"), as the library tells. */
async function fileKind(file: string): Promise<FileKind> {
  return (await hasDicomPreamble(file)) ? 'dicom' : 'image';
}

/** The network pixels of one input, by its file's kind's decoder. */
export async function decodeInput(
  input: Input,
  spec: PreprocessingSpec,
  sharp: Sharp,
): Promise<Buffer> {
  // Checked as `ocellus predict` checks each file; a failure is that input's error row.
  await checkImageFile(input.path);
  const decode = DECODERS[await fileKind(input.path)];
  return decoding(input.path, decode(input, spec, sharp));
}

/**
 * The inputs of the files, as `ocellus predict` lists them: one per frame of a multi-frame
 * DICOM (counted by the app's own library/dicom-frame.ts), else the file itself.
 */
export async function inputsOf(files: readonly string[]): Promise<Input[]> {
  const out: Input[] = [];
  for (const file of files) {
    const frames = await frameCount(file);
    if (frames > 1) for (let frame = 0; frame < frames; frame++) out.push({ path: file, frame });
    else out.push({ path: file });
  }
  return out;
}

/**
 * Packs decoded images into a batch buffer, normalised as the app normalises them: the value
 * of every byte in every output channel comes from ml/preprocess.ts's normalise itself (run
 * once on a ramp of grey values), so packing is a table look-up per value.
 */
export function batchPacker(spec: PreprocessingSpec) {
  const [h, w] = spec.inputSize;
  const ramp = new Uint8Array(3 * 256);
  for (let v = 0; v < 256; v++) ramp.fill(v, v * 3, v * 3 + 3);
  const normalised = normalise(ramp, spec);
  const table = new Float32Array(3 * 256);
  for (let c = 0; c < 3; c++)
    for (let v = 0; v < 256; v++) table[c * 256 + v] = normalised[v * 3 + c] ?? 0;
  const n = spec.normalization;
  // Channels normalise() reorders (Caffe BGR) read their byte from the other end.
  const source = n.kind !== 'range' && n.kind !== 'mean-std' && n.bgr ? [2, 1, 0] : [0, 1, 2];
  /** Writes one decoded image (RGB bytes, h×w) normalised into one slot of a batch. */
  return function pack(
    rgb: Uint8Array,
    batch: Float32Array,
    slot: number,
    mirrored: boolean,
    nchw: boolean,
  ) {
    const plane = h * w;
    const base = slot * plane * 3;
    for (let r = 0; r < h; r++) {
      for (let c = 0; c < w; c++) {
        const from = (r * w + c) * 3;
        const p = r * w + (mirrored ? w - 1 - c : c);
        for (let k = 0; k < 3; k++) {
          const value = table[k * 256 + (rgb[from + (source[k] ?? k)] ?? 0)] ?? 0;
          if (nchw) batch[base + k * plane + p] = value;
          else batch[base + p * 3 + k] = value;
        }
      }
    }
  };
}
