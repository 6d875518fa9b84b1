/**
 * The import benchmark's test images: nested camera-trap cards, EXIF, varied content,
 * generated once.
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { OverlayOptions } from 'sharp';
import { log, pool, secs } from '../lib/measure';
import { PARALLELISM } from './options';
import { animalSvg, type Base, frame, makeBase, rng } from '../lib/images';

// ---------------------------------------------------------------------------------------------
// Test images: nested camera-trap cards, EXIF, varied content, generated once

export interface ImageSet {
  kind: 'small' | 'big';
  count: number;
  width: number;
  height: number;
  dir: string;
  /** Written beside (not inside) the set folder when the set is complete. */
  manifest: string;
}

/** Part of the set's folder name: a change to the generator makes new sets. */
export const GENERATOR_VERSION = 1;
export const PER_FOLDER = 500;
export const FOLDERS_PER_CARD = 2;

export function imageSet(data: string, kind: 'small' | 'big', count: number): ImageSet {
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

export interface FileSpec {
  file: string;
  card: number;
  /** Index on the card, from 0. */
  k: number;
}

export function fileSpec(set: ImageSet, i: number): FileSpec {
  const perCard = PER_FOLDER * FOLDERS_PER_CARD;
  const card = Math.floor(i / perCard);
  const k = i % perCard;
  const folder = `${100 + Math.floor(k / PER_FOLDER)}${set.kind === 'small' ? 'RECNX' : 'CANON'}`;
  const name = `IMG_${String(k + 1).padStart(4, '0')}.JPG`;
  const cardName = `CAM${String(card + 1).padStart(2, '0')}`;
  return { file: path.join(set.dir, cardName, 'DCIM', folder, name), card, k };
}

export function setFiles(set: ImageSet): string[] {
  return Array.from({ length: set.count }, (_, i) => fileSpec(set, i).file);
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

/** 'YYYY:MM:DD HH:MM:SS' as cameras write it (no zone). */
export function exifTime(seconds: number): string {
  const d = new Date(seconds * 1000);
  const p = (x: number) => String(x).padStart(2, '0');
  return `${d.getUTCFullYear()}:${p(d.getUTCMonth() + 1)}:${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

export async function generateSet(set: ImageSet): Promise<void> {
  if (isComplete(set)) return;
  const small = set.kind === 'small';
  const baseCount = small ? 16 : 4;
  const marginW = small ? 256 : 200;
  const marginH = small ? 192 : 150;
  log(`generating ${set.count} JPEGs ${set.width}×${set.height} in ${set.dir}`);
  const started = performance.now();
  const bases: Base[] = [];
  for (let b = 0; b < baseCount; b++) {
    bases.push(
      // Noise levels chosen for realistic sizes: ~90–200 kB at 1024×768, ~2.5–4.5 MB at 12 MP.
      await makeBase(
        set.width + marginW,
        set.height + marginH,
        b + (small ? 0 : 1000),
        small ? 6 + (b % 7) : 12 + (b % 4) * 2,
      ),
    );
  }
  let made = 0;
  let skipped = 0;
  await pool(
    Array.from({ length: set.count }, (_, i) => i),
    PARALLELISM,
    async (i) => {
      const spec = fileSpec(set, i);
      if (fs.existsSync(spec.file)) {
        skipped++;
        return;
      }
      const base = bases[i % baseCount] as Base;
      // A distinct window of the base for every image of that base, then per-image changes.
      const j = Math.floor(i / baseCount);
      const left = small ? j % marginW : (j * 4) % marginW;
      const top = small ? (Math.floor(j / marginW) * 37) % marginH : (j * 3) % marginH;
      const r = rng(i * 2654435761 + (small ? 1 : 2));
      const gain = 0.8 + r() * 0.4;
      const overlays: OverlayOptions[] = [];
      // About one frame in five has an "animal" in it; the rest are empty, as on real cards.
      if (r() < 0.2) {
        const w = Math.floor(set.width * (0.15 + r() * 0.2));
        const h = Math.floor(w * 0.6);
        const hue = Math.floor(r() * 60);
        const svg = animalSvg(w, h, hue);
        overlays.push({
          input: Buffer.from(svg),
          left: Math.floor(r() * (set.width - w)),
          top: Math.floor(r() * (set.height - h)),
        });
      }
      const event = Math.floor(spec.k / 3);
      const er = rng(spec.card * 100_003 + event);
      const start = Date.UTC(2024, 4, 1 + spec.card, 6, 0, 0) / 1000;
      const taken = start + event * 1800 + Math.floor(er() * 1200) + (spec.k % 3);
      const serial = small
        ? `H600-${String(4200 + spec.card).padStart(5, '0')}`
        : `0${31022000 + spec.card}`;
      const img = frame(base, { left, top, width: set.width, height: set.height }, gain, overlays);
      const out = img.jpeg({ quality: 84 + (i % 7) }).withExif({
        IFD0: small
          ? { Make: 'RECONYX', Model: 'HC600 HYPERFIRE' }
          : { Make: 'Canon', Model: 'Canon EOS 90D' },
        IFD2: { DateTimeOriginal: exifTime(taken), BodySerialNumber: serial },
      });
      await fs.promises.mkdir(path.dirname(spec.file), { recursive: true });
      const part = `${spec.file}.part`;
      await out.toFile(part);
      await fs.promises.rename(part, spec.file);
      made++;
      if ((made + skipped) % 1000 === 0) {
        log(`  ${made + skipped}/${set.count} (${secs(performance.now() - started)})`);
      }
    },
  );
  fs.writeFileSync(
    set.manifest,
    JSON.stringify({ version: GENERATOR_VERSION, count: set.count, made, skipped }),
  );
  log(`  done: ${made} written, ${skipped} already there, ${secs(performance.now() - started)}`);
}
