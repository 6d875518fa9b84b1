import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installedVersion } from '../../../../../src/main/core/export/bundle';
import { parseCsv } from '../../../../../src/main/core/export/csv';
import { EMPTY_FILE, NOT_AN_IMAGE } from '../../../../../src/main/core/library/image-check';
import { collectImageFiles } from '../../../../../src/main/core/export/predict';
import { writeJpeg, writeTextAsJpeg } from '../../../../helpers/image-fixtures';
import { makeTestService, jobFinished as finished } from '../../../../helpers/service';
import { runWithFailingStdout } from '../../../../helpers/stdout-failures';
import { writeTinyCnn } from '../../../../helpers/tiny-models';

const execFileAsync = promisify(execFile);
const REPO = path.resolve(__dirname, '../../../../..');
const MANY = 520;

const COLOURS = ['red', 'green', 'blue'] as const;
const shade = (name: (typeof COLOURS)[number], i: number) => {
  const hi = 150 + ((i * 13) % 100);
  const lo = (i * 11) % 70;
  return name === 'red'
    ? { r: hi, g: lo, b: lo }
    : name === 'green'
      ? { r: lo, g: hi, b: lo }
      : { r: lo, g: lo, b: hi };
};

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** predict.mjs in a child process, lent the project's node_modules (as the bundle tests do). */
async function predictScript(bundle: string, args: string[], timeout = 0): Promise<Outcome> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, ['predict.mjs', ...args], {
      cwd: bundle,
      timeout,
      // Without the switch the app's own ONNX Runtime loading set in this process: the
      // script must turn ONNX Runtime's telemetry off itself.
      env: {
        ...process.env,
        ORT_DISABLE_TELEMETRY: undefined,
        NODE_PATH: path.join(REPO, 'node_modules'),
      },
      maxBuffer: 1 << 26,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; signal?: string; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err; // Killed by a signal: that is the failure.
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/**
 * The bundle's predict.mjs on many files: a tiny CNN with test-time mirror averaging
 * (so every packing path runs), ONNX Runtime, and more than 500 tiny images with unreadable
 * ones among them. Every row must be there, in order, and agree with the app.
 */
describe('predict.mjs', () => {
  let t: ReturnType<typeof makeTestService>;
  let bundle: string;
  let many: string;
  let runId: number;
  beforeAll(async () => {
    process.env['OCELLUS_BACKEND'] = 'wasm';
    t = makeTestService();
    const photos = path.join(t.dir, 'photos');
    for (const name of COLOURS) {
      for (let i = 0; i < 6; i++) {
        await writeJpeg(path.join(photos, name, `${i}.jpg`), {
          width: 40,
          height: 36,
          color: shade(name, i),
        });
      }
    }
    many = path.join(t.dir, 'many');
    // Camera-trap-like names: the paths, given as arguments, make a command line over 28 KB,
    // which crashed ONNX Runtime's telemetry (a stack overflow) before it was turned off.
    for (let i = 0; i < MANY; i++) {
      const file = path.join(
        many,
        `site-${String(i % 4).padStart(2, '0')}-north-ridge`,
        `camera-${'ABCD'[i % 4]}`,
        `IMG_${String(i).padStart(4, '0')}-2026-06-01T05-30-00.jpg`,
      );
      if (i % 97 === 50) await writeTextAsJpeg(file);
      else
        await writeJpeg(file, {
          width: 8 + (i % 9),
          height: 6 + (i % 7),
          color: shade(COLOURS[i % 3] ?? 'red', i),
        });
    }
    const base = await writeTinyCnn(path.join(t.dir, 'tiny'));
    await t.service.api.project.create({ path: path.join(t.dir, 'p.ocellus'), name: 'Many' });
    await t.service.api.library.addRoot(photos, { labelsFromFolders: true });
    await t.service.whenIdle();
    const model = await t.service.api.ml.importModel(path.dirname(base));
    const trained = await t.service.api.train.start({
      baseModel: model.id,
      epochs: 30,
      hiddenUnits: 16,
      learningRate: 0.01,
      validationFraction: 0.25,
      groupBy: 'none',
      patience: 0,
      seed: 4,
      tta: true,
    });
    expect((await finished(t.service, trained.jobId)).state).toBe('done');
    runId = trained.id;
    bundle = path.join(t.dir, 'bundle');
    const job = await t.service.api.export.bundle({ out: bundle });
    expect((await finished(t.service, job.id)).error).toBeNull();
  }, 180_000);
  afterAll(async () => {
    delete process.env['OCELLUS_BACKEND'];
    await t.cleanup();
  });

  it(`writes all ${MANY} rows of files given as arguments, in order, each as the app predicts`, async () => {
    const files = await collectImageFiles([many]);
    expect(files).toHaveLength(MANY);
    expect(files.some((f) => f.includes('IMG_0000-'))).toBe(true);
    const app = await t.service.runPredictor(runId);
    const expected = await app.predict(files);
    app.dispose();
    expect(files.join(' ').length).toBeGreaterThan(40_000);
    const out = await predictScript(bundle, [...files, '--batch-size', '7']);
    expect(out.stderr).toMatch(
      new RegExp(`${MANY} images in [\\d.]+ s \\([\\d.]+ images/s, ONNX Runtime, with mirror`),
    );
    expect(out.code).toBe(0);
    const [header, ...rows] = parseCsv(out.stdout);
    expect(header).toEqual(['path', 'label', 'confidence', 'blue', 'green', 'red', 'error']);
    expect(rows.map((r) => r[0])).toEqual(files);
    let maxDiff = 0;
    let unreadable = 0;
    expected.forEach((e, i) => {
      const row = rows[i] ?? [];
      expect(row, e.path).toHaveLength(7);
      if (!e.probabilities) {
        unreadable++;
        expect(row.slice(1, 6), e.path).toEqual(['', '', '', '', '']);
        expect(row[6], e.path).not.toBe('');
        return;
      }
      expect(row[1], e.path).toBe(e.label);
      expect(row[6], e.path).toBe('');
      const p = row.slice(3, 6).map(Number);
      expect(Number(row[2])).toBe(Math.max(...p));
      e.probabilities.forEach((q, c) => (maxDiff = Math.max(maxDiff, Math.abs(q - (p[c] ?? NaN)))));
    });
    expect(unreadable).toBe(Math.ceil((MANY - 50) / 97));
    expect(maxDiff).toBeLessThan(1e-4);
  }, 300_000);

  it('answers --help and -h with the usage, and refuses unknown options and bad values', async () => {
    for (const flag of ['--help', '-h']) {
      const out = await predictScript(bundle, [flag]);
      expect(out.code, flag).toBe(0);
      expect(out.stdout, flag).toMatch(/^usage: node predict\.mjs <images or folders…>/);
      expect(out.stdout, flag).toMatch(/--batch-size N/);
    }
    for (const [args, message] of [
      [['--bogus', many], /Unknown option '--bogus'/],
      [[many, '--batch-size', '0'], /--batch-size takes a whole number/],
      [[many, '--batch-size', 'lots'], /--batch-size takes a whole number/],
      [[many, '--engine', 'cuda'], /--engine takes onnx or tfjs/],
      [[], /No images or folders given/],
    ] as const) {
      const out = await predictScript(bundle, [...args]);
      expect(out.code, args.join(' ')).toBe(2);
      expect(out.stdout, args.join(' ')).toBe('');
      expect(out.stderr, args.join(' ')).toMatch(message);
      expect(out.stderr, args.join(' ')).toMatch(/usage: node predict\.mjs/);
    }
  }, 60_000);

  it('refuses its own files when they are FIFOs or links out of the folder, with one line, never waiting', async () => {
    const image = (await collectImageFiles([many]))[0] ?? '';
    const cases = [
      ['labels.json', 'fifo', []],
      ['preprocessing.json', 'fifo', []],
      ['model.onnx', 'fifo', []],
      ['model.onnx', 'device', []],
      [path.join('model', 'model.json'), 'fifo', ['--engine', 'tfjs']],
    ] as const;
    for (const [name, kind, extra] of cases) {
      const copy = path.join(t.dir, `hostile-${kind}-${name.replace(/\W/g, '_')}`);
      fs.cpSync(bundle, copy, { recursive: true });
      fs.rmSync(path.join(copy, name));
      if (kind === 'fifo') execFileSync('mkfifo', [path.join(copy, name)]);
      else fs.symlinkSync('/dev/zero', path.join(copy, name));
      // A script that waited on the FIFO or read /dev/zero would be killed at the timeout,
      // which predictScript throws on.
      const out = await predictScript(copy, [image, ...extra], 30_000);
      const what = `${name} as a ${kind}`;
      expect(out.code, what).toBe(1);
      expect(out.stdout, what).toBe('');
      // One line of its own and no stack (TensorFlow's start-up lines may come before it).
      expect(
        out.stderr.split('\n').filter((l) => l.startsWith('predict.mjs:')),
        what,
      ).toHaveLength(1);
      expect(out.stderr, what).not.toMatch(/\n\s+at /);
      expect(out.stderr, what).toMatch(
        kind === 'fifo'
          ? /predict\.mjs: .*is a FIFO \(named pipe\), not a regular file/
          : /outside/,
      );
      expect(out.stderr, what).toContain(path.basename(name));
    }
  }, 120_000);

  it('gives FIFOs, devices, empty files and non-images an error row each, worded as ocellus predict words it, and goes on', async () => {
    const dir = path.join(t.dir, 'hostile-inputs');
    fs.mkdirSync(dir);
    const good = (await collectImageFiles([many]))[0] ?? '';
    fs.copyFileSync(good, path.join(dir, 'a-good.jpg'));
    execFileSync('mkfifo', [path.join(dir, 'b-fifo.jpg')]);
    fs.symlinkSync('/dev/zero', path.join(dir, 'c-zero.jpg'));
    fs.symlinkSync('/dev/urandom', path.join(dir, 'd-random.png'));
    fs.writeFileSync(path.join(dir, 'e-empty.jpg'), '');
    fs.writeFileSync(path.join(dir, 'f-text.png'), 'not a picture at all\n');
    // A BMP header (a known format sharp's libvips cannot read) under a .jpg name.
    const bmp = Buffer.alloc(64);
    bmp.write('BM', 0, 'latin1');
    bmp.writeUInt32LE(64, 2);
    bmp.writeUInt32LE(54, 10);
    bmp.writeUInt32LE(40, 14);
    fs.writeFileSync(path.join(dir, 'g-bitmap.jpg'), bmp);
    const names = ['a-good.jpg', 'b-fifo.jpg', 'c-zero.jpg', 'd-random.png'];
    names.push('e-empty.jpg', 'f-text.png', 'g-bitmap.jpg');
    const files = names.map((f) => path.join(dir, f));
    // Killed at the timeout (and thrown) if sharp were left to open the FIFO or read /dev/zero.
    const out = await predictScript(bundle, [...files], 60_000);
    expect(out.code).toBe(0);
    const [, ...rows] = parseCsv(out.stdout);
    const app = await t.service.runPredictor(runId);
    const expected = await app.predict(files);
    app.dispose();
    expect(rows.map((r) => r[0])).toEqual(files);
    expect(rows[0]?.[1]).toBe(expected[0]?.label);
    expect(rows[1]?.at(-1)).toMatch(/is a FIFO \(named pipe\), not a regular file/);
    expect(rows[2]?.at(-1)).toMatch(/is a character device, not a regular file/);
    expect(rows[3]?.at(-1)).toMatch(/is a character device, not a regular file/);
    expect(rows[4]?.at(-1)).toBe(EMPTY_FILE);
    expect(rows[5]?.at(-1)).toBe(NOT_AN_IMAGE);
    expect(rows[6]?.at(-1)).toMatch(/^BMP images are not supported/);
    rows.slice(1).forEach((r, i) => expect(r.at(-1)).toBe(expected[i + 1]?.error));
    expect(out.stderr).toMatch(/7 images in .*, 6 unreadable\n/);

    // Nothing predicted: every row has its error, or there was no image at all. Exit 1, said
    // in one line, so a script notices (it exited 0).
    const bad = await predictScript(bundle, files.slice(1), 60_000);
    expect(bad.code).toBe(1);
    expect(parseCsv(bad.stdout)).toHaveLength(7);
    expect(bad.stderr).toMatch(/^predict\.mjs: No image could be read: every one of the 6 rows/m);
    const empty = path.join(t.dir, 'no-images');
    fs.mkdirSync(empty);
    const none = await predictScript(bundle, [empty], 60_000);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^predict\.mjs: No image files found in the given paths$/m);
  }, 120_000);

  it('ends quietly when its reader goes away (| head) and in one line on a full disk', async () => {
    const options = {
      cwd: bundle,
      env: { ...process.env, NODE_PATH: path.join(REPO, 'node_modules') },
    };
    const files = (await collectImageFiles([many])).slice(0, 40);
    const closed = await runWithFailingStdout(['predict.mjs', ...files], 'closed', options);
    expect(closed.stderr).not.toMatch(/Unhandled|EPIPE|\n\s+at /);
    expect(closed.code).toBe(0);
    const full = await runWithFailingStdout(['predict.mjs', ...files], 'full', options);
    expect(full.stderr).toMatch(/^predict\.mjs: cannot write the output: ENOSPC/m);
    expect(full.stderr).not.toMatch(/Unhandled|\n\s+at /);
    expect(full.code).toBe(1);
  }, 120_000);

  it("pins its dependencies to the app's versions", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(bundle, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    for (const name of [
      'sharp',
      'onnxruntime-node',
      '@tensorflow/tfjs',
      'dcmjs-imaging',
      'dcmjs-codecs',
    ]) {
      expect(pkg.dependencies[name], name).toMatch(/^\d+\.\d+\.\d+/);
      expect(pkg.dependencies[name], name).toBe(installedVersion(name));
    }
  });
});
