import fs from 'node:fs';
import path from 'node:path';
import { OcellusError } from '../../../shared/errors';
import { hasDicomPreamble } from '../library/dicom';
import { isImagePath, mayBeDicomPath } from '../library/image-formats';

/** How many folder entries `collectImageFiles` looks at before it gives up (a folder named by mistake). */
export const COLLECT_LIMIT = 2_000_000;

/**
 * Whether a folder is walked for the first time, by its real path: a link back up to a parent
 * (a loop) or a second link to the same folder is not walked again.
 */
async function firstVisit(walked: Set<string>, dir: string): Promise<boolean> {
  const real = await fs.promises.realpath(dir);
  if (walked.has(real)) return false;
  walked.add(real);
  return true;
}

async function statOrNull(p: string): Promise<fs.Stats | null> {
  return fs.promises.stat(p).catch(() => null);
}

async function isImageFile(file: string, st: fs.Stats | fs.Dirent): Promise<boolean> {
  if (isImagePath(file)) return true;
  // A DICOM without an extension, as the library imports it.
  return st.isFile() && mayBeDicomPath(file) && hasDicomPreamble(file, [path.dirname(file)]);
}

/**
 * Image files under the given files and folders, streamed, in one stable order (folders depth
 * first, entries sorted, hidden ones skipped; DICOM without an extension too). A file given
 * is yielded as given, and so is anything that cannot be looked at (a missing path, an
 * unreadable folder, an image name in a link loop), so it gets an error row and never ends
 * the walk. A folder reached again through a link is walked once. The one walker of
 * `ocellus predict`, manifests and the bundle's predict.mjs, so all read the same files.
 */
export async function* imageFilesUnder(
  paths: readonly string[],
  limit = Infinity,
): AsyncGenerator<string> {
  const walked = new Set<string>();
  let visited = 0;
  async function* folder(dir: string): AsyncGenerator<string> {
    let entries: fs.Dirent[];
    try {
      if (!(await firstVisit(walked, dir))) return;
      entries = (await fs.promises.readdir(dir, { withFileTypes: true })).sort(byName);
    } catch {
      yield dir; // An unreadable folder: its row says why.
      return;
    }
    for (const entry of entries) {
      if (++visited > limit)
        throw new OcellusError('TOO_LARGE', `More than ${limit} entries under these folders`);
      if (entry.name.startsWith('.')) continue;
      const child = path.join(dir, entry.name);
      // The entry's own type spares a stat per file; links and the rest are looked through.
      const st = entry.isDirectory() || entry.isFile() ? entry : await statOrNull(child);
      if (st?.isDirectory()) yield* folder(child);
      // An image's name that cannot be looked at (a link loop…) still gets its error row.
      else if (st ? await isImageFile(child, st) : isImagePath(child)) yield child;
    }
  }
  for (const p of paths) {
    const abs = path.resolve(p);
    if ((await statOrNull(abs))?.isDirectory()) yield* folder(abs);
    else yield abs;
  }
}

function byName(a: fs.Dirent, b: fs.Dirent): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Every path `imageFilesUnder` yields, at most COLLECT_LIMIT folder entries looked at. */
export async function collectImageFiles(
  paths: readonly string[],
  limit = COLLECT_LIMIT,
): Promise<string[]> {
  const out: string[] = [];
  for await (const file of imageFilesUnder(paths, limit)) out.push(file);
  return out;
}
