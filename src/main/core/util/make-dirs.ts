import fs from 'node:fs';
import path from 'node:path';

/** An error with a file-system code, as fs throws them. */
function fsError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

/**
 * `mkdir -p` that cannot hang: the missing folders are made one at a time. Node's recursive
 * mkdir loops for good on /proc (mkdir there says ENOENT under a folder that exists), at
 * 100 % CPU with the event loop held: an export to /proc froze browser mode until kill -9.
 * Throws fs-style errors: EEXIST when `dir` is a file, ENOTDIR when a folder on the way is
 * one, or what mkdir said.
 */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    let stat: fs.Stats | null = null;
    try {
      stat = fs.statSync(at);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (stat) {
      if (stat.isDirectory()) break;
      throw missing.length === 0
        ? fsError('EEXIST', `${at} is a file`)
        : fsError('ENOTDIR', `${at} is not a folder`);
    }
    missing.push(at);
    if (path.dirname(at) === at) break;
  }
  for (const folder of missing.reverse()) {
    try {
      fs.mkdirSync(folder);
    } catch (err) {
      // Made meanwhile by another process: fine, if it is a folder.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !fs.statSync(folder).isDirectory())
        throw err;
    }
  }
}
