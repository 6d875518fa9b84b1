import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeJpeg } from '../helpers/image-fixtures';
import { expect, test } from './fixtures';
import { BundlePage } from './pages/export-page';
import { colour, trainedProject } from './trained-project';

interface CliRow {
  label: string;
  probabilities: Record<string, number>;
  decision: string;
}

/**
 * The bundle's index.html applies the run's operating point in a real browser: with the
 * threshold for "red" set between a blue photo's red probability and zero, the page calls
 * that photo red while its most probable class stays blue, as `ocellus predict` does.
 */
test('index.html decides by the operating point, like ocellus predict', async ({
  page,
  workDir,
}) => {
  test.setTimeout(120_000);
  const cli = await trainedProject(workDir);
  const probe = await writeJpeg(path.join(workDir, 'probe.jpg'), {
    width: 60,
    height: 45,
    color: colour('blue', 3),
  });
  const predictJson = async (bundle: string): Promise<CliRow> => {
    const { stdout } = await cli(['predict', bundle, probe, '--json']);
    return (JSON.parse(stdout) as CliRow[])[0] as CliRow;
  };
  await cli(['export', 'c.ocellus', '--out', 'plain']);
  const before = await predictJson('plain');
  expect(before.label).toBe('blue');
  const red = before.probabilities['red'] ?? 0;
  expect(red).toBeGreaterThan(0);
  const threshold = red / 2;
  await cli([
    'operating-point',
    'c.ocellus',
    '--positive',
    'red',
    '--threshold',
    String(threshold),
  ]);
  await cli(['export', 'c.ocellus', '--out', 'bundle']);
  const after = await predictJson('bundle');
  expect(after).toMatchObject({ label: 'blue', decision: 'red' });

  const bp = new BundlePage(page);
  await bp.open(pathToFileURL(path.join(workDir, 'bundle', 'index.html')).href);
  const shown = await bp.classify(probe);
  await expect(shown.label).toHaveText('blue');
  await expect(shown.decision).toHaveText('red');
  await expect(shown.decision).toHaveAttribute('title', `Called red at probability ≥ ${threshold}`);

  // Without an operating point the page shows no decision at all.
  await bp.open(pathToFileURL(path.join(workDir, 'plain', 'index.html')).href);
  const plain = await bp.classify(probe);
  await expect(plain.label).toHaveText('blue');
  await expect(plain.decision).toHaveCount(0);
});
