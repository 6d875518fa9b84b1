import fs from 'node:fs';
import path from 'node:path';
import * as tar from 'tar';
import { OcellusError } from '../../../shared/errors';
import { checkPath } from '../util/safe-fs';
import {
  META_FILE,
  MODEL_JSON,
  assertSafeId,
  checkShards,
  fileSize,
  hashModel,
  isSafeRelativePath,
  readMeta,
  readModelJson,
  type ModelHashes,
  type ModelMeta,
} from './model-files';
import { MAX_MODEL_BYTES } from './model-import';
import type { StoredModel } from './stored-model';

/*
 * The portable model file: a tar of model.json, its shards and ocellus-model.json with the
 * sha256 of each, written by `ocellus models export` and read back by import.
 */

const FILE_ENTRY_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);

/** Copies a file, hard-linking when it can, for staging copies that are thrown away. */
function linkOrCopy(from: string, to: string): void {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  try {
    fs.linkSync(from, to);
  } catch {
    fs.copyFileSync(from, to);
  }
}

/** Writes one stored model as a portable tar file, building it in `staging`. */
export async function writeModelTar(
  model: StoredModel,
  file: string,
  staging: string,
): Promise<void> {
  const { id } = model;
  const info = readModelJson(model.dir);
  const out = path.resolve(file);
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    for (const rel of [MODEL_JSON, ...info.shards]) {
      linkOrCopy(path.join(model.dir, rel), path.join(staging, rel));
    }
    const { name, format, zooId, sha256, sizeBytes } = model;
    const meta: ModelMeta = { version: 1, id, name, format, zooId, sha256, sizeBytes };
    fs.writeFileSync(path.join(staging, META_FILE), JSON.stringify(meta, null, 2));
    fs.mkdirSync(path.dirname(out), { recursive: true });
    await tar.create({ file: tmp, cwd: staging, portable: true }, [
      META_FILE,
      MODEL_JSON,
      ...info.shards,
    ]);
    fs.renameSync(tmp, out);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    if (err instanceof OcellusError) throw err;
    throw new OcellusError('IO_ERROR', `Could not export ${id} to ${out}: ${String(err)}`);
  }
}

function notModelFile(src: string, why: string): OcellusError {
  return new OcellusError('INVALID_ARGUMENT', `${src} is not an Ocellus model file: ${why}`);
}

/** Checks a model file before anything is written: a sane regular file whose entries stay inside. */
export async function checkModelTar(src: string): Promise<void> {
  if (!fs.existsSync(src)) throw new OcellusError('NOT_FOUND', `No such model file: ${src}`);
  // A regular file of sane size, never a FIFO or device that tar would block on.
  await checkPath(src, { maxBytes: MAX_MODEL_BYTES });
  // Check every entry before writing anything, rather than trusting extraction to sanitise.
  const problems: string[] = [];
  try {
    await tar.list({
      file: src,
      strict: true,
      onReadEntry: (entry) => {
        const rel = entry.path.replace(/\/$/, '');
        if (!isSafeRelativePath(rel)) problems.push(`entry "${entry.path}" escapes the archive`);
        else if (entry.type !== 'Directory' && !FILE_ENTRY_TYPES.has(entry.type)) {
          problems.push(`entry "${entry.path}" is a ${entry.type}, not a file`);
        }
      },
    });
  } catch (err) {
    throw notModelFile(src, err instanceof Error ? err.message : String(err));
  }
  if (problems.length > 0) throw notModelFile(src, problems.join('; '));
}

/** Extracts a checked model file into `staging` and verifies every recorded sha256. */
export async function extractModelTar(
  src: string,
  staging: string,
): Promise<{ meta: ModelMeta; sha256: ModelHashes; sizeBytes: number }> {
  await tar.extract({ file: src, cwd: staging, strict: true });
  const meta = readMeta(path.join(staging, META_FILE));
  if (!meta) throw notModelFile(src, `it has no valid ${META_FILE}`);
  assertSafeId(meta.id);
  const info = readModelJson(staging);
  const sizeBytes = fileSize(path.join(staging, MODEL_JSON)) + checkShards(staging, info);
  const sha256 = await hashModel(staging, info);
  const recorded: [string, string | undefined, string][] = [
    [MODEL_JSON, meta.sha256.modelJson, sha256.modelJson],
    ...info.shards.map((s): [string, string | undefined, string] => [
      s,
      meta.sha256.shards[s],
      sha256.shards[s] ?? '',
    ]),
  ];
  for (const [rel, expected, actual] of recorded) {
    if (expected === undefined) throw notModelFile(src, `it records no sha256 for ${rel}`);
    if (expected !== actual) {
      throw new OcellusError(
        'IO_ERROR',
        `${rel} in ${src} failed verification: sha256 expected ${expected}, got ${actual}`,
        { file: rel, expected, actual },
      );
    }
  }
  return { meta, sha256, sizeBytes };
}
