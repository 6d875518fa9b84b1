import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { OcellusError } from '../../../shared/errors';
import type { PredictInput, ShardSpec } from '../../../shared/types';
import { frameCount } from '../library/dicom-frame';
import { writeNewFileWith } from '../util/fs-atomic';
import { openSafe } from '../util/safe-fs';
import { imageFilesUnder } from './image-files';

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
    for await (const file of imageFilesUnder([manifest]))
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
    for await (const image of imageFilesUnder([dir])) {
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
