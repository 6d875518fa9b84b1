import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDetector, type Detector } from '../../../../../src/main/core/detect/detector-engine';
import { builtinDetector } from '../../../../../src/main/core/detect/detector-spec';
import type { DetectionCategory } from '../../../../../src/shared/types';
import { skimagePhoto } from '../../../../helpers/skimage-photos';

const RESOURCES = path.resolve(__dirname, '../../../../../resources');
const PHOTOS = path.resolve(__dirname, '../../../../fixtures/photos');
const THRESHOLD = 0.2;

function top(boxes: { category: DetectionCategory; confidence: number }[]) {
  return boxes.filter((b) => b.confidence >= THRESHOLD).map((b) => b.category);
}

describe('the COCO CenterNet stand-in on real photos', () => {
  let detector: Detector;
  beforeAll(async () => {
    const spec = builtinDetector(RESOURCES);
    if (!spec) throw new Error('resources/detectors/centernet-coco is missing');
    detector = await createDetector(spec);
  }, 120_000);
  afterAll(() => detector?.dispose());

  const detect = (file: string) => detector.detect(fs.readFileSync(file));

  it('finds the cat as an animal, with a box around it, normalised to the image', async () => {
    const r = await detect(path.join(PHOTOS, 'cat.jpg'));
    expect(top(r.boxes)).toEqual(['animal']);
    const [x, y, w, h] = r.boxes[0]?.box ?? [];
    // The cat fills the photo's width and most of its height.
    expect(w).toBeGreaterThan(0.7);
    expect(h).toBeGreaterThan(0.6);
    for (const v of [x, y, w, h]) expect(v).toBeGreaterThanOrEqual(0);
    expect((x ?? 0) + (w ?? 0)).toBeLessThanOrEqual(1);
    expect((y ?? 0) + (h ?? 0)).toBeLessThanOrEqual(1);
    expect([r.width, r.height]).toEqual([480, 319]);
  });

  it('finds the person, and only one box for her after suppression', async () => {
    const r = await detect(path.join(PHOTOS, 'person.jpg'));
    expect(top(r.boxes)).toEqual(['person']);
  });

  it('finds nothing above the threshold on grass and gravel', async () => {
    for (const f of ['grass.jpg', 'gravel.jpg']) {
      const r = await detect(path.join(PHOTOS, f));
      expect(top(r.boxes), f).toEqual([]);
    }
  });

  it('finds the motorcycle as a vehicle (scikit-image wheel)', async (t) => {
    const photo = skimagePhoto('motorcycle_left.png');
    if ('skip' in photo) return t.skip(photo.skip);
    const r = await detect(photo.file);
    expect(top(r.boxes)).toContain('vehicle');
    expect(r.boxes[0]?.category).toBe('vehicle');
  });

  it('refuses bytes that are not an image with a clear error', async () => {
    await expect(detector.detect(Buffer.from('not an image'))).rejects.toThrow(
      /unsupported|format|input/i,
    );
  });
});
