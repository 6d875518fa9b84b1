import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const CHECK = 'import PIL, numpy, PIL.ImageCms';

function imports(env: NodeJS.ProcessEnv): boolean {
  try {
    execFileSync('python3', ['-c', CHECK], { stdio: 'ignore', env, timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Environment for a `python3` that imports Pillow and numpy: the system's own, else the wheels
 * `pip download` gives, unpacked once into the system temp folder and put on PYTHONPATH.
 * Returns the reason when neither can be had (no python3, no pip, no package index).
 */
export function pillowPython(): { env: NodeJS.ProcessEnv } | { skip: string } {
  if (imports(process.env)) return { env: process.env };
  const dir = path.join(os.tmpdir(), 'ocellus-pillow-wheels');
  const site = path.join(dir, 'site');
  const env = { ...process.env, PYTHONPATH: site };
  try {
    if (!fs.existsSync(path.join(site, 'PIL'))) {
      fs.mkdirSync(dir, { recursive: true });
      execFileSync(
        'pip',
        ['download', '--only-binary', ':all:', '--dest', dir, 'pillow', 'numpy'],
        {
          stdio: 'ignore',
          timeout: 180_000,
        },
      );
      execFileSync(
        'python3',
        [
          '-c',
          'import sys, glob, zipfile\nfor w in glob.glob(sys.argv[1] + "/*.whl"): zipfile.ZipFile(w).extractall(sys.argv[2])',
          dir,
          site,
        ],
        { stdio: 'ignore', timeout: 120_000 },
      );
    }
    return imports(env)
      ? { env }
      : { skip: 'the downloaded Pillow and numpy wheels do not import' };
  } catch (err) {
    return {
      skip: `no python3 with Pillow and numpy here (${(err as Error).message.split('\n')[0]})`,
    };
  }
}
