import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCsv } from '../../../../../src/main/core/library/image-metadata';
import { collectTrainingSet } from '../../../../../src/main/core/train/dataset';
import { splitTrainValidation } from '../../../../../src/main/core/train/split';
import { writePng } from '../../../../helpers/image-fixtures';
import { makeTestService } from '../../../../helpers/service';

describe('image metadata and grouping a split by it', () => {
  let t: ReturnType<typeof makeTestService>;
  let photos: string;
  let projectPath: string;
  beforeEach(async () => {
    t = makeTestService();
    photos = path.join(t.dir, 'photos');
    // 8 patients × 2 eyes × 2 visits; the class is arbitrary per image.
    const lines = ['path,patient,eye'];
    for (let p = 0; p < 8; p++) {
      for (const eye of ['L', 'R']) {
        for (let v = 0; v < 2; v++) {
          const cls = (p + v) % 2 === 0 ? 'healthy' : 'sick';
          const rel = `${cls}/p${p}-${eye}-${v}.png`;
          await writePng(path.join(photos, rel), {
            width: 8,
            height: 8,
            color: { r: p * 30, g: v * 100, b: eye === 'L' ? 0 : 200 },
          });
          lines.push(
            v === 0 ? `${rel},P${p},${eye}` : `"${path.join(photos, rel)}","P${p}",${eye}`,
          );
        }
      }
    }
    lines.push('missing/none.png,P9,L');
    fs.writeFileSync(path.join(t.dir, 'meta.csv'), `${lines.join('\r\n')}\r\n`);
    projectPath = path.join(t.dir, 'p.ocellus');
    await t.service.api.project.create({ path: projectPath });
    await t.service.api.library.addRoot(photos, { labelsFromFolders: true });
    await t.service.whenIdle();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('parses quoted CSV fields', () => {
    expect(parseCsv('a,"b,""c"""\r\n\r\nd,e')).toEqual([
      ['a', 'b,"c"'],
      ['d', 'e'],
    ]);
  });

  it('imports a CSV by relative or absolute path, lists keys, and keeps each patient on one side', async () => {
    const result = await t.service.api.library.importMetadata(path.join(t.dir, 'meta.csv'));
    expect(result).toMatchObject({
      matched: 32,
      unmatched: 1,
      unmatchedSample: ['missing/none.png'],
      keys: ['patient', 'eye'],
    });
    expect(await t.service.api.library.metadataKeys()).toEqual([
      { key: 'eye', images: 32, values: 2 },
      { key: 'patient', images: 32, values: 8 },
    ]);
    const db = new Database(projectPath, { readonly: true });
    try {
      const set = collectTrainingSet(db, 'meta:patient');
      const patientOf = new Map(set.images.map((im) => [im.id, im.group]));
      expect(new Set(patientOf.values()).size).toBe(8);
      for (const seed of [1, 2, 3, 4]) {
        const split = splitTrainValidation(set.images, 0.25, seed, set.classes.length);
        expect(split.validation.length).toBeGreaterThan(0);
        const trainGroups = new Set(split.train.map((id) => patientOf.get(id)));
        for (const id of split.validation) expect(trainGroups.has(patientOf.get(id))).toBe(false);
      }
    } finally {
      db.close();
    }
    await expect(
      t.service.api.library.importMetadata(path.join(t.dir, 'nope.csv')),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    fs.writeFileSync(path.join(t.dir, 'bad.csv'), 'patient,eye\nP1,L\n');
    await expect(
      t.service.api.library.importMetadata(path.join(t.dir, 'bad.csv')),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
