import { describe, expect, it } from 'vitest';
import {
  nearest,
  normaliseRows,
  topK,
  type EmbeddingMatrix,
} from '../../../../../src/main/core/assist/similar';
import { seededRandom } from '../../../../../src/main/core/util/rng';

function matrixOf(rows: number[][]): EmbeddingMatrix {
  const dim = rows[0]?.length ?? 0;
  const data = Float32Array.from(rows.flat());
  normaliseRows(data, dim);
  return {
    modelKey: 'k',
    ids: Int32Array.from(rows.map((_, i) => 100 + i)),
    dim,
    data,
    stamp: '',
  };
}

describe('similar images by cosine', () => {
  it('finds constructed neighbours in order, ignoring length, without the query itself', async () => {
    const m = matrixOf([
      [1, 0, 0], // 100: the query
      [10, 1, 0], // 101: nearly the same direction, much longer
      [0, 1, 0], // 102: orthogonal
      [-1, 0, 0], // 103: opposite
      [1, 1, 0], // 104: 45°
      [0, 0, 0], // 105: no information
    ]);
    const res = await nearest(m, 0, 4);
    expect(res.map((r) => r.imageId)).toEqual([101, 104, 102, 105]);
    expect(res[0]?.score).toBeCloseTo(10 / Math.sqrt(101), 5);
    expect(res[1]?.score).toBeCloseTo(Math.SQRT1_2, 5);
    expect(res[2]?.score).toBeCloseTo(0, 6);
    expect(res.map((r) => r.imageId)).not.toContain(100);
  });

  it('matches a full sort on random vectors, across scan chunks', async () => {
    const random = seededRandom(7);
    const n = 20_000;
    const dim = 16;
    const rows = Array.from({ length: n }, () => Array.from({ length: dim }, () => random() - 0.5));
    const m = matrixOf(rows);
    const got = await nearest(m, 123, 10);
    const q = m.data.slice(123 * dim, 124 * dim);
    const all = Array.from({ length: n }, (_, r) => {
      let s = 0;
      for (let j = 0; j < dim; j++) s += (m.data[r * dim + j] ?? 0) * (q[j] ?? 0);
      return { r, s };
    })
      .filter((x) => x.r !== 123)
      .sort((a, b) => b.s - a.s || a.r - b.r)
      .slice(0, 10);
    expect(got.map((g) => g.imageId)).toEqual(all.map((a) => 100 + a.r));
  });

  it('top-k keeps ties in index order and copes with k larger than n', () => {
    const scores = Float32Array.from([0.5, 0.9, 0.5, 0.1]);
    expect(topK(scores, 2, -1)).toEqual([1, 0]);
    expect(topK(scores, 10, 1)).toEqual([0, 2, 3]);
  });
});
