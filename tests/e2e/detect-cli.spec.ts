import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from './fixtures';
import { writeBoxScenes } from '../helpers/box-scenes';
import { writeTinyCnn } from '../helpers/tiny-models';
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

test('the built CLI chain: detect → box labels from a verified file → train on boxes → a bundle that detects by default → one row per box', async ({
  workDir,
}) => {
  test.setTimeout(300_000);
  const appData = path.join(workDir, 'appdata');
  const cli = async (args: string[]) => {
    const r = await ocellus(args, workDir, appData);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  };
  const photos = path.join(workDir, 'photos');
  const scenes = await writeBoxScenes(path.join(photos, 'scenes'), 18);
  const base = path.dirname(await writeTinyCnn(path.join(workDir, 'tiny')));
  await cli(['init', 'c.ocellus']);
  await cli(['add', 'c.ocellus', photos]);
  await cli(['detect', 'c.ocellus']);

  // The verified file (as Timelapse writes it): each object's box and kind.
  const verified = path.join(workDir, 'verified.json');
  fs.writeFileSync(
    verified,
    JSON.stringify({
      info: { detector: 'verified' },
      detection_categories: { '1': 'animal' },
      classification_categories: { '0': 'disc', '1': 'square' },
      images: scenes.map((s) => ({
        file: `scenes/${s.file}`,
        detections: s.objects.map((o) => ({
          category: '1',
          conf: 0.95,
          bbox: o.box,
          classifications: [[o.kind === 'disc' ? '0' : '1', 1]],
        })),
      })),
    }),
  );
  const imported = JSON.parse(
    await cli(['import-detections', 'c.ocellus', verified, '--labels', '--json']),
  ) as { labelled: number; unmatched: string[] };
  expect(imported).toMatchObject({ labelled: 36, unmatched: [] });

  await cli([
    'train',
    'c.ocellus',
    '--base',
    base,
    '--unit',
    'box',
    '--epochs',
    '40',
    '--learning-rate',
    '0.01',
    '--validation',
    '0.3',
    '--group-by',
    'none',
    '--seed',
    '3',
  ]);
  expect(await cli(['evaluate', 'c.ocellus'])).toMatch(/validation boxes/);

  // No --detector: a box run's bundle carries the detector last run here (the built-in one).
  const bundle = path.join(workDir, 'bundle');
  await cli(['export', 'c.ocellus', '--out', bundle]);
  const d = JSON.parse(fs.readFileSync(path.join(bundle, 'detector', 'detector.json'), 'utf8')) as {
    id: string;
  };
  expect(d.id).toBe('centernet-coco');

  const csv = path.join(workDir, 'boxes.csv');
  await cli(['predict', bundle, PHOTOS, '--out', csv]);
  const rows = fs
    .readFileSync(csv, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(','));
  expect(rows[0]?.slice(0, 7)).toEqual([
    'path',
    'box_x',
    'box_y',
    'box_w',
    'box_h',
    'detection',
    'detection_confidence',
  ]);
  const detection = (name: string) =>
    rows.filter((r) => path.basename(r[0] ?? '') === name).map((r) => r[5]);
  expect(detection('cat.jpg')).toEqual(['animal']);
  expect(detection('grass.jpg')).toEqual(['empty']);
});
