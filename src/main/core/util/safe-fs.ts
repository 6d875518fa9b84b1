/**
 * The one way Ocellus opens a file it did not write itself (images, model folders, CSVs).
 *
 * A file is read only when it is a regular file, its real path lies inside one of the
 * allowed roots, and it is no larger than the caller's cap. The checks run on the resolved
 * path and again on the opened descriptor (O_NOFOLLOW, O_NONBLOCK, then fstat: same device
 * and inode as the checked path, still a regular file), so a file swapped for a link, a FIFO
 * or a device between the check and the open is refused rather than read. Every read has a
 * timeout, so a hung drive fails one file instead of stalling the app. Node has no such
 * helper and no library covers the open-time re-check, hence this module.
 */
import fs from 'node:fs';
import path from 'node:path';
import { OcellusError, type ErrorCode } from '../../../shared/errors';
import { isPathInside } from './fs-safety';

/** Why a file was refused; also in the error's details as `reason`. */
export type RefusalReason =
  | 'outside'
  | 'link'
  | 'not-regular'
  | 'too-large'
  | 'changed'
  | 'missing'
  | 'unreadable'
  | 'timeout'
  | 'invalid';

/** A file Ocellus would not (or could not) read, with a sentence for people. */
export class FileRefusedError extends OcellusError {
  readonly reason: RefusalReason;
  /** The file-system error behind an `unreadable` or `missing` refusal. */
  readonly original: unknown;

  constructor(reason: RefusalReason, message: string, file: string, original?: unknown) {
    super(CODE_OF[reason], message, { path: file, reason });
    this.name = 'FileRefusedError';
    this.reason = reason;
    this.original = original;
  }
}

const CODE_OF: Record<RefusalReason, ErrorCode> = {
  outside: 'FORBIDDEN_PATH',
  link: 'FORBIDDEN_PATH',
  'not-regular': 'UNSUPPORTED',
  'too-large': 'TOO_LARGE',
  changed: 'IO_ERROR',
  missing: 'NOT_FOUND',
  unreadable: 'IO_ERROR',
  timeout: 'TIMEOUT',
  invalid: 'INVALID_ARGUMENT',
};

