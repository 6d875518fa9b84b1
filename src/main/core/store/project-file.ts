import { constants } from 'node:buffer';
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { OcellusError } from '../../../shared/errors';
import { fileKind, readFileSyncSafe } from '../util/safe-fs';
import { memoryCopy } from './memory-copy';

/** `PRAGMA application_id` of every Ocellus project: "OCEL" in ASCII. */
export const OCELLUS_APPLICATION_ID = 0x4f43454c;
export const PROJECT_EXTENSION = '.ocellus';

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
const HEADER_BYTES = 100;

export interface ProjectFileHeader {
  applicationId: number;
  userVersion: number;
  /** Identity of the file whose header was read, so a later read can tell it is the same. */
  file: { real: string; dev: number; ino: number };
}

// Not following a last component that became a link, not waiting on a FIFO for a writer,
// never making a terminal ours: the flags safe-fs uses (absent, so 0, on Windows).
const NO_SURPRISES =
  fs.constants.O_RDONLY |
  (fs.constants.O_NOFOLLOW ?? 0) |
  (fs.constants.O_NONBLOCK ?? 0) |
  (fs.constants.O_NOCTTY ?? 0);

/**
 * Reads the identity of a project file without opening it as a database, so a file that
 * is not ours is never touched (no -wal or -shm created, no lock taken).
 */
export function inspectProjectFile(filePath: string): ProjectFileHeader {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(filePath);
  } catch (err) {
    throw fileError(err, filePath);
  }
  if (stat.isDirectory()) {
    throw new OcellusError('NOT_A_PROJECT', `${filePath} is a folder, not an Ocellus project`, {
      path: filePath,
    });
  }
  // A FIFO would block open() until a writer came, a device never end: never opened.
  if (!stat.isFile()) {
    throw new OcellusError(
      'NOT_A_PROJECT',
      `${filePath} is not a regular file, so not an Ocellus project`,
      { path: filePath },
    );
  }
  const header = Buffer.alloc(HEADER_BYTES);
  let read: number;
  let file: ProjectFileHeader['file'];
  try {
    const real = fs.realpathSync(filePath);
    // Checked again on the descriptor: a FIFO or device swapped in since the stat above must
    // not block this (synchronous) open nor be read.
    const fd = fs.openSync(real, NO_SURPRISES);
    try {
      const st = fs.fstatSync(fd);
      if (!st.isFile()) {
        throw new OcellusError('NOT_A_PROJECT', `${filePath} is not a regular file`, {
          path: filePath,
        });
      }
      file = { real, dev: st.dev, ino: st.ino };
      read = fs.readSync(fd, header, 0, HEADER_BYTES, 0);
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    throw err instanceof OcellusError ? err : fileError(err, filePath);
  }
  if (read < HEADER_BYTES || !header.subarray(0, 16).equals(SQLITE_MAGIC)) {
    throw new OcellusError(
      'NOT_A_PROJECT',
      `${filePath} is not an Ocellus project (it is not a SQLite database)`,
      { path: filePath },
    );
  }
  let result: ProjectFileHeader = {
    userVersion: header.readUInt32BE(60),
    applicationId: header.readUInt32BE(68),
    file,
  };
  // With uncheckpointed WAL content the header on disk may be stale: ask SQLite then.
  if (walHasContent(filePath)) result = { ...headerWithWal(filePath, result), file };
  if (result.applicationId !== OCELLUS_APPLICATION_ID) {
    throw new OcellusError(
      'NOT_A_PROJECT',
      `${filePath} is a SQLite database but not an Ocellus project`,
      { path: filePath, applicationId: result.applicationId },
    );
  }
  return result;
}

function walHasContent(filePath: string): boolean {
  try {
    return fs.statSync(`${filePath}-wal`).size > 0;
  } catch {
    return false;
  }
}

/**
 * The header as the last committed transaction left it. SQLite reads it in place; where it
 * cannot (read-only media, where no -shm can be made), it reads an Ocellus file's copy in
 * memory with the -wal applied. A file whose header on disk is not ours is left to the
 * caller's refusal.
 */
