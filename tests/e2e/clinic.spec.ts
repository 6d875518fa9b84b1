import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { dicomBytes, SYNTAX, transcode, writeBytes } from '../helpers/dicom-fixtures';
import { writeTinyCnn } from '../helpers/tiny-models';
import { expect, test } from './fixtures';
import { runBuiltCli } from './helpers/built-cli';
import { LibraryPage } from './pages/library-page';
import { ProjectPage } from './pages/project-page';
import { WelcomePage } from './pages/welcome-page';

const SIZE = { width: 32, height: 32, channels: 3 } as const;
const PATIENTS = 8;

/** A fundus-like picture: a disc, red when the eye needs referral, blue when healthy. */
function fundus(referable: boolean, patient: number, visit: number): Uint8Array {
  const px = new Uint8Array(SIZE.width * SIZE.height * 3);
  for (let y = 0; y < SIZE.height; y++) {
    for (let x = 0; x < SIZE.width; x++) {
      const inside = (x - 16) ** 2 + (y - 16) ** 2 < 100 + visit * 10;
      const i = (y * SIZE.width + x) * 3;
      const shade = patient * 6 + visit * 4;
      px[i] = inside ? (referable ? 220 - shade : 40) : 30 + shade;
      px[i + 1] = inside ? 40 + shade : 20;
      px[i + 2] = inside ? (referable ? 40 : 220 - shade) : 20;
    }
  }
  return px;
}

/** Identity of patient p: what the exports must never carry. */
const identity = (p: number, eye: 'L' | 'R') => ({
  PatientID: `MRN-77${p}01`,
  PatientName: `Doe^Jane${p}`,
  PatientBirthDate: `1950010${p}`,
  InstitutionName: 'Hospital of Elsewhere',
  Laterality: eye,
  StudyDate: '20250102',
  Manufacturer: 'Acme Fundus',
});

/**
 * The clinic path end to end through the built CLI: DICOM fundus photos (several patients,
 * both eyes) → import → split by patient → train → operating point → de-identified export →
 * bundle with its reporting checklist → predictions with the decision, also per frame of a
 * multi-frame file and for a DICOM without an extension.
 */
