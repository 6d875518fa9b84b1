import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../../../src/main/cli/run-cli';
import { parseCsv } from '../../../../../src/main/core/export/csv';
import { parseMdBatchOutput } from '../../../../../src/main/core/detect/megadetector-format';
import sharp from 'sharp';
import { dicomBytes, PYDICOM_DIR } from '../../../../helpers/dicom-fixtures';
import { writeJpeg } from '../../../../helpers/image-fixtures';
import { makeTestService, jobFinished as finished } from '../../../../helpers/service';
import { writeTinyCnn } from '../../../../helpers/tiny-models';

const run = promisify(execFile);
const REPO = path.resolve(__dirname, '../../../../..');
const RESOURCES = path.join(REPO, 'resources');
const PHOTOS = path.join(REPO, 'tests/fixtures/photos');
const CLASSES = ['blue', 'red'];
const HEADER = [
  'path',
  'box_x',
  'box_y',
  'box_w',
  'box_h',
  'detection',
  'detection_confidence',
  'label',
  'confidence',
  ...CLASSES,
  'error',
];

/**
 * A bundle that detects → crops → classifies, with the vendored CenterNet stand-in, on the
 * vendored real photos (a cat, a person, grass, gravel): the bundle's predict.mjs (a child
 * process) and `ocellus predict` must find the same boxes and give each crop the same
 * probabilities; the empty photos get their one 'empty' row.
 */
