import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { detectorKey, folderDetector } from '../../../../../src/main/core/detect/detector-spec';
import { writeTinyOnnxDetector } from '../../../../helpers/tiny-onnx';
import { makeTmpDir } from '../../../../helpers/tmp-dir';

describe("a detector folder's own files", () => {
  let tmp: ReturnType<typeof makeTmpDir>;
  beforeEach(() => (tmp = makeTmpDir()));
  afterEach(() => tmp.cleanup());

  it('are read when they are regular files inside the folder', async () => {
    const dir = writeTinyOnnxDetector(path.join(tmp.dir, 'md'), 64);
    expect(await detectorKey(folderDetector(dir))).toMatch(/^folder:md@[0-9a-f]{12}$/);
  });

  it('are refused, without hanging, when the model is a FIFO or a link out of the folder', async () => {
    const fifo = path.join(tmp.dir, 'fifo');
    fs.mkdirSync(fifo);
    execFileSync('mkfifo', [path.join(fifo, 'model.onnx')]);
    await expect(detectorKey(folderDetector(fifo))).rejects.toThrow();

    const outside = writeTinyOnnxDetector(path.join(tmp.dir, 'real'), 64);
    const model = fs.readdirSync(outside).find((n) => n.endsWith('.onnx'))!;
    const linked = path.join(tmp.dir, 'linked');
    fs.mkdirSync(linked);
    fs.symlinkSync(path.join(outside, model), path.join(linked, 'model.onnx'));
    await expect(detectorKey(folderDetector(linked))).rejects.toThrow();
  });

  it('refuses a detector.json that is not a regular file', () => {
    const dir = writeTinyOnnxDetector(path.join(tmp.dir, 'md'), 64);
    execFileSync('mkfifo', [path.join(dir, 'detector.json')]);
    expect(() => folderDetector(dir)).toThrow(/not a regular file/);
    const linked = writeTinyOnnxDetector(path.join(tmp.dir, 'md-link'), 64);
    fs.writeFileSync(path.join(tmp.dir, 'elsewhere.json'), '{"coco": true}');
    fs.symlinkSync(path.join(tmp.dir, 'elsewhere.json'), path.join(linked, 'detector.json'));
    expect(() => folderDetector(linked)).toThrow(/is a link/);
  });
});
