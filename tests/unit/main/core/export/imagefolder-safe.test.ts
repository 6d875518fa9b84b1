import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeImageFolder, type LinkMode } from '../../../../../src/main/core/export/imagefolder';
import { PRIVACY_LOG, PrivacyWriter } from '../../../../../src/main/core/export/privacy';
import { dicomBytes, writeBytes } from '../../../../helpers/dicom-fixtures';
import { writeJpeg } from '../../../../helpers/image-fixtures';
import { makeTestService } from '../../../../helpers/service';

function hasMkfifo(): boolean {
  try {
    execFileSync('mkfifo', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// Originals swapped, after indexing, for things the export must never read or link.
describe('ImageFolder export reads originals only through the safe reader', () => {
  let t: ReturnType<typeof makeTestService>;
  let photos: string;
  let projectPath: string;
  const fifo = hasMkfifo() && process.platform !== 'win32';
  beforeEach(async () => {
    t = makeTestService();
    photos = path.join(t.dir, 'photos');
    for (const name of ['ok.jpg', 'zero.jpg', 'pipe.jpg', 'out.jpg']) {
      await writeJpeg(path.join(photos, 'fox', name), { width: 16, height: 16, color: '#c05020' });
    }
    await writeJpeg(path.join(t.dir, 'elsewhere', 'secret.jpg'), { width: 16, height: 16 });
    projectPath = path.join(t.dir, 'p.ocellus');
    await t.service.api.project.create({ path: projectPath, name: 'Safe' });
    await t.service.api.library.addRoot(photos, { labelsFromFolders: true });
    await t.service.whenIdle();
    const swap = (name: string, make: (file: string) => void) => {
      const file = path.join(photos, 'fox', name);
      fs.rmSync(file);
      make(file);
    };
    swap('zero.jpg', (f) => fs.symlinkSync('/dev/zero', f));
    swap('out.jpg', (f) => fs.symlinkSync(path.join(t.dir, 'elsewhere', 'secret.jpg'), f));
    if (fifo) swap('pipe.jpg', (f) => execFileSync('mkfifo', [f]));
  });
  afterEach(async () => {
    await t.cleanup();
  });

  for (const mode of ['copy', 'hardlink'] as LinkMode[]) {
    it(`${mode}: refuses a link to a device, a link out of the root and a FIFO, and carries on`, async () => {
      const db = new Database(projectPath, { readonly: true });
      const out = path.join(t.dir, `if-${mode}`);
      try {
        const r = await writeImageFolder(db, out, { mode });
        const fox = path.join(out, 'all', 'fox');
        const written = fs.readdirSync(fox).sort();
        expect(written).toEqual(fifo ? ['ok.jpg'] : ['ok.jpg', 'pipe.jpg']);
        for (const name of written) expect(fs.lstatSync(path.join(fox, name)).isFile()).toBe(true);
        const reason = (name: string) =>
          r.skipped.find((s) => s.path === path.join(photos, 'fox', name))?.reason;
        expect(reason('zero.jpg')).toMatch(/outside the folder/);
        expect(reason('out.jpg')).toMatch(/outside the folder/);
        if (fifo) expect(reason('pipe.jpg')).toMatch(/FIFO/);
        expect(r.skipped).toHaveLength(fifo ? 3 : 2);
        expect(r.files).toBe(written.length);
      } finally {
        db.close();
      }
    });
  }
});

// The de-identifying writer reads each original through the same reader, with its root: a
// DICOM outside the root is never read (so never de-identified into the export either).
describe('a de-identifying export reads originals only through the safe reader', () => {
  let t: ReturnType<typeof makeTestService>;
  let scans: string;
  let projectPath: string;
  const fifo = hasMkfifo() && process.platform !== 'win32';
  const size = { width: 8, height: 8, channels: 3 as const };
  const scan = (patient: string) =>
    dicomBytes(new Uint8Array(8 * 8 * 3).fill(90), size, {
      PatientID: patient,
      PatientName: `Doe^${patient}`,
    });
  beforeEach(async () => {
    t = makeTestService();
    scans = path.join(t.dir, 'scans');
    for (const name of ['ok.dcm', 'zero.dcm', 'pipe.dcm', 'out.dcm'])
      writeBytes(path.join(scans, 'eye', name), scan('MRN-IN'));
    writeBytes(path.join(t.dir, 'elsewhere', 'secret.dcm'), scan('MRN-SECRET'));
    projectPath = path.join(t.dir, 'p.ocellus');
    await t.service.api.project.create({ path: projectPath, name: 'Clinic' });
    await t.service.api.library.addRoot(scans, { labelsFromFolders: true });
    await t.service.whenIdle();
    const swap = (name: string, make: (file: string) => void) => {
      const file = path.join(scans, 'eye', name);
      fs.rmSync(file);
      make(file);
    };
    swap('zero.dcm', (f) => fs.symlinkSync('/dev/zero', f));
    swap('out.dcm', (f) => fs.symlinkSync(path.join(t.dir, 'elsewhere', 'secret.dcm'), f));
    if (fifo) swap('pipe.dcm', (f) => execFileSync('mkfifo', [f]));
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('refuses a link out of the root, a FIFO and a link to /dev/zero per file, and carries on', async () => {
    const db = new Database(projectPath, { readonly: true });
    const out = path.join(t.dir, 'private');
    try {
      const privacy = new PrivacyWriter({ deidentify: true });
      const r = await writeImageFolder(db, out, { mode: 'copy', privacy });
      const eye = path.join(out, 'all', 'eye');
      const written = fs.readdirSync(eye).sort();
      expect(written).toEqual(fifo ? ['ok.dcm'] : ['ok.dcm', 'pipe.dcm']);
      const reason = (name: string) =>
        r.skipped.find((s) => s.path === path.join(scans, 'eye', name))?.reason;
      expect(reason('zero.dcm')).toMatch(/outside the folder/);
      expect(reason('out.dcm')).toMatch(/outside the folder/);
      if (fifo) expect(reason('pipe.dcm')).toMatch(/FIFO/);
      expect(r.skipped).toHaveLength(fifo ? 3 : 2);
      expect(r.files).toBe(written.length);
      const log = JSON.parse(fs.readFileSync(path.join(out, PRIVACY_LOG), 'utf8')) as {
        files: { file: string }[];
      };
      expect(log.files.map((f) => f.file).sort()).toEqual(written.map((n) => `all/eye/${n}`));
      for (const name of written) {
        const bytes = fs.readFileSync(path.join(eye, name)).toString('latin1');
        expect(bytes).not.toContain('MRN-');
      }
    } finally {
      db.close();
    }
  });
});
