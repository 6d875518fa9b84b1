/**
 * Two real Ocellus processes on one project: the browser-mode server owns it, the CLI's
 * writing commands are refused with the owner named, its reading commands still work, and
 * a lock left by a killed owner is taken over.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect, startServer, stopServer, test } from './fixtures';
import { runBuiltCli } from './helpers/built-cli';
import { writeJpeg } from '../helpers/image-fixtures';

const ocellus = runBuiltCli;

test('one owner process: the CLI is refused while a window owns the project, reads still work', async ({
  workDir,
}) => {
  const appData = path.join(workDir, 'cli-appdata');
  const project = path.join(workDir, 'p.ocellus');
  const photos = path.join(workDir, 'photos');
  await writeJpeg(path.join(photos, 'cat', 'a.jpg'), { width: 16, height: 16 });
  expect((await ocellus(['init', project], workDir, appData)).code).toBe(0);

  const { child } = await startServer(workDir, ['--project', project]);
  try {
    const add = await ocellus(['add', project, photos], workDir, appData);
    expect(add.code).not.toBe(0);
    expect(add.stderr).toMatch(
      new RegExp(`open in another Ocellus window \\(process ${child.pid},`),
    );
    expect(add.stderr.trim().split('\n')).toHaveLength(1);
    const status = await ocellus(['status', project, '--json'], workDir, appData);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ project: { readOnly: true } });
  } finally {
    // Killed, not closed: its lock stays behind, naming a process that is gone.
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
  expect(fs.existsSync(`${project}-lock`)).toBe(true);
  const add = await ocellus(['add', project, photos], workDir, appData);
  expect(add.stderr).toBe('');
  expect(add.code).toBe(0);
  expect(fs.existsSync(`${project}-lock`)).toBe(false);

  // A server stopped normally gives the project up.
  const again = await startServer(workDir, ['--project', project]);
  await stopServer(again.child);
  expect(fs.existsSync(`${project}-lock`)).toBe(false);
});
