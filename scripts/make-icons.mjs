#!/usr/bin/env node
// @ts-check
/**
 * Renders resources/icon.svg into the icons electron-builder packs: icon.png (Linux, 512 px),
 * icon.ico (Windows: 16–48 px as bitmaps, which every Windows tool reads, 64–256 px as PNG) and
 * icon.icns (macOS, 16–1024 px incl. Retina). `npm run icons`; the outputs are committed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const resources = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'resources');

/** @param {Buffer} svg @param {number} size */
function renderPng(svg, size) {
  // Rasterise at the target size (not by downscaling one bitmap), so small icons stay crisp.
  return sharp(svg, { density: (72 * size) / 64 })
    .resize(size, size)
    .png()
    .toBuffer();
}

/** An ICO bitmap entry: BITMAPINFOHEADER, BGRA rows bottom-up, then an all-zero AND mask. */
async function icoBitmap(/** @type {Buffer} */ svg, /** @type {number} */ size) {
  const rgba = await sharp(svg, { density: (72 * size) / 64 })
    .resize(size, size)
    .ensureAlpha()
    .raw()
    .toBuffer();
  const header = Buffer.alloc(40);
  header.writeUInt32LE(40, 0);
  header.writeInt32LE(size, 4);
  header.writeInt32LE(size * 2, 8); // XOR bitmap + AND mask
  header.writeUInt16LE(1, 12);
  header.writeUInt16LE(32, 14);
  const pixels = Buffer.alloc(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const src = (y * size + x) * 4;
      const dst = ((size - 1 - y) * size + x) * 4;
      pixels[dst] = rgba[src + 2] ?? 0;
      pixels[dst + 1] = rgba[src + 1] ?? 0;
      pixels[dst + 2] = rgba[src] ?? 0;
      pixels[dst + 3] = rgba[src + 3] ?? 0;
    }
  }
  const maskRow = Math.ceil(size / 32) * 4;
  return Buffer.concat([header, pixels, Buffer.alloc(maskRow * size)]);
}

/** @param {{ size: number, data: Buffer }[]} images */
export function encodeIco(images) {
  const dir = Buffer.alloc(6 + 16 * images.length);
  dir.writeUInt16LE(0, 0);
  dir.writeUInt16LE(1, 2);
  dir.writeUInt16LE(images.length, 4);
  let offset = dir.length;
  images.forEach(({ size, data }, i) => {
    const e = 6 + 16 * i;
    dir.writeUInt8(size >= 256 ? 0 : size, e); // 0 means 256
    dir.writeUInt8(size >= 256 ? 0 : size, e + 1);
    dir.writeUInt16LE(1, e + 4);
    dir.writeUInt16LE(32, e + 6);
    dir.writeUInt32LE(data.length, e + 8);
    dir.writeUInt32LE(offset, e + 12);
    offset += data.length;
  });
  return Buffer.concat([dir, ...images.map((i) => i.data)]);
}

/** @param {{ type: string, data: Buffer }[]} chunks */
export function encodeIcns(chunks) {
  const parts = chunks.map(({ type, data }) => {
    const head = Buffer.alloc(8);
    head.write(type, 0, 'ascii');
    head.writeUInt32BE(data.length + 8, 4);
    return Buffer.concat([head, data]);
  });
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'ascii');
  head.writeUInt32BE(8 + parts.reduce((n, p) => n + p.length, 0), 4);
  return Buffer.concat([head, ...parts]);
}

// PNG-backed icns types: icp4–icp6 and ic07–ic10 by size, ic11–ic14 the @2x variants.
const ICNS_TYPES = [
  ['icp4', 16],
  ['icp5', 32],
  ['icp6', 64],
  ['ic07', 128],
  ['ic08', 256],
  ['ic09', 512],
  ['ic10', 1024],
  ['ic11', 32],
  ['ic12', 64],
  ['ic13', 256],
  ['ic14', 512],
];

async function main() {
  const svg = fs.readFileSync(path.join(resources, 'icon.svg'));
  /** @type {Map<number, Buffer>} */
  const png = new Map();
  for (const size of [16, 32, 64, 128, 256, 512, 1024]) png.set(size, await renderPng(svg, size));
  const pngOf = (/** @type {number} */ size) => /** @type {Buffer} */ (png.get(size));

  fs.writeFileSync(path.join(resources, 'icon.png'), pngOf(512));
  const ico = [];
  for (const size of [16, 24, 32, 48]) ico.push({ size, data: await icoBitmap(svg, size) });
  for (const size of [64, 128, 256]) ico.push({ size, data: pngOf(size) });
  fs.writeFileSync(path.join(resources, 'icon.ico'), encodeIco(ico));
  const icns = ICNS_TYPES.map(([type, size]) => ({
    type: String(type),
    data: pngOf(Number(size)),
  }));
  fs.writeFileSync(path.join(resources, 'icon.icns'), encodeIcns(icns));
  console.log('icons: wrote resources/icon.png, icon.ico, icon.icns');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
