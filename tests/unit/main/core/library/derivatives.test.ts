import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fitSize,
  renderDerivatives,
  type DerivativeResult,
} from '../../../../../src/main/core/library/derivatives';
import { networkPixels, readCachedInput } from '../../../../../src/main/core/library/model-input';
import {
  pixelAt,
  writeAv1Heif,
  writeAvif,
  writeBmp,
  writeEmpty,
  writeGif,
  writeHevcHeic,
  writeHugeHeaderJpeg,
  writeJpeg,
  writePng,
  writeRotatedJpeg,
  writeTextAsJpeg,
  writeTiff,
  writeTruncatedJpeg,
  writeWebp,
} from '../../../../helpers/image-fixtures';
import { makeTmpDir } from '../../../../helpers/tmp-dir';

let tmp: { dir: string; cleanup: () => void };
let n = 0;

beforeAll(() => {
  tmp = makeTmpDir('ocellus-deriv-');
});
afterAll(() => tmp.cleanup());

/** Renders `file` into fresh cache paths (nested folders that do not exist yet). */
async function render(
  file: string,
  opts?: Parameters<typeof renderDerivatives>[3],
): Promise<{ result: DerivativeResult; thumb: string; input: string }> {
  n += 1;
  const thumb = path.join(tmp.dir, 'cache', `t${n}`, 'thumbs', `${n}.webp`);
  const input = path.join(tmp.dir, 'cache', `t${n}`, 'inputs', `${n}.png`);
  return { result: await renderDerivatives(file, thumb, input, opts), thumb, input };
}

const src = (name: string): string => path.join(tmp.dir, 'src', name);

type Rgb = [number, number, number];
function expectColour(actual: Rgb, expected: Rgb, tolerance = 24): void {
  actual.forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThanOrEqual(tolerance));
}

describe('renderDerivatives: sizes', () => {
  it('makes a 224×224 lossless network input and a ≤256 WebP thumbnail from a 4000×3000 JPEG', async () => {
    const file = await writeJpeg(src('big.jpg'), { width: 4000, height: 3000, color: '#20a040' });
    const { result, thumb, input } = await render(file);
    expect(result).toEqual({ ok: true, width: 4000, height: 3000 });

    const im = await sharp(input).metadata();
    expect([im.format, im.width, im.height, im.channels]).toEqual(['png', 224, 224, 3]);
    const tm = await sharp(thumb).metadata();
    expect([tm.format, tm.width, tm.height]).toEqual(['webp', 256, 192]);
    expectColour(await pixelAt(thumb, 128, 96), [0x20, 0xa0, 0x40]);
    expectColour(await pixelAt(input, 10, 10), [0x20, 0xa0, 0x40]);
  });

  it('never enlarges a small thumbnail, but the network input is always the network size', async () => {
    const file = await writeJpeg(src('small.jpg'), { width: 100, height: 80 });
    const { result, thumb, input } = await render(file);
    expect(result).toEqual({ ok: true, width: 100, height: 80 });
    expect(await sharp(input).metadata()).toMatchObject({ width: 224, height: 224 });
    expect(await sharp(thumb).metadata()).toMatchObject({ width: 100, height: 80 });
  });

  it('caps the long side of a panorama thumbnail', async () => {
    const file = await writeJpeg(src('pano.jpg'), { width: 6000, height: 600 });
    const { thumb, input } = await render(file);
    expect(await sharp(input).metadata()).toMatchObject({ width: 224, height: 224 });
    expect(await sharp(thumb).metadata()).toMatchObject({ width: 256, height: 26 });
  });

  it('holds exactly the pixels the shared pipeline gives from the original', async () => {
    const file = await writeJpeg(src('exact.jpg'), { width: 2000, height: 1000 });
    const geometry = { inputSize: [96, 128] as [number, number], resize: 'squash' as const };
    const { thumb, input } = await render(file, { thumbSize: 512, inputGeometry: geometry });
    expect(await sharp(input).metadata()).toMatchObject({ width: 128, height: 96 });
    expect(await sharp(thumb).metadata()).toMatchObject({ width: 512, height: 256 });
    const cached = await readCachedInput(input, geometry);
    expect(cached?.equals(await networkPixels(file, geometry))).toBe(true);
  });

  it('computes fit sizes exactly', () => {
    expect(fitSize(4000, 3000, 320, 1280)).toEqual({ width: 427, height: 320 });
    expect(fitSize(3000, 4000, 320, 1280)).toEqual({ width: 320, height: 427 });
    expect(fitSize(100, 80, 320, 1280)).toEqual({ width: 100, height: 80 });
    expect(fitSize(4000, 3000, Infinity, 256)).toEqual({ width: 256, height: 192 });
    expect(fitSize(20000, 10, 320, 1280)).toEqual({ width: 1280, height: 1 });
  });
});

