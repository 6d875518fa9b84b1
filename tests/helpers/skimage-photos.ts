import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A photo from scikit-image's wheel (skimage/data/<name>), fetched once with
 * `pip download --no-deps scikit-image` into the system temp folder. Returns the file, or
 * the reason it cannot be had (no pip, no package index reachable).
 */
export function skimagePhoto(name: string): { file: string } | { skip: string } {
  const dir = path.join(os.tmpdir(), 'ocellus-skimage-data');
  const file = path.join(dir, 'skimage', 'data', name);
  if (fs.existsSync(file)) return { file };
  try {
    fs.mkdirSync(dir, { recursive: true });
    let wheel = fs.readdirSync(dir).find((f) => f.endsWith('.whl'));
    if (!wheel) {
      execFileSync('pip', ['download', '--no-deps', '--dest', dir, 'scikit-image'], {
        stdio: 'ignore',
        timeout: 120_000,
      });
      wheel = fs.readdirSync(dir).find((f) => f.endsWith('.whl'));
    }
    if (!wheel) return { skip: 'pip download scikit-image gave no wheel' };
    execFileSync(
      'python3',
      [
        '-c',
        'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract(sys.argv[2], sys.argv[3])',
        path.join(dir, wheel),
        `skimage/data/${name}`,
        dir,
      ],
      { stdio: 'ignore', timeout: 60_000 },
    );
    return fs.existsSync(file) ? { file } : { skip: `${name} is not in the scikit-image wheel` };
  } catch (err) {
    return {
      skip: `scikit-image's wheel is not available here (${(err as Error).message.split('\n')[0]})`,
    };
  }
}
