import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderDerivatives } from '../../../../../src/main/core/library/derivatives';
import { frameParseCount } from '../../../../../src/main/core/library/frame-file-cache';
import { dicomBytes, writeBytes } from '../../../../helpers/dicom-fixtures';

const [W, H] = [32, 24];
const COLOURS: [number, number, number][] = [
  [200, 30, 30],
  [30, 200, 30],
  [30, 30, 200],
  [200, 200, 30],
];

function solid([r, g, b]: [number, number, number]): Uint8Array {
  const px = new Uint8Array(W * H * 3);
  for (let i = 0; i < px.length; i += 3) px.set([r, g, b], i);
  return px;
}

describe('derivatives of a multi-frame file', () => {
  let dir: string;
  let cine: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocellus-frames-'));
    cine = writeBytes(
      path.join(dir, 'root', 'cine.dcm'),
      dicomBytes(COLOURS.map(solid), { width: W, height: H, channels: 3 }),
    );
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Renders every frame into `out`; returns the parses it took and the files written. */
  async function renderAll(out: string, frames: number | undefined) {
    const before = frameParseCount();
    const written: Buffer[] = [];
    for (let frame = 0; frame < COLOURS.length; frame++) {
      const thumb = path.join(dir, out, `${frame}.webp`);
      const input = path.join(dir, out, `${frame}.input`);
      const r = await renderDerivatives(cine, thumb, input, {
        roots: [path.join(dir, 'root')],
        frame,
        frames,
      });
      expect(r).toMatchObject({ ok: true, width: W, height: H });
      written.push(fs.readFileSync(thumb), fs.readFileSync(input));
    }
    return { parses: frameParseCount() - before, written };
  }

  it('reads and parses the file once for all its frames, with the same pixels as one parse per frame', async () => {
    const once = await renderAll('kept', COLOURS.length);
    expect(once.parses).toBe(1);
    // Without the frame count nothing is kept: each frame parses the file again.
    const each = await renderAll('each', undefined);
    expect(each.parses).toBe(COLOURS.length);
    expect(once.written).toEqual(each.written);
    // The frames differ, so the cache did not hand one frame's pixels to the others.
    expect(new Set(once.written.map((b) => b.toString('base64'))).size).toBe(2 * COLOURS.length);
  });

  it('reads a changed file again', async () => {
    await renderAll('first', COLOURS.length);
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(cine, later, later);
    expect((await renderAll('changed', COLOURS.length)).parses).toBe(1);
  });
});
