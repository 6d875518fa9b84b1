import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { OcellusError } from '../../../shared/errors';
import { singleFrameDicom } from '../library/dicom-frame';
import { MAX_IMAGE_BYTES } from '../library/probe';
import { copyFileSafe } from '../util/safe-copy';
import { checkPath, FileRefusedError, readFileSafe } from '../util/safe-fs';
import { exportImages } from './export-data';
import type { PrivacyWriter } from './privacy';
import { ensureOutDir } from './out-dir';

export type LinkMode = 'copy' | 'hardlink';

export interface ImageFolderOptions {
  mode: LinkMode;
  /** Also export model suggestions; default: human labels only (the training truth). */
  includeModelLabels?: boolean;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** Writes private copies (de-identified, stripped, renamed) instead of copies or links. */
  privacy?: PrivacyWriter;
}

export interface ImageFolderResult {
  files: number;
  /** How the split was chosen: a run id, or null for everything under `all/`. */
  splitFromRun: number | null;
  skipped: { path: string; reason: string }[];
  /** Hard links that crossed a drive and were copied instead. */
  copiedInsteadOfLinked: number;
}

/**
 * Writes `<out>/<split>/<class>/<file>`: the split of the newest finished run (train,
 * validation; images that run did not see go to `unsplit`), else `all`. Files with the same
 * name in one folder get `-2`, `-3`… before the extension; unreadable images are skipped
 * and reported, never copied.
 */
export async function writeImageFolder(
  db: Database.Database,
  outDir: string,
  opts: ImageFolderOptions,
): Promise<ImageFolderResult> {
  const images = exportImages(db);
  const run = newestSplit(db);
  const result: ImageFolderResult = {
    files: 0,
    splitFromRun: run?.id ?? null,
    skipped: [],
    copiedInsteadOfLinked: 0,
  };
  const used = new Set<string>();
  ensureOutDir(outDir);
  // Copies are asynchronous, so the app stays responsive during a large export.
  for (const [i, im] of images.entries()) {
    if (opts.signal?.aborted) throw new OcellusError('CANCELLED', 'Cancelled');
    if (i % 50 === 0) opts.onProgress?.(i, images.length);
    const labels = im.labels.filter((l) => opts.includeModelLabels || l.source === 'human');
    if (labels.length === 0) continue;
    if (im.status !== 'ok') {
      result.skipped.push({ path: im.file, reason: `${im.status}: ${im.error ?? ''}`.trim() });
      continue;
    }
    const split = run
      ? run.train.has(im.id)
        ? 'train'
        : run.validation.has(im.id)
          ? 'validation'
          : 'unsplit'
      : 'all';
    // A frame of a multi-frame file is an item of its own: it leaves as a file of its own.
    const frame = im.frames ? im.frame : undefined;
    for (const label of labels) {
      const dir = path.join(outDir, split, safeName(label.className));
      fs.mkdirSync(dir, { recursive: true });
      const name = opts.privacy ? opts.privacy.targetName(im.file) : path.basename(im.file);
      const target = uniqueTarget(dir, frameName(name, frame), used);
      try {
        if (opts.privacy) await opts.privacy.write(im.file, im.rootPath, target, outDir, frame);
        else if (frame !== undefined) await writeFrame(im.file, im.rootPath, frame, target);
        else if (await placeOriginal(im.file, im.rootPath, target, opts.mode)) {
          result.copiedInsteadOfLinked++;
        }
        result.files++;
      } catch (err) {
        result.skipped.push({ path: im.file, reason: (err as Error).message });
      }
    }
  }
  opts.onProgress?.(images.length, images.length);
  opts.privacy?.writeLog(outDir);
  return result;
}

/** `cine.dcm` → `cine-frame2.dcm` for the second frame (numbered from 1, as viewers do). */
function frameName(name: string, frame: number | undefined): string {
  if (frame === undefined) return name;
  const ext = path.extname(name);
  return `${name.slice(0, name.length - ext.length)}-frame${frame + 1}${ext}`;
}

/**
 * Copies or hard-links an original that the safe reader accepts (a regular file inside its
 * root): a FIFO, a device or a link out of the root is refused instead of read or linked.
 * Returns true when a hard link had to fall back to a copy.
 */
async function placeOriginal(
  file: string,
  root: string,
  target: string,
  mode: LinkMode,
): Promise<boolean> {
  const options = { roots: [root], maxBytes: MAX_IMAGE_BYTES };
  if (mode === 'copy') {
    await copyFileSafe(file, target, options);
    return false;
  }
  const { real, stat } = await checkPath(file, options);
  try {
    await fs.promises.link(real, target);
  } catch (err) {
    // Across drives (EXDEV) or on file systems without links, a copy still works.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP') throw err;
    await copyFileSafe(file, target, options);
    return true;
  }
  // link() does not follow a last component swapped for a link since the check; the new
  // name must be the very file that was checked.
  const linked = await fs.promises.lstat(target);
  if (!linked.isFile() || linked.dev !== stat.dev || linked.ino !== stat.ino) {
    await fs.promises.unlink(target);
    throw new FileRefusedError('changed', `${file} was replaced while being linked`, file);
  }
  return false;
}

async function writeFrame(file: string, root: string, frame: number, target: string) {
  const bytes = await readFileSafe(file, { roots: [root], maxBytes: MAX_IMAGE_BYTES });
  await fs.promises.writeFile(target, await singleFrameDicom(bytes, frame), { flag: 'wx' });
}

/** The newest finished run's split, as sets of image ids. */
function newestSplit(
  db: Database.Database,
): { id: number; train: Set<number>; validation: Set<number> } | null {
  const row = db
    .prepare(
      "SELECT id, split FROM runs WHERE status = 'done' AND split IS NOT NULL ORDER BY id DESC LIMIT 1",
    )
    .get() as { id: number; split: string } | undefined;
  if (!row) return null;
  const split = JSON.parse(row.split) as { train: number[]; validation: number[] };
  return { id: row.id, train: new Set(split.train), validation: new Set(split.validation) };
}

/** A class name as a folder name: no separators or characters Windows refuses. */
export function safeName(name: string): string {
  // Control characters are invalid in Windows file names.
  // eslint-disable-next-line no-control-regex
  const clean = name.replace(/[<>:"/\\|?*\u0000-\u001f]/g, '_').replace(/[. ]+$/, '');
  return clean === '' || clean === '.' || clean === '..' ? '_' : clean;
}

function uniqueTarget(dir: string, base: string, used: Set<string>): string {
  const ext = path.extname(base);
  const stem = base.slice(0, base.length - ext.length);
  for (let n = 1; ; n++) {
    const name = n === 1 ? base : `${stem}-${n}${ext}`;
    const full = path.join(dir, name);
    // Case-insensitive, so the export also unpacks on Windows and macOS.
    const key = full.toLowerCase();
    if (!used.has(key)) {
      used.add(key);
      return full;
    }
  }
}
