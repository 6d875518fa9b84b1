import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { OcellusError } from '../../../shared/errors';
import type { PredictInput, ShardSpec } from '../../../shared/types';
import { hasDicomPreamble } from '../library/dicom';
import { frameCount } from '../library/dicom-frame';
import { isImagePath, mayBeDicomPath } from '../library/image-formats';
import { writeNewFileWith } from '../util/fs-atomic';
import { openSafe } from '../util/safe-fs';
import { firstVisit, statOrNull } from './image-files';

// Streamed line by line, so the cap only has to exceed any real manifest.
const MANIFEST_FILE = { maxBytes: 2 ** 40 };

/** One image of a manifest: the path as the manifest says it, and the file it names. */
export interface ManifestItem {
  /** 0-based index among the manifest's images (blank lines skipped). */
  index: number;
  /** As written in the manifest (the key of its prediction record). */
  path: string;
  /** Resolved: relative lines are relative to the manifest's folder. */
  file: string;
}

/** Whether manifest image k belongs to a shard: a split by line number, stable as lines are appended. */
export function inShard(index: number, shard: ShardSpec | undefined): boolean {
  return !shard || index % shard.count === shard.index;
}

/**
 * The images of a manifest, streamed: a text file with one path per line (bounded memory
 * however long), or a folder walked in sorted order (so every shard sees the same list).
 */
export async function* manifestItems(manifest: string): AsyncGenerator<ManifestItem> {
  const st = fs.statSync(manifest, { throwIfNoEntry: false });
  if (!st) throw new OcellusError('NOT_FOUND', `No manifest at ${manifest}`);
  let index = 0;
  if (st.isDirectory()) {
    for await (const file of walkImages(path.resolve(manifest)))
      yield { index: index++, path: file, file };
    return;
  }
  // The safe reader refuses a FIFO or a device (/dev/zero would never end), also one swapped
  // in since the stat above, and the lines are streamed from the descriptor it checked.
  const input = (await openSafe(manifest, MANIFEST_FILE)).stream().setEncoding('utf8');
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  const base = path.dirname(path.resolve(manifest));
  try {
    for await (const raw of lines) {
      const line = raw.trim();
      if (line === '') continue;
      yield { index: index++, path: line, file: path.resolve(base, line) };
    }
  } finally {
    // A consumer that stops early must not leave the file open.
    lines.close();
    input.destroy();
  }
}

/**
 * Image files under a folder, depth first in sorted order, never holding the whole list;
 * files without an extension that start like DICOM too (as the library imports them).
 */
export async function* walkImages(dir: string, walked = new Set<string>()): AsyncGenerator<string> {
  if (!firstVisit(walked, dir)) return;
  const names = fs.readdirSync(dir).sort();
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const child = path.join(dir, name);
    const st = statOrNull(child);
    if (st?.isDirectory()) yield* walkImages(child, walked);
    else if (st ? await isImageFile(child, st) : isImagePath(child)) yield child;
  }
}

async function isImageFile(file: string, st: fs.Stats): Promise<boolean> {
  if (isImagePath(file)) return true;
  return st.isFile() && mayBeDicomPath(file) && hasDicomPreamble(file, [path.dirname(file)]);
}

/**
 * What a classifier gets for a file: the file, or one input per frame of a multi-frame
 * DICOM (each predicted and reported as an image of its own).
 */
export async function predictInputs(file: string): Promise<PredictInput[]> {
  const frames = await frameCount(file);
  return frames > 1
    ? Array.from({ length: frames }, (_, frame) => ({ path: file, frame }))
    : [file];
}

/** How many images of a manifest belong to a shard (one streaming pass). */
export async function countShard(manifest: string, shard?: ShardSpec): Promise<number> {
  let n = 0;
  for await (const item of manifestItems(manifest)) if (inShard(item.index, shard)) n++;
  return n;
}

/** Writes a folder's images as a new manifest file (one path per line); returns how many. */
export async function writeManifest(dir: string, file: string): Promise<number> {
  return writeNewFileWith(file, async (out) => {
    let n = 0;
    let chunk = '';
    for await (const image of walkImages(path.resolve(dir))) {
      chunk += `${image}\n`;
      n++;
      if (chunk.length > 1 << 16) {
        out.write(chunk);
        chunk = '';
      }
    }
    out.write(chunk);
    return n;
  });
}

/**
 * Image files under the given files and folders (folders recursively, sorted, hidden entries
 * skipped; files as given, a missing one too, so it gets an error row), at most `limit`
 * entries visited: asynchronous, so a huge folder named by mistake never blocks the process.
 */
export async function collectFiles(paths: readonly string[], limit = 2_000_000): Promise<string[]> {
  const out: string[] = [];
  let visited = 0;
  const walked = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    if (!firstVisit(walked, dir)) return;
    for (const name of (await fs.promises.readdir(dir)).sort()) {
      if (++visited > limit)
        throw new OcellusError('TOO_LARGE', `More than ${limit} entries under these folders`);
      if (name.startsWith('.')) continue;
      const child = path.join(dir, name);
      const st = await fs.promises.stat(child).catch(() => null);
      if (st?.isDirectory()) await walk(child);
      // An image's name that cannot be looked at (a link loop…) still gets its error row.
      else if (st ? await isImageFile(child, st) : isImagePath(child)) out.push(child);
    }
  };
  for (const p of paths) {
    const abs = path.resolve(p);
    const st = await fs.promises.stat(abs).catch(() => null);
    if (st?.isDirectory()) await walk(abs);
    else out.push(abs);
  }
  return out;
}