describe('renderDerivatives: pixels', () => {
  it('applies EXIF orientation: a landscape tagged 6 becomes portrait, red on top', async () => {
    const file = await writeRotatedJpeg(src('rotated.jpg'), 400, 300);
    const { result, thumb, input } = await render(file);
    expect(result).toEqual({ ok: true, width: 300, height: 400 });
    const tm = await sharp(thumb).metadata();
    expect([tm.width, tm.height]).toEqual([192, 256]);
    expect(tm.orientation ?? 1).toBe(1);
    expectColour(await pixelAt(thumb, 96, 30), [255, 0, 0], 40);
    expectColour(await pixelAt(thumb, 96, 226), [0, 0, 255], 40);
    // Upright it is 300×400, centre-cropped to 224×224: red above, blue below.
    expect(await sharp(input).metadata()).toMatchObject({ width: 224, height: 224 });
    expectColour(await pixelAt(input, 112, 10), [255, 0, 0], 40);
    expectColour(await pixelAt(input, 112, 214), [0, 0, 255], 40);
  });

  it('flattens alpha on white', async () => {
    const file = await writePng(src('alpha.png'), {
      width: 200,
      height: 100,
      alpha: true,
      color: '#ff0000',
    });
    const { result, thumb, input } = await render(file);
    expect(result).toEqual({ ok: true, width: 200, height: 100 });
    const tm = await sharp(thumb).metadata();
    expect(tm.hasAlpha).toBe(false);
    // pixelAt would flatten a leftover alpha channel itself, so check the raw bytes too.
    const raw = await sharp(thumb).raw().toBuffer({ resolveWithObject: true });
    expect(raw.info.channels).toBe(3);
    expect([...raw.data.subarray(0, 3)]).toEqual([255, 255, 255]);
    expectColour(await pixelAt(thumb, 100, 50), [255, 0, 0]);
    const raw2 = await sharp(input).raw().toBuffer({ resolveWithObject: true });
    expect(raw2.info.channels).toBe(3);
    expectColour(await pixelAt(input, 112, 112), [255, 0, 0]);
  });

  it('handles a 16-bit PNG', async () => {
    const file = await writePng(src('deep.png'), {
      width: 300,
      height: 200,
      bits16: true,
      color: '#4080c0',
    });
    const { result, input } = await render(file);
    expect(result).toEqual({ ok: true, width: 300, height: 200 });
    const im = await sharp(input).metadata();
    expect([im.format, im.depth, im.width, im.height]).toEqual(['png', 'uchar', 224, 224]);
    expectColour(await pixelAt(input, 112, 112), [0x40, 0x80, 0xc0]);
  });

  it('uses the first frame of an animated GIF', async () => {
    const file = await writeGif(src('anim.gif'), {
      width: 60,
      height: 40,
      frames: 3,
      color: '#ffff00',
    });
    const { result, thumb } = await render(file);
    expect(result).toEqual({ ok: true, width: 60, height: 40 });
    expect(await sharp(thumb).metadata()).toMatchObject({ width: 60, height: 40 });
    expectColour(await pixelAt(thumb, 30, 20), [255, 255, 0], 40);
  });

  const formats: Array<[string, (file: string) => Promise<string>]> = [
    ['a.webp', (f) => writeWebp(f, { width: 640, height: 480 })],
    ['a.tif', (f) => writeTiff(f, { width: 640, height: 480 })],
    ['a.avif', (f) => writeAvif(f, { width: 640, height: 480 })],
    ['av1.heic', (f) => writeAv1Heif(f, { width: 640, height: 480 })],
    ['Ñandú 猫/im age.jpg', (f) => writeJpeg(f, { width: 640, height: 480 })],
  ];
  it.each(formats)('renders %s', async (name, write) => {
    const { result, thumb, input } = await render(await write(src(name)));
    expect(result).toEqual({ ok: true, width: 640, height: 480 });
    expect(await sharp(thumb).metadata()).toMatchObject({
      format: 'webp',
      width: 256,
      height: 192,
    });
    expect(await sharp(input).metadata()).toMatchObject({
      format: 'png',
      width: 224,
      height: 224,
    });
    expectColour(await pixelAt(input, 112, 112), [0x33, 0x66, 0xcc]);
  });
});