test('DICOM fundus photos to a patient-split, de-identified, thresholded, reported bundle', async ({
  workDir,
}) => {
  test.setTimeout(240_000);
  const appData = path.join(workDir, 'appdata');
  const ocellus = (args: string[]) => runBuiltCli(args, workDir, appData);
  const ok = async (args: string[]) => {
    const r = await ocellus(args);
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };

  // 8 patients × 2 eyes × 2 visits; half without an extension, some JPEG-lossless encoded.
  for (let p = 0; p < PATIENTS; p++) {
    for (const eye of ['L', 'R'] as const) {
      const referable = (p + (eye === 'L' ? 0 : 1)) % 2 === 0;
      for (const visit of [0, 1]) {
        let bytes = dicomBytes(fundus(referable, p, visit), SIZE, identity(p, eye));
        if (visit === 1) bytes = await transcode(bytes, SYNTAX.jpegLossless);
        const name = visit === 0 ? `P${p}${eye}${visit}.dcm` : `P${p}${eye}${visit}`;
        writeBytes(path.join(workDir, 'fundus', referable ? 'referable' : 'healthy', name), bytes);
      }
    }
  }
  const tiny = path.dirname(await writeTinyCnn(path.join(workDir, 'tiny')));

  await ok(['init', 'eyes.ocellus']);
  await ok(['add', 'eyes.ocellus', 'fundus', '--labels-from-folders']);
  const status = JSON.parse(await ok(['status', 'eyes.ocellus', '--json'])) as {
    images: { ok: number };
  };
  expect(status.images.ok).toBe(PATIENTS * 4);
  await ok([
    'train',
    'eyes.ocellus',
    '--base',
    tiny,
    '--epochs',
    '40',
    '--group-by',
    'PatientID',
    '--validation',
    '0.25',
    '--seed',
    '3',
  ]);

  // No patient on both sides: by the project's own check, and read straight from the file.
  const leaks = await ocellus(['leakage', 'eyes.ocellus', '--key', 'PatientID', '--json']);
  const report = JSON.parse(leaks.stdout) as { validation: number; groups: unknown[] };
  expect(report.validation).toBeGreaterThan(0);
  expect(report.groups).toEqual([]);
  const db = new Database(path.join(workDir, 'eyes.ocellus'), { readonly: true });
  try {
    const split = JSON.parse(
      db.prepare('SELECT split FROM runs ORDER BY id DESC LIMIT 1').pluck().get() as string,
    ) as { train: number[]; validation: number[] };
    const patientOf = db.prepare(
      "SELECT value FROM image_meta WHERE key = 'PatientID' AND image_id = ?",
    );
    const side = (ids: number[]) => new Set(ids.map((id) => patientOf.pluck().get(id)));
    const train = side(split.train);
    expect([...side(split.validation)].filter((p) => train.has(p))).toEqual([]);
  } finally {
    db.close();
  }

  const point = JSON.parse(
    await ok([
      'operating-point',
      'eyes.ocellus',
      '--positive',
      'referable',
      '--sensitivity',
      '0.9',
      '--json',
    ]),
  ) as { threshold: number; positiveClass: string };
  expect(point.positiveClass).toBe('referable');

  // The de-identified export: not one identifying value in any exported byte.
  await ok([
    'export-dataset',
    'eyes.ocellus',
    '--format',
    'imagefolder',
    '--out',
    'deid',
    '--deidentify',
    '--pseudonymise',
  ]);
  const exported = listFiles(path.join(workDir, 'deid'));
  expect(
    exported.filter((f) => f.startsWith('train/') || f.startsWith('validation/')),
  ).toHaveLength(PATIENTS * 4);
  for (const file of exported) {
    const text = fs.readFileSync(path.join(workDir, 'deid', file)).toString('latin1');
    for (const secret of ['MRN-77', 'Doe^Jane', 'Jane', '1950010', 'Elsewhere', 'P0L0'])
      expect(text, `${file} carries ${secret}`).not.toContain(secret);
  }

  // The bundle: the operating point travels, the checklist is filled from the project.
  await ok(['export', 'eyes.ocellus', '--out', 'bundle']);
  const labels = JSON.parse(fs.readFileSync(path.join(workDir, 'bundle', 'labels.json'), 'utf8'));
  expect(labels.operatingPoint).toMatchObject({ positiveClass: 'referable' });
  const card = fs.readFileSync(path.join(workDir, 'bundle', 'MODEL_CARD.md'), 'utf8');
  expect(card).toContain('## Reporting checklist (CLAIM 2024, TRIPOD+AI)');
  expect(card).toMatch(/\| Data partitions \|[^\n]*\| filled \|[^\n]*grouped by meta:PatientID/);
  expect(card).toMatch(/\| Operating point \|[^\n]*\| filled \|[^\n]*referable called at/);
  expect(card).toMatch(/\| Data source and dates \|[^\n]*\| partly \|[^\n]*2025-01-02/);

  // New patients' photos, one of them a 3-frame file without an extension.
  const incoming = path.join(workDir, 'incoming');
  writeBytes(
    path.join(incoming, 'new.dcm'),
    dicomBytes(fundus(true, 9, 0), SIZE, identity(9, 'L')),
  );
  writeBytes(
    path.join(incoming, 'CINE'),
    dicomBytes([fundus(true, 9, 1), fundus(false, 9, 0), fundus(true, 9, 0)], SIZE),
  );
  const rows = JSON.parse(await ok(['predict', 'bundle', 'incoming', '--json'])) as {
    path: string;
    frame?: number;
    probabilities: Record<string, number>;
    decision: string;
  }[];
  expect(rows.map((r) => [path.basename(r.path), r.frame])).toEqual([
    ['CINE', 0],
    ['CINE', 1],
    ['CINE', 2],
    ['new.dcm', undefined],
  ]);
  for (const r of rows) {
    const referable = (r.probabilities['referable'] ?? 0) >= point.threshold;
    expect(r.decision).toBe(referable ? 'referable' : 'healthy');
  }
  await ok(['predict', 'bundle', '--manifest', 'incoming', '--out', 'incoming.jsonl']);
  const records = fs
    .readFileSync(path.join(workDir, 'incoming.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { path: string; frame?: number; decision: string });
  expect(records.map((r) => [path.basename(r.path), r.frame, r.decision])).toEqual(
    rows.map((r) => [path.basename(r.path), r.frame, r.decision]),
  );
});

function listFiles(dir: string, prefix = ''): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    return e.isDirectory() ? listFiles(path.join(dir, e.name), rel) : [rel];
  });
}

test('the grid shows each frame of a multi-frame DICOM as its own tile, "frame k/N"', async ({
  page,
  ocellus,
}) => {
  const photos = path.join(ocellus.projectDir, 'scans');
  writeBytes(
    path.join(photos, 'cine.dcm'),
    dicomBytes([fundus(true, 1, 0), fundus(false, 1, 0), fundus(true, 2, 1)], SIZE),
  );
  writeBytes(path.join(photos, 'single.dcm'), dicomBytes(fundus(false, 3, 0), SIZE));
  const welcome = new WelcomePage(page);
  const library = new LibraryPage(page);
  await welcome.goto(ocellus.url);
  await welcome.createProject('Scans');
  await new ProjectPage(page).expectOpen('Scans');
  await library.addFolder(photos);
  await expect(library.count('ok')).toHaveText('4');
  for (const k of [1, 2, 3]) await library.expectThumbnailLoaded(`cine.dcm · frame ${k}/3`);
  await library.expectThumbnailLoaded('single.dcm');
});
