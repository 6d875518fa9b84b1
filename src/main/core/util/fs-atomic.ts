import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { OcellusError } from '../../../shared/errors';

// Exclusive create that never goes through a link: O_EXCL with O_CREAT already refuses any
// existing name (a dangling link included); O_NOFOLLOW says so again where it exists.
const NEW_FILE_FLAGS =
  fs.constants.O_WRONLY |
  fs.constants.O_CREAT |
  fs.constants.O_EXCL |
  (fs.constants.O_NOFOLLOW ?? 0) |
  (fs.constants.O_NOCTTY ?? 0);

/** Writes a file so that readers see the old or the new content, never a torn one. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`,
  );
  const fd = fs.openSync(tmp, NEW_FILE_FLAGS, 0o666);
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/** True when anything (file, folder, link, even a dangling one, device, FIFO) is at `file`. */
function occupied(file: string): boolean {
  try {
    return fs.lstatSync(file, { throwIfNoEntry: false }) !== undefined;
  } catch (err) {
    // A file where a folder of the path should be: said in words, not as ENOTDIR.
    if ((err as NodeJS.ErrnoException).code !== 'ENOTDIR') throw err;
    throw new OcellusError(
      'INVALID_ARGUMENT',
      `${path.dirname(file)} cannot be a folder: a part of that path is a file, not a folder`,
      { path: file },
    );
  }
}

function existsError(file: string): OcellusError {
  return new OcellusError(
    'ALREADY_EXISTS',
    `${file} already exists and is not replaced: move it away or choose another folder or name`,
    { path: file },
  );
}

/** ALREADY_EXISTS when anything is at `file` (checked before long work, so it fails early). */
export function refuseExisting(file: string): void {
  if (occupied(file)) throw existsError(file);
}

/**
 * A file being written under `<name>.partial` beside its final name, published by `commit`
 * only if nothing has appeared at that name meanwhile: no export replaces a file, writes
 * through a link or device planted at either name, or leaves a torn file under the final one.
 */
export class NewFile {
  readonly tmp: string;
  private fd: number | null;

  /** Creates the temporary file; ALREADY_EXISTS when the final or temporary name is taken. */
  constructor(
    readonly file: string,
    mode = 0o666,
  ) {
    refuseExisting(file);
    this.tmp = `${file}.partial`;
    try {
      this.fd = fs.openSync(this.tmp, NEW_FILE_FLAGS, mode);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      throw new OcellusError(
        'ALREADY_EXISTS',
        `${this.tmp} already exists (left by an interrupted export?): remove it and export again`,
        { path: this.tmp },
      );
    }
  }

  /** Appends text or bytes. */
  write(data: string | Uint8Array): void {
    if (this.fd === null) throw new OcellusError('INTERNAL', `${this.file} is already closed`);
    fs.writeSync(this.fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  }

  /** Flushes and publishes under the final name; ALREADY_EXISTS (nothing replaced) if taken. */
  commit(): void {
    if (this.fd === null) throw new OcellusError('INTERNAL', `${this.file} is already closed`);
    try {
      fs.fsyncSync(this.fd);
    } finally {
      fs.closeSync(this.fd);
      this.fd = null;
    }
    try {
      publish(this.tmp, this.file);
    } finally {
      fs.rmSync(this.tmp, { force: true });
    }
  }

  /** Closes and removes the temporary file (after a failure); never throws. */
  abort(): void {
    if (this.fd !== null) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // Closing a descriptor of a file about to be removed: nothing left to save.
      }
      this.fd = null;
    }
    fs.rmSync(this.tmp, { force: true });
  }
}

/**
 * Gives `tmp` the name `file` without replacing anything there: a hard link fails with
 * EEXIST when the name is taken, where a rename would silently replace it.
 */
function publish(tmp: string, file: string): void {
  try {
    fs.linkSync(tmp, file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw existsError(file);
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw err;
    // No hard links (FAT and exFAT drives, which hold no symbolic links either): check, then
    // rename; only a file created in between by another process could be replaced.
    refuseExisting(file);
    fs.renameSync(tmp, file);
  }
}

/** Writes a new file whole (see NewFile); ALREADY_EXISTS when anything is at its name. */
export function writeNewFile(file: string, data: string | Uint8Array, mode?: number): void {
  const out = new NewFile(file, mode);
  try {
    out.write(data);
    out.commit();
  } catch (err) {
    out.abort();
    throw err;
  }
}

/** Writes a new file by streaming into it; the temporary file is removed if `fill` fails. */
export async function writeNewFileWith<T>(
  file: string,
  fill: (out: NewFile) => T | Promise<T>,
): Promise<T> {
  const out = new NewFile(file);
  try {
    const result = await fill(out);
    out.commit();
    return result;
  } catch (err) {
    out.abort();
    throw err;
  }
}

/** Synchronous writeNewFileWith. */
export function writeNewFileWithSync<T>(file: string, fill: (out: NewFile) => T): T {
  const out = new NewFile(file);
  try {
    const result = fill(out);
    out.commit();
    return result;
  } catch (err) {
    out.abort();
    throw err;
  }
}

/**
 * Opens a file to append records to (a resumable output): created exclusively when nothing is
 * there; otherwise only a regular file of this one name, never through a link, into a device
 * or FIFO, or into a file with other names (hard links). Readable too, to resume from.
 */
export function openForAppend(file: string): { fd: number; existed: boolean } {
  const before = fs.lstatSync(file, { throwIfNoEntry: false });
  if (before) refuseUnlessOwnFile(before, file);
  const flags =
    fs.constants.O_RDWR |
    fs.constants.O_APPEND |
    (fs.constants.O_NOFOLLOW ?? 0) |
    (fs.constants.O_NONBLOCK ?? 0) |
    (before ? 0 : fs.constants.O_CREAT | fs.constants.O_EXCL);
  let fd: number;
  try {
    fd = fs.openSync(file, flags, 0o666);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ELOOP' || code === 'ENXIO') throw changedError(file);
    throw err;
  }
  const opened = fs.fstatSync(fd);
  if (before && (opened.dev !== before.dev || opened.ino !== before.ino)) {
    fs.closeSync(fd);
    throw changedError(file);
  }
  return { fd, existed: before !== undefined };
}

function refuseUnlessOwnFile(st: fs.Stats, file: string): void {
  const what = st.isSymbolicLink()
    ? 'a symbolic link'
    : !st.isFile()
      ? 'not a regular file'
      : st.nlink > 1
        ? 'a file with other names (hard links)'
        : null;
  if (what !== null) {
    throw new OcellusError(
      'ALREADY_EXISTS',
      `${file} is ${what}; Ocellus does not write into it: choose another output file`,
      { path: file },
    );
  }
}

function changedError(file: string): OcellusError {
  return new OcellusError(
    'ALREADY_EXISTS',
    `${file} was replaced while being opened; it is not written: choose another output file`,
    { path: file },
  );
}