describe('renderDerivatives: files', () => {
  it('writes only the two targets (no temp files left) and replaces older ones', async () => {
    const file = await writeJpeg(src('atomic.jpg'), { width: 500, height: 400 });
    const thumb = path.join(tmp.dir, 'atomic', 'thumb.webp');
    const input = path.join(tmp.dir, 'atomic', 'input.png');
    fs.mkdirSync(path.dirname(thumb), { recursive: true });
    fs.writeFileSync(thumb, 'stale');
    fs.writeFileSync(input, 'stale');
    expect((await renderDerivatives(file, thumb, input)).ok).toBe(true);
    expect(fs.readdirSync(path.dirname(thumb)).sort()).toEqual(['input.png', 'thumb.webp']);
    expect(await sharp(thumb).metadata()).toMatchObject({
      format: 'webp',
      width: 256,
      height: 205,
    });
    expect(await sharp(input).metadata()).toMatchObject({
      format: 'png',
      width: 224,
      height: 224,
    });
  });
});

describe('renderDerivatives: problems', () => {
  async function expectFailure(
    file: string,
    status: 'broken' | 'unsupported',
    error: RegExp,
  ): Promise<void> {
    const { result, thumb, input } = await render(file);
    expect(result).toMatchObject({ ok: false, status });
    expect(result.ok ? '' : result.error).toMatch(error);
    expect(fs.existsSync(thumb)).toBe(false);
    expect(fs.existsSync(input)).toBe(false);
  }

  it('reports a truncated JPEG as broken with the decoder message, each line once', async () => {
    // libvips said "VipsJpeg: premature end of JPEG image" twice, on two lines.
    await expectFailure(
      await writeTruncatedJpeg(src('cut.jpg')),
      'broken',
      /^(?!.*premature end.*premature end)[^\n]*premature end/is,
    );
  });

  it('reports a truncated large JPEG as broken despite shrink-on-load', async () => {
    await expectFailure(
      await writeTruncatedJpeg(src('cut-big.jpg'), 4000, 3000),
      'broken',
      /premature end/i,
    );
  });

  it('reports text named .jpg and an empty file as broken', async () => {
    await expectFailure(
      await writeTextAsJpeg(src('text.jpg')),
      'broken',
      /^Not an image: its bytes match no format Ocellus reads$/,
    );
    await expectFailure(await writeEmpty(src('empty.jpg')), 'broken', /^Empty file \(0 bytes\)$/);
  });

  it('reports a missing file as broken', async () => {
    await expectFailure(src('nope.jpg'), 'broken', /no longer exists/);
  });

  it('reports BMP and HEVC HEIC as unsupported, naming the format', async () => {
    await expectFailure(
      await writeBmp(src('old.bmp'), { width: 20, height: 10 }),
      'unsupported',
      /^BMP/,
    );
    await expectFailure(await writeHevcHeic(src('IMG_0002.heic')), 'unsupported', /HEIC.*HEVC/);
  });

  it('reports an image beyond the pixel limit as unsupported, with its dimensions', async () => {
    await expectFailure(
      await writeHugeHeaderJpeg(src('huge.jpg'), 30000, 20000),
      'unsupported',
      /30000×20000/,
    );
  });
});
