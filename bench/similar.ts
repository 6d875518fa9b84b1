/**
 * Similar-images benchmark: "more like this" over N images × D-dimensional embeddings
 * (default 100,000 × 1280, MobileNetV2's size) stored in a real project file, against a
 * plain reference in the same run (a bare loop over a Float32Array, then a full sort).
 *
 *   npm run bench:similar -- [--n 100000] [--dim 1280] [--queries 5] [--json]
 *
 * Reports the one-off load (SQLite → normalised matrix), the exact scan per query, and the
 * longest the event loop was held during a scan (the scan yields every few thousand rows).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { PredictionStore } from '../src/main/core/assist/prediction-store';
import { loadMatrix, nearest } from '../src/main/core/assist/similar';
import { LibraryDb } from '../src/main/core/library/library-db';
import { ProjectStore } from '../src/main/core/store/project-store';
import { seededRandom } from '../src/main/core/util/rng';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    dim: { type: 'string', default: '1280' },
    queries: { type: 'string', default: '5' },
    json: { type: 'boolean', default: false },
  },
});
const n = Number(values.n);
const dim = Number(values.dim);
const queries = Number(values.queries);
const KEY = 'bench@model|224x224:squash:range(-1,1)|auto';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ocellus-bench-similar-'));
  try {
    const store = ProjectStore.create(path.join(work, 'b.ocellus'), { appVersion: 'bench' });
    const db = store.db;
    const random = seededRandom(1);
    process.stderr.write(`writing ${n.toLocaleString()} × ${dim} embeddings…\n`);
    const now = new Date().toISOString();
    db.prepare("INSERT INTO roots (id, path, added_at) VALUES (1, '/bench', ?)").run(now);
    const image = db.prepare(
      "INSERT INTO images (id, root_id, rel_path, status, hash, imported_at) VALUES (?, 1, ?, 'ok', ?, ?)",
    );
    const emb = db.prepare(
      'INSERT INTO embeddings (model_key, hash, dim, vector, created_at) VALUES (?, ?, ?, ?, ?)',
    );
    const v = new Float32Array(dim);
    for (let start = 0; start < n; start += 5000) {
      db.transaction(() => {
        for (let i = start; i < Math.min(n, start + 5000); i++) {
          // Non-negative like ReLU features, so cosines are spread the way real ones are.
          for (let j = 0; j < dim; j++) v[j] = random() ** 3;
          const hash = `h${i}`;
          image.run(i + 1, `${i}.jpg`, hash, now);
          emb.run(KEY, hash, dim, Buffer.from(v.buffer.slice(0)), now);
        }
      })();
    }

    let t = performance.now();
    const m = loadMatrix(db, KEY);
    const loadMs = performance.now() - t;

    const scanMs: number[] = [];
    const blockMs: number[] = [];
    for (let q = 0; q < queries; q++) {
      const row = Math.floor(random() * n);
      let last = performance.now();
      let worst = 0;
      let ticking = true;
      const tick = () => {
        const now2 = performance.now();
        worst = Math.max(worst, now2 - last);
        last = now2;
        if (ticking) setImmediate(tick);
      };
      setImmediate(tick);
      t = performance.now();
      await nearest(m, row, 48);
      scanMs.push(performance.now() - t);
      ticking = false;
      blockMs.push(worst);
    }

    // Reference: the same dot products in one tight loop, then sort all scores.
    const refMs: number[] = [];
    for (let q = 0; q < queries; q++) {
      const row = Math.floor(random() * n);
      t = performance.now();
      const data = m.data;
      const qv = data.subarray(row * dim, (row + 1) * dim);
      const scores = new Float32Array(n);
      for (let r = 0; r < n; r++) {
        let s = 0;
        const off = r * dim;
        for (let j = 0; j < dim; j++) s += (data[off + j] as number) * (qv[j] as number);
        scores[r] = s;
      }
      Array.from(scores.keys())
        .sort((a, b) => (scores[b] as number) - (scores[a] as number))
        .slice(0, 48);
      refMs.push(performance.now() - t);
    }
    // The uncertainty queue over as many suggestions: a page of it, and the status counts.
    const classes = [1, 2, 3].map((i) =>
      Number(
        db
          .prepare('INSERT INTO classes (name, color, sort_order, created_at) VALUES (?, ?, ?, ?)')
          .run(`c${i}`, '#ff0000', i, now).lastInsertRowid,
      ),
    );
    const predictions = new PredictionStore(db);
    for (let start = 0; start < n; start += 5000) {
      const batch = [];
      for (let i = start; i < Math.min(n, start + 5000); i++) {
        const a = random();
        const b = random() * (1 - a);
        batch.push({ imageId: i + 1, probabilities: Float32Array.from([a, b, 1 - a - b]) });
      }
      predictions.write(1, classes, batch);
    }
    predictions.publish(1);
    const ldb = new LibraryDb(db);
    const pageMs: number[] = [];
    const countMs: number[] = [];
    for (let q = 0; q < queries; q++) {
      t = performance.now();
      ldb.list({
        filter: { suggested: true },
        sort: 'uncertain',
        offset: q * 240,
        limit: 240,
      });
      pageMs.push(performance.now() - t);
      t = performance.now();
      predictions.counts();
      countMs.push(performance.now() - t);
    }
    t = performance.now();
    ldb.list({ sort: 'path', limit: 240 });
    const plainPageMs = performance.now() - t;

    const result = {
      queuePageMsMedian: median(pageMs),
      plainPageMs,
      statusCountsMsMedian: median(countMs),
      images: n,
      dim,
      matrixMB: Math.round(m.data.byteLength / 2 ** 20),
      loadSeconds: loadMs / 1000,
      scanMsMedian: median(scanMs),
      longestEventLoopBlockMs: Math.max(...blockMs),
      referenceMsMedian: median(refMs),
      rssMB: Math.round(process.memoryUsage().rss / 2 ** 20),
      cpus: os.cpus().length,
      load: os.loadavg()[0] ?? 0,
    };
    store.close();
    if (values.json) {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return;
    }
    process.stdout.write(
      [
        `similar images, ${n.toLocaleString()} × ${dim} (${result.matrixMB} MB of vectors), load average ${result.load.toFixed(1)}`,
        `  load matrix from the project (once, cached) : ${result.loadSeconds.toFixed(2)} s`,
        `  Ocellus exact scan, top 48 (median)         : ${result.scanMsMedian.toFixed(0)} ms`,
        `  longest event-loop hold during a scan       : ${result.longestEventLoopBlockMs.toFixed(0)} ms`,
        `  plain loop + full sort (median)             : ${result.referenceMsMedian.toFixed(0)} ms`,
        `  RSS                                         : ${result.rssMB} MB`,
        `  uncertainty queue, one page of 240 (median) : ${result.queuePageMsMedian.toFixed(0)} ms`,
        `  plain grid page of 240 (by path)            : ${result.plainPageMs.toFixed(0)} ms`,
        `  suggestion counts (status, median)          : ${result.statusCountsMsMedian.toFixed(0)} ms`,
        '',
      ].join('\n'),
    );
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

void main();
