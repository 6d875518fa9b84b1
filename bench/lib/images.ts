/**
 * Synthetic camera-trap images shared by the benchmarks that generate test data
 * (bench/embed.ts, bench/import.ts): a textured base picture, a crude "animal" and one frame
 * cut from a base.
 */
import sharp, { type OverlayOptions, type Sharp } from 'sharp';
import { seededRandom } from '../../src/main/core/util/rng';

/** The project's seeded PRNG, so generated data match across runs. */
export const rng = seededRandom;

/** Raw RGB pixels of a base picture. */
export interface Base {
  data: Buffer;
  width: number;
  height: number;
}

/** A gradient with soft shapes and sensor-like noise: JPEGs of it have realistic sizes. */
export async function makeBase(
  width: number,
  height: number,
  seed: number,
  sigma: number,
): Promise<Base> {
  const r = rng(seed * 7919 + 17);
  const hue = Math.floor(r() * 360);
  const shapes = Array.from({ length: 40 }, () => {
    const cx = Math.floor(r() * width);
    const cy = Math.floor(r() * height);
    const rx = Math.floor((0.02 + r() * 0.12) * width);
    const ry = Math.floor((0.01 + r() * 0.1) * height);
    const h = (hue + Math.floor(r() * 120) - 60 + 360) % 360;
    const l = 20 + Math.floor(r() * 45);
    return `<ellipse cx="${cx}" cy="${cy}" rx="${rx}" ry="${ry}" fill="hsl(${h},40%,${l}%)" fill-opacity="0.55"/>`;
  }).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
<defs><linearGradient id="g" x1="0" y1="0" x2="${r().toFixed(2)}" y2="1">
<stop offset="0" stop-color="hsl(${hue},35%,65%)"/>
<stop offset="1" stop-color="hsl(${(hue + 90) % 360},45%,22%)"/></linearGradient></defs>
<rect width="100%" height="100%" fill="url(#g)"/>${shapes}</svg>`;
  const noise = await sharp({
    create: {
      width,
      height,
      channels: 3,
      background: { r: 128, g: 128, b: 128 },
      noise: { type: 'gaussian', mean: 128, sigma },
    },
  })
    .raw()
    .toBuffer();
  const { data, info } = await sharp(Buffer.from(svg), { limitInputPixels: false })
    .composite([{ input: noise, raw: { width, height, channels: 3 }, blend: 'overlay' }])
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** A crude four-legged silhouette, `w`×`h`, in a brownish `hue`. */
export function animalSvg(w: number, h: number, hue: number): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">
<ellipse cx="${w * 0.45}" cy="${h * 0.55}" rx="${w * 0.35}" ry="${h * 0.3}" fill="hsl(${hue},35%,30%)"/>
<ellipse cx="${w * 0.82}" cy="${h * 0.35}" rx="${w * 0.12}" ry="${h * 0.14}" fill="hsl(${hue},35%,26%)"/>
<rect x="${w * 0.2}" y="${h * 0.7}" width="${w * 0.05}" height="${h * 0.3}" fill="hsl(${hue},30%,22%)"/>
<rect x="${w * 0.6}" y="${h * 0.7}" width="${w * 0.05}" height="${h * 0.3}" fill="hsl(${hue},30%,22%)"/></svg>`;
}

/**
 * One frame: a `width`×`height` window of `base` at (left, top), brightness × `gain`, the
 * overlays on top.
 */
export function frame(
  base: Base,
  window: { left: number; top: number; width: number; height: number },
  gain: number,
  overlays: OverlayOptions[],
): Sharp {
  const img = sharp(base.data, {
    raw: { width: base.width, height: base.height, channels: 3 },
    limitInputPixels: false,
  })
    .extract(window)
    .linear(gain, 0);
  return overlays.length > 0 ? img.composite(overlays) : img;
}
