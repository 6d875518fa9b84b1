import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { seededRandom } from '../../src/main/core/util/rng';

/** The two kinds of object the scenes hold. */
export type SceneKind = 'disc' | 'square';

/** One scene: its file name and its objects' boxes, normalised [x, y, w, h]. */
export interface Scene {
  file: string;
  objects: { kind: SceneKind; box: [number, number, number, number] }[];
}

const W = 192;
const H = 128;
const SIZE = 40;

/** An earthy noisy background, different per scene. */
function background(random: () => number): Buffer {
  const px = Buffer.alloc(W * H * 3);
  for (let i = 0; i < W * H; i++) {
    const n = random() * 60;
    px[i * 3] = 90 + n;
    px[i * 3 + 1] = 110 + n;
    px[i * 3 + 2] = 60 + n / 2;
  }
  return px;
}

/** An object as SVG: a warm disc or a cool striped square, its shade varying a little. */
function objectSvg(kind: SceneKind, random: () => number): Buffer {
  const s = Math.round(random() * 40);
  const shape =
    kind === 'disc'
      ? `<circle cx="20" cy="20" r="19" fill="rgb(${215 + s},${60 + s},${40})"/>`
      : `<rect x="1" y="1" width="38" height="38" fill="rgb(${40},${70 + s},${200 + s})"/>` +
        `<rect x="1" y="14" width="38" height="6" fill="rgb(230,230,240)"/>`;
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${SIZE}" height="${SIZE}">${shape}</svg>`,
  );
}

/**
 * Writes `count` scenes of 192×128 pixels into `dir`, two objects each, placed apart: the
 * first third hold two discs, the second third two squares, the rest one of each (so an
 * image-level label could not describe them). Returns each scene's objects and their boxes.
 */
export async function writeBoxScenes(dir: string, count: number, seed = 7): Promise<Scene[]> {
  fs.mkdirSync(dir, { recursive: true });
  const random = seededRandom(seed);
  const scenes: Scene[] = [];
  for (let i = 0; i < count; i++) {
    const kinds: SceneKind[] =
      i < count / 3
        ? ['disc', 'disc']
        : i < (2 * count) / 3
          ? ['square', 'square']
          : ['disc', 'square'];
    // One object in the left half, one in the right, at random heights.
    const objects = kinds.map((kind, j) => {
      const left = Math.round(j * (W / 2) + 8 + random() * (W / 2 - SIZE - 16));
      const top = Math.round(8 + random() * (H - SIZE - 16));
      return { kind, left, top };
    });
    const file = path.join(dir, `scene-${String(i).padStart(2, '0')}.png`);
    await sharp(background(random), { raw: { width: W, height: H, channels: 3 } })
      .composite(
        objects.map((o) => ({ input: objectSvg(o.kind, random), left: o.left, top: o.top })),
      )
      .png()
      .toFile(file);
    scenes.push({
      file: path.basename(file),
      objects: objects.map((o) => ({
        kind: o.kind,
        box: [o.left / W, o.top / H, SIZE / W, SIZE / H],
      })),
    });
  }
  return scenes;
}
