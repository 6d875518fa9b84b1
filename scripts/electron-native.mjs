#!/usr/bin/env node
/**
 * Builds better-sqlite3 for Electron's ABI into build/electron-native/, leaving the Node
 * build in node_modules untouched (tests, CLI and browser mode use that one). The Electron
 * shell loads this copy through better-sqlite3's `nativeBinding` option.
 *
 *   node scripts/electron-native.mjs            build if missing or stale
 *   node scripts/electron-native.mjs --verify F check that F is built for Electron, not Node
 *
 * Needs the internet once (a prebuilt binary, or Electron's headers to compile).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'build', 'electron-native');
const target = path.join(outDir, 'better_sqlite3.node');
const stampFile = path.join(outDir, 'stamp.json');
const require = createRequire(import.meta.url);

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** Returns null when `file` is an addon for Electron's ABI, else the reason it is not. */
export function checkElectronAbi(file, electronAbi) {
  try {
    require(file);
    return `${file} loads in Node ${process.version}: it was built for Node's ABI, not Electron's`;
  } catch (err) {
    const m = /NODE_MODULE_VERSION (\d+)/.exec(String(err?.message));
    if (!m) return `${file} does not load: ${err?.message}`;
    return m[1] === String(electronAbi)
      ? null
      : `${file} is built for ABI ${m[1]}, Electron needs ${electronAbi}`;
  }
}

function main() {
  const electronPkg = path.join(root, 'node_modules', 'electron');
  const electronVersion = readJson(path.join(electronPkg, 'package.json')).version;
  const electronAbi = fs.readFileSync(path.join(electronPkg, 'abi_version'), 'utf8').trim();
  const args = process.argv.slice(2);
  if (args[0] === '--verify') {
    const reason = checkElectronAbi(path.resolve(args[1] ?? target), electronAbi);
    if (reason) {
      console.error(`electron-native: ${reason}`);
      process.exit(1);
    }
    console.log(`electron-native: ${args[1] ?? target} is built for Electron ABI ${electronAbi}`);
    return;
  }

  const sqliteDir = path.join(root, 'node_modules', 'better-sqlite3');
  const sqliteVersion = readJson(path.join(sqliteDir, 'package.json')).version;
  const stamp = { electronVersion, sqliteVersion, arch: process.arch };
  if (fs.existsSync(target) && fs.existsSync(stampFile)) {
    if (JSON.stringify(readJson(stampFile)) === JSON.stringify(stamp)) return;
  }

  console.log(
    `electron-native: building better-sqlite3 ${sqliteVersion} for Electron ${electronVersion}`,
  );
  const work = path.join(outDir, 'better-sqlite3');
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  fs.cpSync(sqliteDir, work, {
    recursive: true,
    filter: (src) =>
      !src.includes(`${path.sep}build${path.sep}`) && !src.endsWith(`${path.sep}build`),
  });
  // A global `nodedir` would silently build against Node's headers instead of Electron's.
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (/^npm_config_nodedir$/i.test(key)) delete env[key];
  env.npm_config_nodedir = '';
  const bin = (name) =>
    path.join(root, 'node_modules', '.bin', process.platform === 'win32' ? `${name}.cmd` : name);
  try {
    execFileSync(
      bin('prebuild-install'),
      ['--runtime', 'electron', '--target', electronVersion, '--arch', process.arch],
      {
        cwd: work,
        env,
        stdio: 'inherit',
        shell: process.platform === 'win32',
      },
    );
  } catch {
    console.log('electron-native: no prebuilt binary; compiling against Electron headers');
    execFileSync(
      bin('node-gyp'),
      [
        'rebuild',
        '--release',
        `--target=${electronVersion}`,
        '--runtime=electron',
        '--dist-url=https://electronjs.org/headers',
        `--arch=${process.arch}`,
      ],
      { cwd: work, env, stdio: 'inherit', shell: process.platform === 'win32' },
    );
  }
  const built = path.join(work, 'build', 'Release', 'better_sqlite3.node');
  const reason = checkElectronAbi(built, electronAbi);
  if (reason) throw new Error(reason);
  fs.copyFileSync(built, target);
  fs.writeFileSync(stampFile, JSON.stringify(stamp));
  fs.rmSync(work, { recursive: true, force: true });
  console.log(`electron-native: wrote ${path.relative(root, target)}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (err) {
    console.error(`electron-native: ${err instanceof Error ? err.message : String(err)}`);
    console.error(
      'electron-native: `npm start` needs the internet once to build better-sqlite3 for Electron.',
    );
    process.exit(1);
  }
}
