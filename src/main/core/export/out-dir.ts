import fs from 'node:fs';
import path from 'node:path';
import { OcellusError } from '../../../shared/errors';
import { makeDirs } from '../util/make-dirs';

/** The file an export folder holds while it is written; its absence says the export finished. */
export const UNFINISHED_MARKER = 'EXPORT-UNFINISHED.txt';

/**
 * Marks an export folder unfinished until `finish` runs: a killed or failed export leaves a
 * folder that says so, and that no predictor takes for a model.
 */
export function markUnfinished(dir: string): { finish: () => void } {
  const marker = path.join(dir, UNFINISHED_MARKER);
  fs.writeFileSync(
    marker,
    'Ocellus was writing this export when it stopped (killed, failed or cancelled): the files here are incomplete. Export again.\n',
  );
  return {
    finish: () => {
      try {
        fs.rmSync(marker, { force: true });
      } catch (err) {
        // The export is whole; a marker that cannot go (a file lock) only misleads.
        console.error(`[ocellus] could not remove ${marker}:`, err);
      }
    },
  };
}

/** Refuses a folder whose export did not finish. */
export function refuseUnfinished(dir: string): void {
  if (fs.existsSync(path.join(dir, UNFINISHED_MARKER)))
    throw new OcellusError(
      'INVALID_ARGUMENT',
      `${dir} is an export that did not finish (${UNFINISHED_MARKER}): export it again`,
      { path: dir },
    );
}

/** Creates an output folder, refusing one that already holds files (nothing is overwritten). */
export function prepareEmptyDir(dir: string): void {
  if (fs.existsSync(dir)) {
    if (!fs.statSync(dir).isDirectory())
      throw new OcellusError('ALREADY_EXISTS', `${dir} is a file, not a folder`);
    const names = fs.readdirSync(dir);
    // An export that stopped before writing anything left only its marker: the folder is free.
    if (names.length === 1 && names[0] === UNFINISHED_MARKER)
      fs.rmSync(path.join(dir, UNFINISHED_MARKER));
    else if (names.length > 0)
      throw new OcellusError('ALREADY_EXISTS', `${dir} is not empty: choose an empty folder`);
  }
  ensureOutDir(dir);
}

/**
 * Creates an output folder (and its parents) where none is, saying in words why it cannot be
 * one: the path names a file, or a folder on the way is a file.
 */
export function ensureOutDir(dir: string): void {
  try {
    makeDirs(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST')
      throw new OcellusError('ALREADY_EXISTS', `${dir} is a file, not a folder`);
    if (code === 'ENOTDIR')
      throw new OcellusError(
        'INVALID_ARGUMENT',
        `${dir} cannot be a folder: a part of that path is a file, not a folder`,
      );
    const why =
      code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'EROFS'
          ? 'the drive is read-only'
          : code === 'ENOENT'
            ? process.platform === 'win32'
              ? 'no folder can be made there (a drive or share that is not there?)'
              : 'no folder can be made there (a system folder such as /proc?)'
            : (code ?? String(err));
    throw new OcellusError('IO_ERROR', `Cannot make the folder ${dir}: ${why}`, { path: dir });
  }
}
