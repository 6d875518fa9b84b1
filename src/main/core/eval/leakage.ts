import type Database from 'better-sqlite3';
import type { LeakageOptions, LeakageReport, LeakedGroup, LeakedPair } from '../../../shared/types';
import { metadataKeys, metadataValues } from '../library/image-metadata';
import { readEmbedding, type EmbedModel } from '../ml/embedder';
import { currentImages } from '../train/run-labels';

/** The split of a run, as image ids. */
export interface RunSplit {
  train: readonly number[];
  validation: readonly number[];
}

interface Side {
  ids: number[];
  paths: Map<number, string>;
  hashes: Map<number, string>;
}

const DEFAULT_THRESHOLD = 0.97;
const DEFAULT_MAX_PAIRS = 100;
// Validation rows compared between yields to the event loop.
const ROWS_PER_TURN = 64;

/**
 * What leaks from a run's training split into its validation split: metadata values
 * (patients, eyes…) on both sides, identical files, and near-duplicates by embedding
 * cosine (an exact scan of validation × training, with unit-length embeddings).
 */
export async function splitLeakage(
  db: Database.Database,
  runId: number,
  split: RunSplit,
  model: EmbedModel | null,
  options: LeakageOptions = {},
): Promise<LeakageReport> {
  const threshold = options.threshold ?? DEFAULT_THRESHOLD;
  const maxPairs = options.maxPairs ?? DEFAULT_MAX_PAIRS;
  const train = side(db, split.train);
  const validation = side(db, split.validation);
  const exact = exactPairs(train, validation);
  const near = model
    ? await nearPairs(db, model, train, validation, threshold)
    : { pairs: [], missing: train.ids.length + validation.ids.length };
  near.pairs.sort((a, b) => b.cosine - a.cosine);
  return {
    runId,
    train: train.ids.length,
    validation: validation.ids.length,
    threshold,
    groups: groupsOnBothSides(db, train, validation, options.keys),
    exact,
    near: near.pairs.slice(0, maxPairs),
    nearCount: near.pairs.length,
    noEmbedding: near.missing,
  };
}

function side(db: Database.Database, ids: readonly number[]): Side {
  const images = currentImages(db, ids);
  const out: Side = { ids: [], paths: new Map(), hashes: new Map() };
  for (const id of ids) {
    const im = images.get(id);
    if (!im) continue;
    out.ids.push(id);
    out.paths.set(id, im.relPath);
    if (im.hash) out.hashes.set(id, im.hash);
  }
  return out;
}

function pair(train: Side, t: number, validation: Side, v: number, cosine: number): LeakedPair {
  return {
    trainId: t,
    trainPath: train.paths.get(t) ?? '',
    validationId: v,
    validationPath: validation.paths.get(v) ?? '',
    cosine,
  };
}

function exactPairs(train: Side, validation: Side): LeakedPair[] {
  const byHash = new Map<string, number>();
  for (const [id, hash] of train.hashes) if (!byHash.has(hash)) byHash.set(hash, id);
  const out: LeakedPair[] = [];
  for (const [v, hash] of validation.hashes) {
    const t = byHash.get(hash);
    if (t !== undefined) out.push(pair(train, t, validation, v, 1));
  }
  return out;
}

/** Unit-length embeddings of one side, row-major, with the ids they belong to. */
function vectors(
  db: Database.Database,
  model: EmbedModel,
  s: Side,
): { ids: number[]; hashes: string[]; data: Float32Array; dim: number; missing: number } {
  const ids: number[] = [];
  const hashes: string[] = [];
  const rows: Float32Array[] = [];
  let missing = 0;
  for (const id of s.ids) {
    const hash = s.hashes.get(id);
    const v = hash ? readEmbedding(db, model, hash) : null;
    if (!v || !hash || (rows[0] && v.length !== rows[0].length)) {
      missing++;
      continue;
    }
    let norm = 0;
    for (const x of v) norm += x * x;
    const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    rows.push(v.map((x) => x * inv));
    ids.push(id);
    hashes.push(hash);
  }
  const dim = rows[0]?.length ?? 0;
  const data = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => data.set(r, i * dim));
  return { ids, hashes, data, dim, missing };
}

async function nearPairs(
  db: Database.Database,
  model: EmbedModel,
  train: Side,
  validation: Side,
  threshold: number,
): Promise<{ pairs: LeakedPair[]; missing: number }> {
  const t = vectors(db, model, train);
  const v = vectors(db, model, validation);
  const pairs: LeakedPair[] = [];
  const dim = t.dim;
  if (dim === 0 || v.dim !== dim) return { pairs, missing: t.missing + v.missing };
  for (let i = 0; i < v.ids.length; i++) {
    if (i % ROWS_PER_TURN === 0) await new Promise((r) => setImmediate(r));
    const vo = i * dim;
    for (let j = 0; j < t.ids.length; j++) {
      // Identical files are listed as exact duplicates already.
      if (t.hashes[j] === v.hashes[i]) continue;
      const to = j * dim;
      let dot = 0;
      for (let k = 0; k < dim; k++) dot += (v.data[vo + k] ?? 0) * (t.data[to + k] ?? 0);
      if (dot >= threshold) {
        pairs.push(pair(train, t.ids[j] ?? -1, validation, v.ids[i] ?? -1, dot));
      }
    }
  }
  return { pairs, missing: t.missing + v.missing };
}

function groupsOnBothSides(
  db: Database.Database,
  train: Side,
  validation: Side,
  keys: readonly string[] | undefined,
): LeakageReport['groups'] {
  const wanted = keys ?? metadataKeys(db).map((k) => k.key);
  const out: LeakageReport['groups'] = [];
  for (const key of wanted) {
    const values = metadataValues(db, key);
    const count = (s: Side): Map<string, number> => {
      const m = new Map<string, number>();
      for (const id of s.ids) {
        const value = values.get(id);
        if (value !== undefined) m.set(value, (m.get(value) ?? 0) + 1);
      }
      return m;
    };
    const [inTrain, inValidation] = [count(train), count(validation)];
    const both: LeakedGroup[] = [];
    for (const [value, n] of inValidation) {
      const m = inTrain.get(value);
      if (m !== undefined) both.push({ value, train: m, validation: n });
    }
    both.sort((a, b) => a.value.localeCompare(b.value));
    if (both.length > 0) out.push({ key, values: both });
  }
  return out;
}
