/** The embedding benchmark's test images: varied content, generated once. */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { OverlayOptions } from 'sharp';
import { log, pool, secs } from '../lib/measure';
import { PARALLELISM } from './options';
import { animalSvg, type Base, frame, makeBase, rng } from '../lib/images';

// ---------------------------------------------------------------------------------------------
// Test images: varied content, generated once

export type Kind = 'small' | 'big';

export interface ImageSet {
  kind: Kind;
  count: number;
  width: number;
  height: number;
  dir: string;
  manifest: string;
}

export const GENERATOR_VERSION = 1;

export function imageSet(data: string, kind: Kind, count: number): ImageSet {
  const [width, height] = kind === 'small' ? [1024, 768] : [4000, 3000];
  const name = `${kind}-${width}x${height}-n${count}-v${GENERATOR_VERSION}`;
  return {
    kind,
    count,
    width,
    height,
    dir: path.join(data, name),
    manifest: path.join(data, `${name}.json`),
  };
}

export function setFiles(set: ImageSet): string[] {
  return Array.from({ length: set.count }, (_, i) =>
    path.join(set.dir, `IMG_${String(i + 1).padStart(4, '0')}.JPG`),
  );
}

export function isComplete(set: ImageSet): boolean {
  try {
    const m = JSON.parse(fs.readFileSync(set.manifest, 'utf8')) as {
      version?: number;
      count?: number;
    };
    return m.version === GENERATOR_VERSION && m.count === set.count;
  } catch {
    return false;
  }
}

export async function generateSet(set: ImageSet): Promise<void> {
  if (set.count === 0 || isComplete(set)) return;
  const small = set.kind === 'small';
  const baseCount = small ? 12 : 4;
  const marginW = small ? 256 : 200;
  const marginH = small ? 192 : 150;
  log(`generating ${set.count} JPEGs ${set.width}×${set.height} in ${set.dir}`);
  const started = performance.now();
  const bases: Base[] = [];
  for (let b = 0; b < baseCount; b++) {
    bases.push(
      await makeBase(
        set.width + marginW,
        set.height + marginH,
        b + (small ? 0 : 1000),
        small ? 6 + (b % 7) : 12 + (b % 4) * 2,
      ),
    );
  }
  fs.mkdirSync(set.dir, { recursive: true });
  const files = setFiles(set);
  await pool(
    files.map((file, i) => ({ file, i })),
    PARALLELISM,
    async ({ file, i }) => {
      if (fs.existsSync(file)) return;
      const base = bases[i % baseCount] as Base;
      const j = Math.floor(i / baseCount);
      const left = small ? (j * 7) % marginW : (j * 11) % marginW;
      const top = small ? (j * 37) % marginH : (j * 13) % marginH;
      const r = rng(i * 2654435761 + (small ? 1 : 2));
      const gain = 0.8 + r() * 0.4;
      const overlays: OverlayOptions[] = [];
      // About one frame in three has an "animal" in it.
      if (r() < 0.35) {
        const w = Math.floor(set.width * (0.15 + r() * 0.25));
        const h = Math.floor(w * 0.6);
        const hue = Math.floor(r() * 60);
        const svg = animalSvg(w, h, hue);
        overlays.push({
          input: Buffer.from(svg),
          left: Math.floor(r() * (set.width - w)),
          top: Math.floor(r() * (set.height - h)),
        });
      }
      const img = frame(base, { left, top, width: set.width, height: set.height }, gain, overlays);
      const part = `${file}.part`;
      await img.jpeg({ quality: 84 + (i % 7) }).toFile(part);
      await fs.promises.rename(part, file);
    },
  );
  fs.writeFileSync(set.manifest, JSON.stringify({ version: GENERATOR_VERSION, count: set.count }));
  log(`  done in ${secs(performance.now() - started)}`);
}
