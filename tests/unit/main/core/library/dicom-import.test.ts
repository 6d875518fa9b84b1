import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheDirFor } from '../../../../../src/main/core/library/derivative-paths';
import {
  DEFAULT_INPUT_GEOMETRY,
  modelInputPath,
  networkPixels,
  readCachedInput,
} from '../../../../../src/main/core/library/model-input';
import { collectTrainingSet } from '../../../../../src/main/core/train/dataset';
import { splitTrainValidation } from '../../../../../src/main/core/train/split';
import {
  dicomBytes,
  PYDICOM_DIR,
  SYNTAX,
  transcode,
  writeBytes,
} from '../../../../helpers/dicom-fixtures';
import { makeTestService } from '../../../../helpers/service';

/** A 24×16 fundus-like picture: a disc whose colour says the class, varied by patient. */
function picture(sick: boolean, patient: number): Uint8Array {
  const [w, h] = [24, 16];
  const px = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const inside = (x - 12) ** 2 + (y - 8) ** 2 < 36;
      const i = (y * w + x) * 3;
      px[i] = inside ? (sick ? 240 : 120) : 20 + patient * 5;
      px[i + 1] = inside ? 60 : 10;
      px[i + 2] = inside ? (sick ? 30 : 160) : 10;
    }
  }
  return px;
}

describe('a folder of DICOM files imported as images', () => {
  let t: ReturnType<typeof makeTestService>;
  let projectPath: string;
  let photos: string;
  const syntaxes = [SYNTAX.explicitLE, SYNTAX.rle, SYNTAX.jpegLossless, SYNTAX.j2kLossless];

  beforeAll(async () => {
    t = makeTestService();
    photos = path.join(t.dir, 'dicom');
    // 6 patients × 2 eyes; each file in another transfer syntax; half without an extension.
    for (let p = 0; p < 6; p++) {
      for (const eye of ['L', 'R']) {
        const sick = (p + (eye === 'L' ? 0 : 1)) % 2 === 0;
        const plain = dicomBytes(
          picture(sick, p),
          { width: 24, height: 16, channels: 3 },
          {
            PatientID: `PAT-${p}`,
            PatientName: `Doe^Jane${p}`,
            Laterality: eye,
            StudyDate: '20250102',
            Manufacturer: 'Acme Fundus',
          },
        );
        const bytes = await transcode(plain, syntaxes[(p * 2 + eye.length) % syntaxes.length]!);
        const name = p % 2 === 0 ? `IM${p}${eye}` : `p${p}-${eye}.dcm`;
        writeBytes(path.join(photos, sick ? 'sick' : 'healthy', name), bytes);
      }
    }
    fs.writeFileSync(path.join(photos, 'README'), 'not an image\n');
    fs.copyFileSync(path.join(PYDICOM_DIR, 'rtplan.dcm'), path.join(photos, 'rtplan.dcm'));
    projectPath = path.join(t.dir, 'p.ocellus');
    await t.service.api.project.create({ path: projectPath });
    await t.service.api.library.addRoot(photos, { labelsFromFolders: true });
    await t.service.whenIdle();
  }, 60_000);
  afterAll(async () => {
    await t.cleanup();
  });

  it('lists every DICOM (with or without .dcm) as an image, an RT plan as unsupported, and skips other files', async () => {
    const page = await t.service.api.library.listImages({ sort: 'path', limit: 100 });
    const byPath = new Map(page.items.map((im) => [im.relPath, im]));
    expect(page.total).toBe(13);
    expect(byPath.has('README')).toBe(false);
    expect(byPath.get('rtplan.dcm')).toMatchObject({
      status: 'unsupported',
      error: expect.stringMatching(/RTPLAN object without pixel data/),
    });
    const images = page.items.filter((im) => im.relPath !== 'rtplan.dcm');
    for (const im of images) {
      expect(im, im.relPath).toMatchObject({ status: 'ok', width: 24, height: 16 });
      expect(im.thumbVersion, im.relPath).not.toBeNull();
      expect(im.classIds).toHaveLength(1);
    }
  });

  it('caches exactly the pixels the shared pipeline gives from each DICOM', async () => {
    const page = await t.service.api.library.listImages({ sort: 'path', limit: 100 });
    const cacheDir = cacheDirFor(projectPath);
    for (const im of page.items.filter((i) => i.status === 'ok')) {
      const detail = await t.service.api.library.image(im.id);
      const file = modelInputPath(cacheDir, detail.hash ?? '', DEFAULT_INPUT_GEOMETRY);
      const cached = await readCachedInput(file, DEFAULT_INPUT_GEOMETRY);
      expect(cached, im.relPath).not.toBeNull();
      const fresh = await networkPixels(detail.absPath, DEFAULT_INPUT_GEOMETRY);
      expect(cached?.equals(fresh), im.relPath).toBe(true);
    }
  });

  it('reads patient, eye, study and device into metadata, so a split by patient needs no CSV', async () => {
    const keys = await t.service.api.library.metadataKeys();
    const count = (key: string): unknown => keys.find((k) => k.key === key);
    expect(count('PatientID')).toEqual({ key: 'PatientID', images: 12, values: 6 });
    expect(count('Laterality')).toEqual({ key: 'Laterality', images: 12, values: 2 });
    expect(count('StudyDate')).toMatchObject({ images: 12, values: 1 });
    expect(count('Manufacturer')).toMatchObject({ images: 12, values: 1 });
    expect(count('StudyInstanceUID')).toMatchObject({ images: 12, values: 12 });
    expect(keys.some((k) => k.key === 'PatientName')).toBe(false);
    const db = new Database(projectPath, { readonly: true });
    try {
      const set = collectTrainingSet(db, 'meta:PatientID');
      const patientOf = new Map(set.images.map((im) => [im.id, im.group]));
      for (const seed of [1, 2, 3]) {
        const split = splitTrainValidation(set.images, 0.34, seed, set.classes.length);
        expect(split.validation.length).toBeGreaterThan(0);
        const trainGroups = new Set(split.train.map((id) => patientOf.get(id)));
        for (const id of split.validation) expect(trainGroups.has(patientOf.get(id))).toBe(false);
      }
    } finally {
      db.close();
    }
  });
});
