import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDetector } from '../../../../../src/main/core/detect/detector-engine';
import { folderDetector } from '../../../../../src/main/core/detect/detector-spec';
import { listDetectors, resolveDetector } from '../../../../../src/main/core/detect/detector-zoo';
import { OcellusError } from '../../../../../src/shared/errors';
import { writeTinyOnnxDetector } from '../../../../helpers/tiny-onnx';
import { makeTmpDir } from '../../../../helpers/tmp-dir';

const RESOURCES = path.resolve(__dirname, '../../../../../resources');

describe('an ONNX detector from a folder (MegaDetector-style YOLOv5 output)', () => {
  let tmp: ReturnType<typeof makeTmpDir>;
  beforeEach(() => (tmp = makeTmpDir()));
  afterEach(() => tmp.cleanup());

  it('runs on ONNX Runtime, reads the layout from the output, maps boxes through the letterbox', async () => {
    const dir = writeTinyOnnxDetector(path.join(tmp.dir, 'md'), 64);
    const spec = { ...folderDetector(dir), inputSize: [64, 64] as [number, number] };
    expect(spec).toMatchObject({ format: 'onnx', layout: 'NCHW', divisor: 255, decoder: 'auto' });
    const detector = await createDetector(spec);
    try {
      expect(detector.runtime.engine).toBe('onnx');
      // 128×64: letterboxed into 64×64 as 64×32 with 16 px of grey above and below.
      const jpeg = await sharp({
        create: { width: 128, height: 64, channels: 3, background: '#406080' },
      })
        .jpeg()
        .toBuffer();
      const r = await detector.detect(jpeg);
      expect([r.width, r.height]).toEqual([128, 64]);
      expect(r.boxes).toHaveLength(1);
      const [box] = r.boxes;
      expect(box?.category).toBe('person');
      expect(box?.confidence).toBeCloseTo(0.72, 5);
      // Centre (32, 32), 12.8 × 6.4 input pixels → x 0.4, y (28.8 − 16) / 32 = 0.4, w 0.2, h 0.2.
      const [x, y, w, h] = box?.box ?? [];
      expect(x).toBeCloseTo(0.4, 5);
      expect(y).toBeCloseTo(0.4, 5);
      expect(w).toBeCloseTo(0.2, 5);
      expect(h).toBeCloseTo(0.2, 5);
    } finally {
      detector.dispose();
    }
  });

  it('lists zoo detectors as not here until their ONNX file is in their folder', () => {
    const appData = path.join(tmp.dir, 'appdata');
    const before = listDetectors(RESOURCES, appData);
    expect(before[0]).toMatchObject({ id: 'centernet-coco', available: true, licence: 'MIT' });
    const v5 = before.find((d) => d.id === 'megadetector_v5a');
    expect(v5).toMatchObject({ available: false });
    expect(v5?.note).toMatch(/export/i);
    expect(() => resolveDetector('megadetector_v5a', RESOURCES, appData)).toThrow(OcellusError);
    writeTinyOnnxDetector(path.join(appData, 'detectors', 'megadetector_v5a'));
    expect(
      listDetectors(RESOURCES, appData).find((d) => d.id === 'megadetector_v5a')?.available,
    ).toBe(true);
    expect(resolveDetector('megadetector_v5a', RESOURCES, appData)).toMatchObject({
      id: 'megadetector_v5a',
      inputSize: [1280, 1280],
      decoder: 'yolov5',
    });
  });

  it('refuses a folder with no detector, and a relative name that is no detector id', () => {
    fs.mkdirSync(path.join(tmp.dir, 'empty'));
    expect(() => folderDetector(path.join(tmp.dir, 'empty'))).toThrow(/holds no detector/);
    expect(() => resolveDetector('nope', RESOURCES, tmp.dir)).toThrow(/No detector nope/);
  });
});
