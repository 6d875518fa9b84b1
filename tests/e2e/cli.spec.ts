import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from './fixtures';
import { runBuiltCli } from './helpers/built-cli';

const ocellus = runBuiltCli;

test('the built CLI: init, status --json, and a one-line error on a text file', async ({
  workDir,
}) => {
  const appData = path.join(workDir, 'appdata');
  expect((await ocellus(['init', 'a.ocellus'], workDir, appData)).code).toBe(0);
  const status = await ocellus(['status', 'a.ocellus', '--json'], workDir, appData);
  expect(status.code).toBe(0);
  const parsed = JSON.parse(status.stdout) as {
    images: Record<string, number>;
    unlabelled: number;
  };
  expect(parsed.images).toMatchObject({ total: 0, ok: 0, broken: 0, unsupported: 0 });

  fs.writeFileSync(path.join(workDir, 'readme.txt'), 'hello');
  const bad = await ocellus(['status', 'readme.txt'], workDir, appData);
  expect(bad.code).not.toBe(0);
  expect(bad.stderr.trim().split('\n')).toHaveLength(1);

  const version = await ocellus(['--version'], workDir, appData);
  expect(version.stdout.trim()).toBe(
    (JSON.parse(fs.readFileSync('package.json', 'utf8')) as { version: string }).version,
  );
});
