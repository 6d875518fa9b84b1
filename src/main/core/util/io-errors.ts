/**
 * File-system and SQLite failures as typed errors: a full disk is DISK_FULL and a read-only
 * one READ_ONLY wherever they surface, so neither is ever reported as an internal bug.
 */
import { OcellusError } from '../../../shared/errors';

const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);
const READ_ONLY_CODES = new Set(['EROFS', 'SQLITE_READONLY', 'SQLITE_READONLY_DBMOVED']);
// libvips (through sharp) and some SQLite paths report these only in the message.
const DISK_FULL_TEXT = /no space left on device|disk quota exceeded|database or disk is full/i;
const READ_ONLY_TEXT = /read-only file system|attempt to write a readonly database/i;

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** True when `err` says the disk (or the user's quota) is full. */
export function isDiskFull(err: unknown): boolean {
  if (err instanceof OcellusError) return err.code === 'DISK_FULL';
  const code = codeOf(err);
  return (code !== undefined && DISK_FULL_CODES.has(code)) || DISK_FULL_TEXT.test(messageOf(err));
}

/** True when `err` says the file system or the database is read-only. */
export function isReadOnly(err: unknown): boolean {
  if (err instanceof OcellusError) return err.code === 'READ_ONLY';
  const code = codeOf(err);
  return (code !== undefined && READ_ONLY_CODES.has(code)) || READ_ONLY_TEXT.test(messageOf(err));
}

/** True for failures that retrying soon will not cure: full or read-only storage. */
export function isPersistentIoError(err: unknown): boolean {
  return isDiskFull(err) || isReadOnly(err);
}

/** The DISK_FULL error for a write under `where`, keeping the system's wording. */
export function diskFullError(where: string, err: unknown): OcellusError {
  return new OcellusError(
    'DISK_FULL',
    `The disk holding ${where} is full (${messageOf(err)}). Free some space, then reopen the project or run "ocellus rescan" to carry on where it stopped.`,
    { path: where },
  );
}

/**
 * The typed error for a failure of the file system or of SQLite, or `err` itself when it
 * is not one of those (a real bug stays INTERNAL).
 */
export function toOcellusError(err: unknown, where = 'the project'): unknown {
  if (err instanceof OcellusError) return err;
  if (isDiskFull(err)) return diskFullError(where, err);
  if (isReadOnly(err)) {
    return new OcellusError(
      'READ_ONLY',
      `${where} cannot be written: it is read-only (${messageOf(err)})`,
    );
  }
  const code = codeOf(err);
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new OcellusError('BUSY', `The project file is busy in another process (${code})`);
  }
  if (code?.startsWith('SQLITE_IOERR') || code === 'EIO') {
    return new OcellusError('IO_ERROR', `Input/output error: ${messageOf(err)}`);
  }
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') {
    return new OcellusError('IO_ERROR', `The project file is damaged: ${messageOf(err)}`);
  }
  return err;
}
