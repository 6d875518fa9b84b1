import fs from 'node:fs';
import path from 'node:path';

/**
 * better-sqlite3 is built for Node's ABI in node_modules (tests, CLI, browser mode).
 * `npm start` builds a second copy for Electron's ABI into build/electron-native (see
 * scripts/electron-native.mjs); packaged apps are rebuilt by electron-builder instead.
 */
export function electronSqliteBinding(appRoot: string, isPackaged: boolean): string | undefined {
  if (isPackaged) return undefined;
  const candidate = path.join(appRoot, 'build', 'electron-native', 'better_sqlite3.node');
  return fs.existsSync(candidate) ? candidate : undefined;
}
