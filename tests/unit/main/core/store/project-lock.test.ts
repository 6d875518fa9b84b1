/**
 * One owner process per project, stale locks taken over, and read-only opening (while
 * another process owns the project, and on read-only media) for reading commands.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lockPathFor } from '../../../../../src/main/core/store/project-lock';
import { jobFinished, makeTestService } from '../../../../helpers/service';
import { writeJpeg } from '../../../../helpers/image-fixtures';

/** Start time of a process as /proc counts it (what the lock records on Linux). */
function procStart(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function writeLock(project: string, pid: number, processStart: string | null): void {
  fs.writeFileSync(
    lockPathFor(project),
    JSON.stringify({
      pid,
      host: os.hostname(),
      since: '2026-01-01T00:00:00.000Z',
      processStart,
      app: 'Ocellus test',
    }),
  );
}

function canMountTmpfs(): boolean {
  if (process.platform !== 'linux') return false;
  const probe = fs.mkdtempSync('/tmp/ocellus-mount-probe-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
}

describe('project ownership', () => {
  let t: ReturnType<typeof makeTestService>;
  let project: string;
  let photos: string;
  const children: ChildProcess[] = [];

  /** A live process that is not this one, standing in for another Ocellus window. */
  async function otherProcess(): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
      stdio: 'ignore',
    });
    children.push(child);
    await new Promise((resolve) => child.once('spawn', resolve));
    return child;
  }

  beforeEach(async () => {
    t = makeTestService('cli');
    project = path.join(t.dir, 'p.ocellus');
    photos = path.join(t.dir, 'photos');
    await writeJpeg(path.join(photos, 'cat', 'a.jpg'), { width: 16, height: 16 });
    await t.service.api.project.create({ path: project });
    await t.service.api.library.addRoot(photos, { labelsFromFolders: true });
    await t.service.whenIdle();
    await t.service.api.project.close();
  });
  afterEach(async () => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
    await t.cleanup();
  });

  it('holds a lock with its pid while open and removes it on close', async () => {
    await t.service.api.project.open(project);
    const lock = JSON.parse(fs.readFileSync(lockPathFor(project), 'utf8')) as { pid: number };
    expect(lock.pid).toBe(process.pid);
    await t.service.api.project.close();
    expect(fs.existsSync(lockPathFor(project))).toBe(false);
  });

  it('locks the file a link points at, so a link cannot open a project a second time', async () => {
    const link = path.join(path.dirname(project), 'link.ocellus');
    fs.symlinkSync(project, link);
    const other = await otherProcess();
    writeLock(project, other.pid as number, procStart(other.pid as number));
    await expect(t.service.api.project.open(link)).rejects.toMatchObject({
      code: 'PROJECT_LOCKED',
    });
    expect(fs.existsSync(lockPathFor(link))).toBe(false);
  });

  it('refuses a project another live process owns, and still lets it be read', async () => {
    const other = await otherProcess();
    writeLock(project, other.pid as number, procStart(other.pid as number));
    await expect(t.service.api.project.open(project)).rejects.toMatchObject({
      code: 'PROJECT_LOCKED',
      message: expect.stringMatching(
        new RegExp(`open in another Ocellus window \\(process ${other.pid},`),
      ),
    });
    const summary = await t.service.api.project.open(project, { readOnly: true });
    expect(summary.readOnly).toBe(true);
    expect((await t.service.api.project.status()).classes).toEqual([{ name: 'cat', count: 1 }]);
    await expect(t.service.api.labels.addClass('dog')).rejects.toMatchObject({
      code: 'READ_ONLY',
    });
    await t.service.api.project.close();
    // The owner's lock is untouched by the reader.
    expect(JSON.parse(fs.readFileSync(lockPathFor(project), 'utf8'))).toMatchObject({
      pid: other.pid,
    });
  });

  it('takes over the lock of a process that is gone, or whose pid now names another', async () => {
    const gone = await otherProcess();
    const pid = gone.pid as number;
    const exited = new Promise((resolve) => gone.once('exit', resolve));
    gone.kill('SIGKILL');
    await exited;
    writeLock(project, pid, procStart(pid));
    await t.service.api.project.open(project);
    expect(JSON.parse(fs.readFileSync(lockPathFor(project), 'utf8')).pid).toBe(process.pid);
    await t.service.api.project.close();

    if (process.platform === 'linux') {
      const reused = await otherProcess();
      writeLock(project, reused.pid as number, 'not-its-start-time');
      await t.service.api.project.open(project);
      await t.service.api.project.close();
    }
  });

  it('treats a damaged lock as being written when fresh and as stale when old', async () => {
    fs.writeFileSync(lockPathFor(project), '');
    await expect(t.service.api.project.open(project)).rejects.toMatchObject({
      code: 'PROJECT_LOCKED',
    });
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(lockPathFor(project), old, old);
    await t.service.api.project.open(project);
    await t.service.api.project.close();
  });

  it('treats a FIFO at the lock name as a damaged lock instead of blocking on it', async () => {
    execFileSync('mkfifo', [lockPathFor(project)]);
    await expect(t.service.api.project.open(project)).rejects.toMatchObject({
      code: 'PROJECT_LOCKED',
    });
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(lockPathFor(project), old, old);
    await t.service.api.project.open(project);
    await t.service.api.project.close();
  });

  it('shares the lock between two services of one process', async () => {
    const again = makeTestService('cli');
    try {
      await t.service.api.project.open(project);
      await again.service.api.project.open(project);
      await t.service.api.project.close();
      expect(fs.existsSync(lockPathFor(project))).toBe(true);
      await again.service.api.project.close();
      expect(fs.existsSync(lockPathFor(project))).toBe(false);
    } finally {
      await again.cleanup();
    }
  });
});

