import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  arrayScript,
  checkSlurmPlan,
  mergeScript,
  shellQuote,
  writeSlurmScripts,
} from '../../../../../src/main/core/cluster/slurm-script';
import { recordsWritten, shardTotals } from '../../../../../src/main/core/cluster/slurm-jobs';
import { makeTmpDir } from '../../../../helpers/tmp-dir';

const plan = (dir: string) => ({
  bundle: path.join(dir, "it's bundle"),
  manifest: path.join(dir, 'files.txt'),
  shards: 4,
  out: path.join(dir, 'out'),
  command: `${shellQuote('/usr/bin/node')} ${shellQuote('/opt/ocellus/bin/ocellus.cjs')}`,
  partition: 'gpu',
  time: '02:00:00',
  cpus: 8,
});

describe('SLURM scripts', () => {
  let tmp: ReturnType<typeof makeTmpDir> | null = null;
  afterEach(() => tmp?.cleanup());

  it('the array runs shard $SLURM_ARRAY_TASK_ID/N with --resume, under the given limits', () => {
    tmp = makeTmpDir();
    const text = arrayScript(plan(tmp.dir));
    expect(text).toContain('#SBATCH --array=0-3');
    expect(text).toContain('#SBATCH --partition=gpu');
    expect(text).toContain('#SBATCH --time=02:00:00');
    expect(text).toContain('#SBATCH --cpus-per-task=8');
    expect(text).toContain('--shard "$I/$N"');
    expect(text).toContain('--resume');
    expect(text).toContain(`OCELLUS=\${OCELLUS:-'/usr/bin/node' '/opt/ocellus/bin/ocellus.cjs'}`);
    // A quote in a path cannot break out of the shell word.
    expect(text).toContain(`'${tmp.dir}/it'\\''s bundle'`);
    const scripts = writeSlurmScripts(plan(tmp.dir));
    execFileSync('bash', ['-n', scripts.array]);
    execFileSync('bash', ['-n', scripts.merge]);
  });

  it('the merge imports into a project when one is given, else concatenates the shards', () => {
    tmp = makeTmpDir();
    const p = { ...plan(tmp.dir), project: path.join(tmp.dir, 'p.ocellus'), name: 'season' };
    expect(mergeScript(p)).toMatch(
      /import-predictions '.*p\.ocellus' '.*out'\/shard-\*-of-4\.jsonl/,
    );
    expect(mergeScript(p)).toContain("--name 'season'");
    expect(mergeScript(plan(tmp.dir))).toContain('predictions.jsonl');
  });

  it('refuses a SLURM option that would inject a directive or a command', () => {
    tmp = makeTmpDir();
    expect(() => arrayScript({ ...plan(tmp!.dir), partition: 'a\n#SBATCH --x' })).toThrow(
      /not a SLURM value/,
    );
  });

  it("refuses a time, memory or CPU count that SLURM would not take, and takes SLURM's forms", () => {
    tmp = makeTmpDir();
    const p = plan(tmp.dir);
    for (const time of ['30', '2:00:00', '1-12', '1-12:30', '2-00:00:00', 'UNLIMITED'])
      expect(() => checkSlurmPlan({ ...p, time })).not.toThrow();
    for (const mem of ['8G', '4000M', '4000'])
      expect(() => checkSlurmPlan({ ...p, mem })).not.toThrow();
    expect(() => checkSlurmPlan({ ...p, time: 'forever' })).toThrow(/--time forever is not/);
    expect(() => checkSlurmPlan({ ...p, mem: 'lots' })).toThrow(/--mem lots is not a size/);
    expect(() => checkSlurmPlan({ ...p, cpus: -2 })).toThrow(/--cpus must be a whole number/);
    expect(() => checkSlurmPlan({ ...p, batchSize: 0 })).toThrow(/--batch-size must be/);
  });

  it('the merge concatenates the shards into a new predictions.jsonl, never replacing one', () => {
    tmp = makeTmpDir();
    const scripts = writeSlurmScripts(plan(tmp.dir));
    const out = path.join(tmp.dir, 'out');
    for (let i = 0; i < 4; i++)
      fs.writeFileSync(path.join(out, `shard-${i}-of-4.jsonl`), `{"shard":${i}}\n`);
    // A link left at the temporary name is removed, not written through.
    const victim = path.join(tmp.dir, 'victim');
    fs.writeFileSync(victim, 'precious\n');
    fs.symlinkSync(victim, path.join(out, 'predictions.jsonl.partial'));
    execFileSync('bash', [scripts.merge], { stdio: 'pipe' });
    const merged = path.join(out, 'predictions.jsonl');
    const text = [0, 1, 2, 3].map((i) => `{"shard":${i}}\n`).join('');
    expect(fs.readFileSync(merged, 'utf8')).toBe(text);
    expect(fs.readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(fs.existsSync(path.join(out, 'predictions.jsonl.partial'))).toBe(false);
    // Run again after a shard changed: it fails, and the merged file stays as it was.
    fs.writeFileSync(path.join(out, 'shard-0-of-4.jsonl'), '{"shard":"new"}\n');
    expect(() => execFileSync('bash', [scripts.merge], { stdio: 'pipe' })).toThrow(/File exists/);
    expect(fs.readFileSync(merged, 'utf8')).toBe(text);
  });

  it('counts each shard of a manifest and the records a shard wrote', async () => {
    tmp = makeTmpDir();
    const manifest = path.join(tmp.dir, 'files.txt');
    fs.writeFileSync(manifest, Array.from({ length: 10 }, (_, i) => `img-${i}.jpg`).join('\n'));
    expect(await shardTotals(manifest, 4)).toEqual([3, 3, 2, 2]);
    fs.mkdirSync(path.join(tmp.dir, 'out'));
    fs.writeFileSync(path.join(tmp.dir, 'out', 'shard-1-of-4.jsonl'), '{}\n{}\n{"torn');
    expect(recordsWritten(path.join(tmp.dir, 'out'), 1, 4)).toBe(2);
    expect(recordsWritten(path.join(tmp.dir, 'out'), 2, 4)).toBe(0);
    // A FIFO at a shard's name counts nothing instead of blocking the follower forever.
    execFileSync('mkfifo', [path.join(tmp.dir, 'out', 'shard-3-of-4.jsonl')]);
    expect(recordsWritten(path.join(tmp.dir, 'out'), 3, 4)).toBe(0);
  });
});
