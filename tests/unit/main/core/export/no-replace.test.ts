import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLabelsCsv } from '../../../../../src/main/core/export/csv';
import { writeManifest } from '../../../../../src/main/core/export/manifest';
import { zipFolder } from '../../../../../src/main/core/export/zip';
import { writeJpeg } from '../../../../helpers/image-fixtures';
import { jobFinished, makeTestService } from '../../../../helpers/service';

// Every file an export writes is new: an existing one (or a link planted at the file's name
// or at its temporary name) is refused and left exactly as it was.
describe('exports never replace a file', () => {
  let t: ReturnType<typeof makeTestService>;
  let photos: string;
  let projectPath: string;
  let victim: string;
  const precious = 'root:x:0:0:root:/root:/bin/bash\n';
  beforeAll(async () => {
    t = makeTestService();
    photos = path.join(t.dir, 'photos');
    await writeJpeg(path.join(photos, 'fox', 'a.jpg'), { width: 16, height: 16 });
    projectPath = path.join(t.dir, 'p.ocellus');
    await t.service.api.project.create({ path: projectPath });
    await t.service.api.library.addRoot(photos, { labelsFromFolders: true });
    await t.service.whenIdle();
    victim = path.join(t.dir, 'passwd');
    fs.writeFileSync(victim, precious);
  }, 60_000);
  afterAll(async () => {
    await t.cleanup();
  });

  it('refuses an existing labels.csv with ALREADY_EXISTS, leaving it byte-identical', async () => {
    const out = path.join(t.dir, 'csv-existing');
    fs.mkdirSync(out);
    const bytes = Buffer.from('path,label\r\nmine.jpg,heron\r\n\u00e9\u0000');
    fs.writeFileSync(path.join(out, 'labels.csv'), bytes);
    const call = t.service.api.export.dataset({ format: 'csv', out });
    await expect(call).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await expect(call).rejects.toThrow(/labels\.csv already exists .*move it away/);
    expect(fs.readFileSync(path.join(out, 'labels.csv')).equals(bytes)).toBe(true);
    expect(fs.readdirSync(out)).toEqual(['labels.csv']);
  });

  it('does not write through links at labels.csv or labels.csv.partial', () => {
    const db = new Database(projectPath, { readonly: true });
    try {
      for (const name of ['labels.csv', 'labels.csv.partial']) {
        const out = path.join(t.dir, `csv-link-${name}`);
        fs.mkdirSync(out);
        fs.symlinkSync(victim, path.join(out, name));
        expect(() => writeLabelsCsv(db, out)).toThrow(
          expect.objectContaining({ code: 'ALREADY_EXISTS' }),
        );
        expect(fs.readFileSync(victim, 'utf8')).toBe(precious);
        expect(fs.readdirSync(out)).toEqual([name]);
        expect(fs.lstatSync(path.join(out, name)).isSymbolicLink()).toBe(true);
      }
    } finally {
      db.close();
    }
  });

  it('writes labels.csv into a folder that has none, leaving no temporary file', async () => {
    const out = path.join(t.dir, 'csv-fresh');
    const job = await jobFinished(
      t.service,
      await t.service.api.export.dataset({ format: 'csv', out }),
    );
    expect(job.state).toBe('done');
    expect(fs.readdirSync(out)).toEqual(['labels.csv']);
    expect(fs.readFileSync(path.join(out, 'labels.csv'), 'utf8')).toMatch(/fox/);
  });

  it('refuses an existing zip and a link at its temporary name', () => {
    const dir = path.join(t.dir, 'to-zip');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'x.txt'), 'x');
    const zip = path.join(t.dir, 'existing.zip');
    fs.writeFileSync(zip, 'old zip');
    expect(() => zipFolder(dir, zip)).toThrow(expect.objectContaining({ code: 'ALREADY_EXISTS' }));
    expect(fs.readFileSync(zip, 'utf8')).toBe('old zip');
    const linked = path.join(t.dir, 'linked.zip');
    fs.symlinkSync(victim, `${linked}.partial`);
    expect(() => zipFolder(dir, linked)).toThrow(
      expect.objectContaining({ code: 'ALREADY_EXISTS' }),
    );
    expect(fs.readFileSync(victim, 'utf8')).toBe(precious);
    expect(fs.existsSync(linked)).toBe(false);
  });

  it('refuses to zip a folder holding a link, writing no zip', () => {
    const dir = path.join(t.dir, 'to-zip-linked');
    fs.mkdirSync(dir);
    fs.symlinkSync(victim, path.join(dir, 'x.txt'));
    const zip = path.join(t.dir, 'linked-content.zip');
    expect(() => zipFolder(dir, zip)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
    expect(fs.existsSync(zip)).toBe(false);
    expect(fs.existsSync(`${zip}.partial`)).toBe(false);
  });

  it('refuses an existing manifest file and writes a new one', async () => {
    const file = path.join(t.dir, 'manifest-existing.txt');
    fs.symlinkSync(victim, file);
    await expect(writeManifest(photos, file)).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    expect(fs.readFileSync(victim, 'utf8')).toBe(precious);
    const fresh = path.join(t.dir, 'manifest-new.txt');
    expect(await writeManifest(photos, fresh)).toBe(1);
    expect(fs.readFileSync(fresh, 'utf8')).toBe(`${path.join(photos, 'fox', 'a.jpg')}\n`);
  });
});
