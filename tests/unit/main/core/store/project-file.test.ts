/**
 * The in-memory copy of a read-only project comes from the very file whose header was
 * checked: a file swapped in between the check and the copy is refused, never read.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OcellusError } from '../../../../../src/shared/errors';
import {
  confirmSameProject,
  inspectProjectFile,
  readCheckedProject,
} from '../../../../../src/main/core/store/project-file';
import { ProjectStore } from '../../../../../src/main/core/store/project-store';
import { makeTmpDir } from '../../../../helpers/tmp-dir';

const appVersion = '9.9.9-test';

function makeProject(file: string, name: string): void {
  ProjectStore.create(file, { name, appVersion }).close();
}

function refusal(fn: () => unknown): { code: string; message: string } | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof OcellusError) return { code: err.code, message: err.message };
    throw err;
  }
  return undefined;
}

describe('readCheckedProject', () => {
  let tmp: ReturnType<typeof makeTmpDir>;
  let project: string;
  beforeEach(() => {
    tmp = makeTmpDir();
    project = path.join(tmp.dir, 'p.ocellus');
    makeProject(project, 'checked');
  });
  afterEach(() => tmp.cleanup());

  it('copies the checked file, also when it was opened through a link', () => {
    const link = path.join(tmp.dir, 'link.ocellus');
    fs.symlinkSync(project, link);
    const header = inspectProjectFile(link);
    expect(readCheckedProject(link, header).equals(fs.readFileSync(project))).toBe(true);
  });

  it('refuses another project renamed over the checked one', () => {
    const header = inspectProjectFile(project);
    const other = path.join(tmp.dir, 'other.ocellus');
    makeProject(other, 'swapped in');
    fs.renameSync(other, project);
    expect(refusal(() => readCheckedProject(project, header))).toMatchObject({
      code: 'IO_ERROR',
      message: expect.stringContaining('was replaced while it was being opened'),
    });
  });

  it('refuses a link swapped in for the checked file', () => {
    const header = inspectProjectFile(project);
    const elsewhere = path.join(tmp.dir, 'elsewhere.ocellus');
    fs.renameSync(project, elsewhere);
    fs.symlinkSync(elsewhere, project);
    expect(refusal(() => readCheckedProject(project, header))?.code).toBe('IO_ERROR');
  });

  it.skipIf(process.platform === 'win32')(
    'refuses a FIFO swapped in, without waiting for a writer',
    () => {
      const header = inspectProjectFile(project);
      fs.rmSync(project);
      execFileSync('mkfifo', [project]);
      expect(refusal(() => readCheckedProject(project, header))).toMatchObject({
        code: 'NOT_A_PROJECT',
        message: expect.stringContaining('a FIFO'),
      });
    },
  );

  it('refuses the same file rewritten in place with something that is not a project', () => {
    const header = inspectProjectFile(project);
    const fd = fs.openSync(project, 'r+');
    fs.writeSync(fd, Buffer.from('not a database at all, just text\n'), 0, undefined, 0);
    fs.closeSync(fd);
    expect(refusal(() => readCheckedProject(project, header))?.code).toBe('IO_ERROR');
  });
});

describe('confirmSameProject', () => {
  let tmp: ReturnType<typeof makeTmpDir>;
  beforeEach(() => (tmp = makeTmpDir()));
  afterEach(() => tmp.cleanup());

  it('passes the checked project and refuses whatever SQLite opened in its place', () => {
    const project = path.join(tmp.dir, 'p.ocellus');
    makeProject(project, 'checked');
    const header = inspectProjectFile(project);
    const same = new Database(project, { readonly: true });
    expect(refusal(() => confirmSameProject(same, project, header))).toBeUndefined();
    same.close();

    // Swapped for another SQLite database before the open: refused, and left as it was.
    const foreign = path.join(tmp.dir, 'foreign.db');
    const other = new Database(foreign);
    other.exec('CREATE TABLE notes (text TEXT)');
    other.close();
    const before = fs.readFileSync(foreign);
    const opened = new Database(foreign);
    expect(refusal(() => confirmSameProject(opened, project, header))?.code).toBe('IO_ERROR');
    opened.close();
    expect(fs.readFileSync(foreign).equals(before)).toBe(true);

    // Swapped for a file that is not a database at all.
    const text = path.join(tmp.dir, 'text.ocellus');
    fs.writeFileSync(text, 'hello, this is not SQLite, but long enough to look at\n'.repeat(4));
    const notDb = new Database(text);
    expect(refusal(() => confirmSameProject(notDb, project, header))?.code).toBe('IO_ERROR');
    notDb.close();
  });
});
