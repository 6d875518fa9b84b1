import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from './fixtures';
import { ProjectPage } from './pages/project-page';
import { WelcomePage } from './pages/welcome-page';

test('create a project in the UI, close it, reopen it from Recent', async ({ page, ocellus }) => {
  const welcome = new WelcomePage(page);
  const project = new ProjectPage(page);
  await welcome.goto(ocellus.url);
  await expect(page.getByTestId('connection')).toHaveText('Browser mode');

  await welcome.createProject('Fundus ünï 2026');
  await project.expectOpen('Fundus ünï 2026');
  await expect(project.totalImages).toHaveText('0');
  const file = path.join(ocellus.projectDir, 'Fundus ünï 2026.ocellus');
  expect(fs.existsSync(file)).toBe(true);

  for (const view of ['Label', 'Train', 'Evaluate', 'Export', 'Library'])
    await project.goToView(view);

  await project.close();
  await expect(welcome.heading).toBeVisible();
  await expect(welcome.recentEntry('Fundus ünï 2026')).toBeVisible();

  // A reload starts a new connection: the recent list comes from the app-data folder.
  await page.reload();
  await welcome.recentEntry('Fundus ünï 2026').click();
  await project.expectOpen('Fundus ünï 2026');
});

test('opening a file that is not a project shows a clear error', async ({ page, ocellus }) => {
  const welcome = new WelcomePage(page);
  const notes = path.join(ocellus.projectDir, 'notes.ocellus');
  fs.writeFileSync(notes, 'not a database');
  await welcome.goto(ocellus.url);
  await welcome.openPath(notes);
  await expect(page.getByTestId('error-banner')).toContainText('not an Ocellus project');
  await expect(welcome.heading).toBeVisible();
  expect(fs.readFileSync(notes, 'utf8')).toBe('not a database');
});

test('creating over an existing project is refused', async ({ page, ocellus }) => {
  const welcome = new WelcomePage(page);
  const project = new ProjectPage(page);
  await welcome.goto(ocellus.url);
  await welcome.createProject('Twice');
  await project.expectOpen('Twice');
  await project.close();
  await welcome.createProject('Twice');
  await expect(page.getByTestId('error-banner')).toContainText('already exists');
});

test('the API refuses requests without the token', async ({ page, ocellus, request }) => {
  const noToken = await request.get(`${ocellus.origin}/api`);
  expect(noToken.status()).toBe(401);

  // The page itself loads without a token, but its socket is refused.
  await page.goto(`${ocellus.origin}/`);
  const outcome = await page.evaluate(
    (origin) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(`${origin.replace('http', 'ws')}/api`);
        ws.onopen = () => resolve('open');
        ws.onclose = () => resolve('closed');
      }),
    ocellus.origin,
  );
  expect(outcome).toBe('closed');
  await expect(page.getByTestId('connection')).not.toHaveText('Browser mode');

  const withToken = await page.evaluate(
    ({ origin, token }) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(`${origin.replace('http', 'ws')}/api?token=${token}`);
        ws.onopen = () => resolve('open');
        ws.onclose = () => resolve('closed');
      }),
    { origin: ocellus.origin, token: ocellus.token },
  );
  expect(withToken).toBe('open');
});
