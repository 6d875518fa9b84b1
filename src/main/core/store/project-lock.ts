/**
 * One owner process per project: `name.ocellus-lock` beside the project names the process
 * that may write it (pid, host, start time). Another process gets PROJECT_LOCKED saying
 * where the project is open; a lock left by a process that is gone (a crash, kill -9) is
 * taken over. SQLite's own locks keep concurrent writes safe but say nothing about which
 * process owns the watcher and the jobs; this does. Hand-written: the npm lock packages
 * (proper-lockfile…) use mtime heartbeats rather than the owner's pid.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { OcellusError } from '../../../shared/errors';

/** Who holds a project. */
export interface LockOwner {
  pid: number;
  host: string;
  /** When the owner took the lock (ISO 8601). */
  since: string;
  /** The owner process's start time as the OS counts it (Linux), to see a reused pid. */
  processStart: string | null;
  app: string;
}

/** The lock file of a project file. */
export function lockPathFor(projectPath: string): string {
  return `${projectPath}-lock`;
}

// A lock file being written right now (empty or half-written) belongs to a live opener.
const FRESH_MS = 10_000;
const held = new Map<string, { count: number; token: string }>();

/** The start time of a process (Linux: field 22 of /proc/<pid>/stat), or null. */
function processStart(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function isAlive(owner: LockOwner): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // The pid exists; on Linux it may be a different process that got the same number.
  const start = processStart(owner.pid);
  return owner.processStart === null || start === null || start === owner.processStart;
}

function readOwner(lockPath: string): LockOwner | 'gone' | 'unreadable' {
  let text: string;
  let fd: number;
  try {
    // Non-blocking, then checked on the descriptor: a FIFO at the lock's name (it sits in the
    // user's folder) must not block this synchronous open; it counts as a damaged lock.
    fd = fs.openSync(lockPath, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'gone' : 'unreadable';
  }
  try {
    if (!fs.fstatSync(fd).isFile()) return 'unreadable';
    text = fs.readFileSync(fd, 'utf8');
  } catch {
    return 'unreadable';
  } finally {
    fs.closeSync(fd);
  }
  try {
    const o = JSON.parse(text) as Partial<LockOwner>;
    if (typeof o.pid === 'number' && typeof o.host === 'string') {
      return {
        pid: o.pid,
        host: o.host,
        since: String(o.since ?? ''),
        processStart: typeof o.processStart === 'string' ? o.processStart : null,
        app: String(o.app ?? 'Ocellus'),
      };
    }
  } catch {
    // Falls through: an empty or damaged lock file.
  }
  return 'unreadable';
}

function lockedError(projectPath: string, owner: LockOwner | null): OcellusError {
  const lockPath = lockPathFor(projectPath);
  if (!owner) {
    return new OcellusError(
      'PROJECT_LOCKED',
      `${projectPath} is being opened by another Ocellus window right now`,
      { path: projectPath },
    );
  }
  const here = owner.host === os.hostname();
  const where = here ? `process ${owner.pid}` : `process ${owner.pid} on ${owner.host}`;
  return new OcellusError(
    'PROJECT_LOCKED',
    `${projectPath} is open in another Ocellus window (${where}, since ${owner.since}). ` +
      `Close it there first; status, export, evaluate and predict can still read it.` +
      (here ? '' : ` If Ocellus no longer runs on ${owner.host}, delete ${lockPath}.`),
    { path: projectPath, owner },
  );
}

/** Writes the lock file whole or not at all; false when one exists already. */
function tryCreate(lockPath: string, owner: LockOwner): boolean {
  const text = JSON.stringify(owner);
  const tmp = `${lockPath}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, text, { flag: 'wx' });
  try {
    fs.linkSync(tmp, lockPath);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw err;
    // No hard links (FAT and exFAT SD cards): exclusive create, written just after.
    try {
      fs.writeFileSync(lockPath, text, { flag: 'wx' });
      return true;
    } catch (err2) {
      if ((err2 as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err2;
    }
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** Moves a dead owner's lock aside (or back, when someone else took it over meanwhile). */
function takeOver(lockPath: string, judged: LockOwner | null): void {
  const aside = `${lockPath}.stale.${process.pid}.${crypto.randomBytes(4).toString('hex')}`;
  try {
    fs.renameSync(lockPath, aside);
  } catch {
    return; // Gone already: someone else took it over, or its owner closed.
  }
  const moved = readOwner(aside);
  const same =
    judged === null
      ? moved === 'unreadable'
      : typeof moved === 'object' && moved.pid === judged.pid && moved.host === judged.host;
  if (!same) {
    // Another process took the stale lock over first and this moved its fresh one: put it
    // back (unless a third took the place), so that process keeps the project.
    try {
      fs.linkSync(aside, lockPath);
    } catch {
      // EEXIST: the place is taken again; the loop will see by whom.
    }
  }
  fs.rmSync(aside, { force: true });
}

/** A held project lock; release() once, when the project closes. */
export class ProjectLock {
  private released = false;

  private constructor(
    readonly projectPath: string,
    private readonly token: string,
  ) {}

  /**
   * Takes the project for this process, or throws PROJECT_LOCKED naming the owner. A second
   * open in the same process (two services in one test) shares the lock. Errors writing the
   * lock file (a read-only disk) are thrown as they are, for the caller to judge.
   */
  static acquire(projectPath: string, appVersion: string): ProjectLock {
    const lockPath = lockPathFor(projectPath);
    const mine = held.get(lockPath);
    if (mine) {
      mine.count++;
      return new ProjectLock(projectPath, mine.token);
    }
    const owner: LockOwner = {
      pid: process.pid,
      host: os.hostname(),
      since: new Date().toISOString(),
      processStart: processStart(process.pid),
      app: `Ocellus ${appVersion}`,
    };
    for (let attempt = 0; attempt < 4; attempt++) {
      if (tryCreate(lockPath, owner)) {
        const token = `${owner.pid}@${owner.host}@${owner.since}`;
        held.set(lockPath, { count: 1, token });
        return new ProjectLock(projectPath, token);
      }
      const current = readOwner(lockPath);
      if (current === 'gone') continue;
      if (current === 'unreadable') {
        if (Date.now() - mtimeMs(lockPath) < FRESH_MS) throw lockedError(projectPath, null);
        takeOver(lockPath, null);
        continue;
      }
      if (current.host !== os.hostname() || isAlive(current)) {
        throw lockedError(projectPath, current);
      }
      takeOver(lockPath, current);
    }
    throw lockedError(projectPath, null);
  }

  /** Gives the project up (the last holder in this process removes the lock file). */
  release(): void {
    if (this.released) return;
    this.released = true;
    const lockPath = lockPathFor(this.projectPath);
    const mine = held.get(lockPath);
    if (!mine || mine.token !== this.token) return;
    if (--mine.count > 0) return;
    held.delete(lockPath);
    const current = readOwner(lockPath);
    // Only our own lock is removed: never one another process took over after a crash.
    if (
      typeof current === 'object' &&
      `${current.pid}@${current.host}@${current.since}` === this.token
    ) {
      fs.rmSync(lockPath, { force: true });
    }
  }
}

function mtimeMs(file: string): number {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}
