import fs from 'node:fs';
import Database from 'better-sqlite3';
import { OcellusError } from '../../../shared/errors';

/** `PRAGMA application_id` of every Ocellus project: "OCEL" in ASCII. */
export const OCELLUS_APPLICATION_ID = 0x4f43454c;
export const PROJECT_EXTENSION = '.ocellus';

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
const HEADER_BYTES = 100;

export interface ProjectFileHeader {
  applicationId: number;
  userVersion: number;
}

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
  try {
    // Non-blocking and checked again on the descriptor: a FIFO swapped in since the stat
    // above must not block this (synchronous) open until a writer comes.
    const fd = fs.openSync(filePath, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
    try {
      if (!fs.fstatSync(fd).isFile()) {
        throw new OcellusError('NOT_A_PROJECT', `${filePath} is not a regular file`, {
          path: filePath,
        });
      }
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
  };
  // With uncheckpointed WAL content the header on disk may be stale: ask SQLite then.
  if (walHasContent(filePath)) result = readHeaderThroughSqlite(filePath);
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

function readHeaderThroughSqlite(filePath: string): ProjectFileHeader {
  const db = new Database(filePath, { readonly: true, fileMustExist: true });
  try {
    return {
      applicationId: db.pragma('application_id', { simple: true }) as number,
      userVersion: db.pragma('user_version', { simple: true }) as number,
    };
  } catch (err) {
    throw new OcellusError('NOT_A_PROJECT', `${filePath} is not a readable SQLite database`, {
      path: filePath,
      reason: err instanceof Error ? err.message : String(err),
    });
  } finally {
    db.close();
  }
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