describe.skipIf(!canMountTmpfs())('a project on read-only media', () => {
  let t: ReturnType<typeof makeTestService>;
  let media: string;

  beforeEach(() => {
    t = makeTestService('cli');
    media = path.join(t.dir, 'card');
    fs.mkdirSync(media);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', media]);
  });
  afterEach(async () => {
    await t.cleanup().catch(() => undefined);
    execFileSync('umount', ['-l', media]);
  });

  async function makeProject(): Promise<string> {
    const project = path.join(media, 'p.ocellus');
    const photos = path.join(media, 'photos');
    await writeJpeg(path.join(photos, 'cat', 'a.jpg'), { width: 16, height: 16 });
    await writeJpeg(path.join(photos, 'dog', 'b.jpg'), { width: 16, height: 16, color: '#00aa00' });
    await t.service.api.project.create({ path: project });
    await t.service.api.library.addRoot(photos, { labelsFromFolders: true });
    await t.service.whenIdle();
    await t.service.api.project.close();
    return project;
  }

  /** The class names of a project read after the media is made read-only. */
  async function classesReadOnly(project: string): Promise<string[]> {
    execFileSync('mount', ['-o', 'remount,ro', media]);
    await t.service.api.project.open(project, { readOnly: true });
    return (await t.service.api.project.status()).classes.map((c) => c.name);
  }

  it('can be read and exported, not opened to write', async () => {
    const project = await makeProject();
    execFileSync('mount', ['-o', 'remount,ro', media]);
    await expect(t.service.api.project.open(project)).rejects.toMatchObject({
      code: 'READ_ONLY',
    });
    await t.service.api.project.open(project, { readOnly: true });
    expect((await t.service.api.project.status()).images.ok).toBe(2);
    const out = path.join(t.dir, 'export');
    const job = await t.service.api.export.dataset({ format: 'csv', out });
    expect(await jobFinished(t.service, job)).toMatchObject({ state: 'done' });
    expect(fs.readFileSync(path.join(out, 'labels.csv'), 'utf8')).toContain(',cat,human,');
    expect(await t.service.api.export.history()).toEqual([]);
  });

  it('reads a file left in WAL mode (no -shm can be made there) from a copy in memory', async () => {
    const project = await makeProject();
    const db = new Database(project);
    db.pragma('journal_mode = WAL');
    db.close();
    expect(await classesReadOnly(project)).toEqual(['cat', 'dog']);
  });

  it('shows what a writer committed to the -wal and never checkpointed into the file', async () => {
    const project = await makeProject();
    const left = path.join(media, 'left.ocellus');
    const db = new Database(project);
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    db.prepare("UPDATE classes SET name = 'kitten' WHERE name = 'cat'").run();
    // Copied while the writer is open: a file and a -wal as a crash or a pulled card leaves.
    fs.copyFileSync(project, left);
    fs.copyFileSync(`${project}-wal`, `${left}-wal`);
    db.close();
    expect(await classesReadOnly(left)).toEqual(['kitten', 'dog']);
    // Nothing was written beside it.
    expect(fs.readdirSync(media).filter((f) => f.startsWith('left'))).toEqual([
      'left.ocellus',
      'left.ocellus-wal',
    ]);
  });
});
