import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The per-user folder where Ocellus keeps its own state (recent projects, model cache),
 * as Electron's `userData` would be; `OCELLUS_APP_DATA` overrides it (tests, portable use).
 */
export function defaultAppDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const override = env['OCELLUS_APP_DATA'];
  if (override) return path.resolve(override);
  const home = os.homedir();
  switch (process.platform) {
    case 'win32':
      return path.join(env['APPDATA'] ?? path.join(home, 'AppData', 'Roaming'), 'Ocellus');
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', 'Ocellus');
    default:
      return path.join(env['XDG_CONFIG_HOME'] ?? path.join(home, '.config'), 'Ocellus');
  }
}

/**
 * Folder suggested for new projects: ~/Documents, which need not exist yet (it is made when
 * the first project goes there), or home itself when home cannot hold a new folder.
 */
export function defaultProjectDir(home = os.homedir()): string {
  const documents = path.join(home, 'Documents');
  if (fs.existsSync(documents)) return documents;
  try {
    fs.accessSync(home, fs.constants.W_OK);
    return documents;
  } catch {
    return home;
  }
}

/** The resources folder (model zoo, bundled models), found upwards from a built or source file. */
export function locateResources(fromDir: string): string | undefined {
  let dir = fromDir;
  for (let i = 0; i < 6; i++) {
    if (fs.existsSync(path.join(dir, 'resources', 'model-zoo.json')))
      return path.join(dir, 'resources');
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

/** The built ML worker beside a built entry, or null when running from source (tests). */
export function locateMlWorker(fromDir: string): string | null {
  const file = path.join(fromDir, 'embed-worker.js');
  return fs.existsSync(file) ? file : null;
}
