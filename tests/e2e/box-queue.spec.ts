import fs from 'node:fs';
import path from 'node:path';
import { writeBoxScenes } from '../helpers/box-scenes';
import { expect, test } from './fixtures';
import { runBuiltCli } from './helpers/built-cli';
import { DetectPage } from './pages/detect-page';
import { LabelPage } from './pages/label-page';
import { LibraryPage } from './pages/library-page';
import { ProjectPage } from './pages/project-page';
import { WelcomePage } from './pages/welcome-page';

test('the least-sure boxes: each opens its image with the box chosen, and a class key labels it', async ({
  page,
  ocellus,
}) => {
  test.setTimeout(180_000);
  const photos = path.join(ocellus.projectDir, 'scenes');
  const scenes = await writeBoxScenes(photos, 3);
  const file = path.join(ocellus.projectDir, 'q.ocellus');
  const cli = async (args: string[]) =>
    expect((await runBuiltCli(args, ocellus.projectDir, ocellus.appDataDir)).code).toBe(0);
  await cli(['init', file]);
  await cli(['add', file, photos]);
  // Classes with a classifier's confidence: suggestions, the least sure at 41 %.
  let conf = 0.95;
  const md = {
    info: { detector: 'classifier' },
    detection_categories: { '1': 'animal' },
    classification_categories: { '0': 'disc', '1': 'square' },
    images: scenes.map((s) => ({
      file: s.file,
      detections: s.objects.map((o) => ({
        category: '1',
        conf: 0.9,
        bbox: o.box,
        classifications: [[o.kind === 'disc' ? '0' : '1', (conf -= 0.09)]],
      })),
    })),
  };
  const results = path.join(ocellus.projectDir, 'md.json');
  fs.writeFileSync(results, JSON.stringify(md));
  await cli(['import-detections', file, results]);
  const last = scenes.at(-1);
  const leastSure = last?.objects.at(-1);

  const welcome = new WelcomePage(page);
  const library = new LibraryPage(page);
  const detect = new DetectPage(page);
  const label = new LabelPage(page);
  await welcome.goto(ocellus.url);
  await welcome.openPath(file);
  await new ProjectPage(page).expectOpen('q');
  await library.tile(scenes[0]?.file ?? '').dblclick();
  await detect.startBoxQueue();
  await expect(detect.queuePosition).toHaveText(
    new RegExp(`^Box 1 of 6: suggested ${leastSure?.kind} at 41 %`),
  );
  await expect(label.currentPath).toContainText(last?.file ?? '');
  await expect(detect.boxPanel.getByTestId('box-actions')).toBeVisible();

  // The chosen box takes the class key; the other kind's key, so the label is the person's.
  const other = leastSure?.kind === 'disc' ? 'square' : 'disc';
  // Classes were made in the file's order, so the first kind seen has key 1.
  const first = scenes[0]?.objects[0]?.kind;
  await page.keyboard.press(other === first ? '1' : '2');
  await expect(detect.derivedLabels).toContainText(`${other} ×1`);

  await detect.nextQueued();
  await expect(detect.queuePosition).toHaveText(/^Box 2 of 6: suggested \w+ at 50 %/);
});
