import { describe, expect, it } from 'vitest';
import {
  assignSequences,
  cameraKey,
  parseNaiveTime,
  type SequenceInput,
} from '../../../../../src/main/core/library/sequences';

/** Image ids grouped by their sequence number, in sequence order. */
function groups(result: Map<number, number>): number[][] {
  const bySeq = new Map<number, number[]>();
  for (const [id, seq] of result) bySeq.set(seq, [...(bySeq.get(seq) ?? []), id]);
  return [...bySeq.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([, ids]) => ids.sort((a, b) => a - b));
}

describe('assignSequences', () => {
  it('splits bursts where the gap to the previous image exceeds gapSeconds', () => {
    const images: SequenceInput[] = [
      { id: 1, cameraKey: 'c', time: 1000 },
      { id: 2, cameraKey: 'c', time: 1002 },
      { id: 3, cameraKey: 'c', time: 1062 }, // exactly the gap: same sequence
      { id: 4, cameraKey: 'c', time: 1123 }, // 61 s later: new sequence
      { id: 5, cameraKey: 'c', time: 5000 },
    ];
    expect(groups(assignSequences(images, 60))).toEqual([[1, 2, 3], [4], [5]]);
  });

  it('chains: a burst every 30 s for 10 minutes is one sequence with gap 60', () => {
    const images = Array.from({ length: 21 }, (_, i) => ({
      id: i + 1,
      cameraKey: 'c',
      time: i * 30,
    }));
    const result = assignSequences(images, 60);
    expect(new Set(result.values())).toEqual(new Set([1]));
  });

  it('keeps two cameras apart even when their images interleave in time', () => {
    const images: SequenceInput[] = [];
    for (let i = 0; i < 5; i++) {
      images.push({ id: 10 + i, cameraKey: 'serial:X/Y/B', time: 100 + i * 10 });
      images.push({ id: 20 + i, cameraKey: 'serial:X/Y/A', time: 105 + i * 10 });
    }
    // A sorts before B, so camera A is sequence 1.
    expect(groups(assignSequences(images, 30))).toEqual([
      [20, 21, 22, 23, 24],
      [10, 11, 12, 13, 14],
    ]);
  });

  it('gives every image of unknown time its own sequence, after the timed ones of its camera', () => {
    const images: SequenceInput[] = [
      { id: 7, cameraKey: 'a', time: null },
      { id: 3, cameraKey: 'a', time: 10 },
      { id: 5, cameraKey: 'a', time: null },
      { id: 4, cameraKey: 'a', time: 11 },
      { id: 6, cameraKey: 'a', time: Number.NaN },
      { id: 1, cameraKey: 'b', time: null },
    ];
    const result = assignSequences(images, 60);
    expect(groups(result)).toEqual([[3, 4], [5], [6], [7], [1]]);
  });

  it('numbers densely and stably, whatever the input order', () => {
    const images: SequenceInput[] = [
      { id: 1, cameraKey: 'folder:1/b', time: 0 },
      { id: 2, cameraKey: 'folder:1/a', time: 500 },
      { id: 3, cameraKey: 'folder:1/a', time: 0 },
      { id: 4, cameraKey: 'folder:1/a', time: 0 }, // same second: tie broken by id
      { id: 5, cameraKey: 'folder:1/b', time: 1000 },
    ];
    const expected = new Map([
      [3, 1],
      [4, 1],
      [2, 2],
      [1, 3],
      [5, 4],
    ]);
    expect(assignSequences(images, 60)).toEqual(expected);
    expect(assignSequences([...images].reverse(), 60)).toEqual(expected);
    expect([...assignSequences(images, 60).values()].sort()).toEqual([1, 1, 2, 3, 4]);
  });

  it('rejects a gap that is not positive, and duplicate ids', () => {
    expect(() => assignSequences([], 0)).toThrow(RangeError);
    expect(() => assignSequences([], -5)).toThrow(RangeError);
    expect(() => assignSequences([], Number.NaN)).toThrow(RangeError);
    expect(assignSequences([], 1).size).toBe(0);
    const dup = [
      { id: 1, cameraKey: 'a', time: 0 },
      { id: 1, cameraKey: 'b', time: 0 },
    ];
    expect(() => assignSequences(dup, 1)).toThrow(/Duplicate image id/);
  });

  it('assigns 10^6 images quickly', () => {
    const n = 1_000_000;
    const images: SequenceInput[] = new Array(n);
    // 200 cameras, bursts of 3 shots 2 s apart, bursts 10 min apart, shuffled order.
    for (let i = 0; i < n; i++) {
      const cam = i % 200;
      const k = Math.floor(i / 200);
      const time = Math.floor(k / 3) * 600 + (k % 3) * 2;
      images[i] = {
        id: i + 1,
        cameraKey: `folder:1/site-${cam}/card`,
        time: k % 97 === 0 ? null : time,
      };
    }
    for (let i = n - 1; i > 0; i--) {
      const j = (i * 7919) % (i + 1);
      [images[i], images[j]] = [images[j] as SequenceInput, images[i] as SequenceInput];
    }
    const start = performance.now();
    const result = assignSequences(images, 60);
    const ms = performance.now() - start;
    console.log(`assignSequences: ${n} images in ${ms.toFixed(0)} ms`);
    expect(result.size).toBe(n);
    const seqs = new Set(result.values());
    let max = 0;
    for (const seq of seqs) max = Math.max(max, seq);
    expect(max).toBe(seqs.size); // dense: 1..max all used
    // Each camera: 1667 bursts (the last one partial), plus its null-time singletons.
    const nulls = images.filter((img) => img.time === null).length;
    expect(seqs.size).toBe(200 * 1667 + nulls);
  });
});

