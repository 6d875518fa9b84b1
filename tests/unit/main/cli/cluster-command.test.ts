/** `ocellus cluster slurm` checks every output name before writing any: a refusal leaves nothing. */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../../src/main/cli/run-cli';
import { writeJpeg } from '../../../helpers/image-fixtures';
import { makeTmpDir } from '../../../helpers/tmp-dir';

async function cli(args: string[]) {
  let stderr = '';
  const code = await runCli(args, { stdout: () => undefined, stderr: (t) => (stderr += t) });
  return { code, stderr };
}

describe('ocellus cluster slurm', () => {
  let tmp: ReturnType<typeof makeTmpDir>;
  let bundle: string;
  let photos: string;
  let out: string;
  const slurm = (...more: string[]) =>
    cli(['cluster', 'slurm', bundle, '--manifest', photos, '--shards', '2', '--out', out, ...more]);

  beforeEach(async () => {
    tmp = makeTmpDir();
    process.env['OCELLUS_APP_DATA'] = path.join(tmp.dir, 'appdata');
    bundle = path.join(tmp.dir, 'bundle');
    fs.mkdirSync(bundle);
    fs.writeFileSync(path.join(bundle, 'labels.json'), '{"classes":["a","b"]}');
    photos = path.join(tmp.dir, 'photos');
    await writeJpeg(path.join(photos, '1.jpg'), { width: 8, height: 8 });
    out = path.join(tmp.dir, 'out');
  });
  afterEach(() => {
    delete process.env['OCELLUS_APP_DATA'];
    tmp.cleanup();
  });

  it('lists a folder in manifest.txt and writes both scripts', async () => {
    expect((await slurm()).code).toBe(0);
    expect(fs.readdirSync(out).sort()).toEqual([
      'logs',
      'manifest.txt',
      'merge.sh',
      'predict-array.sh',
    ]);
    expect(fs.readFileSync(path.join(out, 'manifest.txt'), 'utf8')).toBe(
      `${path.join(photos, '1.jpg')}\n`,
    );
  });

  it('writes nothing, not even manifest.txt, when a script already exists', async () => {
    for (const name of ['merge.sh', 'predict-array.sh']) {
      fs.rmSync(out, { recursive: true, force: true });
      fs.mkdirSync(out);
      fs.writeFileSync(path.join(out, name), 'keep');
      const res = await slurm();
      expect(res.code).not.toBe(0);
      expect(res.stderr).toMatch(/already exists/);
      expect(fs.readdirSync(out)).toEqual([name]);
      expect(fs.readFileSync(path.join(out, name), 'utf8')).toBe('keep');
    }
  });

  it('writes nothing when an option is refused', async () => {
    const res = await slurm('--partition', 'gpu\n#SBATCH --x');
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/--partition/);
    expect(fs.existsSync(out)).toBe(false);
  });
});
