import fs from 'node:fs';
import { OcellusError } from '../../../shared/errors';

/** Creates an output folder, refusing one that already holds files (nothing is overwritten). */
export function prepareEmptyDir(dir: string): void {
  if (fs.existsSync(dir)) {
    if (!fs.statSync(dir).isDirectory())
      throw new OcellusError('ALREADY_EXISTS', `${dir} is a file, not a folder`);
    if (fs.readdirSync(dir).length > 0)
      throw new OcellusError('ALREADY_EXISTS', `${dir} is not empty: choose an empty folder`);
  }
  fs.mkdirSync(dir, { recursive: true });
}
