import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheDirFor } from '../../../../../src/main/core/library/derivative-paths';
import {
  DEFAULT_INPUT_GEOMETRY,
  modelInputPath,
  networkPixels,
  readCachedInput,
} from '../../../../../src/main/core/library/model-input';
import {
  decodeDicom,
  EXPLICIT_LE,
  readDicomFacts,
} from '../../../../../src/main/core/library/dicom';
import { singleFrameDicom } from '../../../../../src/main/core/library/dicom-frame';
import Database from 'better-sqlite3';
import { collectTrainingSet } from '../../../../../src/main/core/train/dataset';
import type { ImageTile } from '../../../../../src/shared/types';
import {
  dicomBytes,
  PYDICOM_DIR,
  transcode,
  SYNTAX,
  writeBytes,
} from '../../../../helpers/dicom-fixtures';
import { jobFinished, makeTestService } from '../../../../helpers/service';

const [W, H] = [16, 12];
const COLOURS: [number, number, number][] = [
  [200, 30, 30],
  [30, 200, 30],
  [30, 30, 200],
];

/** One frame: a solid colour, so every frame's pixels are known and tell the frames apart. */
function solid([r, g, b]: [number, number, number]): Uint8Array {
  const px = new Uint8Array(W * H * 3);
  for (let i = 0; i < px.length; i += 3) px.set([r, g, b], i);
  return px;
}

function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

