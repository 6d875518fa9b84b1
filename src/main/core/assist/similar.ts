import type Database from 'better-sqlite3';
import type { SimilarImage } from '../../../shared/types';

/** Unit-length embeddings of the readable images, one row per image. */
export interface EmbeddingMatrix {
  modelKey: string;
  ids: Int32Array;
  dim: number;
  /** ids.length × dim, each row scaled to length 1 (zero rows stay zero). */
  data: Float32Array;
  /** What the matrix was built from, to tell when it is stale. */
  stamp: string;
}

/** Rows scanned between yields to the event loop. */
const CHUNK = 8192;

/** Cheap fingerprint of the embeddings and images a matrix would hold. */
export function matrixStamp(db: Database.Database, modelKey: string): string {
  const e = db
    .prepare('SELECT COUNT(*) AS n, MAX(id) AS m FROM embeddings WHERE model_key = ?')
    .get(modelKey) as { n: number; m: number | null };
  const i = db
    .prepare("SELECT COUNT(*) AS n, MAX(id) AS m FROM images WHERE status = 'ok' AND missing = 0")
    .get() as { n: number; m: number | null };
  return `${e.n}:${e.m}:${i.n}:${i.m}`;
}

/** Loads and normalises every readable image's embedding for a model key. */
export function loadMatrix(db: Database.Database, modelKey: string): EmbeddingMatrix {
  const stamp = matrixStamp(db, modelKey);
  const rows = db
    .prepare(
      `SELECT i.id, e.vector FROM images i
         JOIN embeddings e ON e.hash = i.hash AND e.model_key = ? AND e.vector IS NOT NULL
        WHERE i.status = 'ok' AND i.missing = 0 ORDER BY i.id`,
    )
    .raw()
    .all(modelKey) as [number, Buffer][];
  const dim = rows[0] ? rows[0][1].byteLength / 4 : 0;
  const usable = rows.filter((r) => r[1].byteLength === dim * 4);
  const ids = new Int32Array(usable.length);
  const data = new Float32Array(usable.length * dim);
  usable.forEach(([id, buf], r) => {
    ids[r] = id;
    const v = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    data.set(v, r * dim);
  });
  normaliseRows(data, dim);
  return { modelKey, ids, dim, data, stamp };
}

/** Scales each row of a row-major matrix to unit length, in place. */
export function normaliseRows(data: Float32Array, dim: number): void {
  for (let off = 0; off < data.length; off += dim) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += (data[off + j] ?? 0) ** 2;
    if (s === 0) continue;
    const inv = 1 / Math.sqrt(s);
    for (let j = 0; j < dim; j++) data[off + j] = (data[off + j] ?? 0) * inv;
  }
}

/**
 * The k rows most similar (cosine) to row `queryRow`, best first, without the query itself.
 * An exact scan: it yields to the event loop every few thousand rows so API calls keep
 * flowing while 100,000 images are searched.
 */
export async function nearest(
  m: EmbeddingMatrix,
  queryRow: number,
  k: number,
): Promise<SimilarImage[]> {
  const { data, dim, ids } = m;
  const q = data.slice(queryRow * dim, (queryRow + 1) * dim);
  const n = ids.length;
  const scores = new Float32Array(n);
  for (let start = 0; start < n; start += CHUNK) {
    const end = Math.min(n, start + CHUNK);
    for (let r = start; r < end; r++) {
      let s = 0;
      const off = r * dim;
      for (let j = 0; j < dim; j++) s += (data[off + j] as number) * (q[j] as number);
      scores[r] = s;
    }
    if (end < n) await new Promise((res) => setImmediate(res));
  }
  return topK(scores, k, queryRow).map((r) => ({ imageId: ids[r] ?? 0, score: scores[r] ?? 0 }));
}

/** Indices of the k largest scores (ties by lower index), excluding one index. */
export function topK(scores: Float32Array, k: number, exclude: number): number[] {
  // A small sorted buffer beats sorting 100,000 scores when k is tens.
  const best: number[] = [];
  let floor = -Infinity;
  for (let r = 0; r < scores.length; r++) {
    if (r === exclude) continue;
    const s = scores[r] as number;
    if (best.length === k && s <= floor) continue;
    let pos = best.length;
    while (pos > 0 && (scores[best[pos - 1] as number] as number) < s) pos--;
    best.splice(pos, 0, r);
    if (best.length > k) best.pop();
    floor = best.length === k ? (scores[best[k - 1] as number] as number) : -Infinity;
  }
  return best;
}
