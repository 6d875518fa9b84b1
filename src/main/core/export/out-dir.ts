import fs from 'node:fs';
import { OcellusError } from '../../../shared/errors';
import { makeDirs } from '../util/make-dirs';

/** Creates an output folder, refusing one that already holds files (nothing is overwritten). */
export function prepareEmptyDir(dir: string): void {
  if (fs.existsSync(dir)) {
    if (!fs.statSync(dir).isDirectory())
      throw new OcellusError('ALREADY_EXISTS', `${dir} is a file, not a folder`);
    if (fs.readdirSync(dir).length > 0)
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
