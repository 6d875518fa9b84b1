import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { PredictionImportResult, PredictionRecord } from '../../src/shared/types';
import { writeJpeg } from '../helpers/image-fixtures';
import { expect, test } from './fixtures';
import { colour, trainedProject, type Cli } from './trained-project';

const run = promisify(execFile);
const IMAGES = 240;

/** Resolves once `check` holds, checking every `everyMs` (the scheduler has no events to wait on). */
async function until(check: () => Promise<boolean> | boolean, what: string, everyMs = 100) {
  const deadline = Date.now() + 120_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const records = (file: string): PredictionRecord[] =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as PredictionRecord);

const byPath = (rs: PredictionRecord[]) => [...rs].sort((a, b) => a.path.localeCompare(b.path));

/** Same images, same labels, probabilities equal to float precision. */
function expectSamePredictions(got: PredictionRecord[], want: PredictionRecord[]) {
  const g = byPath(got);
  const w = byPath(want);
  expect(g.map((r) => [r.path, r.sha256, r.label])).toEqual(
    w.map((r) => [r.path, r.sha256, r.label]),
  );
  g.forEach((r, i) => {
    for (const [c, p] of Object.entries(w[i]?.probabilities ?? {}))
      expect(Math.abs((r.probabilities?.[c] ?? NaN) - p)).toBeLessThan(1e-5);
  });
}

const squeueEmpty = async (job: string) =>
  (await run('squeue', ['-h', '-j', job])).stdout.trim() === '';

/**
 * A real single-node SLURM (scripts/slurm-start.sh): the generated job array over a few
 * hundred images, merged into the project, against one `ocellus predict`; then a task killed
 * mid-way and resubmitted.
 */
test.describe.serial('sharded prediction: local processes and SLURM job arrays', () => {
  let unavailable: string | null = null;
  let startedHere = false;
  let dir = '';
  let cli: Cli;
  let single: PredictionRecord[] = [];

  test.beforeAll(async () => {
    test.setTimeout(240_000);
    try {
      const { stdout } = await run('bash', ['scripts/slurm-start.sh']);
      startedHere = stdout.trim() === 'ready';
    } catch (err) {
      const e = err as { stdout?: string; message: string };
      unavailable = (e.stdout ?? '').trim() || e.message;
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocellus-slurm-'));
    cli = await trainedProject(dir);
    await cli(['export', 'c.ocellus', '--out', 'bundle']);
    for (let i = 0; i < IMAGES; i++)
      await writeJpeg(path.join(dir, 'season', `site-${i % 3}`, `IMG_${i}.jpg`), {
        width: 24,
        height: 20,
        color: colour(i % 2 ? 'red' : 'blue', i % 8),
      });
    await cli(['add', 'c.ocellus', 'season']);
  });

  test.afterAll(async () => {
    if (startedHere) await run('bash', ['scripts/slurm-stop.sh']);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('--local-shards runs the same shards as local processes, equal to one predict', async () => {
    test.setTimeout(120_000);
    const { stderr } = await cli([
      'predict',
      'bundle',
      '--manifest',
      'season',
      '--local-shards',
      '3',
      '--out',
      'local',
    ]);
    expect(stderr).toMatch(/3 of 3 shards done/);
    const local = [0, 1, 2].flatMap((i) =>
      records(path.join(dir, 'local', `shard-${i}-of-3.jsonl`)),
    );
    await cli(['predict', 'bundle', '--manifest', 'season', '--out', 'whole.jsonl']);
    const whole = records(path.join(dir, 'whole.jsonl'));
    expect(whole).toHaveLength(IMAGES);
    expectSamePredictions(local, whole);
  });

  test('a submitted array plus its merge job equals one ocellus predict, in the project', async () => {
    test.skip(unavailable !== null, `SLURM cannot start here: ${unavailable}`);
    test.setTimeout(180_000);
    const out = path.join(dir, 'run');
    await cli([
      'cluster',
      'slurm',
      'bundle',
      '--manifest',
      'season',
      '--shards',
      '4',
      '--out',
      out,
      '--project',
      'c.ocellus',
      '--name',
      'season 2026',
      '--submit',
    ]);
    const shards = [0, 1, 2, 3].map((i) => path.join(out, `shard-${i}-of-4.jsonl`));
    const merged = shards.flatMap(records);
    await cli([
      'predict',
      'bundle',
      '--manifest',
      path.join(out, 'manifest.txt'),
      '--out',
      'single.jsonl',
    ]);
    single = records(path.join(dir, 'single.jsonl'));
    expect(single).toHaveLength(IMAGES);
    expectSamePredictions(merged, single);
    const imported = JSON.parse(
      fs.readFileSync(path.join(out, 'import.json'), 'utf8'),
    ) as PredictionImportResult;
    expect(imported).toMatchObject({
      records: IMAGES,
      matched: IMAGES,
      byPath: IMAGES,
      unmatched: 0,
      duplicated: 0,
    });
    // Importing again changes nothing: same set, same images.
    const { stdout } = await cli([
      'import-predictions',
      'c.ocellus',
      ...shards,
      '--name',
      'season 2026',
      '--json',
    ]);
    expect(JSON.parse(stdout)).toMatchObject({
      runId: imported.runId,
      matched: IMAGES,
      duplicated: 0,
    });
  });

  test('a task killed mid-way and resubmitted loses and repeats nothing', async () => {
    test.skip(unavailable !== null, `SLURM cannot start here: ${unavailable}`);
    test.setTimeout(180_000);
    const out = path.join(dir, 'killed');
    const manifest = path.join(dir, 'run', 'manifest.txt');
    await cli([
      'cluster',
      'slurm',
      'bundle',
      '--manifest',
      manifest,
      '--shards',
      '2',
      '--out',
      out,
      '--batch-size',
      '1',
    ]);
    const script = path.join(out, 'predict-array.sh');
    const job = (await run('sbatch', ['--parsable', script])).stdout.trim();
    const shard1 = path.join(out, 'shard-1-of-2.jsonl');
    // Complete lines only: a kill may leave a torn last one, which the resumed task cuts.
    const lines = () =>
      fs.existsSync(shard1) ? fs.readFileSync(shard1, 'utf8').split('\n').length - 1 : 0;
    await until(() => lines() >= 3, 'shard 1 to write its first records', 10);
    await run('scancel', ['--signal=KILL', `${job}_1`]);
    await until(() => squeueEmpty(job), 'the array to leave the queue');
    const before = lines();
    expect(before).toBeLessThan(IMAGES / 2);
    // Resubmit only the killed task: it resumes after its last complete batch.
    const again = (await run('sbatch', ['--parsable', '--array=1', script])).stdout.trim();
    await until(() => squeueEmpty(again), 'the resubmitted task to finish');
    const shard0 = records(path.join(out, 'shard-0-of-2.jsonl'));
    const resumed = records(shard1);
    expect(resumed.map((r) => r.path)).toEqual(
      single.map((r) => r.path).filter((_, k) => k % 2 === 1),
    );
    expect(new Set(resumed.map((r) => r.path)).size).toBe(resumed.length);
    expectSamePredictions([...shard0, ...resumed], single);
    expect(fs.readFileSync(path.join(out, 'logs', 'shard-1.log'), 'utf8')).toMatch(
      new RegExp(`${before} rows already there`),
    );
  });
});
