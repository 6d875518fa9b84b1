import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../../../../src/main/core/export/csv';
import { runCli } from '../../../../../src/main/cli/run-cli';
import { bundlePredictor } from '../../../../../src/main/core/export/predict';
import { UNFINISHED_MARKER } from '../../../../../src/main/core/export/out-dir';
import { writeJpeg, writeTextAsJpeg } from '../../../../helpers/image-fixtures';
import { makeTestService, jobFinished as finished } from '../../../../helpers/service';
import { writeTinyCnn } from '../../../../helpers/tiny-models';

const run = promisify(execFile);
const REPO = path.resolve(__dirname, '../../../../..');

/** Reads one entry of a zip through its central directory (deflate only). */
function unzipEntry(zip: Buffer, name: string): Buffer {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  let at = zip.readUInt32LE(end + 16);
  for (let n = zip.readUInt16LE(end + 10); n > 0; n--) {
    const nameLen = zip.readUInt16LE(at + 28);
    const extra = zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    if (zip.toString('utf8', at + 46, at + 46 + nameLen) === name) {
      const local = zip.readUInt32LE(at + 42);
      const size = zip.readUInt32LE(at + 20);
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      return zlib.inflateRawSync(zip.subarray(start, start + size));
    }
    at += 46 + nameLen + extra;
  }
  throw new Error(`${name} is not in the zip`);
}

const shade = (name: string, i: number) => {
  const hi = 150 + ((i * 13) % 100);
  const lo = (i * 11) % 70;
  return name === 'red'
    ? { r: hi, g: lo, b: lo }
    : name === 'green'
      ? { r: lo, g: hi, b: lo }
      : { r: lo, g: lo, b: hi };
};

/**
 * A run trained on generated colour images with a tiny CNN base (fast), exported as a
 * bundle; its predict.mjs runs in a child process and must match the app's probabilities.
 */
