/** The accuracy benchmark's data: emoji of 7 categories by four artists, rendered once. */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { seededRandom } from '../../src/main/core/util/rng';

export const CATEGORIES = [
  'Activities',
  'Animals & Nature',
  'Food & Drink',
  'Objects',
  'Smileys & Emotion',
  'Symbols',
  'Travel & Places',
];
/** The four artists; the benchmark trains on one (Noto unless --train-set) and tests on the rest. */
export const ARTISTS = ['noto', 'twemoji', 'fluent-emoji-flat', 'openmoji'];
export const TRAIN_SET = 'noto';
export const TEST_SETS = testSetsFor(TRAIN_SET);

export function testSetsFor(trainSet: string): string[] {
  if (!ARTISTS.includes(trainSet)) throw new Error(`--train-set is one of ${ARTISTS.join(', ')}`);
  return ARTISTS.filter((a) => a !== trainSet);
}
export const RENDER_PX = 96;

export interface IconSet {
  width?: number;
  height?: number;
  icons: Record<string, { body: string; width?: number; height?: number }>;
}

export function iconSet(name: string): IconSet {
  const file = path.join('node_modules', '@iconify-json', name, 'icons.json');
  return JSON.parse(fs.readFileSync(file, 'utf8')) as IconSet;
}

export function categories(name: string): Record<string, string[]> {
  const file = path.join('node_modules', '@iconify-json', name, 'metadata.json');
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { categories: Record<string, string[]> })
    .categories;
}

export async function render(set: IconSet, icon: string, file: string): Promise<void> {
  if (fs.existsSync(file)) return;
  const i = set.icons[icon];
  if (!i) throw new Error(`no icon ${icon}`);
  const w = i.width ?? set.width ?? 16;
  const h = i.height ?? set.height ?? 16;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${RENDER_PX}" height="${RENDER_PX}" viewBox="0 0 ${w} ${h}">${i.body}</svg>`;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp(Buffer.from(svg)).png().toFile(file);
}

/**
 * Which emoji the test sets draw: `other` emoji of the same categories (new emoji and a new
 * artist), or the `same` emoji as the training set (the first test-per-class of them: only
 * the artist is new).
 */
export type TestEmoji = 'other' | 'same';

/**
 * Renders the data set once: train/<class>/<emoji>.png by `trainSet` and
 * <test set>/<class>/<emoji>.png by each other artist. The emoji picked do not depend on
 * which artist trains, so every split has the same train and test emoji.
 */
export async function buildData(
  dir: string,
  perClass: number,
  testPerClass: number,
  trainSet = TRAIN_SET,
  testEmoji: TestEmoji = 'other',
) {
  const tests = testSetsFor(trainSet);
  // Rendering skips files already there, so a folder rendered for another training artist
  // would silently train on that artist's drawings: refuse it.
  const marker = path.join(dir, 'train-set.txt');
  const before = fs.existsSync(marker) ? fs.readFileSync(marker, 'utf8').trim() : null;
  if (before === null && fs.existsSync(path.join(dir, 'train'))) {
    throw new Error(`${dir} holds training images of an unknown artist: use another --data`);
  }
  // Folders rendered before test emoji were a choice hold other emoji: their marker is the artist.
  const wanted = testEmoji === 'other' ? trainSet : `${trainSet} ${testEmoji}`;
  if (before !== null && before !== wanted) {
    throw new Error(
      `${dir} was rendered for --train-set ${before.replace(' ', ' --test-emoji ')}, not ${wanted.replace(' ', ' --test-emoji ')}`,
    );
  }
  fs.mkdirSync(dir, { recursive: true });
  // Written once, whole (temp + rename): runs started together never read a half-written one.
  if (before === null) {
    const tmp = `${marker}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${wanted}\n`);
    fs.renameSync(tmp, marker);
  }
  const sets = Object.fromEntries(ARTISTS.map((s) => [s, iconSet(s)] as const));
  const cats = categories(TRAIN_SET);
  const random = seededRandom(2026);
  const classes = CATEGORIES.map((c) => c.split(' ')[0]?.toLowerCase() ?? c);
  for (const [ci, category] of CATEGORIES.entries()) {
    const names = (cats[category] ?? [])
      .filter((n) => Object.values(sets).every((s) => s.icons[n]))
      .sort();
    for (let i = names.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [names[i], names[j]] = [names[j] as string, names[i] as string];
    }
    if (testEmoji === 'same' && testPerClass > perClass) {
      throw new Error(`--test-emoji same takes at most --per-class (${perClass}) test emoji`);
    }
    if (names.length < perClass + testPerClass) {
      throw new Error(`${category}: only ${names.length} emoji in every set`);
    }
    const cls = classes[ci] ?? category;
    for (const n of names.slice(0, perClass)) {
      await render(sets[trainSet] as IconSet, n, path.join(dir, 'train', cls, `${n}.png`));
    }
    for (const t of tests) {
      const picked =
        testEmoji === 'same'
          ? names.slice(0, testPerClass)
          : names.slice(perClass, perClass + testPerClass);
      for (const n of picked) {
        await render(sets[t] as IconSet, n, path.join(dir, t, cls, `${n}.png`));
      }
    }
  }
  return classes;
}

export function labelOf(file: string): string {
  return path.basename(path.dirname(file));
}
