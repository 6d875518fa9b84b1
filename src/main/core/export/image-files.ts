import fs from 'node:fs';
import path from 'node:path';
import { hasDicomPreambleSync } from '../library/dicom';
import { isImagePath, mayBeDicomPath } from '../library/image-formats';

/**
 * Image files under the given files and folders (recursive; DICOM without an extension
 * too), in a stable order. Shared by
 * `ocellus predict` and the bundle's predict.mjs, so both read the same files of a folder.
 */
export function collectImageFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch {
      out.push(p); // Reported as an error row, not dropped.
      return;
    }
    if (st.isDirectory()) {
      for (const name of fs.readdirSync(p).sort()) {
        if (name.startsWith('.')) continue;
        const child = path.join(p, name);
        const st = fs.statSync(child, { throwIfNoEntry: false });
        if (st?.isDirectory() || isImagePath(child)) walk(child);
        // A DICOM without an extension, as the library and ocellus predict take it.
        else if (st?.isFile() && mayBeDicomPath(child) && hasDicomPreambleSync(child)) walk(child);
      }
    } else out.push(p);
  };
  for (const p of paths) walk(path.resolve(p));
  return out;
}
