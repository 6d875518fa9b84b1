/**
 * The last multi-frame file read in this thread, with its DICOM parse, so the thumbnails and
 * model inputs of its N frames read and parse it once instead of N times (a cine loop's
 * frames are rendered one after another). Keyed by real path, size and modification time from
 * the opened descriptor, so a changed file is read again. One entry only: a loop can be
 * hundreds of MB.
 */
import type * as Imaging from 'dcmjs-imaging';
import { withSafeFile, type SafeOpenOptions } from '../util/safe-fs';
import { isDicom, parseDicom, renderDicomFrame } from './dicom';
import type { ImageSource } from './image-source';

let last: { key: string; bytes: Promise<Buffer> } | null = null;
// The parse belongs to the bytes it came from and goes when they go.
const parsed = new WeakMap<Buffer, Promise<Imaging.DicomImage>>();
let parses = 0;

/** A file's bytes through the safe reader; with `keep` (several frames) kept for the next frame. */
export function readFrameFile(
  file: string,
  options: SafeOpenOptions,
  keep: boolean,
): Promise<Buffer> {
  return withSafeFile(file, options, async (f) => {
    const key = `${f.realPath}\u0000${f.size}\u0000${f.mtimeMs}`;
    if (keep && last?.key === key) return last.bytes;
    const bytes = f.readAll();
    if (keep) {
      const entry = { key, bytes };
      last = entry;
      // A failed read is not remembered: the next frame tries again.
      bytes.catch(() => {
        if (last === entry) last = null;
      });
    } else last = null;
    return bytes;
  });
}

/** A frame of the bytes as sharp input; DICOM bytes are parsed once for all their frames. */
export async function frameSource(bytes: Buffer, frame: number): Promise<ImageSource> {
  if (!isDicom(bytes)) return { input: bytes };
  let image = parsed.get(bytes);
  if (!image) {
    parses++;
    image = parseDicom(bytes);
    parsed.set(bytes, image);
  }
  const { rgba, width, height } = renderDicomFrame(await image, frame);
  return { input: rgba, raw: { width, height, channels: 4 } };
}

/** How many DICOM parses frameSource has run in this thread (for tests and diagnostics). */
export function frameParseCount(): number {
  return parses;
}
