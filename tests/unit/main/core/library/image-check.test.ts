import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkImageFile,
  EMPTY_FILE,
  explainDecodeError,
  NOT_AN_IMAGE,
} from '../../../../../src/main/core/library/image-check';

/** sharp's own failure on a file, to be explained. */
async function decodeFailure(file: string): Promise<unknown> {
  return sharp(file)
    .raw()
    .toBuffer()
    .then(
      () => null,
      (err: unknown) => err,
    );
}

describe('image checks of the predict paths', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocellus-image-check-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('names an empty file and refuses a FIFO before any decoder opens them', async () => {
    const empty = path.join(dir, 'empty.jpg');
    fs.writeFileSync(empty, '');
    await expect(checkImageFile(empty)).rejects.toThrow(EMPTY_FILE);
    const fifo = path.join(dir, 'pipe.jpg');
    execFileSync('mkfifo', [fifo]);
    await expect(checkImageFile(fifo)).rejects.toThrow(/FIFO/);
    const good = path.join(dir, 'good.png');
    await sharp({ create: { width: 4, height: 4, channels: 3, background: 'red' } })
      .png()
      .toFile(good);
    await expect(checkImageFile(good)).resolves.toBeUndefined();
  });

  it('says a readable folder is a folder, and why an unreadable one could not be listed', async () => {
    const folder = path.join(dir, 'sub');
    fs.mkdirSync(folder);
    await expect(checkImageFile(folder)).rejects.toThrow(/is a folder, not a regular file/);
    // Root lists any folder, so only a normal POSIX user can make one it cannot.
    if (process.platform === 'win32' || process.getuid?.() === 0) return;
    fs.chmodSync(folder, 0o000);
    try {
      await expect(checkImageFile(folder)).rejects.toThrow(
        /^Cannot list this folder: permission denied$/,
      );
    } finally {
      fs.chmodSync(folder, 0o755);
    }
  });

  it('words sharp\'s "unsupported image format" by what the bytes are, and passes other errors on', async () => {
    const text = path.join(dir, 'text.png');
    fs.writeFileSync(text, 'hello\n');
    const textError = await decodeFailure(text);
    expect(String(textError)).toMatch(/unsupported image format/);
    expect((await explainDecodeError(text, textError)).message).toBe(NOT_AN_IMAGE);

    const psd = path.join(dir, 'layers.jpg');
    fs.writeFileSync(psd, Buffer.concat([Buffer.from('8BPS'), Buffer.alloc(60)]));
    const psdError = await decodeFailure(psd);
    expect((await explainDecodeError(psd, psdError)).message).toMatch(
      /^PSD images are not supported/,
    );

    const other = new Error('VipsJpeg: premature end of JPEG image');
    expect(await explainDecodeError(text, other)).toBe(other);
  });
});
