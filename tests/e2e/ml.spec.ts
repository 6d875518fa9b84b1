import path from 'node:path';
import { writeJpeg } from '../helpers/image-fixtures';
import { writeNsfwModel } from '../helpers/nsfw-models';
import { expect, test } from './fixtures';
import { LibraryPage } from './pages/library-page';
import { ProjectPage } from './pages/project-page';
import { TrainPage } from './pages/train-page';
import { WelcomePage } from './pages/welcome-page';

test('embeddings run off the UI thread: the app answers while they are computed', async ({
  page,
  ocellus,
}) => {
  test.setTimeout(180_000);
  const photos = path.join(ocellus.projectDir, 'photos');
  const n = 48;
  for (let i = 0; i < n; i++) {
    await writeJpeg(path.join(photos, `${i}.jpg`), {
      width: 400,
      height: 300,
      color: { r: (i * 40) % 255, g: (i * 90) % 255, b: (i * 150) % 255 },
    });
  }
  const modelDir = path.join(ocellus.projectDir, 'mobilenet_v2');
  await writeNsfwModel(modelDir, 'mobilenet_v2');

  const welcome = new WelcomePage(page);
  const project = new ProjectPage(page);
  const library = new LibraryPage(page);
  const train = new TrainPage(page);
  await welcome.goto(ocellus.url);
  await welcome.createProject('Embed');
  await library.addFolder(photos);
  await expect(library.count('ok')).toHaveText(String(n));
  await expect(page.getByTestId('ml-backend')).toContainText(/wasm|tensorflow|cpu/);
  await expect(page.getByTestId('ml-engine')).toContainText(/ONNX Runtime|TF\.js/);

  await project.goToView('Train');
  await train.importModel(modelDir);
  await train.computeEmbeddings();
  await expect(train.progress).toBeVisible();

  // While the job runs, the UI keeps answering: views switch and queries come back.
  await project.goToView('Library');
  await page.getByLabel('Sort').selectOption('imported');
  await expect(library.tile('0.jpg')).toBeVisible();
  await project.goToView('Train');
  await expect(train.progress).toBeVisible();
  const answered = await page.evaluate(async () => {
    const t0 = performance.now();
    await new Promise(requestAnimationFrame);
    return performance.now() - t0;
  });
  expect(answered).toBeLessThan(1000);

  await expect(train.embeddingStatus).toContainText(`${n} of ${n} images`, { timeout: 150_000 });
  await expect(train.embeddingStatus).toContainText('1280-d');
});