function headerWithWal(
  filePath: string,
  onDisk: ProjectFileHeader,
): Omit<ProjectFileHeader, 'file'> {
  let db: Database.Database | undefined;
  try {
    db = new Database(filePath, { readonly: true, fileMustExist: true });
    db.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch (err) {
    db?.close();
    const cannotOpen = (err as { code?: string }).code === 'SQLITE_CANTOPEN';
    if (!cannotOpen || onDisk.applicationId !== OCELLUS_APPLICATION_ID)
      throw notReadable(filePath, err);
    db = memoryCopy(readCheckedProject(filePath, onDisk), readWalBeside(onDisk), {});
  }
  try {
    return {
      applicationId: db.pragma('application_id', { simple: true }) as number,
      userVersion: db.pragma('user_version', { simple: true }) as number,
    };
  } catch (err) {
    throw notReadable(filePath, err);
  } finally {
    db.close();
  }
}

function notReadable(filePath: string, err: unknown): OcellusError {
  return new OcellusError('NOT_A_PROJECT', `${filePath} is not a readable SQLite database`, {
    path: filePath,
    reason: err instanceof Error ? err.message : String(err),
  });
}

/**
 * The whole of a project file already checked by `inspectProjectFile`, for a copy in memory:
 * read from one descriptor that is still the checked file (same device and inode, a regular
 * file, reached without a link), and its header checked again in the bytes read, so a file
 * swapped in between the check and the copy is refused instead of read.
 */
export function readCheckedProject(filePath: string, checked: ProjectFileHeader): Buffer {
  let bytes: Buffer;
  try {
    const fd = fs.openSync(checked.file.real, NO_SURPRISES);
    try {
      const st = fs.fstatSync(fd);
      if (!st.isFile()) {
        throw new OcellusError(
          'NOT_A_PROJECT',
          `${filePath} is now ${fileKind(st)}, not the project file it was`,
          { path: filePath },
        );
      }
      if (st.dev !== checked.file.dev || st.ino !== checked.file.ino) throw changed(filePath);
      bytes = fs.readFileSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    if (err instanceof OcellusError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw changed(filePath);
    throw fileError(err, filePath);
  }
  const same =
    bytes.length >= HEADER_BYTES &&
    bytes.subarray(0, 16).equals(SQLITE_MAGIC) &&
    bytes.readUInt32BE(68) === OCELLUS_APPLICATION_ID;
  if (!same) throw changed(filePath);
  return bytes;
}

/**
 * The project file's `-wal` beside it when it holds committed pages not yet copied into the
 * file (a writer that never checkpointed), else null; read through the safe reader (a
 * regular file, no link, no FIFO), so a device or pipe put there is never read.
 */
export function readWalBeside(checked: ProjectFileHeader): Buffer | null {
  const bytes = readFileSyncSafe(`${checked.file.real}-wal`, constants.MAX_LENGTH);
  return bytes && bytes.length > 0 ? bytes : null;
}

/**
 * Checks, before anything writes, that the database SQLite opened by path is the project
 * `inspectProjectFile` identified: an Ocellus project at the same schema version. A file
 * swapped in between (another database, not a database at all) is refused, never migrated.
 */
export function confirmSameProject(
  db: Database.Database,
  filePath: string,
  checked: ProjectFileHeader,
): void {
  let same: boolean;
  try {
    same =
      db.pragma('application_id', { simple: true }) === OCELLUS_APPLICATION_ID &&
      db.pragma('user_version', { simple: true }) === checked.userVersion;
  } catch {
    same = false;
  }
  if (!same) throw changed(filePath);
}

function changed(filePath: string): OcellusError {
  return new OcellusError(
    'IO_ERROR',
    `${filePath} was replaced while it was being opened; open it again`,
    { path: filePath, reason: 'changed' },
  );
}

/** Maps a Node fs error on a project path to a typed error with a readable message. */
export function fileError(err: unknown, filePath: string): OcellusError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT')
    return new OcellusError('NOT_FOUND', `${filePath} does not exist`, { path: filePath });
  if (code === 'EACCES' || code === 'EPERM')
    return new OcellusError('IO_ERROR', `No permission to read ${filePath}`, { path: filePath });
  if (code === 'ENAMETOOLONG')
    return new OcellusError(
      'INVALID_ARGUMENT',
      `The path is too long: ${filePath.slice(0, 200)}…`,
      {
        path: filePath.slice(0, 200),
      },
    );
  const message = err instanceof Error ? err.message : String(err);
  return new OcellusError('IO_ERROR', `Cannot read ${filePath}: ${message}`, { path: filePath });
}
