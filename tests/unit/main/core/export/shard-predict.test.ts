import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManifestPredictResult, PredictionRecord } from '../../../../../src/shared/types';
import { runCli } from '../../../../../src/main/cli/run-cli';
import { bundlePredictor } from '../../../../../src/main/core/export/predict';
import { predictManifest } from '../../../../../src/main/core/export/shard-predict';
import { PYDICOM_DIR } from '../../../../helpers/dicom-fixtures';
import { writeJpeg, writeTextAsJpeg } from '../../../../helpers/image-fixtures';
import { makeTestService, jobFinished as finished } from '../../../../helpers/service';
import { writeTinyCnn } from '../../../../helpers/tiny-models';

const shade = (name: string, i: number) => {
  const hi = 150 + ((i * 13) % 100);
  const lo = (i * 11) % 70;
  return name === 'red' ? { r: hi, g: lo, b: lo } : { r: lo, g: lo, b: hi };
};

const readRecords = (file: string): PredictionRecord[] =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as PredictionRecord);

/**
 * A manifest over copies of a project's photos (as a cluster would see them: another path,
 * same bytes), classified whole, in shards and after a kill; then merged back as suggestions.
 */
describe('manifest predictions in shards', () => {
  let t: ReturnType<typeof makeTestService>;
  let bundle: string;
  let manifest: string;
  let whole: PredictionRecord[];
  const names: string[] = [];
  beforeAll(async () => {
    process.env['OCELLUS_BACKEND'] = 'wasm';
    t = makeTestService('cli');
    const photos = path.join(t.dir, 'photos');
    const copies = path.join(t.dir, 'cluster-copy');
    for (const name of ['red', 'blue'])
      for (let i = 0; i < 10; i++) {
        const spec = { width: 40, height: 36, color: shade(name, i) };
        await writeJpeg(path.join(photos, name, `${i}.jpg`), spec);
        fs.mkdirSync(path.join(copies, name), { recursive: true });
        fs.copyFileSync(path.join(photos, name, `${i}.jpg`), path.join(copies, name, `${i}.jpg`));
        names.push(`cluster-copy/${name}/${i}.jpg`);
      }
    await writeTextAsJpeg(path.join(copies, 'broken.jpg'));
    names.push('cluster-copy/broken.jpg');
    manifest = path.join(t.dir, 'files.txt');
    // Relative lines are relative to the manifest's folder; blank lines are skipped.
    fs.writeFileSync(manifest, `${names.join('\n')}\n\n`);
    const base = await writeTinyCnn(path.join(t.dir, 'tiny'));
    await t.service.api.project.create({ path: path.join(t.dir, 'p.ocellus'), name: 'Shards' });
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
      seed: 1,
    });
    expect((await finished(t.service, trained.jobId)).state).toBe('done');
    bundle = path.join(t.dir, 'bundle');
    const job = await t.service.api.export.bundle({ out: bundle });
    expect((await finished(t.service, job.id)).state).toBe('done');
    const out = path.join(t.dir, 'whole.jsonl');
    const r = await t.service.api.predict.manifest({
      source: { bundle },
      manifest,
      out,
      batchSize: 4,
    });
    expect(r).toMatchObject({ total: 21, written: 21, resumed: 0, errors: 1 });
    whole = readRecords(out);
  }, 120_000);
  afterAll(async () => {
    delete process.env['OCELLUS_BACKEND'];
    await t.cleanup();
  });

  it('writes one record per manifest line, keyed by path and content hash', () => {
    expect(whole.map((r) => r.path)).toEqual(names);
    const red = whole[0]!;
    expect(red.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.keys(red.probabilities ?? {})).toEqual(['blue', 'red']);
    expect(red.label).toBe('red');
    expect(red.decision).toBeNull();
    const broken = whole[20]!;
    expect(broken).toMatchObject({ label: null, probabilities: null, sha256: null });
    expect(broken.error).toBeTruthy();
  });

  it('splits the manifest by line number: shards together are the whole, each line once', async () => {
    const parts: PredictionRecord[][] = [];
    for (let i = 0; i < 3; i++) {
      const out = path.join(t.dir, `shard-${i}-of-3.jsonl`);
      await t.service.api.predict.manifest({
        source: { bundle },
        manifest,
        out,
        shard: { index: i, count: 3 },
      });
      parts.push(readRecords(out));
    }
    expect(parts[1]!.map((r) => r.path)).toEqual(names.filter((_, k) => k % 3 === 1));
    const merged = parts.flat().sort((a, b) => a.path.localeCompare(b.path));
    const expected = [...whole].sort((a, b) => a.path.localeCompare(b.path));
    expect(merged.map((r) => [r.path, r.sha256, r.label])).toEqual(
      expected.map((r) => [r.path, r.sha256, r.label]),
    );
    merged.forEach((r, k) => {
      for (const c of ['blue', 'red'])
        expect(
          Math.abs((r.probabilities?.[c] ?? 0) - (expected[k]?.probabilities?.[c] ?? 0)),
        ).toBeLessThan(1e-5);
    });
  });

  it('resumes a killed task: a torn last line is cut, nothing lost or repeated', async () => {
    const out = path.join(t.dir, 'killed.jsonl');
    const text = fs.readFileSync(path.join(t.dir, 'whole.jsonl'), 'utf8');
    // Eight records written, then a kill in the middle of the ninth line.
    const cut = text.split('\n').slice(0, 8).join('\n').length + 1 + 25;
    fs.writeFileSync(out, text.slice(0, cut));
    await expect(
      t.service.api.predict.manifest({ source: { bundle }, manifest, out }),
    ).rejects.toThrow(/--resume/);
    const r = await t.service.api.predict.manifest({
      source: { bundle },
      manifest,
      out,
      resume: true,
      batchSize: 5,
    });
    expect(r).toMatchObject({ resumed: 8, written: 13 });
    expect(readRecords(out).map((x) => x.path)).toEqual(names);
    const again = await t.service.api.predict.manifest({
      source: { bundle },
      manifest,
      out,
      resume: true,
    });
    expect(again).toMatchObject({ resumed: 21, written: 0 });
  });

  it('counts files in its progress and rows in its output: a two-frame DICOM is one file, two rows', async () => {
    fs.copyFileSync(
      path.join(PYDICOM_DIR, 'SC_rgb_rle_2frame.dcm'),
      path.join(t.dir, 'cluster-copy', 'two-frame.dcm'),
    );
    const framed = path.join(t.dir, 'framed.txt');
    const lines = [
      'cluster-copy/red/0.jpg',
      'cluster-copy/two-frame.dcm',
      'cluster-copy/blue/0.jpg',
    ];
    fs.writeFileSync(framed, `${lines.join('\n')}\n`);
    const predictor = await bundlePredictor(bundle);
    try {
      const steps: [number, number | undefined][] = [];
      const job = {
        progress: (d: number, n?: number) => steps.push([d, n]),
        throwIfCancelled() {},
      };
      const out = path.join(t.dir, 'framed.jsonl');
      const whole = await predictManifest(predictor, { manifest: framed, out, batchSize: 1 }, job);
      expect(readRecords(out).map((r) => [path.basename(r.path), r.frame ?? null])).toEqual([
        ['0.jpg', null],
        ['two-frame.dcm', 0],
        ['two-frame.dcm', 1],
        ['0.jpg', null],
      ]);
      expect(whole).toMatchObject({ total: 3, files: 3, written: 4, resumed: 0, errors: 0 });
      // A file is done once its last frame is written; never more done than there are files.
      expect(steps).toEqual([
        [0, 3],
        [1, 3],
        [1, 3],
        [2, 3],
        [3, 3],
      ]);

      // Resumed after the JPEG and the first frame: the DICOM still counts as a file to do.
      const resumed = path.join(t.dir, 'framed-resumed.jsonl');
      fs.writeFileSync(
        resumed,
        fs.readFileSync(out, 'utf8').split('\n').slice(0, 2).join('\n') + '\n',
      );
      steps.length = 0;
      const rest = await predictManifest(
        predictor,
        { manifest: framed, out: resumed, resume: true, batchSize: 1 },
        job,
      );
      expect(rest).toMatchObject({ total: 3, files: 2, written: 2, resumed: 2 });
      expect(steps).toEqual([
        [0, 3],
        [1, 3],
        [2, 3],
        [3, 3],
      ]);
      expect(fs.readFileSync(resumed, 'utf8')).toBe(fs.readFileSync(out, 'utf8'));
      // Resumed once more with nothing left: all three files are done.
      steps.length = 0;
      const none = await predictManifest(
        predictor,
        { manifest: framed, out: resumed, resume: true },
        job,
      );
      expect(none).toMatchObject({ total: 3, files: 0, written: 0, resumed: 4 });
      expect(steps).toEqual([
        [0, 3],
        [3, 3],
      ]);
    } finally {
      predictor.dispose();
    }

    // The CLI's last line says what the file holds: 3 files, 4 rows.
    let stdout = '';
    let stderr = '';
    const code = await runCli(
      [
        'predict',
        bundle,
        '--manifest',
        framed,
        '--out',
        path.join(t.dir, 'framed-cli.jsonl'),
        '--json',
      ],
      { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) },
    );
    expect(code, stderr).toBe(0);
    expect(JSON.parse(stdout) as ManifestPredictResult).toMatchObject({ files: 3, written: 4 });
    expect(stderr).toMatch(
      /^3 files, 4 rows in [\d.]+ s \([\d.]+ files\/s, [\d.]+ rows\/s\), on /m,
    );
  });

  it('never writes predictions through a link or into a device at the output, even resuming', async () => {
    const victim = path.join(t.dir, 'passwd');
    fs.writeFileSync(victim, 'root:x:0:0\n');
    const link = path.join(t.dir, 'link.jsonl');
    const device = path.join(t.dir, 'device.jsonl');
    fs.symlinkSync(victim, link);
    fs.symlinkSync('/dev/null', device);
    for (const out of [link, device])
      for (const resume of [false, true])
        await expect(
          t.service.api.predict.manifest({ source: { bundle }, manifest, out, resume }),
        ).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    expect(fs.readFileSync(victim, 'utf8')).toBe('root:x:0:0\n');
  });

  it('refuses to resume an output written for another shard', async () => {
    await expect(
      t.service.api.predict.manifest({
        source: { bundle },
        manifest,
        out: path.join(t.dir, 'shard-1-of-3.jsonl'),
        shard: { index: 0, count: 3 },
        resume: true,
      }),
    ).rejects.toThrow(/does not continue this manifest/);
  });

  it('imports shards as a named set of suggestions, idempotently, reporting duplicates', async () => {
    const shards = [0, 1, 2].map((i) => path.join(t.dir, `shard-${i}-of-3.jsonl`));
    const first = await t.service.api.predict.importRecords({ files: shards, name: 'cluster' });
    expect(first).toMatchObject({
      records: 21,
      matched: 20,
      byHash: 20,
      unmatched: 0,
      duplicated: 0,
      errors: 1,
      unknownClasses: [],
    });
    expect(first.runId).toBeLessThan(-1);
    const status = await t.service.api.assist.status();
    expect(status).toMatchObject({ runId: first.runId, predicted: 20 });
    const again = await t.service.api.predict.importRecords({
      files: [...shards, path.join(t.dir, 'whole.jsonl')],
      name: 'cluster',
    });
    expect(again).toMatchObject({ runId: first.runId, matched: 20, duplicated: 20 });
    expect((await t.service.api.assist.status()).predicted).toBe(20);
    // The review tools work on them: filters, the uncertainty queue, one image's detail.
    const classes = await t.service.api.labels.classes();
    const red = classes.find((c) => c.name === 'red')!;
    const page = await t.service.api.library.listImages({
      filter: { predictedClassId: red.id },
      sort: 'uncertain',
    });
    expect(page.total).toBe(10);
    const detail = await t.service.api.assist.prediction(page.items[0]!.id);
    expect(detail?.probabilities.map((p) => p.name)).toEqual(['blue', 'red']);
  });

  it('matches by path through a prefix map when the content hash is unknown', async () => {
    const file = path.join(t.dir, 'no-hash.jsonl');
    const records = whole.slice(0, 3).map((r) => ({
      ...r,
      sha256: null,
      path: `/scratch/job/${r.path.replace('cluster-copy/', '')}`,
    }));
    fs.writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const r = await t.service.api.predict.importRecords({
      files: [file],
      name: 'paths',
      prefixMap: [{ from: '/scratch/job/', to: `${path.join(t.dir, 'photos')}/` }],
    });
    expect(r).toMatchObject({ records: 3, matched: 3, byPath: 3, byHash: 0 });
    const unmapped = await t.service.api.predict.importRecords({ files: [file], name: 'paths' });
    expect(unmapped).toMatchObject({ matched: 0, unmatched: 3 });
    expect(unmapped.unmatchedExamples[0]).toBe('/scratch/job/red/0.jpg');
  });
});

describe('the predict namespace outside the CLI', () => {
  it('is refused by the app hosts: it lists folders and reads and writes any path', async () => {
    const web = makeTestService('web');
    try {
      await expect(web.service.api.predict.files([web.dir])).rejects.toMatchObject({
        code: 'UNSUPPORTED',
      });
      await expect(
        web.service.api.predict.manifest({
          source: { bundle: web.dir },
          manifest: '/etc/hostname',
          out: `${web.dir}/out.jsonl`,
        }),
      ).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    } finally {
      await web.cleanup();
    }
  });
});
