/**
 * `npm run fetch-models [-- ids…]`: downloads zoo models into resources/models/<id>/ so an
 * installer carries them (electron-builder.yml → extraResources), through the app's own
 * download + verify code (ModelStore). The zoo publishes no sha256 for most entries, so the
 * first fetch records what it got in resources/models.lock.json, and every later fetch (a
 * release build, say) must match it: the manifest's sha256 when present, else the lock's.
 */
import fs from 'node:fs';
import path from 'node:path';
import { OcellusError } from '../src/shared/errors';
import { ModelStore, type StoredModel } from '../src/main/core/ml/model-store';
import { hashModel, readModelJson, type ModelHashes } from '../src/main/core/ml/model-files';
import { loadZoo } from '../src/main/core/ml/zoo';
import type { ZooModel } from '../src/main/core/ml/zoo-types';

/** One pinned model in the lock file. */
export interface LockEntry {
  url: string;
  sha256: ModelHashes;
  sizeBytes: number;
}

/** resources/models.lock.json: the sha256s each model had when it was first fetched. */
export interface ModelLock {
  version: 1;
  models: Record<string, LockEntry>;
}

export interface FetchOptions {
  /** Folder holding model-zoo.json. */
  resourcesDir: string;
  /** Where models go; default resourcesDir/models. */
  outDir?: string;
  /** The lock file; default resourcesDir/models.lock.json. */
  lockFile?: string;
  /** Zoo ids; none means the zoo's first entry, the default base for training. */
  ids: string[];
  log?: (line: string) => void;
}

export interface FetchResult {
  id: string;
  dir: string;
  /** downloaded; already present and verified; or downloaded again after a mismatch. */
  action: 'downloaded' | 'verified' | 'replaced';
  /** How its sha256s were checked: the zoo's, the lock's, or recorded now (first fetch). */
  pinnedBy: 'zoo' | 'lock' | 'recorded';
}

function readLock(file: string): ModelLock {
  if (!fs.existsSync(file)) return { version: 1, models: {} };
  let lock: ModelLock;
  try {
    lock = JSON.parse(fs.readFileSync(file, 'utf8')) as ModelLock;
  } catch (err) {
    throw new OcellusError('IO_ERROR', `Cannot read ${file}: ${(err as Error).message}`);
  }
  if (lock.version !== 1 || typeof lock.models !== 'object' || lock.models === null) {
    throw new OcellusError('IO_ERROR', `${file} is not a version-1 model lock file`);
  }
  return lock;
}

/** The sha256s a model must have: the zoo's where it lists them, the lock's for the rest. */
function pinsFor(
  zoo: ZooModel,
  locked: LockEntry | undefined,
  lockFile: string,
): { pins: ModelHashes | null; by: FetchResult['pinnedBy'] } {
  if (locked && locked.url !== zoo.url) {
    throw new OcellusError(
      'INVALID_ARGUMENT',
      `${lockFile} pins ${zoo.id} at ${locked.url}, but the zoo now lists ${zoo.url}; ` +
        `remove its entry from the lock file to fetch and pin the new address`,
      { id: zoo.id, locked: locked.url, zoo: zoo.url },
    );
  }
  const fromZoo = zoo.sha256;
  const modelJson = fromZoo?.modelJson ?? locked?.sha256.modelJson;
  if (!modelJson) return { pins: null, by: 'recorded' };
  const shards = { ...locked?.sha256.shards };
  for (const [name, sha] of Object.entries(fromZoo?.shards ?? {})) {
    // The zoo names shards by file name, the lock by manifest path: the zoo's word wins.
    for (const key of Object.keys(shards))
      if (path.posix.basename(key) === name) delete shards[key];
    shards[name] = sha;
  }
  return { pins: { modelJson, shards }, by: fromZoo?.modelJson ? 'zoo' : 'lock' };
}

/** Files of a stored model that differ from `pins` (by path), empty when all match. */
async function mismatches(model: StoredModel, pins: ModelHashes): Promise<string[]> {
  const actual = await hashModel(model.dir, readModelJson(model.dir));
  const bad: string[] = [];
  if (actual.modelJson !== pins.modelJson.toLowerCase()) bad.push('model.json');
  for (const [shard, sha] of Object.entries(actual.shards)) {
    const pinned = pins.shards[shard] ?? pins.shards[path.posix.basename(shard)];
    if (pinned !== undefined && pinned.toLowerCase() !== sha) bad.push(shard);
  }
  return bad;
}

