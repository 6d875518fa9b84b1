import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { writeJpeg } from '../helpers/image-fixtures';
import { expect, startServer, stopServer, test } from './fixtures';
import { BundlePage, ExportPage } from './pages/export-page';
import { LibraryPage } from './pages/library-page';
import { ProjectPage } from './pages/project-page';
import { WelcomePage } from './pages/welcome-page';
import { cliIn, colour, colourPhotos, trainedProject } from './trained-project';

async function makeBundle(workDir: string): Promise<string> {
  const cli = await trainedProject(workDir);
  await cli(['export', 'c.ocellus', '--out', 'bundle']);
  return path.join(workDir, 'bundle');
}

for (const via of ['file://', 'a local server'] as const) {
  test(`index.html of a model bundle classifies an image offline (${via})`, async ({
    page,
    workDir,
  }) => {
    test.setTimeout(120_000);
    const bundle = await makeBundle(workDir);
    let server: http.Server | null = null;
    let url = pathToFileURL(path.join(bundle, 'index.html')).href;
    if (via === 'a local server') {
      server = http.createServer((req, res) => {
        const file = path.join(
          bundle,
          decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname),
        );
        if (!file.startsWith(bundle) || !fs.existsSync(file)) return void res.writeHead(404).end();
        res.writeHead(200).end(fs.readFileSync(file));
      });
      await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/index.html`;
    }
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    // Anything leaving the machine is refused (and recorded, so the test fails on it).
    await page.route('**/*', (route) => {
      const u = new URL(route.request().url());
      return u.protocol === 'file:' || u.hostname === '127.0.0.1'
        ? route.continue()
        : route.abort();
    });
    try {
      const bp = new BundlePage(page);
      await bp.open(url);
      const probe = await writeJpeg(path.join(workDir, 'probe.jpg'), {
        width: 60,
        height: 45,
        color: colour('blue', 3),
      });
      const { label, confidence } = await bp.classify(probe);
      await expect(label).toHaveText('blue');
      await expect(confidence).toHaveText(/%$/);
      const red = await bp.classify(
        await writeJpeg(path.join(workDir, 'probe-red.jpg'), {
          width: 30,
          height: 50,
          color: colour('red', 2),
        }),
      );
      await expect(red.label).toHaveText('red');
      const outside = requests.filter((r) => {
        const u = new URL(r);
        return !['file:', 'blob:', 'data:'].includes(u.protocol) && u.hostname !== '127.0.0.1';
      });
      expect(requests.length).toBeGreaterThan(0);
      expect(outside).toEqual([]);
    } finally {
      server?.close();
    }
  });
}

test('Export view: a labels CSV export is listed, and imported labels come back', async ({
  page,
  ocellus,
}) => {
  const photos = path.join(ocellus.projectDir, 'colours');
  await colourPhotos(photos);
  const welcome = new WelcomePage(page);
  const project = new ProjectPage(page);
  const library = new LibraryPage(page);
  await welcome.goto(ocellus.url);
  await welcome.createProject('Colours');
  await library.addFolder(photos, true);
  await expect(library.count('ok')).toHaveText('16');
  await project.goToView('Export');
  const ex = new ExportPage(page);
  const dest = path.join(ocellus.projectDir, 'exports');
  await ex.exportTo(dest, 'Export labels CSV');
  await expect(ex.history.locator('li').first()).toContainText('16 images');
  await expect(ex.job).toContainText('done');
  const [folder] = fs.readdirSync(dest);
  const csv = path.join(dest, folder ?? '', 'labels.csv');
  expect(fs.readFileSync(csv, 'utf8').split('\n')[0]).toMatch(/^path,label,source/);
  const result = await ex.importLabels(csv);
  await expect(result).toContainText('0 images labelled from 16 rows');
});

test('Export view: one click exports the model bundle of the newest run', async ({
  page,
  workDir,
}) => {
  test.setTimeout(120_000);
  await trainedProject(workDir);
  const { server, child } = await startServer(workDir, [
    '--project',
    path.join(workDir, 'c.ocellus'),
  ]);
  try {
    await page.goto(server.url);
    const project = new ProjectPage(page);
    await project.goToView('Export');
    const ex = new ExportPage(page);
    const dest = path.join(workDir, 'exports');
    await expect(page.getByTestId('export-run')).toBeVisible();
    await ex.exportTo(dest, 'Export model bundle');
    await expect(ex.history.locator('li').first()).toContainText('bundle');
    await expect(ex.history.locator('li').first()).toContainText('2 classes');
    await expect(page.getByRole('button', { name: 'Show in folder' })).toHaveCount(0);
    const [folder = ''] = fs.readdirSync(dest);
    expect(folder).toMatch(/-bundle-run1-/);
    expect(fs.existsSync(path.join(dest, folder, 'index.html'))).toBe(true);
  } finally {
    await stopServer(child);
  }
});

test("ocellus predict and the bundle's predict.mjs take 520 files on the command line", async ({
  workDir,
}) => {
  test.setTimeout(240_000);
  const bundle = await makeBundle(workDir);
  // Over 28 KB of arguments, which crashed ONNX Runtime's telemetry (SIGSEGV) in both.
  const files: string[] = [];
  for (let i = 0; i < 520; i++)
    files.push(
      await writeJpeg(
        path.join(workDir, 'season-2026', `site-${i % 4}-north-ridge`, `IMG_${i}-2026-06-01.jpg`),
        { width: 12, height: 10, color: colour(i % 2 ? 'red' : 'blue', i % 8) },
      ),
    );
  expect(files.join(' ').length).toBeGreaterThan(40_000);
  await cliIn(workDir)(['predict', 'bundle', ...files, '--out', 'cli.csv']);
  const fromCli = fs.readFileSync(path.join(workDir, 'cli.csv'), 'utf8').trim().split('\n');
  const { stdout } = await promisify(execFile)(process.execPath, ['predict.mjs', ...files], {
    cwd: bundle,
    env: {
      ...process.env,
      ORT_DISABLE_TELEMETRY: undefined,
      NODE_PATH: path.resolve('node_modules'),
    },
    maxBuffer: 1 << 26,
  });
  const fromScript = stdout.trim().split('\n');
  expect(fromCli).toHaveLength(521);
  expect(fromScript).toHaveLength(521);
  const labels = (lines: string[]) => lines.slice(1).map((l) => l.split(',').slice(0, 2).join(','));
  expect(labels(fromScript)).toEqual(labels(fromCli));
  expect(labels(fromCli)[1]).toBe(`${files[1]},red`);
});