describe('parseNaiveTime', () => {
  it('reads both EXIF and ISO-like separators as naive wall-clock, whatever TZ is', () => {
    const expected = Date.UTC(2023, 6, 14, 23, 59, 58) / 1000;
    const saved = process.env['TZ'];
    try {
      // The result must not move with the machine's zone; Date.UTC is zone-free.
      for (const tz of ['UTC', 'America/Los_Angeles', 'Asia/Kolkata', 'Pacific/Chatham']) {
        process.env['TZ'] = tz;
        expect(parseNaiveTime('2023:07:14 23:59:58')).toBe(expected);
        expect(parseNaiveTime('2023-07-14 23:59:58')).toBe(expected);
      }
    } finally {
      if (saved === undefined) delete process.env['TZ'];
      else process.env['TZ'] = saved;
    }
    expect(parseNaiveTime('2023-07-14T23:59:58')).toBe(expected);
    expect(parseNaiveTime('  2023:07:14 23:59:58\0')).toBe(expected);
  });

  it('keeps fractional seconds', () => {
    expect(parseNaiveTime('2020:02:29 12:00:00.25')).toBe(Date.UTC(2020, 1, 29, 12) / 1000 + 0.25);
  });

  it('matches Date.UTC across centuries and leap days', () => {
    const cases: [string, number][] = [
      ['1970:01:01 00:00:00', 0],
      ['1969:12:31 23:59:59', -1],
      ['2000:02:29 06:07:08', Date.UTC(2000, 1, 29, 6, 7, 8) / 1000],
      ['2100:03:01 00:00:00', Date.UTC(2100, 2, 1) / 1000],
      ['1601:01:01 00:00:00', Date.UTC(1601, 0, 1) / 1000],
    ];
    for (const [text, seconds] of cases) expect(parseNaiveTime(text)).toBe(seconds);
  });

  it('returns null for malformed or placeholder values', () => {
    for (const bad of [
      null,
      '',
      '    :  :     :  :  ',
      '0000:00:00 00:00:00',
      '2023:13:01 00:00:00',
      '2023:02:29 00:00:00', // not a leap year
      '2023:04:31 00:00:00',
      '2023:01:01 24:00:00',
      '2023:01:01 12:60:00',
      '2023-01:01 12:00:00', // mixed separators
      '2023:01:01',
      '2023:01:01 12:00:00+02:00',
      'yesterday',
    ]) {
      expect(parseNaiveTime(bad)).toBeNull();
    }
  });
});

describe('cameraKey', () => {
  it('uses the body serial when there is one', () => {
    expect(cameraKey(1, 'site A/100RECNX/IMG_0001.JPG', 'RECONYX', 'HC600', 'H600HJ12345')).toBe(
      'serial:RECONYX/HC600/H600HJ12345',
    );
    expect(cameraKey(1, 'a.jpg', null, null, ' SN1\0\0')).toBe('serial://SN1');
  });

  it('falls back to the folder when the serial is missing, blank or all zeros', () => {
    expect(cameraKey(3, 'site A/100RECNX/IMG_0001.JPG', 'X', 'Y', null)).toBe(
      'folder:3/site A/100RECNX',
    );
    expect(cameraKey(3, 'IMG_0001.JPG', 'X', 'Y', '  ')).toBe('folder:3/');
    expect(cameraKey(3, 'd/IMG_0001.JPG', 'X', 'Y', '0000000')).toBe('folder:3/d');
    expect(cameraKey(4, 'd/IMG_0001.JPG', null, null, null)).not.toBe(
      cameraKey(3, 'd/IMG_0001.JPG', null, null, null),
    );
  });
});
