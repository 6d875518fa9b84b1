import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { writeJpeg } from '../helpers/image-fixtures';
import { writeTinyCnn } from '../helpers/tiny-models';

const run = promisify(execFile);
const bin = path.resolve('bin/ocellus.cjs');

/** Runs the built CLI in a folder, with the app data of that folder. */
export type Cli = (args: string[]) => Promise<{ stdout: string; stderr: string }>;

/** The i-th shade of a colour class: learnable, and different from image to image. */
export const colour = (name: string, i: number) =>
  name === 'red'
    ? { r: 160 + i * 10, g: i * 8, b: i * 5 }
    : { r: i * 5, g: i * 8, b: 160 + i * 10 };

/** `dir/red/<i>.jpg` and `dir/blue/<i>.jpg`, 8 small (40×40) shades each. */
export async function colourPhotos(dir: string): Promise<void> {
  for (const name of ['red', 'blue']) {
    for (let i = 0; i < 8; i++)
      await writeJpeg(path.join(dir, name, `${i}.jpg`), {
        width: 40,
        height: 40,
        color: colour(name, i),
      });
  }
}

/** The CLI bound to a work folder (its own app data, so models import there). */
export function cliIn(workDir: string): Cli {
  const env = { ...process.env, OCELLUS_APP_DATA: path.join(workDir, 'appdata') };
  return (args) => run(process.execPath, [bin, ...args], { cwd: workDir, env });
}

/**
 * A project `c.ocellus` with a trained run, made with the CLI: a tiny CNN base imported from
 * the folder `tiny`, two colour classes. Extra `train` argument lists add more runs.
 */
export async function trainedProject(
  workDir: string,
  options: { photos?: (dir: string) => Promise<void>; moreRuns?: string[][] } = {},
): Promise<Cli> {
  const cli = cliIn(workDir);
  await (options.photos ?? colourPhotos)(path.join(workDir, 'photos'));
  const base = path.dirname(await writeTinyCnn(path.join(workDir, 'tiny')));
  await cli(['init', 'c.ocellus']);
  await cli(['add', 'c.ocellus', 'photos', '--labels-from-folders']);
  await cli(['train', 'c.ocellus', '--base', base, '--epochs', '40', '--group-by', 'none']);
  for (const extra of options.moreRuns ?? [])
    await cli(['train', 'c.ocellus', '--base', base, '--group-by', 'none', ...extra]);
  return cli;
}
