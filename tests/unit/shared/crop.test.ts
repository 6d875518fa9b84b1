import { describe, expect, it } from 'vitest';
import { CROP_MARGIN, cropKey, cropRect } from '../../../src/shared/crop';

describe('cropRect', () => {
  it('grows the box by the margin of its own size on each side', () => {
    // A 100×50 box at (200, 100) in a 1000×500 image: 10 px more left and right, 5 above and below.
    const rect = cropRect([0.2, 0.2, 0.1, 0.1], 1000, 500);
    expect(CROP_MARGIN).toBe(0.1);
    expect(rect).toEqual({ left: 190, top: 95, width: 120, height: 60 });
  });

  it('clips the grown box to the image', () => {
    expect(cropRect([0, 0, 0.5, 0.5], 640, 480)).toEqual({
      left: 0,
      top: 0,
      width: 352,
      height: 264,
    });
    expect(cropRect([0.8, 0.9, 0.2, 0.1], 640, 480)).toEqual({
      left: 499,
      top: 427,
      width: 141,
      height: 53,
    });
  });

  it('goes outwards to whole pixels and keeps at least one pixel', () => {
    expect(cropRect([0.101, 0.101, 0.2, 0.2], 10, 10, 0)).toEqual({
      left: 1,
      top: 1,
      width: 3,
      height: 3,
    });
    expect(cropRect([1, 1, 0, 0], 10, 10)).toEqual({ left: 9, top: 9, width: 1, height: 1 });
    expect(cropRect([0.5, 0.5, 0, 0], 10, 10)).toEqual({ left: 5, top: 5, width: 1, height: 1 });
  });

  it('refuses what is not a box or an image', () => {
    expect(() => cropRect([0, 0, Number.NaN, 1], 10, 10)).toThrow(/Not a box/);
    expect(() => cropRect([0, 0, -1, 1], 10, 10)).toThrow(/Not a box/);
    expect(() => cropRect([0, 0, 1, 1], 0, 10)).toThrow(/nothing to crop/);
  });

  it('keys a crop by its rectangle', () => {
    expect(cropKey({ left: 1, top: 2, width: 3, height: 4 })).toBe('c1.2.3.4');
  });
});
