import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LeakageReport, RunSummary } from '../../../../../src/shared/types';
import { dicomBytes, SYNTAX, transcode, writeBytes } from '../../../../helpers/dicom-fixtures';
import Database from 'better-sqlite3';
import { runCli } from '../../../../../src/main/cli/run-cli';
import { checklistItems } from '../../../../../src/main/core/export/reporting-checklist';
import { jobFinished, makeTestService } from '../../../../helpers/service';
import { writeTinyCnn } from '../../../../helpers/tiny-models';

/** A 48×48 picture unique to (patient, eye): a disc whose colour says the class, plus texture. */
function picture(sick: boolean, patient: number, eye: string): Uint8Array {
  const n = 48;
  const px = new Uint8Array(n * n * 3);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      // Right eyes: a small disc on a dark ground; left eyes: a large disc on a light one.
      const inside = (x - 24) ** 2 + (y - 24) ** 2 < (eye === 'L' ? 200 : 40);
      const stripes = ((x * (patient + 3) + y * 5) % 17) * 6;
      const texture = (eye === 'L' ? 100 + stripes : stripes / 4) * (1 - patient / 5);
      const i = (y * n + x) * 3;
      px[i] = inside ? (sick ? 230 : 90) : texture;
      px[i + 1] = inside ? 50 + texture / 2 : 20;
      px[i + 2] = inside ? (sick ? 20 : 200) : 255 - texture;
    }
  }
  return px;
}

/**
 * A run whose split is forced by a metadata column `side` (A or B, one to each side): every
 * patient has an eye on each side, P0's left eye is copied byte for byte onto side B, and
 * P1's left eye is on side B again re-encoded as lossy JPEG (a near-duplicate).
 */
