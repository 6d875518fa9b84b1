import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ActivationCache,
  toHalf,
} from '../../../../../../src/main/core/train/finetune/activation-cache';
import { seededRandom } from '../../../../../../src/main/core/util/rng';
import { makeTmpDir } from '../../../../../helpers/tmp-dir';

describe('ActivationCache', () => {
  const tmp = makeTmpDir();
  afterAll(() => tmp.cleanup());

  it('keeps records across reopen as float16, and drops a record cut short by a crash', () => {
    const dir = path.join(tmp.dir, 'act');
    const r = seededRandom(1);
    const a = Float32Array.from({ length: 12 }, () => (r() - 0.5) * 20);
    const b = Float32Array.from({ length: 12 }, () => r());
    const c1 = ActivationCache.open(dir, 'model|cut', [2, 2, 3]);
    c1.write('a'.repeat(64), 0, a);
    c1.write('b'.repeat(64), 1, b);
    c1.close();
    const file = c1.file;
    fs.appendFileSync(file, Buffer.alloc(10));
    const c2 = ActivationCache.open(dir, 'model|cut', [2, 2, 3]);
    expect(c2.records).toBe(2);
    expect(c2.has('b'.repeat(64), 1)).toBe(true);
    expect(c2.has('b'.repeat(64), 0)).toBe(false);
    const back = c2.read([
      { hash: 'b'.repeat(64), view: 1 },
      { hash: 'a'.repeat(64), view: 0 },
    ]);
    expect(back).not.toBeNull();
    b.forEach((v, i) =>
      expect(Math.abs((back?.[i] ?? NaN) - v)).toBeLessThanOrEqual(Math.abs(v) * 1e-3 + 1e-7),
    );
    a.forEach((v, i) =>
      expect(Math.abs((back?.[12 + i] ?? NaN) - v)).toBeLessThanOrEqual(Math.abs(v) * 1e-3 + 1e-7),
    );
    expect(c2.read([{ hash: 'c'.repeat(64), view: 0 }])).toBeNull();
    c2.close();
    expect(fs.statSync(file).size).toBe(2 * c2.recordBytes);
  });

  it('encodes half floats exactly where they are representable', () => {
    expect(toHalf(1)).toBe(0x3c00);
    expect(toHalf(-2)).toBe(0xc000);
    expect(toHalf(65504)).toBe(0x7bff);
    expect(toHalf(1e6)).toBe(0x7c00);
    expect(toHalf(0)).toBe(0);
    expect(toHalf(2 ** -24)).toBe(1);
  });
});
