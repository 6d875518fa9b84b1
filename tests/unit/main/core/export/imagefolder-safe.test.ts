import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeImageFolder, type LinkMode } from '../../../../../src/main/core/export/imagefolder';
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
