import path from 'node:path';
import readline from 'node:readline';
import type Database from 'better-sqlite3';
import { OcellusError } from '../../../shared/errors';
import type {
  PathPrefixMap,
  PredictionImportOptions,
  PredictionImportResult,
  PredictionRecord,
} from '../../../shared/types';
import { PredictionSets } from '../assist/prediction-sets';
import { PredictionStore, type PredictionInput } from '../assist/prediction-store';
import { frameHash } from '../library/frames';
import { checkPath, openSafe } from '../util/safe-fs';
import { imageLookup } from './label-import';
import type { ManifestProgress } from './shard-predict';

const WRITE_BATCH = 2000;
// Streamed line by line, so the cap only has to exceed any real predictions file.
const PREDICTIONS_FILE = { maxBytes: 2 ** 40 };
const EXAMPLES = 10;

/**
 * Merges predictions JSON Lines (the shards of a batch run) into a project as the named set
 * of suggestions it then shows. Images are matched by path (absolute under a root, or
 * relative to one, after the prefix map) when the bytes there are the record's, else by
 * content hash. Streams every file: bounded
 * memory however many records. Importing the same name again replaces that set, so a second
 * import of the same files changes nothing.
 */
export async function importPredictionRecords(
  db: Database.Database,
  options: PredictionImportOptions,
  job: ManifestProgress,
): Promise<PredictionImportResult> {
  // Checked up front (sizes for progress, a missing file before any write); each is then
  // opened through the safe reader, which checks again on the descriptor it streams.
  let totalBytes = 0;
  for (const file of options.files)
    totalBytes += (await checkPath(file, PREDICTIONS_FILE)).stat.size;
  const classes = await firstClasses(options.files);
  const sets = new PredictionSets(db);
  const set = sets.upsert(
    options.name,
    classes,
    options.files.map((f) => path.resolve(f)),
  );
  const store = new PredictionStore(db);
  store.clear(set.runId);
  const classIds = classIdsByName(db, classes);
  const result = emptyResult(set, classes, classIds);
  const match = recordMatcher(db, options.prefixMap ?? []);
  let pending: PredictionInput[] = [];
  const pendingIds = new Set<number>();
  const handle = (record: PredictionRecord) => {
    result.records++;
    if (!record.probabilities || record.error) {
      result.errors++;
      return;
    }
    const { ids, how } = match(record);
    if (ids.length === 0) {
      result.unmatched++;
      if (result.unmatchedExamples.length < EXAMPLES) result.unmatchedExamples.push(record.path);
      return;
    }
    const fresh = ids.filter((id) => !pendingIds.has(id) && !store.has(set.runId, id));
    if (fresh.length === 0) {
      result.duplicated++;
      return;
    }
    result.matched++;
    result[how]++;
    const probs = Float32Array.from(classes, (c) => record.probabilities?.[c] ?? 0);
    for (const imageId of fresh) {
      pending.push({ imageId, probabilities: probs });
      pendingIds.add(imageId);
    }
  };
  // Records go through in chunks, each one transaction for its lookups and its writes (a
  // read outside a transaction costs a lock of its own); memory stays one chunk.
  let chunk: PredictionRecord[] = [];
  const flush = () => {
    db.transaction(() => {
      for (const record of chunk) handle(record);
      store.write(set.runId, classIds, pending);
    })();
    chunk = [];
    pending = [];
    pendingIds.clear();
  };
  let bytes = 0;
  for (const file of options.files) {
    for await (const { record, size } of records(file)) {
      bytes += size;
      chunk.push(record);
      if (chunk.length >= WRITE_BATCH) {
        flush();
        job.throwIfCancelled();
        job.progress(bytes, totalBytes);
      }
    }
  }
  flush();
  store.publish(set.runId);
  sets.setSummary(set.id, result);
  job.progress(totalBytes, totalBytes);
  return result;
}

/** Applies the first prefix mapping that matches a path. */
export function mapPrefix(p: string, map: readonly PathPrefixMap[]): string {
  for (const { from, to } of map) if (p.startsWith(from)) return to + p.slice(from.length);
  return p;
}

async function* records(file: string): AsyncGenerator<{ record: PredictionRecord; size: number }> {
  const input = (await openSafe(file, PREDICTIONS_FILE)).stream().setEncoding('utf8');
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const line of lines) {
      n++;
      if (line.trim() === '') continue;
      let record: PredictionRecord;
      try {
        record = JSON.parse(line) as PredictionRecord;
      } catch {
        throw new OcellusError('INVALID_ARGUMENT', `${file}:${n} is not a JSON record`);
      }
      if (typeof record?.path !== 'string')
        throw new OcellusError('INVALID_ARGUMENT', `${file}:${n} has no "path"`);
      yield { record, size: Buffer.byteLength(line) + 1 };
    }
  } finally {
    // Stopping early (the first record's classes) must not leave the file open.
    lines.close();
    input.destroy();
  }
}

/** The class order of the first record with probabilities. */
async function firstClasses(files: readonly string[]): Promise<string[]> {
  for (const file of files)
    for await (const { record } of records(file))
      if (record.probabilities) return Object.keys(record.probabilities);
  throw new OcellusError('INVALID_ARGUMENT', 'These files hold no prediction with probabilities');
}

function classIdsByName(db: Database.Database, classes: readonly string[]): (number | null)[] {
  const find = db.prepare('SELECT id FROM classes WHERE name = ?');
  return classes.map((c) => (find.get(c) as { id: number } | undefined)?.id ?? null);
}

/** The counters of an import that has not read a record yet. */
function emptyResult(
  set: { name: string; runId: number },
  classes: string[],
  classIds: (number | null)[],
): PredictionImportResult {
  return {
    name: set.name,
    runId: set.runId,
    records: 0,
    matched: 0,
    byHash: 0,
    byPath: 0,
    unmatched: 0,
    duplicated: 0,
    errors: 0,
    unknownClasses: classes.filter((_, i) => classIds[i] === null),
    unmatchedExamples: [],
  };
}

/**
 * The image at the record's path when it holds the same bytes; else every image with those
 * bytes (moved or copied since); a changed file matches nothing.
 */
function recordMatcher(
  db: Database.Database,
  prefixMap: PathPrefixMap[],
): (record: PredictionRecord) => { ids: number[]; how: 'byPath' | 'byHash' } {
  const byHash = db.prepare('SELECT id FROM images WHERE hash = ? AND missing = 0');
  const hashOf = db.prepare('SELECT hash FROM images WHERE id = ?');
  const byPath = imageLookup(db);
  return (record) => {
    const frame = typeof record.frame === 'number' ? record.frame : 0;
    const id = byPath(mapPrefix(record.path, prefixMap), frame);
    const hash = id === null ? null : (hashOf.get(id) as { hash: string | null }).hash;
    // A record's sha256 is its file's; a frame's content key derives from it.
    const content = record.sha256 ? frameHash(record.sha256, frame) : null;
    if (id !== null && (!content || hash === content)) return { ids: [id], how: 'byPath' };
    if (!content) return { ids: [], how: 'byHash' };
    const ids = (byHash.all(content) as { id: number }[]).map((r) => r.id);
    return { ids, how: 'byHash' };
  };
}