describe('model bundle', () => {
  let t: ReturnType<typeof makeTestService>;
  let bundle: string;
  let probes: string[];
  let runId: number;
  beforeAll(async () => {
    process.env['OCELLUS_BACKEND'] = 'wasm';
    t = makeTestService();
    const photos = path.join(t.dir, 'photos');
    for (const name of ['red', 'green', 'blue']) {
      for (let i = 0; i < 8; i++) {
        await writeJpeg(path.join(photos, name, `${i}.jpg`), {
          width: 40,
          height: 36,
          color: shade(name, i),
        });
      }
    }
    probes = [];
    for (const [name, i] of [
      ['red', 20],
      ['green', 21],
      ['blue', 22],
    ] as const) {
      probes.push(
        await writeJpeg(path.join(t.dir, 'probe', `${name}.jpg`), {
          width: 50,
          height: 30,
          color: shade(name, i),
        }),
      );
    }
    probes.push(await writeTextAsJpeg(path.join(t.dir, 'probe', 'broken.jpg')));
    const base = await writeTinyCnn(path.join(t.dir, 'tiny'));
    await t.service.api.project.create({ path: path.join(t.dir, 'p.ocellus'), name: 'Colours' });
    await t.service.api.library.addRoot(photos, { labelsFromFolders: true });
    await t.service.whenIdle();
    const model = await t.service.api.ml.importModel(path.dirname(base));
    const trained = await t.service.api.train.start({
      baseModel: model.id,
      epochs: 40,
      hiddenUnits: 16,
      learningRate: 0.01,
      validationFraction: 0.25,
      groupBy: 'none',
      patience: 0,
      seed: 1,
    });
    expect((await finished(t.service, trained.jobId)).state).toBe('done');
    runId = trained.id;
    bundle = path.join(t.dir, 'bundle');
    const job = await t.service.api.export.bundle({ out: bundle, zip: true });
    const done = await finished(t.service, job.id);
    expect(done.error).toBeNull();
    expect(done.state).toBe('done');
  }, 120_000);
  afterAll(async () => {
    delete process.env['OCELLUS_BACKEND'];
    await t.cleanup();
  });

  it('holds the model, labels, preprocessing, metrics, card, script, page and zip', async () => {
    for (const f of [
      'model/model.json',
      'model/weights.bin',
      'labels.json',
      'preprocessing.json',
      'metrics.json',
      'MODEL_CARD.md',
      'predict.mjs',
      'package.json',
      '.npmrc',
      'index.html',
      'tf.min.js',
      'model.js',
    ]) {
      expect(fs.existsSync(path.join(bundle, f)), f).toBe(true);
    }
    expect(JSON.parse(fs.readFileSync(path.join(bundle, 'labels.json'), 'utf8'))).toEqual({
      classes: ['blue', 'green', 'red'],
    });
    expect(JSON.parse(fs.readFileSync(path.join(bundle, 'preprocessing.json'), 'utf8'))).toEqual({
      inputSize: [32, 32],
      resize: 'center-crop',
      normalization: { kind: 'range', min: 0, max: 1 },
      pipeline: expect.arrayContaining([
        'flatten transparency on white (#ffffff)',
        'resize to 32×32 (width×height) with a bicubic kernel: scale to cover, then crop the centre',
      ]) as string[],
      // A default run averages each image with its mirror image; the bundle says so.
      tta: 'flip',
      ttaNote: expect.stringContaining('left–right mirror') as string,
      onnx: {
        file: 'model.onnx',
        input: 'input',
        output: 'probabilities',
        layout: 'NHWC',
        shape: [null, 32, 32, 3],
        opset: 13,
        maxAbsDiffFromTfjs: expect.any(Number) as number,
      },
    });
    expect(fs.statSync(path.join(bundle, 'model.onnx')).size).toBeGreaterThan(1000);
    const metrics = JSON.parse(fs.readFileSync(path.join(bundle, 'metrics.json'), 'utf8')) as {
      runId: number;
      validation: { images: number; perClass: { class: string; support: number }[] };
    };
    expect(metrics.runId).toBe(runId);
    const summary = await t.service.api.train.run(runId);
    expect(metrics.validation.images).toBe(summary.counts.validation);
    expect(metrics.validation.perClass.map((c) => c.support)).toEqual(
      summary.counts.perClass.map((c) => c.validation),
    );
    const card = fs.readFileSync(path.join(bundle, 'MODEL_CARD.md'), 'utf8');
    expect(card).toMatch(/## Limitations/);
    // The snippet's CMYK profile, beside it.
    expect(fs.statSync(path.join(bundle, 'cmyk.icc')).size).toBeGreaterThan(100_000);
    expect(card).toMatch(/ort\.InferenceSession\("model\.onnx"\)/);
    expect(card).toMatch(/W, H = 32, 32 {2}# the network's input/);
    expect(card).toMatch(
      /def resize\(image, W, H, orientation=1\): {2}# as the app: cover W×H, cut the centre/,
    );
    // The snippet computes what the app does: transparency on white, the flip average (the
    // run's TTA, as preprocessing.json says), float32 whatever the normalisation's dtype.
    expect(JSON.parse(fs.readFileSync(path.join(bundle, 'preprocessing.json'), 'utf8')).tta).toBe(
      'flip',
    );
    expect(card).toMatch(/255 \* \(255 - alpha\)\) \/\/ 255/);
    expect(card).toMatch(/x = np\.concatenate\(\[x, x\[:, :, ::-1\]\]\)/);
    expect(card).toMatch(/\{"input": x\.astype\(np\.float32\)\}\)\[0\]\.mean\(0\)/);
    expect(card).toMatch(/\| red \| \d+ \| \d+ \|/);
    const zip = fs.readFileSync(`${bundle}.zip`);
    expect(zip.readUInt32LE(0)).toBe(0x04034b50);
    // Finished: the "still being written" marker is gone from the folder and never zipped.
    expect(fs.existsSync(path.join(bundle, UNFINISHED_MARKER))).toBe(false);
    expect(zip.includes(Buffer.from(UNFINISHED_MARKER))).toBe(false);
    expect(
      unzipEntry(zip, 'bundle/predict.mjs').equals(
        fs.readFileSync(path.join(bundle, 'predict.mjs')),
      ),
    ).toBe(true);
    expect(
      unzipEntry(zip, 'bundle/model/weights.bin').equals(
        fs.readFileSync(path.join(bundle, 'model/weights.bin')),
      ),
    ).toBe(true);
    expect((await t.service.api.export.history())[0]).toMatchObject({ kind: 'bundle', runId });
  });

  it("ImageFolder follows the newest run's split", async () => {
    const out = path.join(t.dir, 'imagefolder');
    const job = await t.service.api.export.dataset({ format: 'imagefolder', out });
    expect((await finished(t.service, job.id)).state).toBe('done');
    expect(fs.readdirSync(out).sort()).toEqual(['train', 'validation']);
    const summary = await t.service.api.train.run(runId);
    for (const c of summary.counts.perClass) {
      expect(fs.readdirSync(path.join(out, 'train', c.name))).toHaveLength(c.train);
      expect(fs.readdirSync(path.join(out, 'validation', c.name))).toHaveLength(c.validation);
    }
  });

  it('predicts what the app predicts, in process and from predict.mjs in a child process', async () => {
    const app = await t.service.runPredictor(runId);
    const expected = await app.predict(probes);
    app.dispose();
    expect(expected.slice(0, 3).map((r) => r.label)).toEqual(['red', 'green', 'blue']);
    expect(expected[3]).toMatchObject({ label: '', probabilities: null });

    // The bundle's model.onnx on ONNX Runtime, and its TF.js model, both against the app.
    const merged = await bundlePredictor(bundle);
    expect(merged.engine).toBe('onnx');
    const got = await merged.predict(probes);
    merged.dispose();
    process.env['OCELLUS_ENGINE'] = 'tfjs';
    const layers = await bundlePredictor(bundle).finally(
      () => delete process.env['OCELLUS_ENGINE'],
    );
    expect(layers.engine).toBe('tfjs');
    const gotLayers = await layers.predict(probes);
    layers.dispose();
    // predict.mjs is not installed with its own dependencies here: NODE_PATH lends it the
    // project's node_modules (its require is resolved from the bundle's package.json).
    const { stdout } = await run(process.execPath, ['predict.mjs', ...probes], {
      cwd: bundle,
      env: { ...process.env, NODE_PATH: path.join(REPO, 'node_modules') },
    });
    const [header, ...rows] = parseCsv(stdout);
    expect(header).toEqual(['path', 'label', 'confidence', 'blue', 'green', 'red', 'error']);
    expect(rows).toHaveLength(probes.length);
    let maxDiff = 0;
    expected.forEach((e, i) => {
      const row = rows[i] ?? [];
      expect(row[0]).toBe(e.path);
      expect(row[1]).toBe(e.label);
      if (!e.probabilities) {
        expect(row[6]).not.toBe('');
        return;
      }
      e.probabilities.forEach((p, c) => {
        maxDiff = Math.max(
          maxDiff,
          Math.abs(p - Number(row[3 + c])),
          Math.abs(p - (got[i]?.probabilities?.[c] ?? NaN)),
          Math.abs(p - (gotLayers[i]?.probabilities?.[c] ?? NaN)),
        );
      });
    });
    expect(maxDiff).toBeLessThan(1e-4);
  }, 60_000);

  it('refuses a bundle whose zip exists already, before writing anything', async () => {
    const out = path.join(t.dir, 'zipped-again');
    fs.writeFileSync(`${out}.zip`, 'an older zip');
    await expect(t.service.api.export.bundle({ out, zip: true })).rejects.toMatchObject({
      code: 'ALREADY_EXISTS',
    });
    expect(fs.readFileSync(`${out}.zip`, 'utf8')).toBe('an older zip');
    expect(fs.existsSync(out)).toBe(false);
  });

  it('refuses a bundle whose export did not finish, in process and from the CLI', async () => {
    const copy = path.join(t.dir, 'unfinished');
    fs.cpSync(bundle, copy, { recursive: true });
    fs.writeFileSync(path.join(copy, UNFINISHED_MARKER), 'killed');
    await expect(bundlePredictor(copy)).rejects.toThrow(/export that did not finish/);
    let stderr = '';
    const code = await runCli(['predict', copy, probes[0] as string], {
      stdout: () => {},
      stderr: (text) => (stderr += text),
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(/is an export that did not finish \(EXPORT-UNFINISHED.txt\)/);
    const script = await run(process.execPath, ['predict.mjs', probes[0] as string], {
      cwd: copy,
      env: { ...process.env, NODE_PATH: path.join(REPO, 'node_modules') },
    }).catch((err: { code: number; stderr: string }) => err);
    expect(script).toMatchObject({ code: 1, stderr: expect.stringMatching(/did not finish/) });
  });

  it("reads a bundle's files only inside its folder: no link out, no path out, no device", async () => {
    const evil = path.join(t.dir, 'evil-bundle');
    fs.cpSync(bundle, evil, { recursive: true });
    const outside = path.join(t.dir, 'outside');
    fs.mkdirSync(outside);
    const replace = (name: string, make: (file: string) => void) => {
      fs.rmSync(path.join(evil, name));
      make(path.join(evil, name));
    };
    const refused = { code: 'FORBIDDEN_PATH' };
    // labels.json as a link to an identical file outside the bundle.
    fs.copyFileSync(path.join(bundle, 'labels.json'), path.join(outside, 'labels.json'));
    replace('labels.json', (f) => fs.symlinkSync(path.join(outside, 'labels.json'), f));
    await expect(bundlePredictor(evil)).rejects.toMatchObject(refused);
    replace('labels.json', (f) => fs.copyFileSync(path.join(bundle, 'labels.json'), f));
    // model.onnx as a link to a device that never ends.
    replace('model.onnx', (f) => fs.symlinkSync('/dev/zero', f));
    await expect(bundlePredictor(evil)).rejects.toMatchObject(refused);
    // preprocessing.json naming a model.onnx outside the bundle.
    fs.copyFileSync(path.join(bundle, 'model.onnx'), path.join(outside, 'model.onnx'));
    const pre = JSON.parse(fs.readFileSync(path.join(bundle, 'preprocessing.json'), 'utf8')) as {
      onnx: { file: string };
    };
    pre.onnx.file = '../outside/model.onnx';
    replace('preprocessing.json', (f) => fs.writeFileSync(f, JSON.stringify(pre)));
    await expect(bundlePredictor(evil)).rejects.toMatchObject(refused);
  });

  it('ocellus predict writes one row per image (errors included) and reports throughput', async () => {
    const out = path.join(t.dir, 'predictions.csv');
    let stderr = '';
    const code = await runCli(
      ['predict', bundle, path.dirname(probes[0]!), '--out', out, '--batch-size', '2'],
      {
        stdout: () => {},
        stderr: (s) => (stderr += s),
      },
    );
    expect(code).toBe(0);
    const [header, ...rows] = parseCsv(fs.readFileSync(out, 'utf8'));
    expect(header).toEqual(['path', 'label', 'confidence', 'blue', 'green', 'red', 'error']);
    expect(rows.map((r) => path.basename(r[0] ?? ''))).toEqual([
      'blue.jpg',
      'broken.jpg',
      'green.jpg',
      'red.jpg',
    ]);
    expect(rows[1]?.[1]).toBe('');
    expect(rows[1]?.[6]).not.toBe('');
    expect(rows[3]?.[1]).toBe('red');
    expect(stderr).toMatch(
      /4 images in [\d.]+ s \([\d.]+ images\/s\), 1 unreadable, on ONNX Runtime/,
    );
    // Run again into the same file: refused with one line, the first results left as they were.
    const written = fs.readFileSync(out);
    let again = '';
    const second = await runCli(['predict', bundle, path.dirname(probes[0]!), '--out', out], {
      stdout: () => {},
      stderr: (s) => (again += s),
    });
    expect(second).not.toBe(0);
    expect(again).toMatch(/predictions\.csv already exists/);
    expect(fs.readFileSync(out).equals(written)).toBe(true);
    expect(fs.existsSync(`${out}.partial`)).toBe(false);
  });

  it('ocellus predict exits 1 when it predicted nothing, and refuses bad --batch-size and --run', async () => {
    const run = async (args: string[]) => {
      let stdout = '';
      let stderr = '';
      const code = await runCli(['predict', bundle, ...args], {
        stdout: (s) => (stdout += s),
        stderr: (s) => (stderr += s),
      });
      return { code, stdout, stderr };
    };
    const broken = probes.find((p) => path.basename(p) === 'broken.jpg') ?? '';
    const missing = path.join(t.dir, 'no-such.jpg');
    const none = await run([broken, missing]);
    expect(none.code).toBe(1);
    expect(parseCsv(none.stdout)).toHaveLength(3);
    expect(none.stderr).toMatch(
      /^ocellus predict: No image could be read: every one of the 2 rows has its error$/m,
    );
    const empty = path.join(t.dir, 'empty-folder');
    fs.mkdirSync(empty);
    expect((await run([empty])).stderr).toMatch(/No image files found in the given paths/);
    for (const [args, said] of [
      [['--batch-size', '0'], /--batch-size must be a whole number ≥ 1, not 0/],
      [['--batch-size', 'abc'], /--batch-size must be a whole number ≥ 1, not abc/],
      [['--run', '2'], /--run picks a run of a project; a bundle is one run/],
    ] as const) {
      const r = await run([...args, broken]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(said);
    }
  });

  it('ocellus predict on a project uses its newest run and gives the same probabilities', async () => {
    const app = await t.service.runPredictor(runId);
    const expected = await app.predict(probes.slice(0, 3));
    app.dispose();
    await t.service.api.project.close();
    const before = process.env['OCELLUS_APP_DATA'];
    process.env['OCELLUS_APP_DATA'] = path.join(t.dir, 'appdata');
    let stdout = '';
    try {
      const code = await runCli(
        ['predict', path.join(t.dir, 'p.ocellus'), ...probes.slice(0, 3), '--json'],
        {
          stdout: (s) => (stdout += s),
          stderr: () => {},
        },
      );
      expect(code).toBe(0);
    } finally {
      if (before === undefined) delete process.env['OCELLUS_APP_DATA'];
      else process.env['OCELLUS_APP_DATA'] = before;
    }
    const got = JSON.parse(stdout) as { label: string; probabilities: Record<string, number> }[];
    expect(got.map((g) => g.label)).toEqual(expected.map((e) => e.label));
    got.forEach((g, i) => {
      ['blue', 'green', 'red'].forEach((c, k) => {
        expect(
          Math.abs((g.probabilities[c] ?? NaN) - (expected[i]?.probabilities?.[k] ?? NaN)),
        ).toBeLessThan(1e-6);
      });
    });
  });
});
