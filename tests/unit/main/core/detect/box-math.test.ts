import { describe, expect, it } from 'vitest';
import { iou, nms, unletterbox } from '../../../../../src/main/core/detect/box-math';
import {
  decodeCenterNet,
  decodeYolov5,
  decodeYolov8,
  guessDecoder,
} from '../../../../../src/main/core/detect/decode';

describe('box maths', () => {
  it('iou of identical, disjoint and half-overlapping boxes', () => {
    expect(iou([0, 0, 0.5, 0.5], [0, 0, 0.5, 0.5])).toBeCloseTo(1);
    expect(iou([0, 0, 0.2, 0.2], [0.5, 0.5, 0.2, 0.2])).toBe(0);
    expect(iou([0, 0, 0.4, 0.2], [0.2, 0, 0.4, 0.2])).toBeCloseTo(1 / 3);
  });

  it('nms keeps the best of overlapping boxes per category, and boxes of other categories', () => {
    const kept = nms([
      { category: 'animal', confidence: 0.5, box: [0, 0, 0.5, 0.5] },
      { category: 'animal', confidence: 0.9, box: [0.01, 0, 0.5, 0.5] },
      { category: 'person', confidence: 0.4, box: [0, 0, 0.5, 0.5] },
      { category: 'animal', confidence: 0.3, box: [0.6, 0.6, 0.2, 0.2] },
    ]);
    expect(kept.map((k) => [k.category, k.confidence])).toEqual([
      ['animal', 0.9],
      ['person', 0.4],
      ['animal', 0.3],
    ]);
  });

  it('maps letterboxed input pixels back to the image and clips to it', () => {
    // A 200×100 image in a 100×100 input: 100×50 inside, 25 px of padding above and below.
    const g = { width: 200, height: 100, innerWidth: 100, innerHeight: 50, padX: 0, padY: 25 };
    expect(unletterbox({ x1: 50, y1: 25, x2: 100, y2: 50, score: 1, cls: 0 }, g)).toEqual([
      0.5, 0, 0.5, 0.5,
    ]);
    expect(unletterbox({ x1: -10, y1: 0, x2: 10, y2: 100, score: 1, cls: 0 }, g)).toEqual([
      0, 0, 0.1, 1,
    ]);
    expect(unletterbox({ x1: 0, y1: 0, x2: 100, y2: 20, score: 1, cls: 0 }, g)).toBeNull();
  });
});

describe('decoders', () => {
  it('CenterNet rows are corners, score and class', () => {
    const data = new Float32Array([10, 20, 30, 40, 0.8, 15, 0, 0, 1, 1, 0.01, 3]);
    expect(decodeCenterNet({ data, dims: [1, 2, 6] }, 0.05)).toEqual([
      { x1: 10, y1: 20, x2: 30, y2: 40, score: expect.closeTo(0.8, 5) as number, cls: 15 },
    ]);
  });

  it('YOLOv5 rows: centre, size, objectness × best class', () => {
    // Two anchors, three classes: the second is below the threshold.
    const data = new Float32Array([50, 50, 20, 10, 0.9, 0.1, 0.8, 0.1, 5, 5, 2, 2, 0.02, 1, 0, 0]);
    const [box, ...rest] = decodeYolov5({ data, dims: [1, 2, 8] }, 0.1);
    expect(rest).toEqual([]);
    expect(box).toMatchObject({ x1: 40, y1: 45, x2: 60, y2: 55, cls: 1 });
    expect(box?.score).toBeCloseTo(0.72);
  });

  it('YOLOv8 columns: channels first, no objectness', () => {
    // Channels [cx, cy, w, h, c0, c1, c2] × 2 anchors.
    const data = new Float32Array([50, 0, 50, 0, 20, 1, 10, 1, 0.1, 0, 0.2, 0.01, 0.7, 0]);
    const boxes = decodeYolov8({ data, dims: [1, 7, 2] }, 0.1);
    expect(boxes).toHaveLength(1);
    expect(boxes[0]).toMatchObject({ x1: 40, y1: 45, x2: 60, y2: 55, cls: 2 });
  });

  it('guesses the layout from the output shape', () => {
    expect(guessDecoder([1, 25200, 8])).toBe('yolov5');
    expect(guessDecoder([1, 7, 8400])).toBe('yolov8');
    expect(guessDecoder([1, 100, 6])).toBe('centernet');
    expect(guessDecoder([1, 1000])).toBeNull();
  });
});
