import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../../../../src/main/core/export/csv';
import {
  modelInputPath,
  networkPixels,
  readCachedInput,
} from '../../../../../src/main/core/library/model-input';
import { cacheDirFor } from '../../../../../src/main/core/library/derivative-paths';
import { bundlePredictor } from '../../../../../src/main/core/export/predict';
import { decide } from '../../../../../src/shared/decision';
import { dicomBytes, PYDICOM_DIR, writeBytes } from '../../../../helpers/dicom-fixtures';
import { makeTestService, jobFinished as finished } from '../../../../helpers/service';
import { writeTinyCnn } from '../../../../helpers/tiny-models';
import type { JobInfo, PredictInput } from '../../../../../src/shared/types';
import { predictInputs } from '../../../../../src/main/core/export/manifest';

const run = promisify(execFile);
const REPO = path.resolve(__dirname, '../../../../..');

/** Stripes and noise tinted towards the class colour: resizing differences change pixels. */
function pattern(width: number, height: number, cls: 'red' | 'blue', seed: number): Buffer {
  const px = Buffer.alloc(width * height * 3);
  let s = seed * 7919 + 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      s = (s * 1103515245 + 12345) & 0x7fffffff;
      const stripe = Math.floor((x + y * (seed % 3)) / Math.max(2, width / 16)) % 2 ? 60 : 0;
      const noise = s % 50;
      const i = (y * width + x) * 3;
      const hi = 140 + stripe + noise;
      const lo = 20 + noise;
      px[i] = cls === 'red' ? hi : lo;
      px[i + 1] = 40 + stripe;
      px[i + 2] = cls === 'red' ? lo : hi;
    }
  }
  return px;
}

type Kind = [string, (cls: 'red' | 'blue', seed: number) => Promise<Buffer>];
const raw = (w: number, h: number, cls: 'red' | 'blue', seed: number) =>
  sharp(pattern(w, h, cls, seed), { raw: { width: w, height: h, channels: 3 } });

/** Every image kind the issue names, each written the way a camera or an editor would. */
const KINDS: Kind[] = [
  ['tiny.jpg', (c, s) => raw(40, 30, c, s).jpeg().toBuffer()],
  ['12mp.jpg', (c, s) => raw(4000, 3000, c, s).jpeg({ quality: 85 }).toBuffer()],
  [
    'alpha.png',
    async (c, s) =>
      sharp(pattern(300, 200, c, s), { raw: { width: 300, height: 200, channels: 3 } })
        .joinChannel(Buffer.alloc(300 * 200, 128 + (s % 100)), {
          raw: { width: 300, height: 200, channels: 1 },
        })
        .png()
        .toBuffer(),
  ],
  ['deep.png', (c, s) => raw(320, 240, c, s).toColourspace('rgb16').png().toBuffer()],
  ['grey.jpg', (c, s) => raw(300, 300, c, s).greyscale().jpeg().toBuffer()],
  ['cmyk.jpg', (c, s) => raw(280, 210, c, s).toColourspace('cmyk').jpeg().toBuffer()],
  ['rotated.jpg', (c, s) => raw(400, 300, c, s).jpeg().withMetadata({ orientation: 6 }).toBuffer()],
];

/**
 * The skew test: for every image kind, the app's suggestion (embedded from the import's
 * model-input cache) and the exported bundle's prediction (predict.mjs on the original file,
 * ONNX Runtime) agree within 1e-3 in every probability, with test-time mirror averaging on.
 */
