import fs from 'node:fs';
import path from 'node:path';
import { hasDicomPreambleSync } from '../library/dicom';
import { isImagePath, mayBeDicomPath } from '../library/image-formats';

/**
 * Whether a folder is walked for the first time, by its real path: a link back up to a parent
 * (a loop) or a second link to the same folder is not walked again. Every walker of image
 * folders (this file's, and the manifests' and `ocellus predict`'s in manifest.ts) asks it.
 */
export function firstVisit(walked: Set<string>, dir: string): boolean {
  const real = fs.realpathSync(dir);
  if (walked.has(real)) return false;
  walked.add(real);
  return true;
}

/** A path's stat, or null when it cannot be looked at (gone, a link loop, no permission). */
export function statOrNull(p: string): fs.Stats | null {
  try {
    return fs.statSync(p, { throwIfNoEntry: false }) ?? null;
  } catch {
    return null;
  }
}

/**
 * Image files under the given files and folders (recursive; DICOM without an extension
 * too), in a stable order, for the bundle's predict.mjs; `ocellus predict` walks by the same
 * rules (manifest.ts collectFiles), so both read the same files of a folder. A folder reached
 * again through a link is walked once; a file or folder that cannot be looked at becomes an
 * error row, never a crash.
 */
export function collectImageFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walked = new Set<string>();
  const walk = (p: string) => {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch {
      out.push(p); // Reported as an error row, not dropped.
      return;
    }
    if (!st.isDirectory()) {
      out.push(p);
      return;
    }
    let names: string[];
    try {
      if (!firstVisit(walked, p)) return;
      names = fs.readdirSync(p).sort();
    } catch {
      out.push(p); // An unreadable folder: its row says why.
      return;
    }
    for (const name of names) {
      if (name.startsWith('.')) continue;
      const child = path.join(p, name);
      const cst = statOrNull(child);
      // An image's name that cannot be looked at (a link loop…) still gets its error row.
      if (cst?.isDirectory() || isImagePath(child)) walk(child);
      // A DICOM without an extension, as the library and ocellus predict take it.
      else if (cst?.isFile() && mayBeDicomPath(child) && hasDicomPreambleSync(child)) walk(child);
    }
  };
  for (const p of paths) walk(path.resolve(p));
  return out;
}
