import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../../../../src/main/core/export/csv';
import { bundlePredictor } from '../../../../../src/main/core/export/predict';
import { writeJpeg } from '../../../../helpers/image-fixtures';
import { sharedMobileNetV2 } from '../../../../helpers/nsfw-models';
import { makeTestService, jobFinished as finished } from '../../../../helpers/service';

const run = promisify(execFile);
const REPO = path.resolve(__dirname, '../../../../..');

/**
 * The real Keras MobileNetV2 (ZeroPadding2D, DepthwiseConv2D, ReLU6, Add) as the base: the
 * merged model must serialise, reload and predict like the app's base + head.
 */
describe('model bundle on MobileNetV2', () => {
  let t: ReturnType<typeof makeTestService>;
  let bundle: string;
  let probes: string[];
  let runId: number;
  beforeAll(async () => {
    process.env['OCELLUS_BACKEND'] = 'wasm';
    t = makeTestService();
    const photos = path.join(t.dir, 'photos');
    for (const [name, color] of [
      ['red', (i: number) => ({ r: 170 + i * 12, g: i * 9, b: i * 7 })],
      ['blue', (i: number) => ({ r: i * 7, g: i * 9, b: 170 + i * 12 })],
    ] as const) {
      for (let i = 0; i < 4; i++)
        await writeJpeg(path.join(photos, name, `${i}.jpg`), {
          width: 64,
          height: 48,
          color: color(i),
        });
    }
    probes = [
      await writeJpeg(path.join(t.dir, 'probe', 'a.jpg'), {
        width: 80,
        height: 60,
        color: '#c83020',
      }),
      await writeJpeg(path.join(t.dir, 'probe', 'b.jpg'), {
        width: 60,
        height: 80,
        color: '#2030c0',
      }),
    ];
    const model = await t.service.api.ml.importModel(path.dirname(await sharedMobileNetV2()));
    await t.service.api.project.create({ path: path.join(t.dir, 'p.ocellus') });
    await t.service.api.library.addRoot(photos, { labelsFromFolders: true });
    await t.service.whenIdle();
    const trained = await t.service.api.train.start({
      baseModel: model.id,
      epochs: 10,
      validationFraction: 0.25,
      groupBy: 'none',
      seed: 2,
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

  it('predict.mjs on ONNX Runtime, and on pure-JS TF.js as its fallback, matches the app within 1e-4', async () => {
    const app = await t.service.runPredictor(runId);
    const expected = await app.predict(probes);
    app.dispose();
    expect(expected.every((e) => e.probabilities !== null)).toBe(true);
    for (const engine of ['onnx', 'tfjs']) {
      const { stdout, stderr } = await run(
        process.execPath,
        ['predict.mjs', ...probes, '--engine', engine],
        {
          cwd: bundle,
          env: { ...process.env, NODE_PATH: path.join(REPO, 'node_modules') },
          maxBuffer: 1 << 24,
        },
      );
      expect(stderr).toMatch(
        engine === 'onnx'
          ? /images\/s, ONNX Runtime, with mirror averaging\)/
          : /images\/s, TF\.js/,
      );
      const rows = parseCsv(stdout).slice(1);
      let maxDiff = 0;
      expected.forEach((e, i) => {
        expect(rows[i]?.[1]).toBe(e.label);
        e.probabilities?.forEach((p, c) => {
          maxDiff = Math.max(maxDiff, Math.abs(p - Number(rows[i]?.[3 + c])));
        });
      });
      expect(maxDiff, engine).toBeLessThan(1e-4);
    }
  }, 120_000);

  it("the bundle's model.onnx (MobileNetV2 + head) on ONNX Runtime matches the app within 1e-4", async () => {
    const app = await t.service.runPredictor(runId);
    const expected = await app.predict(probes);
    app.dispose();
    const onnx = await bundlePredictor(bundle);
    expect(onnx.engine).toBe('onnx');
    const got = await onnx.predict(probes);
    onnx.dispose();
    let maxDiff = 0;
    expected.forEach((e, i) => {
      expect(got[i]?.label).toBe(e.label);
      e.probabilities?.forEach((p, c) => {
        maxDiff = Math.max(maxDiff, Math.abs(p - (got[i]?.probabilities?.[c] ?? NaN)));
      });
    });
    expect(maxDiff).toBeLessThan(1e-4);
  }, 120_000);
});