describe('one preprocessing path', () => {
  let t: ReturnType<typeof makeTestService>;
  let photos: string;
  let bundle: string;
  beforeAll(async () => {
    t = makeTestService();
    photos = path.join(t.dir, 'photos');
    for (const [name, write] of KINDS) {
      for (const cls of ['red', 'blue'] as const) {
        for (const seed of [1, 2]) {
          const file = path.join(photos, cls, `${seed}-${name}`);
          fs.mkdirSync(path.dirname(file), { recursive: true });
          fs.writeFileSync(file, await write(cls, seed + (cls === 'red' ? 0 : 10)));
        }
      }
    }
    const base = await writeTinyCnn(path.join(t.dir, 'tiny'), 64);
    await t.service.api.project.create({ path: path.join(t.dir, 'p.ocellus'), name: 'Skew' });
    await t.service.api.library.addRoot(photos, { labelsFromFolders: true });
    await t.service.whenIdle();
    const model = await t.service.api.ml.importModel(path.dirname(base));
    const predicted = new Promise<JobInfo>((resolve) => {
      const off = t.service.bus.on('job:updated', (j) => {
        if (j.kind === 'predict' && j.state !== 'running') {
          off();
          resolve(j);
        }
      });
    });
    const trained = await t.service.api.train.start({
      baseModel: model.id,
      epochs: 30,
      hiddenUnits: 16,
      learningRate: 0.01,
      validationFraction: 0.25,
      groupBy: 'none',
      seed: 3,
      tta: true,
    });
    expect((await finished(t.service, trained.jobId)).state).toBe('done');
    expect((await predicted).state).toBe('done');
    bundle = path.join(t.dir, 'bundle');
    const job = await t.service.api.export.bundle({ out: bundle });
    expect((await finished(t.service, job.id)).error).toBeNull();
  }, 180_000);
  afterAll(async () => {
    await t.cleanup();
  });

  it('caches exactly the pixels the shared pipeline gives from each original', async () => {
    const page = await t.service.api.library.listImages({ sort: 'path', limit: 100 });
    const cacheDir = cacheDirFor(path.join(t.dir, 'p.ocellus'));
    const geometry = { inputSize: [64, 64] as [number, number], resize: 'center-crop' as const };
    expect(page.items).toHaveLength(KINDS.length * 4);
    for (const im of page.items) {
      const detail = await t.service.api.library.image(im.id);
      const cached = await readCachedInput(
        modelInputPath(cacheDir, detail.hash ?? '', geometry),
        geometry,
      );
      expect(cached, im.relPath).not.toBeNull();
      expect(cached?.equals(await networkPixels(detail.absPath, geometry)), im.relPath).toBe(true);
    }
  });

  it('gives the same probabilities in the app and in the bundle, for every image kind', async () => {
    const preprocessing = JSON.parse(
      fs.readFileSync(path.join(bundle, 'preprocessing.json'), 'utf8'),
    ) as { tta: string };
    expect(preprocessing.tta).toBe('flip');
    const { stdout, stderr } = await run(process.execPath, ['predict.mjs', photos], {
      cwd: bundle,
      env: { ...process.env, NODE_PATH: path.join(REPO, 'node_modules') },
    });
    expect(stderr).toMatch(/28 images in [\d.]+ s \([\d.]+ images\/s, ONNX Runtime, with mirror/);
    const [header, ...rows] = parseCsv(stdout);
    const classes = header?.slice(3, -1) ?? [];
    expect(classes).toEqual(['blue', 'red']);
    const page = await t.service.api.library.listImages({ sort: 'path', limit: 100 });
    const byPath = new Map(page.items.map((im) => [path.join(photos, im.relPath), im.id]));
    const worst = new Map<string, number>();
    // The classifier must have learnt the classes, or agreeing would prove little.
    const right = rows.filter((r) => (r[0] ?? '').includes(`${path.sep}${r[1]}${path.sep}`));
    expect(right.length).toBeGreaterThanOrEqual(rows.length * 0.8);
    for (const row of rows) {
      const id = byPath.get(row[0] ?? '');
      expect(id, row[0]).toBeDefined();
      const app = await t.service.api.assist.prediction(id ?? -1);
      expect(app, row[0]).not.toBeNull();
      const kind = (row[0] ?? '').split('-').pop() ?? '';
      for (const p of app?.probabilities ?? []) {
        const bundled = Number(row[3 + classes.indexOf(p.name)]);
        worst.set(kind, Math.max(worst.get(kind) ?? 0, Math.abs(p.p - bundled)));
      }
    }
    expect([...worst.keys()].sort()).toEqual(KINDS.map(([n]) => n).sort());
    for (const [kind, diff] of worst) expect(diff, kind).toBeLessThanOrEqual(1e-3);
  }, 120_000);

  it('reads a DICOM as the same pixels as a PNG of them, and predict.mjs reads DICOM (a row per frame) as ocellus predict does', async () => {
    const dir = path.join(t.dir, 'dicom-vs-png');
    const px = pattern(160, 120, 'red', 5);
    const png = path.join(dir, 'red.png');
    fs.mkdirSync(dir, { recursive: true });
    await sharp(px, { raw: { width: 160, height: 120, channels: 3 } })
      .png()
      .toFile(png);
    const dcm = writeBytes(
      path.join(dir, 'red.dcm'),
      dicomBytes(px, { width: 160, height: 120, channels: 3 }, { PatientID: 'P1' }),
    );
    // The vendored pydicom files: every transfer syntax, grey and colour; one without an extension.
    for (const name of fs.readdirSync(PYDICOM_DIR).filter((n) => n.endsWith('.dcm')))
      fs.copyFileSync(path.join(PYDICOM_DIR, name), path.join(dir, name));
    fs.renameSync(path.join(dir, 'MR_small_RLE.dcm'), path.join(dir, 'MR_RLE'));
    const geometry = { inputSize: [64, 64] as [number, number], resize: 'center-crop' as const };
    expect((await networkPixels(dcm, geometry)).equals(await networkPixels(png, geometry))).toBe(
      true,
    );
    const { stdout } = await run(process.execPath, ['predict.mjs', dir], {
      cwd: bundle,
      env: { ...process.env, NODE_PATH: path.join(REPO, 'node_modules') },
    });
    const [header, ...rows] = parseCsv(stdout);
    // A frame column, since one file has two frames: one row per frame, as ocellus predict lists them.
    expect(header?.slice(0, 3)).toEqual(['path', 'frame', 'label']);
    const inputs: PredictInput[] = rows.map((r) =>
      r[1] === '' ? (r[0] ?? '') : { path: r[0] ?? '', frame: Number(r[1]) },
    );
    const files = [...new Set(rows.map((r) => r[0] ?? ''))];
    expect(inputs).toEqual((await Promise.all(files.map((f) => predictInputs(f)))).flat());
    expect(files).toContain(path.join(dir, 'MR_RLE'));
    const cine = path.join(dir, 'SC_rgb_rle_2frame.dcm');
    expect(inputs).toContainEqual({ path: cine, frame: 0 });
    expect(inputs).toContainEqual({ path: cine, frame: 1 });
    const predictor = await bundlePredictor(bundle);
    try {
      const app = await predictor.predict(inputs);
      // The two frames differ, so a row per frame is not one prediction twice.
      const cineRows = app.filter((r) => r.path === cine);
      expect(cineRows.map((r) => r.frame)).toEqual([0, 1]);
      expect(cineRows[0]?.probabilities).not.toEqual(cineRows[1]?.probabilities);
      expect(app.find((r) => r.path === dcm)?.probabilities).toEqual(
        app.find((r) => r.path === png)?.probabilities,
      );
      const classes = header?.slice(4, -1) ?? [];
      let maxDiff = 0;
      app.forEach((e, i) => {
        const row = rows[i] ?? [];
        const name = path.basename(e.path);
        if (!e.probabilities) {
          // Only the RT plan has no pixels; both say so.
          expect(name).toBe('rtplan.dcm');
          expect(row.at(-1), name).toMatch(/without pixel data/);
          return;
        }
        expect(row.at(-1), name).toBe('');
        expect(row[2], name).toBe(e.label);
        classes.forEach((_, c) => {
          maxDiff = Math.max(maxDiff, Math.abs((e.probabilities?.[c] ?? 0) - Number(row[4 + c])));
        });
      });
      expect(maxDiff).toBeLessThan(1e-4);
    } finally {
      predictor.dispose();
    }
  }, 60_000);

  it('applies a run operating point identically in the app, ocellus predict (project and bundle) and predict.mjs', async () => {
    const runId = (await t.service.api.train.runs())[0]?.id ?? -1;
    const point = await t.service.api.clinic.setOperatingPoint(runId, {
      positiveClass: 'red',
      by: 'sensitivity',
      value: 0.9,
    });
    expect(point.sensitivity).toBeGreaterThanOrEqual(0.9);
    expect(point.intervals.sensitivity).not.toBeNull();
    expect(await t.service.api.clinic.operatingPoint(runId)).toEqual(point);
    const withPoint = path.join(t.dir, 'bundle-op');
    const job = await t.service.api.export.bundle({ out: withPoint });
    expect((await finished(t.service, job.id)).error).toBeNull();
    const labels = JSON.parse(fs.readFileSync(path.join(withPoint, 'labels.json'), 'utf8')) as {
      classes: string[];
      operatingPoint: { positiveClass: string; threshold: number };
    };
    expect(labels.operatingPoint).toMatchObject({
      positiveClass: 'red',
      threshold: point.threshold,
    });
    const files = fs
      .readdirSync(photos, { recursive: true })
      .map((f) => path.join(photos, String(f)))
      .filter((f) => fs.statSync(f).isFile())
      .sort();
    const byPath = new Map<string, string[]>();
    const note = (file: string, decision: string | undefined) =>
      byPath.set(file, [...(byPath.get(file) ?? []), decision ?? '']);
    for (const predictor of [
      await t.service.runPredictor(runId),
      await bundlePredictor(withPoint),
    ]) {
      try {
        for (const row of await predictor.predict(files)) {
          expect(row.decision).toBe(
            decide(row.probabilities ?? [], predictor.classes, labels.operatingPoint),
          );
          note(row.path, row.decision);
        }
      } finally {
        predictor.dispose();
      }
    }
    const { stdout } = await run(process.execPath, ['predict.mjs', photos], {
      cwd: withPoint,
      env: { ...process.env, NODE_PATH: path.join(REPO, 'node_modules') },
    });
    const [header, ...rows] = parseCsv(stdout);
    expect(header?.slice(-2)).toEqual(['decision', 'error']);
    for (const r of rows) note(r[0] ?? '', r.at(-2));
    expect(byPath.size).toBe(files.length);
    for (const [file, decisions] of byPath) {
      expect(decisions, file).toHaveLength(3);
      expect(new Set(decisions).size, file).toBe(1);
    }
  }, 120_000);
});
