import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { writeRedBlue } from '../helpers/image-fixtures';
import { nativeBackend } from '../helpers/native-backend';
import { expect, test } from './fixtures';
import { LibraryPage } from './pages/library-page';
import { ProjectPage } from './pages/project-page';
import { TrainPage } from './pages/train-page';
import { WelcomePage } from './pages/welcome-page';

// Written by tests/fixtures/saved-model/make_saved_model.py with the tensorflow-cpu wheel.
const FIXTURE = path.resolve('tests/fixtures/saved-model/tiny-cnn');
const native = nativeBackend();

test('a TensorFlow SavedModel imports in the UI with a chosen signature, and embeds', async ({
  page,
  ocellus,
}) => {
  test.skip(!native.available, native.reason);
  test.setTimeout(120_000);
  const photos = path.join(ocellus.projectDir, 'colours');
  await writeRedBlue(photos, 4);
  const welcome = new WelcomePage(page);
  const project = new ProjectPage(page);
  const library = new LibraryPage(page);
  const train = new TrainPage(page);
  await welcome.goto(ocellus.url);
  await welcome.createProject('SavedModel');
  await library.addFolder(photos, true);
  await expect(library.count('ok')).toHaveText('8');
  await project.goToView('Train');
  const facts = await train.importSavedModel(FIXTURE, 'embed');
  await expect(facts).toContainText('savedmodel model · input 64×64');
  await train.computeEmbeddings();
  await expect(train.embeddingStatus).toContainText('8 of 8 images', { timeout: 90_000 });
  await expect(train.embeddingStatus).toContainText('32-d');
});

test('the built CLI inspects and imports a SavedModel', async ({ workDir }) => {
  test.skip(!native.available, native.reason);
  const run = promisify(execFile);
  const env = { ...process.env, OCELLUS_APP_DATA: path.join(workDir, 'appdata') };
  const bin = path.resolve('bin/ocellus.cjs');
  const inspect = await run(process.execPath, [bin, 'models', 'inspect', FIXTURE], { env });
  expect(inspect.stdout).toContain('* serving_default (tags serve): image float32[?, 64, 64, 3]');
  expect(inspect.stdout).toContain('feature output: features');
  const imported = await run(
    process.execPath,
    [bin, 'models', 'import', FIXTURE, '--signature', 'embed', '--normalization=-1,1', '--json'],
    { env },
  );
  expect(JSON.parse(imported.stdout)).toMatchObject({ format: 'savedmodel', inputSize: [64, 64] });
  const list = await run(process.execPath, [bin, 'models', '--json'], { env });
  expect(JSON.parse(list.stdout)).toContainEqual(expect.objectContaining({ format: 'savedmodel' }));
});
