import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { OcellusError } from '../../../shared/errors';

/**
 * A bundle's predict.mjs is built from the app's own modules (src/main/bundle/predict-main.ts,
 * by vite.bundle.config.mts, part of `npm run build`) into out/bundle/predict.mjs; the
 * exporter copies that file. Found upwards from this module: beside the built main bundles
 * (out/main → out/bundle, also inside a packaged app) or, running from source (tests), in
 * the project's out/ folder.
 */
export function predictScriptFile(fromDir = path.dirname(fileURLToPath(import.meta.url))): string {
  let dir = fromDir;
  for (let i = 0; i < 8; i++) {
    const candidates = [path.join(dir, 'out', 'bundle', 'predict.mjs')];
    if (path.basename(dir) === 'out') candidates.unshift(path.join(dir, 'bundle', 'predict.mjs'));
    const found = candidates.find((f) => fs.existsSync(f));
    if (found) return found;
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new OcellusError('INTERNAL', "The bundle's predict.mjs is not built: run npm run build");
}

/** The text of the built predict.mjs. */
export function predictScript(): string {
  return fs.readFileSync(predictScriptFile(), 'utf8');
}