describe('a multi-frame DICOM is one item per frame', () => {
  let t: ReturnType<typeof makeTestService>;
  let projectPath: string;
  let photos: string;
  let cine: string;
  const list = async (): Promise<ImageTile[]> =>
    (await t.service.api.library.listImages({ sort: 'path', limit: 100 })).items;

  beforeAll(async () => {
    t = makeTestService();
    photos = path.join(t.dir, 'photos');
    const size = { width: W, height: H, channels: 3 } as const;
    cine = writeBytes(
      path.join(photos, 'sick', 'cine.dcm'),
      dicomBytes(COLOURS.map(solid), size, { PatientID: 'PAT-1', Laterality: 'L' }),
    );
    // The same three frames run-length encoded, without an extension.
    writeBytes(
      path.join(photos, 'sick', 'CINE2'),
      await transcode(dicomBytes(COLOURS.map(solid), size, { PatientID: 'PAT-2' }), SYNTAX.rle),
    );
    writeBytes(path.join(photos, 'healthy', 'one.dcm'), dicomBytes(solid([90, 90, 90]), size));
    await sharp(Buffer.from(solid([10, 120, 220])), { raw: { width: W, height: H, channels: 3 } })
      .png()
      .toFile(path.join(photos, 'healthy', 'plain.png'));
    fs.copyFileSync(
      path.join(PYDICOM_DIR, 'SC_rgb_rle_2frame.dcm'),
      path.join(photos, 'healthy', 'pydicom-2frame.dcm'),
    );
    projectPath = path.join(t.dir, 'p.ocellus');
    await t.service.api.project.create({ path: projectPath });
    await t.service.api.library.addRoot(photos, { labelsFromFolders: true });
    await t.service.whenIdle();
  }, 60_000);
  afterAll(async () => {
    await t.cleanup();
  });

  it('lists each frame as its own readable, labelled image, and plain files as before', async () => {
    const items = await list();
    const shown = items.map((im) => [im.relPath, im.frame ?? null, im.frames ?? null, im.status]);
    expect(shown).toEqual([
      ['healthy/one.dcm', null, null, 'ok'],
      ['healthy/plain.png', null, null, 'ok'],
      ['healthy/pydicom-2frame.dcm', 0, 2, 'ok'],
      ['healthy/pydicom-2frame.dcm', 1, 2, 'ok'],
      ['sick/CINE2', 0, 3, 'ok'],
      ['sick/CINE2', 1, 3, 'ok'],
      ['sick/CINE2', 2, 3, 'ok'],
      ['sick/cine.dcm', 0, 3, 'ok'],
      ['sick/cine.dcm', 1, 3, 'ok'],
      ['sick/cine.dcm', 2, 3, 'ok'],
    ]);
    for (const im of items) {
      expect(im.classIds, im.relPath).toHaveLength(1);
      expect(im.thumbVersion, im.relPath).not.toBeNull();
    }
    const keys = await t.service.api.library.metadataKeys();
    expect(keys.find((k) => k.key === 'PatientID')).toMatchObject({ images: 8, values: 3 });
  });

  it('keeps the frames of one file on one side of any split', async () => {
    const db = new Database(projectPath, { readonly: true });
    try {
      for (const by of ['none', 'sequence', 'meta:Laterality'] as const) {
        const set = collectTrainingSet(db, by);
        const items = await list();
        const fileOf = new Map(items.map((im) => [im.id, im.relPath]));
        const groups = new Map<string, Set<string>>();
        for (const im of set.images) {
          const file = fileOf.get(im.id) ?? '';
          groups.set(file, (groups.get(file) ?? new Set()).add(im.group));
        }
        for (const [file, g] of groups) expect(g.size, `${by}: ${file}`).toBe(1);
        expect(groups.get('sick/cine.dcm')?.size, by).toBe(1);
      }
    } finally {
      db.close();
    }
  });

  it('gives each frame its own content key and caches exactly that frame’s pixels', async () => {
    const fileHash = sha256(cine);
    const frames = (await list()).filter((im) => im.relPath === 'sick/cine.dcm');
    const cacheDir = cacheDirFor(projectPath);
    for (const im of frames) {
      const k = im.frame ?? 0;
      const detail = await t.service.api.library.image(im.id);
      expect(detail.hash).toBe(k === 0 ? fileHash : `${fileHash}-f${k}`);
      const cached = await readCachedInput(
        modelInputPath(cacheDir, detail.hash ?? '', DEFAULT_INPUT_GEOMETRY),
        DEFAULT_INPUT_GEOMETRY,
      );
      const fresh = await networkPixels(cine, DEFAULT_INPUT_GEOMETRY, k);
      expect(cached?.equals(fresh), `frame ${k}`).toBe(true);
      // Any pixel says which frame it is: the frames are solid colours.
      expect([...fresh.subarray(0, 3)]).toEqual(COLOURS[k]);
    }
    // The RLE copy decodes to the same pixels, frame by frame.
    const rle = path.join(photos, 'sick', 'CINE2');
    for (const k of [0, 1, 2]) {
      const a = await networkPixels(rle, DEFAULT_INPUT_GEOMETRY, k);
      expect(a.equals(await networkPixels(cine, DEFAULT_INPUT_GEOMETRY, k))).toBe(true);
    }
  });

  it('writes one frame as a DICOM file of its own with that frame’s pixels', async () => {
    for (const name of ['sick/cine.dcm', 'sick/CINE2', 'healthy/pydicom-2frame.dcm']) {
      const bytes = fs.readFileSync(path.join(photos, ...name.split('/')));
      const frames = name.includes('2frame') ? 2 : 3;
      for (let k = 0; k < frames; k++) {
        const single = await singleFrameDicom(bytes, k);
        const facts = readDicomFacts(single);
        expect(facts, name).toMatchObject({ frames: 1, transferSyntax: EXPLICIT_LE });
        const [a, b] = [await decodeDicom(single), await decodeDicom(bytes, k)];
        expect(a.rgba.equals(b.rgba), `${name} frame ${k}`).toBe(true);
      }
      await expect(singleFrameDicom(bytes, frames)).rejects.toThrow(/no frame/);
    }
  });

  it('exports each labelled frame as a file of its own, plain or de-identified', async () => {
    for (const privacy of [undefined, { deidentify: true, pseudonymiseNames: false }]) {
      const out = path.join(t.dir, privacy ? 'export-private' : 'export-plain');
      const job = await t.service.api.export.dataset({ format: 'imagefolder', out, privacy });
      expect((await jobFinished(t.service, job)).error).toBeNull();
      const sick = fs.readdirSync(path.join(out, 'all', 'sick')).sort();
      expect(sick).toEqual([
        'CINE2-frame1',
        'CINE2-frame2',
        'CINE2-frame3',
        'cine-frame1.dcm',
        'cine-frame2.dcm',
        'cine-frame3.dcm',
      ]);
      const patients = new Set<string | undefined>();
      for (const k of [0, 1, 2]) {
        const file = fs.readFileSync(path.join(out, 'all', 'sick', `cine-frame${k + 1}.dcm`));
        expect(readDicomFacts(file).frames).toBe(1);
        const patient = readDicomFacts(file).meta['PatientID'];
        expect(patient).toMatch(privacy ? /^ANON-\d{4}$/ : /^PAT-1$/);
        patients.add(patient);
        const decoded = await decodeDicom(file);
        expect([...decoded.rgba.subarray(0, 3)]).toEqual(COLOURS[k]);
      }
      // One patient, one pseudonym: the frames stay together under any split of the export.
      expect(patients.size).toBe(1);
    }
  });

  it('follows the file: fewer frames after a change, none once it is gone', async () => {
    const two = dicomBytes(COLOURS.slice(0, 2).map(solid), { width: W, height: H, channels: 3 });
    fs.writeFileSync(cine, Buffer.from(two));
    // A new size and time, so the rescan sees a changed file.
    fs.utimesSync(cine, new Date(), new Date(Date.now() + 5000));
    await t.service.api.library.rescan();
    await t.service.whenIdle();
    let frames = (await list()).filter((im) => im.relPath === 'sick/cine.dcm');
    expect(frames.map((im) => [im.frame, im.frames])).toEqual([
      [0, 2],
      [1, 2],
    ]);
    const fileHash = sha256(cine);
    const second = await t.service.api.library.image(frames[1]!.id);
    expect(second.hash).toBe(`${fileHash}-f1`);

    fs.rmSync(cine);
    await t.service.api.library.rescan();
    await t.service.whenIdle();
    frames = (await list()).filter((im) => im.relPath === 'sick/cine.dcm');
    expect(frames).toEqual([]);
    expect((await list()).filter((im) => im.relPath === 'sick/CINE2')).toHaveLength(3);
  });
});
