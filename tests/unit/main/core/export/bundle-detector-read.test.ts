/** A bundle's detector/detector.json, read as `ocellus predict` reads a bundle from elsewhere. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readBundleDetector } from '../../../../../src/main/core/export/bundle-detector';
import { writeTinyOnnxDetector } from '../../../../helpers/tiny-onnx';
import { makeTmpDir } from '../../../../helpers/tmp-dir';

describe("a bundle's detector.json", () => {
  let tmp: ReturnType<typeof makeTmpDir>;
  let dir: string;
  beforeEach(() => {
    tmp = makeTmpDir();
    dir = writeTinyOnnxDetector(path.join(tmp.dir, 'bundle', 'detector'), 64);
  });
  afterEach(() => tmp.cleanup());

  it('gives the threshold; a bundle without one classifies whole images', async () => {
    expect(await readBundleDetector(path.join(tmp.dir, 'bundle'))).toBeNull();
    fs.writeFileSync(path.join(dir, 'detector.json'), JSON.stringify({ threshold: 0.3 }));
    expect(await readBundleDetector(path.join(tmp.dir, 'bundle'))).toMatchObject({
      threshold: 0.3,
      minConfidence: 0.05,
      spec: { format: 'onnx' },
    });
  });

  it('is refused with a clear error when not JSON, a FIFO or a link out of the folder', async () => {
    const file = path.join(dir, 'detector.json');
    fs.writeFileSync(file, '{ threshold: ');
    await expect(readBundleDetector(path.join(tmp.dir, 'bundle'))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('detector.json'),
    });
    fs.rmSync(file);
    execFileSync('mkfifo', [file]);
    await expect(readBundleDetector(path.join(tmp.dir, 'bundle'))).rejects.toThrow(
      /not a regular file/,
    );
    fs.rmSync(file);
    fs.writeFileSync(path.join(tmp.dir, 'secret.json'), JSON.stringify({ threshold: 0.5 }));
    fs.symlinkSync(path.join(tmp.dir, 'secret.json'), file);
    await expect(readBundleDetector(path.join(tmp.dir, 'bundle'))).rejects.toThrow();
  });
});