describe('leakage across a run split', () => {
  let t: ReturnType<typeof makeTestService>;
  let run: RunSummary;
  let report: LeakageReport;
  beforeAll(async () => {
    t = makeTestService();
    const photos = path.join(t.dir, 'photos');
    const csv = ['path,side'];
    const size = { width: 48, height: 48, channels: 3 as const };
    for (let p = 0; p < 4; p++) {
      for (const eye of ['L', 'R']) {
        const sick = p % 2 === 0;
        const rel = `${sick ? 'sick' : 'healthy'}/P${p}-${eye}.dcm`;
        const bytes = dicomBytes(picture(sick, p, eye), size, {
          PatientID: `P${p}`,
          Laterality: eye,
        });
        writeBytes(path.join(photos, rel), bytes);
        csv.push(`${rel},${eye === 'L' ? 'A' : 'B'}`);
        if (p === 0 && eye === 'L') {
          writeBytes(path.join(photos, 'sick/P0-L-copy.dcm'), bytes);
          csv.push('sick/P0-L-copy.dcm,B');
        }
        if (p === 1 && eye === 'L') {
          const jpeg = await transcode(bytes, SYNTAX.jpegBaseline);
          writeBytes(path.join(photos, 'healthy/P1-L-jpeg.dcm'), jpeg);
          csv.push('healthy/P1-L-jpeg.dcm,B');
        }
      }
    }
    fs.writeFileSync(path.join(t.dir, 'side.csv'), `${csv.join('\n')}\n`);
    const base = await writeTinyCnn(path.join(t.dir, 'tiny'), 32);
    await t.service.api.project.create({ path: path.join(t.dir, 'p.ocellus') });
    await t.service.api.library.addRoot(photos, { labelsFromFolders: true });
    await t.service.whenIdle();
    await t.service.api.library.importMetadata(path.join(t.dir, 'side.csv'));
    const model = await t.service.api.ml.importModel(path.dirname(base));
    const started = await t.service.api.train.start({
      baseModel: model.id,
      epochs: 3,
      hiddenUnits: 8,
      learningRate: 0.01,
      validationFraction: 0.5,
      groupBy: 'meta:side',
      seed: 1,
      refit: 'never',
    });
    expect((await jobFinished(t.service, started.jobId)).state).toBe('done');
    run = (await t.service.api.train.runs())[0] as RunSummary;
    report = await t.service.api.clinic.leakage(run.id, { threshold: 0.9 });
  }, 120_000);
  afterAll(async () => {
    await t.cleanup();
  });

  it('names every patient found on both sides, with counts per side', () => {
    expect(report.train + report.validation).toBe(10);
    const patients = report.groups.find((g) => g.key === 'PatientID');
    expect(patients?.values.map((v) => v.value)).toEqual(['P0', 'P1', 'P2', 'P3']);
    for (const v of patients?.values ?? [])
      expect(v.train + v.validation).toBe(v.value === 'P0' || v.value === 'P1' ? 3 : 2);
    // The split kept its own grouping column apart, so `side` is not reported.
    expect(report.groups.some((g) => g.key === 'side')).toBe(false);
  });

  it('finds the byte-identical copy as an exact duplicate', () => {
    expect(report.exact).toHaveLength(1);
    const names = [report.exact[0]?.trainPath, report.exact[0]?.validationPath].sort();
    expect(names).toEqual(['sick/P0-L-copy.dcm', 'sick/P0-L.dcm']);
  });

  it('ranks the JPEG re-encoding first among near-duplicates, above the threshold', () => {
    const top = report.near[0];
    expect(top).toBeDefined();
    expect([top?.trainPath, top?.validationPath].sort()).toEqual([
      'healthy/P1-L-jpeg.dcm',
      'healthy/P1-L.dcm',
    ]);
    expect(top?.cosine).toBeGreaterThan(0.99);
    expect(report.nearCount).toBeGreaterThanOrEqual(report.near.length);
    expect(report.noEmbedding).toBe(0);
    // The exact pair is not listed again as a near one.
    const exact = report.exact[0];
    const again = report.near.some(
      (p) => p.trainId === exact?.trainId && p.validationId === exact?.validationId,
    );
    expect(again).toBe(false);
  });

  it('refuses a bad threshold with a clear error', async () => {
    await expect(t.service.api.clinic.leakage(run.id, { threshold: 2 })).rejects.toThrow(
      /threshold must be a cosine/,
    );
  });

  it('prints the same report from the CLI, exiting 3 because there is leakage', async () => {
    process.env['OCELLUS_APP_DATA'] = path.join(t.dir, 'appdata');
    let stdout = '';
    try {
      const args = ['leakage', path.join(t.dir, 'p.ocellus'), '--threshold', '0.9', '--json'];
      const code = await runCli(args, { stdout: (s) => (stdout += s), stderr: () => undefined });
      expect(code).toBe(3);
    } finally {
      delete process.env['OCELLUS_APP_DATA'];
    }
    expect(JSON.parse(stdout)).toEqual(report);
  });

  it('sets an operating point by specificity and shows it from the CLI', async () => {
    const point = await t.service.api.clinic.setOperatingPoint(run.id, {
      positiveClass: 'sick',
      by: 'specificity',
      value: 1,
    });
    expect(point.specificity).toBe(1);
    expect(point.count).toBe(run.counts.validation);
    process.env['OCELLUS_APP_DATA'] = path.join(t.dir, 'appdata');
    let stdout = '';
    try {
      const args = ['operating-point', path.join(t.dir, 'p.ocellus'), '--json'];
      const code = await runCli(args, { stdout: (s) => (stdout += s), stderr: () => undefined });
      expect(code).toBe(0);
    } finally {
      delete process.env['OCELLUS_APP_DATA'];
    }
    expect(JSON.parse(stdout)).toEqual(point);
    await expect(
      t.service.api.clinic.setOperatingPoint(run.id, {
        positiveClass: 'nope',
        by: 'threshold',
        value: 0.5,
      }),
    ).rejects.toThrow(/has no class nope/);
    expect(await t.service.api.clinic.clearOperatingPoint(run.id)).toBe(true);
    expect(await t.service.api.clinic.operatingPoint(run.id)).toBeNull();
  });

  it('pre-fills the reporting checklist from the project: split grouping, patients, balance', () => {
    const db = new Database(path.join(t.dir, 'p.ocellus'), { readonly: true });
    try {
      const metrics = {
        images: run.counts.validation,
        accuracy: null,
        perClass: [],
        confusion: [],
      };
      const items = checklistItems(db, { run, metrics, baseName: 'Tiny CNN' });
      const item = (topic: string) => items.find((i) => i.topic === topic);
      expect(item('Data partitions')).toMatchObject({ state: 'filled' });
      expect(item('Data partitions')?.text).toMatch(
        /grouped by meta:side .* 4 patients \(PatientID\)/,
      );
      expect(item('Class balance')?.text).toMatch(/healthy 5, sick 5 images/);
      expect(item('Operating point')).toMatchObject({ state: 'for you' });
      expect(item('Limitations and intended use')).toMatchObject({ state: 'for you' });
      expect(new Set(items.map((i) => i.state))).toEqual(new Set(['filled', 'partly', 'for you']));
    } finally {
      db.close();
    }
  });
});
