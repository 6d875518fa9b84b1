import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../../../../src/main/core/export/csv';
import { bundlePredictor, collectImageFiles } from '../../../../../src/main/core/export/predict';
import { ModelStore } from '../../../../../src/main/core/ml/model-store';
import type { JobInfo } from '../../../../../src/shared/types';
import { writeRedBlue } from '../../../../helpers/image-fixtures';
import { jobFinished, makeTestService } from '../../../../helpers/service';
import { startStaticServer } from '../../../../helpers/static-server';
import { makeTmpDir } from '../../../../helpers/tmp-dir';
import { writeTinyOnnxBase } from '../../../../helpers/tiny-onnx';

const run = promisify(execFile);
const REPO = path.resolve(__dirname, '../../../../..');

function kindFinished(t: ReturnType<typeof makeTestService>, kind: string): Promise<JobInfo> {
  return new Promise((resolve) => {
    const off = t.service.bus.on('job:updated', (j) => {
      if (j.kind === kind && j.state !== 'running') {
        off();
        resolve(j);
      }
    });
  });
}

describe('an ONNX image model as a base', () => {
  let t: ReturnType<typeof makeTestService>;
  let baseDir: string;
  let bundle: string;
  let photos: string;
  let modelId: string;
  beforeAll(async () => {
    t = makeTestService();
    baseDir = await writeTinyOnnxBase(path.join(t.dir, 'tiny-onnx'));
    photos = path.join(t.dir, 'photos');
    await writeRedBlue(photos, 8, 40);
    await t.service.api.project.create({ path: path.join(t.dir, 'p.ocellus'), name: 'Onnx' });
    await t.service.api.library.addRoot(photos, { labelsFromFolders: true });
    await t.service.whenIdle();
    const model = await t.service.api.ml.importModel(baseDir);
    expect(model).toMatchObject({
      format: 'onnx',
      inputSize: [16, 16],
      licence: 'MIT (test model)',
    });
    modelId = model.id;
    const predicted = kindFinished(t, 'predict');
    const trained = await t.service.api.train.start({
      baseModel: model.id,
      epochs: 30,
      hiddenUnits: 8,
      learningRate: 0.01,
      groupBy: 'none',
      seed: 2,
    });
    expect((await jobFinished(t.service, trained.jobId)).state).toBe('done');
    expect((await predicted).state).toBe('done');
    bundle = path.join(t.dir, 'bundle');
    const job = await t.service.api.export.bundle({ out: bundle });
    expect((await jobFinished(t.service, job.id)).error).toBeNull();
  }, 180_000);
  afterAll(async () => {
    await t.cleanup();
  });

  it('refuses a folder whose declaration is missing or names what the model does not have', async () => {
    const tmp = makeTmpDir();
    try {
      const store = new ModelStore({ cacheDir: path.join(tmp.dir, 'models') });
      const bare = path.join(tmp.dir, 'bare');
      fs.mkdirSync(bare);
      fs.copyFileSync(path.join(baseDir, 'model.onnx'), path.join(bare, 'model.onnx'));
      await expect(store.importFolder(bare)).rejects.toThrow(
        /ocellus-base\.json: missing.*"layout"/,
      );
      const decl = JSON.parse(fs.readFileSync(path.join(baseDir, 'ocellus-base.json'), 'utf8'));
      fs.writeFileSync(
        path.join(bare, 'ocellus-base.json'),
        JSON.stringify({ ...decl, output: 'x' }),
      );
      await expect(store.importFolder(bare)).rejects.toThrow(
        /outputs features; the declaration names input "pixel_values" and output "x"/,
      );
    } finally {
      tmp.cleanup();
    }
  });

  it('refuses, without hanging or reading outside, a declaration or model that is a FIFO or a link', async () => {
    const tmp = makeTmpDir();
    try {
      const store = new ModelStore({ cacheDir: path.join(tmp.dir, 'models') });
      const folder = (name: string) => {
        const dir = path.join(tmp.dir, name);
        fs.mkdirSync(dir);
        for (const f of ['model.onnx', 'ocellus-base.json'])
          fs.copyFileSync(path.join(baseDir, f), path.join(dir, f));
        return dir;
      };
      const fifoModel = folder('fifo-model');
      fs.rmSync(path.join(fifoModel, 'model.onnx'));
      await run('mkfifo', [path.join(fifoModel, 'model.onnx')]);
      await expect(store.importFolder(fifoModel)).rejects.toMatchObject({ code: 'UNSUPPORTED' });
      const fifoDecl = folder('fifo-decl');
      fs.rmSync(path.join(fifoDecl, 'ocellus-base.json'));
      await run('mkfifo', [path.join(fifoDecl, 'ocellus-base.json')]);
      await expect(store.importFolder(fifoDecl)).rejects.toMatchObject({ code: 'UNSUPPORTED' });
      const zero = folder('zero');
      fs.rmSync(path.join(zero, 'model.onnx'));
      fs.symlinkSync('/dev/zero', path.join(zero, 'model.onnx'));
      await expect(store.importFolder(zero)).rejects.toMatchObject({ code: 'FORBIDDEN_PATH' });
      const outside = folder('outside');
      fs.rmSync(path.join(outside, 'model.onnx'));
      fs.symlinkSync(path.join(baseDir, 'model.onnx'), path.join(outside, 'model.onnx'));
      await expect(store.importFolder(outside)).rejects.toMatchObject({ code: 'FORBIDDEN_PATH' });
      expect(store.list()).toEqual([]);
    } finally {
      tmp.cleanup();
    }
  });

  it('downloads an ONNX zoo model once, verified by its sha256', async () => {
    const tmp = makeTmpDir();
    const server = await startStaticServer(baseDir);
    try {
      const store = new ModelStore({ cacheDir: path.join(tmp.dir, 'models') });
      const { createHash } = await import('node:crypto');
      const sha = createHash('sha256')
        .update(fs.readFileSync(path.join(baseDir, 'model.onnx')))
        .digest('hex');
      const entry = {
        id: 'tiny-onnx',
        name: 'Tiny ONNX',
        format: 'onnx' as const,
        url: server.url('/model.onnx'),
        sourceNote: 'test',
        confirmed: true,
        preprocessing: {
          inputSize: [16, 16] as [number, number],
          resize: 'squash' as const,
          normalization: { kind: 'range' as const, min: 0, max: 1 },
        },
        onnx: { input: 'pixel_values', output: 'features', layout: 'NCHW' as const },
        featureOutput: 'features',
        featureSize: 8,
        sha256: { modelJson: sha, shards: {} },
        sizeBytes: null,
        licence: 'MIT',
      };
      const stored = await store.download(entry);
      expect(stored).toMatchObject({ id: 'tiny-onnx', format: 'onnx', zooId: 'tiny-onnx' });
      expect(fs.existsSync(stored.modelJson)).toBe(true);
      await store.download(entry);
      expect(server.requests).toEqual(['/model.onnx']);
      const bad = { ...entry, id: 'tiny-bad', sha256: { modelJson: '0'.repeat(64), shards: {} } };
      await expect(store.download(bad)).rejects.toThrow(
        /failed verification: sha256 expected 0{64}/,
      );
    } finally {
      await server.close();
      tmp.cleanup();
    }
  });

  it('bundles model.onnx with the head appended and leaves the TF.js parts out, saying why', () => {
    const files = fs.readdirSync(bundle).sort();
    expect(files).toEqual(
      expect.arrayContaining([
        'MODEL_CARD.md',
        'labels.json',
        'metrics.json',
        'model.onnx',
        'package.json',
        'predict.mjs',
        'preprocessing.json',
      ]),
    );
    expect(files).not.toContain('model');
    expect(files).not.toContain('index.html');
    const pre = JSON.parse(fs.readFileSync(path.join(bundle, 'preprocessing.json'), 'utf8'));
    expect(pre.onnx).toMatchObject({
      input: 'pixel_values',
      output: 'probabilities',
      layout: 'NCHW',
      shape: [null, 3, 16, 16],
    });
    expect(pre.tfjs.included).toBe(false);
    expect(pre.tfjs.reason).toMatch(/ONNX model, which TF\.js cannot load/);
    const pkg = JSON.parse(fs.readFileSync(path.join(bundle, 'package.json'), 'utf8'));
    expect(Object.keys(pkg.dependencies).sort()).toEqual([
      'dcmjs-codecs',
      'dcmjs-imaging',
      'onnxruntime-node',
      'sharp',
    ]);
    expect(fs.readFileSync(path.join(bundle, 'MODEL_CARD.md'), 'utf8')).toMatch(
      /x\.transpose\(0, 3, 1, 2\)/,
    );
  });

  it('predicts in the bundle (ocellus predict and predict.mjs) what the app suggests', async () => {
    const files = await collectImageFiles([photos]);
    const predictor = await bundlePredictor(bundle);
    expect(predictor.engine).toBe('onnx');
    const rows = await predictor.predict(files);
    predictor.dispose();
    const page = await t.service.api.library.listImages({ sort: 'path', limit: 100 });
    let appDiff = 0;
    for (const im of page.items) {
      const app = await t.service.api.assist.prediction(im.id);
      const row = rows.find((r) => r.path === path.join(photos, im.relPath));
      for (const p of app?.probabilities ?? []) {
        appDiff = Math.max(
          appDiff,
          Math.abs(p.p - (row?.probabilities?.[predictor.classes.indexOf(p.name)] ?? NaN)),
        );
      }
    }
    expect(appDiff).toBeLessThanOrEqual(1e-3);
    expect(
      rows.filter((r) => r.path.includes(`${path.sep}${r.label}${path.sep}`)).length,
    ).toBeGreaterThanOrEqual(14);
    const { stdout } = await run(process.execPath, ['predict.mjs', photos], {
      cwd: bundle,
      env: { ...process.env, NODE_PATH: path.join(REPO, 'node_modules') },
    });
    const [header, ...csv] = parseCsv(stdout);
    let scriptDiff = 0;
    csv.forEach((r, i) => {
      expect(r[0]).toBe(rows[i]?.path);
      header?.slice(3, -1).forEach((_, c) => {
        scriptDiff = Math.max(
          scriptDiff,
          Math.abs(Number(r[3 + c]) - (rows[i]?.probabilities?.[c] ?? NaN)),
        );
      });
    });
    expect(scriptDiff).toBeLessThan(1e-4);
  }, 60_000);

  it('refuses fine-tuning and heat maps with the reason', async () => {
    await expect(
      t.service.api.train.plan({ baseModel: modelId, mode: 'finetune' }),
    ).rejects.toThrow(/Fine-tuning needs a Layers model; .* is an ONNX model/);
    const page = await t.service.api.library.listImages({ sort: 'path', limit: 1 });
    await expect(t.service.api.assist.heatMap(page.items[0]?.id ?? 0)).rejects.toThrow(
      /Heat maps need a Layers base model/,
    );
  });
});