export interface SafeOpenOptions {
  /** Folders the file's real path must lie in (any one); none means anywhere. */
  roots?: readonly string[];
  /** Files larger than this many bytes are refused without being read. */
  maxBytes: number;
  /** Refuse a path that passes through any symbolic link below its root. */
  noLinks?: boolean;
  /** Milliseconds one read may take before the file is given up; default 30 s. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const CHUNK_BYTES = 1024 * 1024;
// O_NOFOLLOW refuses a last component that became a link; O_NONBLOCK makes opening a FIFO
// return at once instead of waiting for a writer. Both are 0 (absent) on Windows, where
// neither FIFOs nor these swaps exist in the same form.
const OPEN_FLAGS =
  fs.constants.O_RDONLY |
  (fs.constants.O_NOFOLLOW ?? 0) |
  (fs.constants.O_NONBLOCK ?? 0) |
  (fs.constants.O_NOCTTY ?? 0);

/** A name for what a non-regular file is, for messages. */
export function fileKind(st: fs.Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return st.isFile() ? 'a file' : 'not a regular file';
}

/** A byte count for messages: "1.9 GB". */
export function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} bytes`;
}

function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

function refusedFromErrno(err: unknown, file: string): FileRefusedError {
  const code = errnoOf(err);
  if (code === 'ENOENT' || code === 'ENOTDIR')
    return new FileRefusedError('missing', `${file} does not exist`, file, err);
  if (code === 'ELOOP')
    return new FileRefusedError('link', `${file} is a link loop or was replaced by a link`, file);
  if (code === 'ENAMETOOLONG' || code === 'EINVAL') {
    const shown = file.length > 200 ? `${file.slice(0, 200)}…` : file;
    return new FileRefusedError('invalid', `Not a usable path: ${shown}`, shown, err);
  }
  if (code === 'EACCES' || code === 'EPERM')
    return new FileRefusedError('unreadable', `No permission to read ${file}`, file, err);
  const message = err instanceof Error ? err.message : String(err);
  return new FileRefusedError('unreadable', `Cannot read ${file}: ${message}`, file, err);
}

/** Real paths of the roots; a root that is gone means nothing inside it can be read. */
async function realRoots(roots: readonly string[], file: string): Promise<string[]> {
  try {
    return await Promise.all(roots.map((r) => fs.promises.realpath(r)));
  } catch (err) {
    throw refusedFromErrno(err, file);
  }
}

function insideAny(roots: readonly string[], real: string): boolean {
  return roots.some((r) => real !== r && isPathInside(r, real));
}

/**
 * Checks a path without opening it: its real path, inside a root, a regular file within the
 * size cap. Returns the real path and its lstat, for `openChecked` to compare against.
 */
export async function checkPath(
  file: string,
  options: SafeOpenOptions,
): Promise<{ real: string; stat: fs.Stats; roots: string[] | null }> {
  const abs = path.resolve(file);
  let real: string;
  try {
    real = await fs.promises.realpath(abs);
  } catch (err) {
    throw refusedFromErrno(err, abs);
  }
  const roots = options.roots ? await realRoots(options.roots, abs) : null;
  if (roots && !insideAny(roots, real)) {
    throw new FileRefusedError(
      'outside',
      `${abs} leads outside the folder it belongs to (to ${real}); it is not read`,
      abs,
    );
  }
  if (options.noLinks && !linkFree(abs, real, options.roots, roots)) {
    throw new FileRefusedError('link', `${abs} is (or passes through) a symbolic link`, abs);
  }
  let stat: fs.Stats;
  try {
    stat = await fs.promises.lstat(real);
  } catch (err) {
    throw refusedFromErrno(err, abs);
  }
  refuseIfUnusable(stat, abs, options.maxBytes);
  return { real, stat, roots };
}

// With noLinks, a root that is itself reached through a link (/tmp → /private/tmp) is fine:
// only the part below the root must be free of links.
function linkFree(
  abs: string,
  real: string,
  given: readonly string[] | undefined,
  roots: string[] | null,
): boolean {
  if (!given || !roots) return abs === real;
  return roots.some(
    (root, i) =>
      isPathInside(root, real) &&
      path.relative(root, real) === path.relative(path.resolve(given[i] ?? root), abs),
  );
}

function refuseIfUnusable(st: fs.Stats, file: string, maxBytes: number): void {
  if (!st.isFile()) {
    throw new FileRefusedError(
      'not-regular',
      `${file} is ${fileKind(st)}, not a regular file; it is not read`,
      file,
    );
  }
  if (st.size > maxBytes) {
    throw new FileRefusedError(
      'too-large',
      `${file} is too large (${formatBytes(st.size)}; the limit is ${formatBytes(maxBytes)})`,
      file,
    );
  }
}

/**
 * Opens `real` for reading and proves the descriptor is the file `expected` describes: a
 * link, FIFO, device or other file swapped in since the check is refused.
 */
export async function openChecked(
  real: string,
  expected: fs.Stats,
  options: SafeOpenOptions & { shownAs?: string },
): Promise<SafeFile> {
  const shown = options.shownAs ?? real;
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(real, OPEN_FLAGS);
  } catch (err) {
    throw errnoOf(err) === 'ELOOP'
      ? new FileRefusedError('changed', `${shown} was replaced by a link while being opened`, shown)
      : refusedFromErrno(err, shown);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile() || st.dev !== expected.dev || st.ino !== expected.ino) {
      throw new FileRefusedError(
        'changed',
        `${shown} was replaced while being opened (now ${fileKind(st)}); it is not read`,
        shown,
      );
    }
    refuseIfUnusable(st, shown, options.maxBytes);
    if (options.roots) await refuseIfFdOutside(handle.fd, options.roots, shown);
    return new SafeFile(handle, real, st, options);
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
}

/**
 * Linux names the file behind a descriptor in /proc: the last word on where the open landed,
 * even if a folder on the way was swapped for a link after the path was checked.
 */
async function refuseIfFdOutside(fd: number, roots: readonly string[], shown: string) {
  if (process.platform !== 'linux') return;
  let target: string;
  try {
    target = await fs.promises.readlink(`/proc/self/fd/${fd}`);
  } catch {
    return; // No /proc (a container without it): the inode comparison above still holds.
  }
  if (!insideAny(roots, target)) {
    throw new FileRefusedError(
      'outside',
      `${shown} was redirected outside its folder while being opened; it is not read`,
      shown,
    );
  }
}

/** Checks, then opens a file for reading; see the module comment for what is refused. */
export async function openSafe(file: string, options: SafeOpenOptions): Promise<SafeFile> {
  const { real, stat, roots } = await checkPath(file, options);
  return openChecked(real, stat, {
    ...options,
    roots: roots ?? undefined,
    shownAs: path.resolve(file),
  });
}

/** An opened, checked file: size and time from its descriptor, reads with a timeout. */
export class SafeFile {
  readonly size: number;
  readonly mtimeMs: number;
  /** Set when a read was given up on: it may still be running in the kernel. */
  private abandoned: Promise<void> | null = null;

  constructor(
    private readonly handle: fs.promises.FileHandle,
    readonly realPath: string,
    stat: fs.Stats,
    private readonly options: SafeOpenOptions,
  ) {
    this.size = stat.size;
    this.mtimeMs = stat.mtimeMs;
  }

  /** Reads up to `length` bytes at `position` into `buffer`; TIMEOUT when the drive hangs. */
  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const read = this.handle.read(buffer, offset, length, position);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.abandoned = read.then(
          () => undefined,
          () => undefined,
        );
        reject(
          new FileRefusedError(
            'timeout',
            `Reading ${this.realPath} took longer than ${Math.round(timeoutMs / 1000)} s; the drive may be hung`,
            this.realPath,
          ),
        );
      }, timeoutMs);
    });
    try {
      const { bytesRead } = await Promise.race([read, timeout]);
      return bytesRead;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Calls `onChunk` with the file's bytes in order (waiting for it; the chunk is only valid
   * until it returns), never more than the size cap (a file that grows while read is cut at
   * the cap and refused). Returns the bytes read.
   */
  async forEachChunk(
    onChunk: (chunk: Buffer) => void | Promise<void>,
    chunkBytes = CHUNK_BYTES,
  ): Promise<number> {
    const buf = Buffer.allocUnsafe(chunkBytes);
    let position = 0;
    for (;;) {
      const n = await this.read(buf, 0, buf.length, position);
      if (n === 0) return position;
      position += n;
      if (position > this.options.maxBytes) {
        throw new FileRefusedError(
          'too-large',
          `${this.realPath} grew past the limit of ${formatBytes(this.options.maxBytes)} while being read`,
          this.realPath,
        );
      }
      // Awaited: the buffer is reused for the next read.
      await onChunk(buf.subarray(0, n));
    }
  }

  /** A stream of the whole file that closes the descriptor when it ends or fails. */
  stream(): fs.ReadStream {
    return this.handle.createReadStream({ autoClose: true });
  }

  /** The whole file as one buffer (within the size cap). */
  async readAll(): Promise<Buffer> {
    const chunks: Buffer[] = [];
    await this.forEachChunk((c) => {
      chunks.push(Buffer.from(c));
    });
    return Buffer.concat(chunks);
  }

  /** Closes the descriptor, after any read a timeout gave up on has returned. */
  async close(): Promise<void> {
    if (this.abandoned) {
      // A read stuck in the kernel cannot be interrupted; close once it returns.
      void this.abandoned.then(() => this.handle.close().catch(() => undefined));
      return;
    }
    await this.handle.close();
  }
}

/** Opens, runs `fn`, and always closes. */
export async function withSafeFile<T>(
  file: string,
  options: SafeOpenOptions,
  fn: (f: SafeFile) => Promise<T>,
): Promise<T> {
  const f = await openSafe(file, options);
  try {
    return await fn(f);
  } finally {
    await f.close();
  }
}

/** The whole content of a checked file. */
export function readFileSafe(file: string, options: SafeOpenOptions): Promise<Buffer> {
  return withSafeFile(file, options, (f) => f.readAll());
}

/** The text (UTF-8, BOM kept for the caller) of a checked file. */
export async function readTextSafe(file: string, options: SafeOpenOptions): Promise<string> {
  return (await readFileSafe(file, options)).toString('utf8');
}

/**
 * The bytes of a file for synchronous callers, or null when nothing is there: opened without
 * following a link or waiting on a FIFO, and checked on the open descriptor (a regular file
 * within `maxBytes`), so a swap after any earlier check is refused.
 */
export function readFileSyncSafe(file: string, maxBytes: number): Buffer | null {
  let fd: number;
  try {
    fd = fs.openSync(file, OPEN_FLAGS);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP') throw new FileRefusedError('link', `${file} is a link`, file, err);
    throw new FileRefusedError('unreadable', `${file} cannot be read (${code})`, file, err);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile())
      throw new FileRefusedError(
        'not-regular',
        `${file} is ${fileKind(st)}, not a regular file`,
        file,
      );
    if (st.size > maxBytes)
      throw new FileRefusedError('too-large', `${file} is over ${formatBytes(maxBytes)}`, file);
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** The text of a small settings-like file for synchronous callers (readFileSyncSafe's rules). */
export function readSmallTextSync(file: string, maxBytes: number): string | null {
  return readFileSyncSafe(file, maxBytes)?.toString('utf8') ?? null;
}
