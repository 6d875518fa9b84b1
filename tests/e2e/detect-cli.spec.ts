import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from './fixtures';
import { runBuiltCli as ocellus } from './helpers/built-cli';

const PHOTOS = path.resolve('tests/fixtures/photos');

test('the built CLI: detect (in its own process), export and import MegaDetector JSON, --help', async ({
  workDir,
}) => {
  test.setTimeout(180_000);
  const appData = path.join(workDir, 'appdata');
  const photos = path.join(workDir, 'photos');
  fs.mkdirSync(photos);
  for (const f of fs.readdirSync(PHOTOS).filter((n) => n.endsWith('.jpg'))) {
    fs.copyFileSync(path.join(PHOTOS, f), path.join(photos, f));
  }
  expect((await ocellus(['init', 'a.ocellus'], workDir, appData)).code).toBe(0);
  expect((await ocellus(['add', 'a.ocellus', photos], workDir, appData)).code).toBe(0);

  const run = await ocellus(['detect', 'a.ocellus', '--json'], workDir, appData);
  expect(run.code, run.stderr).toBe(0);
  const counts = JSON.parse(run.stdout) as Record<string, unknown>;
  expect(counts).toMatchObject({ processed: 4, animal: 1, person: 1, vehicle: 0, empty: 2 });
  expect(counts['threshold']).toBe(0.2);

  const out = path.join(workDir, 'md.json');
  const exported = await ocellus(
    ['export-detections', 'a.ocellus', '--format', 'megadetector', '--out', out],
    workDir,
    appData,
  );
  expect(exported.code).toBe(0);
  const md = JSON.parse(fs.readFileSync(out, 'utf8')) as {
    detection_categories: Record<string, string>;
    images: { file: string; detections: { category: string; conf: number; bbox: number[] }[] }[];
  };
  expect(md.detection_categories).toEqual({ '1': 'animal', '2': 'person', '3': 'vehicle' });
  expect(md.images.map((i) => i.file).sort()).toEqual([
    'cat.jpg',
    'grass.jpg',
    'gravel.jpg',
    'person.jpg',
  ]);
  const cat = md.images.find((i) => i.file === 'cat.jpg');
  expect(cat?.detections[0]?.category).toBe('1');

  // Into a second project over the same photos: the same counts without running a detector.
  expect((await ocellus(['init', 'b.ocellus'], workDir, appData)).code).toBe(0);
  expect((await ocellus(['add', 'b.ocellus', photos], workDir, appData)).code).toBe(0);
  const imported = await ocellus(
    ['import-detections', 'b.ocellus', out, '--json'],
    workDir,
    appData,
  );
  expect(imported.code).toBe(0);
  expect(JSON.parse(imported.stdout)).toMatchObject({ images: 4, unmatched: [] });

  const bad = await ocellus(['detect', 'a.ocellus', '--threshold', '3'], workDir, appData);
  expect(bad.code).not.toBe(0);
  expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  expect(bad.stderr).toMatch(/--threshold must be a number in \[0, 1\]/);

  for (const command of ['detect', 'export-detections', 'import-detections']) {
    const help = await ocellus([command, '--help'], workDir, appData);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain(`ocellus ${command}`);
  }
});
