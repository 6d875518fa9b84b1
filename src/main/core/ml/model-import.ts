import fs from 'node:fs';
import path from 'node:path';
import { OcellusError } from '../../../shared/errors';
import { copyFileSafe } from '../util/safe-copy';
import { checkPath, formatBytes, readTextSafe } from '../util/safe-fs';
import { MODEL_JSON, parseModelJson, type ModelJsonInfo } from './model-files';

/** Largest model.json read (Inception V3's topology is about 1 MB). */
export const MAX_MODEL_JSON_BYTES = 64 * 1024 * 1024;
/** Largest model imported (VGG16, the biggest zoo model, is about 0.55 GB). */
export const MAX_MODEL_BYTES = 4 * 1024 * 1024 * 1024;

/**
 * Copies a model folder the user chose (model.json and the shards it lists) into `staging`,
 * reading nothing but regular files that lie in the folder itself: a shard that is a link
 * (even one staying inside), a FIFO or a device is refused, and every weight's dtype and
 * shape must account for exactly the bytes its shards hold, before any shard is copied.
 */
export async function copyModelFolder(src: string, staging: string): Promise<ModelJsonInfo> {
  let root: string;
  try {
    root = await fs.promises.realpath(src);
  } catch {
    throw new OcellusError('NOT_FOUND', `${src} does not exist`, { path: src });
  }
  const jsonFile = path.join(root, MODEL_JSON);
  if (!fs.existsSync(jsonFile)) {
    throw new OcellusError('NOT_FOUND', `${src} has no ${MODEL_JSON}`, { path: jsonFile });
  }
  const safe = { roots: [root], noLinks: true, maxBytes: MAX_MODEL_JSON_BYTES };
  const text = await readTextSafe(jsonFile, safe);
  const info = parseModelJson(text, path.join(src, MODEL_JSON));

  let total = 0;
  const sizes = new Map<string, number>();
  for (const group of info.groups) {
    let held = 0;
    for (const shard of group.paths) {
      const file = path.join(root, ...shard.split('/'));
      if (!fs.existsSync(file) && !isLink(file)) {
        throw new OcellusError(
          'NOT_FOUND',
          `Weight shard "${shard}" listed in model.json is missing from ${src}`,
          { shard, path: file },
        );
      }
      const { stat } = await checkPath(file, { ...safe, maxBytes: MAX_MODEL_BYTES });
      sizes.set(shard, stat.size);
      held += stat.size;
    }
    if (group.bytes !== null && held !== group.bytes) {
      throw new OcellusError(
        'INVALID_ARGUMENT',
        `Weight shards ${group.paths.join(', ')} in ${src} hold ${held} bytes, ` +
          `but their weights' dtypes and shapes need ${group.bytes}`,
        { shards: group.paths, bytes: held, expected: group.bytes },
      );
    }
    total += held;
  }
  if (total > MAX_MODEL_BYTES) {
    throw new OcellusError(
      'TOO_LARGE',
      `${src} holds ${formatBytes(total)} of weights; the limit is ${formatBytes(MAX_MODEL_BYTES)}`,
    );
  }

  await fs.promises.writeFile(path.join(staging, MODEL_JSON), text);
  for (const shard of info.shards) {
    const expected = sizes.get(shard) ?? 0;
    await copyFileSafe(path.join(root, ...shard.split('/')), path.join(staging, shard), {
      ...safe,
      maxBytes: expected,
    });
  }
  return info;
}

function isLink(file: string): boolean {
  try {
    return fs.lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}
