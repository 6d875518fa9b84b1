import fs from 'node:fs';
import { checkPath, FileRefusedError, withSafeFile } from '../util/safe-fs';
import { classifyOpenError, isUnknownFormatError } from './image-formats';
import { errorMessage, MAX_IMAGE_BYTES } from './probe';

/** What an empty image file's row says, as the library says it on import. */
export const EMPTY_FILE = 'Empty file (0 bytes)';

export { NOT_AN_IMAGE } from './image-formats';

/**
 * The check every predict path makes before an image is decoded: a FIFO, a device (or a link
 * to one) or a file over the size cap is refused (sharp would wait on a FIFO for good and read
 * /dev/zero until memory ran out), and an empty file is named as such.
 */
export async function checkImageFile(file: string): Promise<void> {
  const { stat } = await checkPath(file, { maxBytes: MAX_IMAGE_BYTES }).catch(async (err) => {
    throw (err instanceof FileRefusedError && (await unlistable(file))) || err;
  });
  if (stat.size === 0) throw new Error(EMPTY_FILE);
}

/**
 * Why a folder cannot be listed, or null. The folder walker yields a folder it could not list
 * as a row of its own, which said "… is a folder, not a regular file" instead of why.
 */
async function unlistable(dir: string): Promise<Error | null> {
  try {
    await (await fs.promises.opendir(dir)).close();
    return null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR' || code === 'ENOENT') return null;
    const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : errorMessage(err);
    return new Error(`Cannot list this folder: ${why}`);
  }
}

/**
 * The error of an image that could not be decoded, worded the same by every predict path
 * (sharp says "Input file…" or "Input buffer…" by how it was given the image): a known format
 * Ocellus cannot read is named, other bytes are "not an image"; other errors pass unchanged.
 */
export async function explainDecodeError(file: string, error: unknown): Promise<Error> {
  const message = errorMessage(error);
  if (!isUnknownFormatError(message)) return error instanceof Error ? error : new Error(message);
  const head = await withSafeFile(file, { maxBytes: MAX_IMAGE_BYTES }, async (f) => {
    const buf = Buffer.alloc(32);
    return buf.subarray(0, await f.read(buf, 0, buf.length, 0));
  }).catch(() => Buffer.alloc(0));
  return new Error(classifyOpenError(head, message).error);
}

/** The decode of `file`, a failure worded by explainDecodeError: what every predict path awaits. */
export async function decoding<T>(file: string, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    throw await explainDecodeError(file, err);
  }
}

/**
 * The last word of a predict run that predicted nothing, the same in `ocellus predict` and
 * predict.mjs (which then exit 1, so a script notices); null when some image was predicted.
 */
export function nothingPredicted(inputs: number, unreadable: number): string | null {
  if (inputs === 0) return 'No image files found in the given paths';
  if (unreadable >= inputs)
    return `No image could be read: every one of the ${inputs} rows has its error`;
  return null;
}