describe('bundle with a detector', () => {
  let t: ReturnType<typeof makeTestService>;
  let bundle: string;
  beforeAll(async () => {
    t = makeTestService('web', { resourcesDir: RESOURCES });
    const photos = path.join(t.dir, 'photos');
    for (const [name, color] of [
      ['blue', { r: 20, g: 30, b: 200 }],
      ['red', { r: 210, g: 30, b: 20 }],
    ] as const) {
      for (let i = 0; i < 4; i++)
        await writeJpeg(path.join(photos, name, `${i}.jpg`), {
          width: 32,
          height: 24,
          color: { r: color.r + i * 5, g: color.g, b: color.b - i * 5 },
        });
    }
    const base = await writeTinyCnn(path.join(t.dir, 'tiny'));
    await t.service.api.project.create({ path: path.join(t.dir, 'p.ocellus'), name: 'Boxes' });
    await t.service.api.library.addRoot(photos, { labelsFromFolders: true });
    await t.service.whenIdle();
    const model = await t.service.api.ml.importModel(path.dirname(base));
    const trained = await t.service.api.train.start({
      baseModel: model.id,
      epochs: 5,
      hiddenUnits: 8,
      validationFraction: 0.25,
      groupBy: 'none',
      patience: 0,
      seed: 2,
    });
    expect((await finished(t.service, trained.jobId)).state).toBe('done');
    bundle = path.join(t.dir, 'bundle');
    const job = await t.service.api.export.bundle({
      out: bundle,
      detector: 'centernet-coco',
      detectorThreshold: 0.2,
    });
    expect((await finished(t.service, job.id)).error).toBeNull();
  }, 240_000);
  afterAll(async () => {
    await t?.cleanup();
  });

  it('carries the detector, its threshold and the crop rule, and says so', () => {
    const d = JSON.parse(
      fs.readFileSync(path.join(bundle, 'detector', 'detector.json'), 'utf8'),
    ) as { id: string; threshold: number; file: string };
    expect(d).toMatchObject({ id: 'centernet-coco', threshold: 0.2, file: 'centernet.json' });
    expect(fs.existsSync(path.join(bundle, 'detector', 'centernet.bin'))).toBe(true);
    const pre = JSON.parse(fs.readFileSync(path.join(bundle, 'preprocessing.json'), 'utf8')) as {
      detector: { threshold: number; pipeline: string[] };
    };
    expect(pre.detector.threshold).toBe(0.2);
    expect(pre.detector.pipeline.join(' ')).toMatch(/margin of 10 %/);
    expect(fs.readFileSync(path.join(bundle, 'MODEL_CARD.md'), 'utf8')).toMatch(
      /## Detector \(detect → crop → classify\)/,
    );
  });

  it('predict.mjs and ocellus predict find the same boxes and classify each crop alike', async () => {
    const script = await run(process.execPath, ['predict.mjs', PHOTOS], {
      cwd: bundle,
      env: { ...process.env, NODE_PATH: path.join(REPO, 'node_modules') },
      maxBuffer: 1 << 24,
    });
    const out = path.join(t.dir, 'cli.csv');
    const code = await runCli(['predict', bundle, PHOTOS, '--out', out], {
      stdout: () => {},
      stderr: () => {},
    });
    expect(code).toBe(0);
    const [scriptHeader, ...fromScript] = parseCsv(script.stdout);
    const [cliHeader, ...fromCli] = parseCsv(fs.readFileSync(out, 'utf8'));
    expect(scriptHeader).toEqual(HEADER);
    expect(cliHeader).toEqual(HEADER);
    expect(fromScript.map((r) => [path.basename(r[0] ?? ''), r[5]])).toEqual(
      fromCli.map((r) => [path.basename(r[0] ?? ''), r[5]]),
    );
    const numeric = [1, 2, 3, 4, 6, 8, 9, 10];
    fromScript.forEach((row, i) => {
      const other = fromCli[i] ?? [];
      expect(row[7], row[0]).toBe(other[7]);
      expect(row[11], row[0]).toBe('');
      for (const c of numeric) {
        if (row[c] === '') expect(other[c], `${row[0]} column ${c}`).toBe('');
        else
          expect(Math.abs(Number(row[c]) - Number(other[c])), `${row[0]} ${c}`).toBeLessThan(1e-4);
      }
    });
    const rows = (name: string) => fromScript.filter((r) => path.basename(r[0] ?? '') === name);
    expect(rows('cat.jpg').map((r) => r[5])).toContain('animal');
    expect(rows('person.jpg').map((r) => r[5])).toContain('person');
    for (const empty of ['grass.jpg', 'gravel.jpg']) {
      const [only, ...more] = rows(empty);
      expect(more, empty).toEqual([]);
      expect(only?.slice(1, 11), empty).toEqual(['', '', '', '', 'empty', '', '', '', '', '']);
    }
    for (const r of fromScript.filter((r) => r[5] !== 'empty')) {
      expect(Number(r[6])).toBeGreaterThanOrEqual(0.2);
      expect(Number(r[9]) + Number(r[10])).toBeCloseTo(1, 4);
      expect(CLASSES).toContain(r[7]);
    }
  }, 120_000);

  it('predict.mjs --json writes MegaDetector batch output with the classes as classification categories', async () => {
    const { stdout } = await run(process.execPath, ['predict.mjs', PHOTOS, '--json'], {
      cwd: bundle,
      env: { ...process.env, NODE_PATH: path.join(REPO, 'node_modules') },
      maxBuffer: 1 << 24,
    });
    const md = parseMdBatchOutput(JSON.parse(stdout));
    expect(md.info.format_version).toBe('1.4');
    expect(md.classification_categories).toEqual({ '0': 'blue', '1': 'red' });
    expect(md.detection_categories).toEqual({ '1': 'animal', '2': 'person', '3': 'vehicle' });
    const byName = Object.fromEntries(md.images.map((i) => [path.basename(i.file), i]));
    expect(Object.keys(byName).sort()).toEqual([
      'cat.jpg',
      'grass.jpg',
      'gravel.jpg',
      'person.jpg',
    ]);
    expect(byName['grass.jpg']?.detections).toEqual([]);
    const cat = byName['cat.jpg']?.detections ?? [];
    expect(cat.map((d) => d.category)).toContain('1');
    for (const d of cat) {
      expect(d.conf).toBeGreaterThanOrEqual(0.2);
      expect(d.classifications?.map(([c]) => c).sort()).toEqual(['0', '1']);
      const [best, other] = d.classifications ?? [];
      expect(best?.[1]).toBeGreaterThanOrEqual(other?.[1] ?? 1);
    }
  });

  it('detects, crops and classifies each frame of a DICOM as it does the same pixels in a PNG', async () => {
    // Frame 0 holds the person photo's pixels, frame 1 the grass's; PNGs of the same pixels
    // beside them are what each frame must match. The vendored two-frame RLE file too.
    const dir = path.join(t.dir, 'dicom-in');
    fs.mkdirSync(dir);
    const pixels: Buffer[] = [];
    for (const name of ['person', 'grass']) {
      const { data } = await sharp(path.join(PHOTOS, `${name}.jpg`))
        .raw()
        .toBuffer({ resolveWithObject: true });
      pixels.push(data);
      await sharp(data, { raw: { width: 480, height: 480, channels: 3 } })
        .png()
        .toFile(path.join(dir, `${name}.png`));
    }
    const size = { width: 480, height: 480, channels: 3 } as const;
    fs.writeFileSync(path.join(dir, 'scene.dcm'), Buffer.from(dicomBytes(pixels, size)));
    fs.copyFileSync(path.join(PYDICOM_DIR, 'SC_rgb_rle_2frame.dcm'), path.join(dir, 'rle.dcm'));
    const script = await run(process.execPath, ['predict.mjs', dir], {
      cwd: bundle,
      env: { ...process.env, NODE_PATH: path.join(REPO, 'node_modules') },
      maxBuffer: 1 << 24,
    });
    const out = path.join(t.dir, 'dicom.csv');
    const code = await runCli(['predict', bundle, dir, '--out', out], {
      stdout: () => {},
      stderr: () => {},
    });
    expect(code).toBe(0);
    const framedHeader = ['path', 'frame', ...HEADER.slice(1)];
    for (const text of [script.stdout, fs.readFileSync(out, 'utf8')]) {
      const [header, ...rows] = parseCsv(text);
      expect(header).toEqual(framedHeader);
      const of = (file: string, frame = '') =>
        rows
          .filter((r) => path.basename(r[0] ?? '') === file && r[1] === frame)
          .map((r) => r.slice(2));
      expect(rows.map((r) => r[12]).filter(Boolean)).toEqual([]);
      expect(of('scene.dcm', '0').map((r) => r[4])).toContain('person');
      expect(of('grass.png').map((r) => r[4])).toEqual(['empty']);
      for (const [frame, png] of [
        ['0', 'person.png'],
        ['1', 'grass.png'],
      ] as const) {
        const [a, b] = [of('scene.dcm', frame), of(png)];
        expect(a.length, png).toBe(b.length);
        a.forEach((row, i) =>
          row.forEach((v, c) => {
            const w = b[i]?.[c] ?? '';
            if (v === '' || Number.isNaN(Number(v))) expect(v, `${png} ${c}`).toBe(w);
            else expect(Math.abs(Number(v) - Number(w)), `${png} ${c}`).toBeLessThan(1e-4);
          }),
        );
      }
      expect(of('rle.dcm', '0').length).toBeGreaterThan(0);
      expect(of('rle.dcm', '1').length).toBeGreaterThan(0);
    }
  }, 120_000);

  it('is refused by manifest shards, which resume by one record per image', async () => {
    let stderr = '';
    const out = path.join(t.dir, 'shard.jsonl');
    const code = await runCli(['predict', bundle, '--manifest', PHOTOS, '--out', out], {
      stdout: () => {},
      stderr: (s) => (stderr += s),
    });
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/detects first/);
    expect(fs.existsSync(out)).toBe(false);
  });
});
