import path from 'node:path';
import { DEFAULT_INPUT_GEOMETRY, modelInputPath } from './model-input';

/**
 * Where the thumbnail, the default-geometry model input and the camera's embedded preview
 * (shown until the thumbnail exists) of some content live, keyed by its hash.
 */
export function derivativePaths(
  cacheDir: string,
  hash: string,
): { thumb: string; input: string; preview: string } {
  const shard = hash.slice(0, 2);
  return {
    thumb: path.join(cacheDir, 'thumbs', shard, `${hash}.webp`),
    input: modelInputPath(cacheDir, hash, DEFAULT_INPUT_GEOMETRY),
    preview: path.join(cacheDir, 'previews', shard, `${hash}.jpg`),
  };
}

/**
 * The rebuildable cache folder beside a project file: `name.ocellus` → `.name.ocellus-cache`.
 * Hidden, so that a root folder holding the project file never imports its own thumbnails.
 */
export function cacheDirFor(projectPath: string): string {
  return path.join(path.dirname(projectPath), `.${path.basename(projectPath)}-cache`);
}
