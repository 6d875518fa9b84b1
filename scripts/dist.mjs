#!/usr/bin/env node
// @ts-check
/**
 * `npm run dist` / `npm run dist:dir`: builds the bundles (electron-vite), then the installers
 * for this OS (electron-builder, electron-builder.yml; extra arguments go to it). electron-builder
 * rebuilds native modules for Electron in node_modules, which breaks tests, the CLI and browser
 * mode (Node's ABI); afterwards this puts Node's better-sqlite3 back.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** @param {string} pkg @param {string} name */
function binOf(pkg, name) {
  const dir = path.join(root, 'node_modules', pkg);
  const bin = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).bin;
  return path.join(dir, typeof bin === 'string' ? bin : bin[name]);
}

/** @param {string[]} args @param {NodeJS.ProcessEnv} env */
function node(args, env = process.env) {
  const r = spawnSync(process.execPath, args, { cwd: root, env, stdio: 'inherit' });
  return r.status ?? 1;
}

function nodeSqliteWorks() {
  const probe = "new (require('better-sqlite3'))(':memory:').close()";
  return spawnSync(process.execPath, ['-e', probe], { cwd: root, stdio: 'ignore' }).status === 0;
}

// A global npm `nodedir` (npm passes it on as npm_config_nodedir) makes node-gyp compile against
// Node's headers while believing it targets Electron: the rebuild "succeeds" with the wrong ABI.
const builderEnv = { ...process.env };
for (const key of Object.keys(builderEnv))
  if (/^npm_config_nodedir$/i.test(key)) delete builderEnv[key];

let status = node([binOf('electron-vite', 'electron-vite'), 'build']);
if (status === 0) {
  const args = ['--publish', 'never', ...process.argv.slice(2)];
  status = node([binOf('electron-builder', 'electron-builder'), ...args], builderEnv);
  if (!nodeSqliteWorks()) {
    console.log(
      'dist: rebuilding better-sqlite3 for Node (electron-builder rebuilt it for Electron)',
    );
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const r = spawnSync(npm, ['rebuild', 'better-sqlite3'], {
      cwd: root,
      stdio: 'inherit',
      shell: process.platform === 'win32',
    });
    if (r.status !== 0)
      console.error('dist: `npm rebuild better-sqlite3` failed; run it before `npm test`');
  }
}
process.exit(status);
