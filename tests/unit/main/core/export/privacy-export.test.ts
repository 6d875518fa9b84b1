import fs from 'node:fs';
import path from 'node:path';
import dcmjs from 'dcmjs';
import exifr from 'exifr';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stripJpeg, stripPng } from '../../../../../src/main/core/export/strip-metadata';
import { dicomBytes, writeBytes } from '../../../../helpers/dicom-fixtures';
import { jobFinished, makeTestService } from '../../../../helpers/service';

const { DicomMessage, DicomMetaDictionary } = dcmjs.data;

function dataset(file: string): Record<string, unknown> {
  const b = fs.readFileSync(file);
  const ab = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  return DicomMetaDictionary.naturalizeDataset(DicomMessage.readFile(ab).dict);
}

function listFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

/**
 * An ImageFolder export with every privacy option: DICOMs of two patients (two studies of
 * one), a JPEG with GPS and an artist in its EXIF, a PNG with a text chunk.
 */
describe('a private ImageFolder export', () => {
  let t: ReturnType<typeof makeTestService>;
  let out: string;
  let exported: string[];
  const px = (seed: number): Uint8Array =>
    new Uint8Array(16 * 12 * 3).map((_, i) => (i * seed) % 256);
  beforeAll(async () => {
    t = makeTestService();
    const photos = path.join(t.dir, 'Jane Doe 1960-01-01');
    const size = { width: 16, height: 12, channels: 3 as const };
    const study = '1.2.826.0.1.3680043.8.498.777';
    for (const [i, [patient, uid]] of [
      ['MRN-1', study],
      ['MRN-1', study],
      ['MRN-2', '1.2.826.0.1.3680043.8.498.888'],
    ].entries()) {
      const bytes = dicomBytes(px(i + 3), size, {
        PatientID: patient,
        PatientName: `Doe^${patient}`,
        StudyInstanceUID: uid,
        StudyDate: '20240315',
        InstitutionName: 'St Elsewhere',
      });
      writeBytes(path.join(photos, 'sick', `${patient}-visit${i}.dcm`), bytes);
    }
    fs.mkdirSync(path.join(photos, 'healthy'), { recursive: true });
    await sharp(Buffer.from(px(7)), { raw: size })
      .jpeg()
      .withExif({
        IFD0: { Artist: 'Dr Jane Doe', ImageDescription: 'patient MRN-3' },
        IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1' },
      })
      .toFile(path.join(photos, 'healthy', 'MRN-3.jpg'));
    const png = await sharp(Buffer.from(px(9)), { raw: size })
      .png()
      .toBuffer();
    fs.writeFileSync(
      path.join(photos, 'healthy', 'MRN-4.png'),
      withTextChunk(png, 'Author', 'Dr Jane Doe'),
    );
    await t.service.api.project.create({ path: path.join(t.dir, 'p.ocellus') });
    await t.service.api.library.addRoot(photos, { labelsFromFolders: true });
    await t.service.whenIdle();
    out = path.join(t.dir, 'export');
    const job = await t.service.api.export.dataset({
      format: 'imagefolder',
      out,
      privacy: { deidentify: true, stripMetadata: true, pseudonymiseNames: true },
    });
    const done = await jobFinished(t.service, job);
    expect(done.error).toBeNull();
    exported = listFiles(out);
  }, 60_000);
  afterAll(async () => {
    await t.cleanup();
  });

  it('names every file image-NNNNNN, keeps its class folder, and writes the log', () => {
    expect(exported.sort()).toEqual([
      'all/healthy/image-000001.jpg',
      'all/healthy/image-000002.png',
      'all/sick/image-000003.dcm',
      'all/sick/image-000004.dcm',
      'all/sick/image-000005.dcm',
      'privacy-log.json',
    ]);
  });

  it('de-identifies the DICOMs with one pseudonym and study UID per patient', () => {
    const sets = exported.filter((f) => f.endsWith('.dcm')).map((f) => dataset(path.join(out, f)));
    expect(sets.map((d) => d['PatientID'])).toEqual(['ANON-0001', 'ANON-0001', 'ANON-0002']);
    expect(sets[0]?.['StudyInstanceUID']).toBe(sets[1]?.['StudyInstanceUID']);
    expect(sets[0]?.['StudyInstanceUID']).not.toBe(sets[2]?.['StudyInstanceUID']);
    for (const d of sets) {
      expect(d['InstitutionName']).toBeUndefined();
      expect(d['PatientIdentityRemoved']).toBe('YES');
    }
  });

  it('drops EXIF and GPS from the JPEG and text from the PNG, keeping their pixels', async () => {
    const jpeg = fs.readFileSync(path.join(out, 'all/healthy/image-000001.jpg'));
    expect(await exifr.parse(jpeg, { gps: true })).toBeUndefined();
    expect((await sharp(jpeg).metadata()).exif).toBeUndefined();
    const png = fs.readFileSync(path.join(out, 'all/healthy/image-000002.png'));
    expect(png.toString('latin1')).not.toContain('Jane Doe');
    const original = path.join(t.dir, 'Jane Doe 1960-01-01', 'healthy');
    for (const [mine, theirs] of [
      [jpeg, path.join(original, 'MRN-3.jpg')],
      [png, path.join(original, 'MRN-4.png')],
    ] as const) {
      const a = await sharp(mine).raw().toBuffer();
      const b = await sharp(theirs).raw().toBuffer();
      expect(a.equals(b)).toBe(true);
    }
  });

  it('logs what was done without a single original name, id or path', () => {
    const text = fs.readFileSync(path.join(out, 'privacy-log.json'), 'utf8');
    for (const secret of [
      'MRN-',
      'Doe',
      'Jane',
      'Elsewhere',
      '20240315',
      '1.2.826.0.1.3680043.8.498',
    ])
      expect(text, secret).not.toContain(secret);
    const log = JSON.parse(text) as {
      profile: string;
      files: { file: string; dicom?: { removed: string[] }; metadata?: string; warning?: string }[];
    };
    expect(log.profile).toMatch(/PS3\.15 Annex E Basic Application Level Confidentiality Profile/);
    const dicom = log.files.filter((f) => f.dicom);
    expect(dicom).toHaveLength(3);
    expect(dicom[0]?.dicom?.removed).toContain('InstitutionName');
    // Ophthalmic photographs often show names burned into the pixels: each one is flagged.
    expect(dicom.every((f) => /burned-in/.test(f.warning ?? ''))).toBe(true);
    expect(log.files.filter((f) => f.metadata === 'lossless')).toHaveLength(2);
  });

  it('refuses privacy options on an export that copies no files', async () => {
    await expect(
      t.service.api.export.dataset({
        format: 'csv',
        out: path.join(t.dir, 'csv'),
        privacy: { deidentify: true },
      }),
    ).rejects.toThrow(/apply to ImageFolder exports/);
  });

  it('leaves malformed JPEG and PNG structures to the re-encoder', () => {
    expect(stripJpeg(Buffer.from([0xff, 0xd8, 0x00, 0x00]))).toBeNull();
    expect(stripPng(Buffer.from('not a png'))).toBeNull();
  });
});

/** The PNG with a tEXt chunk inserted after IHDR (CRC computed as PNG requires). */
function withTextChunk(png: Buffer, key: string, value: string): Buffer {
  const data = Buffer.from(`${key}\0${value}`, 'latin1');
  const type = Buffer.from('tEXt', 'latin1');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([type, data])));
  const ihdrEnd = 8 + 12 + png.readUInt32BE(8);
  return Buffer.concat([png.subarray(0, ihdrEnd), length, type, data, crc, png.subarray(ihdrEnd)]);
}

function crc32(b: Buffer): number {
  let c = 0xffffffff;
  for (const byte of b) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}
