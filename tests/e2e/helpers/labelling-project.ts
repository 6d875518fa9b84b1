import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { writeJpeg, type Colour } from '../../helpers/image-fixtures';
import { writeTinyCnn } from '../../helpers/tiny-models';
import type { OcellusServer } from '../fixtures';

const run = promisify(execFile);
const BIN = path.resolve('bin/ocellus.cjs');

/** Runs the built CLI with the server's app data (so both see the same imported models). */
export async function ocellusCli(server: OcellusServer, args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [BIN, ...args], {
    env: { ...process.env, OCELLUS_APP_DATA: server.appDataDir },
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

/** Colours of the three classes of the labelling fixtures, and shades in between. */
const HUES: Record<string, (i: number) => Colour> = {
  deer: (i) => ({ r: 140 + 8 * i, g: 90 + 4 * i, b: 40 }),
  empty: (i) => ({ r: 40, g: 150 + 8 * i, b: 60 + 4 * i }),
  fox: (i) => ({ r: 60 + 4 * i, g: 70, b: 170 + 8 * i }),
};

export interface CardsOptions {
  cameras: number;
  shotsPerCamera: number;
  /** Shots per burst (10 s apart); bursts are an hour apart. */
  burst: number;
  size?: number;
}

/**
 * Camera-trap cards: `dir/cam<c>/IMG_<n>.jpg` with EXIF capture times in bursts, in colours
 * that mix the three classes (so a trained model suggests all of them, at varied confidence).
 */
export async function writeCards(dir: string, o: CardsOptions): Promise<void> {
  const names = Object.keys(HUES);
  for (let c = 0; c < o.cameras; c++) {
    for (let n = 0; n < o.shotsPerCamera; n++) {
      const burst = Math.floor(n / o.burst);
      const hour = String(burst % 24).padStart(2, '0');
      const sec = String((n % o.burst) * 10).padStart(2, '0');
      const hue = HUES[names[(c + n) % names.length] as string] as (i: number) => Colour;
      await writeJpeg(path.join(dir, `cam${c}`, `IMG_${String(n).padStart(4, '0')}.jpg`), {
        width: o.size ?? 48,
        height: o.size ?? 48,
        color: hue(n % 8),
        exif: {
          DateTimeOriginal: `2024:06:${String(1 + c).padStart(2, '0')} ${hour}:00:${sec}`,
          Make: 'Bushnell',
          Model: 'Core',
          BodySerialNumber: `SN${c}`,
        },
      });
    }
  }
}

/** `dir/<class>/<i>.jpg`: labelled examples of deer, empty and fox. */
export async function writeTrainingFolders(dir: string, perClass: number): Promise<void> {
  for (const [name, hue] of Object.entries(HUES)) {
    for (let i = 0; i < perClass; i++) {
      await writeJpeg(path.join(dir, name, `${i}.jpg`), { width: 48, height: 48, color: hue(i) });
    }
  }
}

/**
 * A single-label project made with the CLI: labelled training folders (classes deer, empty,
 * fox on keys 1, 2, 3) and unlabelled camera cards; with `train`, a tiny CNN is imported as
 * the base model and a run trained on it. Returns the project file.
 */
export async function makeLabellingProject(
  server: OcellusServer,
  o: { cards: CardsOptions; perClass: number; train: boolean },
): Promise<string> {
  const root = server.projectDir;
  const project = path.join(root, 'cards.ocellus');
  await writeTrainingFolders(path.join(root, 'train'), o.perClass);
  await writeCards(path.join(root, 'cards'), o.cards);
  await ocellusCli(server, ['init', project, '--name', 'Cards']);
  await ocellusCli(server, ['add', project, path.join(root, 'train'), '--labels-from-folders']);
  await ocellusCli(server, ['add', project, path.join(root, 'cards')]);
  if (o.train) {
    const model = path.join(root, 'tiny-cnn');
    await writeTinyCnn(model);
    await ocellusCli(server, ['train', project, '--base', model, '--epochs', '8', '--seed', '1']);
  }
  return project;
}
