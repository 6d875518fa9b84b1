import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { writeJpeg, writeRotatedJpeg, writeTextAsJpeg } from '../helpers/image-fixtures';
import { expect, test } from './fixtures';
import { LibraryPage } from './pages/library-page';
import { ProjectPage } from './pages/project-page';
import { WelcomePage } from './pages/welcome-page';

test('import a folder in the UI: counts, thumbnails, then a file copied in appears', async ({
  page,
  ocellus,
}) => {
  const photos = path.join(ocellus.projectDir, 'SD card ü');
  await writeJpeg(path.join(photos, 'elk', 'a.jpg'), { width: 300, height: 200, color: '#884422' });
  await writeRotatedJpeg(path.join(photos, 'elk', 'rotated.jpg'));
  await writeTextAsJpeg(path.join(photos, 'not-a-photo.jpg'));

  const welcome = new WelcomePage(page);
  const library = new LibraryPage(page);
  await welcome.goto(ocellus.url);
  await welcome.createProject('Elk');
  await new ProjectPage(page).expectOpen('Elk');
  await library.addFolder(photos, true);

  await expect(library.count('total')).toHaveText('3');
  await expect(library.count('ok')).toHaveText('2');
  await expect(library.count('broken')).toHaveText('1');
  await library.expectThumbnailLoaded('rotated.jpg');
  await expect(library.tile('not-a-photo.jpg')).toContainText('broken');

  // Watching: a photo copied in while the project is open shows up by itself.
  await writeJpeg(path.join(photos, 'elk', 'new.jpg'), {
    width: 300,
    height: 200,
    color: '#228844',
  });
  await expect(library.count('total')).toHaveText('4');
  await library.expectThumbnailLoaded('new.jpg');
});

test('an import killed mid-way leaves a consistent project that resumes', async ({ workDir }) => {
  const photos = path.join(workDir, 'photos');
  const n = 240;
  for (let i = 0; i < n; i++) {
    await writeJpeg(path.join(photos, `d${i % 4}`, `${i}.jpg`), {
      width: 640,
      height: 480,
      color: { r: i % 255, g: (i * 7) % 255, b: (i * 13) % 255 },
    });
  }
  const project = path.join(workDir, 'kill.ocellus');
  const env = { ...process.env, OCELLUS_APP_DATA: path.join(workDir, 'appdata') };
  const cli = (args: string[]) =>
    spawn(process.execPath, ['bin/ocellus.cjs', ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  const exit = (child: ReturnType<typeof cli>) =>
    new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  expect(await exit(cli(['init', project]))).toBe(0);
  const importing = cli(['add', project, photos, '--progress']);
  // Kill it as soon as it reports reading images, well before the end.
  await new Promise<void>((resolve, reject) => {
    let err = '';
    importing.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /(Reading images|Making thumbnails)[^(]*\((\d+)\//.exec(err);
      if (m) {
        importing.kill('SIGKILL');
        resolve();
      }
    });
    importing.once('exit', () =>
      reject(new Error(`import ended before it could be killed: ${err}`)),
    );
  });
  await exit(importing);

  const db = new Database(project, { readonly: true });
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  const before = db
    .prepare("SELECT COUNT(*) AS n, SUM(status = 'ok' AND derived = 1) AS finished FROM images")
    .get() as { n: number; finished: number | null };
  db.close();
  expect(before.finished ?? 0).toBeLessThan(n);

  const resumed = cli(['rescan', project, '--json']);
  let out = '';
  resumed.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  expect(await exit(resumed)).toBe(0);
  expect(JSON.parse(out)).toMatchObject({ images: { total: n, ok: n, pending: 0, missing: 0 } });

  const after = new Database(project, { readonly: true });
  const dupes = after
    .prepare(
      'SELECT COUNT(*) AS n FROM (SELECT rel_path FROM images GROUP BY root_id, rel_path HAVING COUNT(*) > 1)',
    )
    .get() as { n: number };
  const derived = after.prepare('SELECT COUNT(*) AS n FROM images WHERE derived = 1').get() as {
    n: number;
  };
  after.close();
  expect(dupes.n).toBe(0);
  expect(derived.n).toBe(n);
  expect(fs.existsSync(path.join(workDir, '.kill.ocellus-cache', 'thumbs'))).toBe(true);
});