/** Downloads and verifies the chosen zoo models into the bundle folder; updates the lock. */
export async function fetchModels(options: FetchOptions): Promise<FetchResult[]> {
  const log = options.log ?? ((line: string) => console.log(line));
  const outDir = path.resolve(options.outDir ?? path.join(options.resourcesDir, 'models'));
  const lockFile = path.resolve(
    options.lockFile ?? path.join(options.resourcesDir, 'models.lock.json'),
  );
  const zoo = loadZoo(options.resourcesDir);
  const ids = options.ids.length > 0 ? options.ids : zoo.slice(0, 1).map((m) => m.id);
  const chosen = ids.map((id) => {
    const entry = zoo.find((m) => m.id === id);
    if (!entry) {
      throw new OcellusError(
        'NOT_FOUND',
        `No model "${id}" in the zoo; known ids: ${zoo.map((m) => m.id).join(', ')}`,
        { id },
      );
    }
    return entry;
  });

  const lock = readLock(lockFile);
  const store = new ModelStore({ cacheDir: outDir });
  const results: FetchResult[] = [];
  for (const entry of chosen) {
    const { pins, by } = pinsFor(entry, lock.models[entry.id], lockFile);
    let action: FetchResult['action'] = 'downloaded';
    const present = store.find(entry.id);
    if (present) {
      const bad = pins ? await mismatches(present, pins) : [];
      if (bad.length === 0) {
        action = 'verified';
      } else {
        log(
          `fetch-models: ${entry.id}: ${bad.join(', ')} differ from the pinned sha256; fetching again`,
        );
        fs.rmSync(present.dir, { recursive: true, force: true });
        action = 'replaced';
      }
    }
    log(
      `fetch-models: ${entry.id}: ${action === 'verified' ? 'checking' : 'downloading'} ${entry.url}`,
    );
    // Pinned hashes go in as the zoo's, so ModelStore's own verification enforces them.
    const model =
      action === 'verified' && present
        ? present
        : await store.download({ ...entry, sha256: pins }, {});
    // Hash what is on disk rather than trusting the metadata written beside it.
    const sha256 = await hashModel(model.dir, readModelJson(model.dir));
    const pinned: LockEntry = { url: entry.url, sha256, sizeBytes: model.sizeBytes };
    if (JSON.stringify(lock.models[entry.id]) !== JSON.stringify(pinned)) {
      lock.models[entry.id] = pinned;
      fs.mkdirSync(path.dirname(lockFile), { recursive: true });
      fs.writeFileSync(lockFile, `${JSON.stringify(lock, null, 2)}\n`);
      if (by === 'recorded') {
        log(`fetch-models: ${entry.id}: no published sha256; recorded in ${lockFile}`);
      }
    }
    log(`fetch-models: ${entry.id}: ${action} (${model.sizeBytes} bytes) in ${model.dir}`);
    results.push({ id: entry.id, dir: model.dir, action, pinnedBy: by });
  }
  // Interrupted downloads stay in .incoming to resume (the installer filters it out); done, it goes.
  fs.rmSync(path.join(outDir, '.incoming'), { recursive: true, force: true });
  return results;
}

const USAGE = `usage: npm run fetch-models [-- [--resources DIR] [--out DIR] [--lock FILE] [id…]]
  Downloads zoo models (default: the first zoo entry) into resources/models/ for installers.`;

/** Parses the command line of the script; throws INVALID_ARGUMENT with the usage. */
export function parseArgs(argv: string[], defaultResources: string): FetchOptions {
  const options: FetchOptions = { resourcesDir: defaultResources, ids: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) {
        throw new OcellusError('INVALID_ARGUMENT', `${arg} needs a value\n${USAGE}`);
      }
      return v;
    };
    if (arg === '--resources') options.resourcesDir = path.resolve(value());
    else if (arg === '--out') options.outDir = path.resolve(value());
    else if (arg === '--lock') options.lockFile = path.resolve(value());
    else if (arg === '--help' || arg === '-h') throw new OcellusError('INVALID_ARGUMENT', USAGE);
    else if (arg.startsWith('--')) {
      throw new OcellusError('INVALID_ARGUMENT', `Unknown option ${arg}\n${USAGE}`);
    } else options.ids.push(arg);
  }
  return options;
}
