#!/usr/bin/env node
/**
 * Makes the native TensorFlow backend (@tensorflow/tfjs-node) load where its own install could
 * not download libtensorflow and its prebuilt binding (an offline machine, a CI without
 * internet). It builds the binding with node-gyp against the TensorFlow C library shipped inside
 * the `tensorflow-cpu` Python wheel (which carries the C API in `libtensorflow_cc.so.2` plus its
 * headers), then checks that `require('@tensorflow/tfjs-node')` gives the `tensorflow` backend.
 *
 *   npm run setup:native               install if missing; says why when it cannot
 *   npm run setup:native -- --require  the same, but exit 1 when the backend does not load
 *   npm run setup:native -- --check    only report whether the backend loads
 *
 * Idempotent: a backend that already loads (an online install, an earlier run) is left as it is.
 * The wheel's libraries are kept in node_modules/.cache/ocellus-native/ for re-runs.
 * OCELLUS_TENSORFLOW_WHEEL names another wheel: a .whl file or a pip requirement.
 * Linux x64 only: elsewhere the official install's prebuilt binaries are the way.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));
const TFJS_NODE = '@tensorflow/tfjs-node';
const WHEEL_SPEC = process.env.OCELLUS_TENSORFLOW_WHEEL || 'tensorflow-cpu==2.21.0';
const NAPI_VERSION = 8;
const cacheDir = path.join(root, 'node_modules', '.cache', 'ocellus-native');
const say = (msg) => console.log(`setup:native: ${msg}`);

/** Loads tfjs-node in a fresh process; null when it runs on `tensorflow`, else why not. */
function checkBackend() {
  const probe = `
    const tf = require(${JSON.stringify(TFJS_NODE)});
    if (tf.getBackend() !== 'tensorflow') throw new Error('backend is ' + tf.getBackend());
    // A convolution gradient: what the wasm backend cannot do and full fine-tuning needs.
    const g = tf.grad((x) => tf.conv2d(x, tf.ones([3, 3, 1, 1]), 1, 'same').sum());
    const v = g(tf.ones([1, 4, 4, 1])).dataSync();
    if (v[5] !== 9) throw new Error('conv2d gradient gave ' + v[5]);
    console.log('tfjs ' + tf.version.tfjs);`;
  const r = spawnSync(process.execPath, ['-e', probe], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' },
  });
  if (r.status === 0) return null;
  const line = `${r.stderr}`.split('\n').find((l) => /^\w*Error\b/.test(l));
  return line?.trim() || `exit code ${r.status}`;
}

function packageDir() {
  return path.join(root, 'node_modules', ...TFJS_NODE.split('/'));
}

/**
 * npm removes an optional dependency whose install script failed, with the packages only it
 * needed; reinstalling from the lockfile without scripts brings them back (no download of
 * libtensorflow, which is what failed).
 */
function ensurePackageFiles() {
  const needed = [TFJS_NODE, '@mapbox/node-pre-gyp', 'google-protobuf'];
  const missing = needed.filter((name) => {
    try {
      require.resolve(`${name}/package.json`);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length === 0) return;
  say(`installing ${missing.join(', ')} from the lockfile without install scripts`);
  const npm = process.env.npm_execpath;
  const [cmd, args] = npm ? [process.execPath, [npm]] : ['npm', []];
  execFileSync(
    cmd,
    [...args, 'install', '--no-save', '--ignore-scripts', '--no-audit', '--no-fund'],
    {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
      shell: !npm && process.platform === 'win32',
    },
  );
}

/** Fetches the wheel with pip (a local mirror or PyPI) unless a .whl file was named. */
function fetchWheel(workDir) {
  if (WHEEL_SPEC.endsWith('.whl') && fs.existsSync(WHEEL_SPEC)) return path.resolve(WHEEL_SPEC);
  const python = ['python3', 'python'].find(
    (p) => spawnSync(p, ['-m', 'pip', '--version'], { stdio: 'ignore' }).status === 0,
  );
  if (!python) throw new Unavailable('no python3 with pip to fetch the tensorflow-cpu wheel');
  say(`fetching ${WHEEL_SPEC} with pip`);
  const r = spawnSync(
    python,
    ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '-d', workDir, WHEEL_SPEC],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const wheel = fs.readdirSync(workDir).find((f) => f.endsWith('.whl'));
  if (r.status !== 0 || !wheel) {
    const why = `${r.stderr}`.trim().split('\n').pop();
    throw new Unavailable(`pip could not get ${WHEEL_SPEC} (${why || `exit ${r.status}`})`);
  }
  return path.join(workDir, wheel);
}

/** Unpacks the C library and headers from the wheel into `libDir` (python's zipfile). */
function extractLibrary(wheel, libDir) {
  const script = `
import sys, zipfile, os, shutil
wheel, out = sys.argv[1], sys.argv[2]
z = zipfile.ZipFile(wheel)
libs = ['tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2']
names = set(z.namelist())
missing = [n for n in libs if n not in names]
if missing: sys.exit('the wheel has no ' + ', '.join(missing))
for n in z.namelist():
    if n in libs: dest = os.path.join(out, 'lib', os.path.basename(n))
    elif n.startswith('tensorflow/include/') and not n.endswith('/'):
        rel = n[len('tensorflow/include/'):]
        # Only the C API and what it includes (287 MB of C++ headers otherwise).
        if not (rel.startswith(('tensorflow/c/', 'xla/tsl/c/')) or os.path.basename(rel).startswith('ctstring')): continue
        dest = os.path.join(out, 'include', rel)
    else: continue
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    with z.open(n) as src, open(dest, 'wb') as dst: shutil.copyfileobj(src, dst, 1 << 20)
`;
  fs.rmSync(libDir, { recursive: true, force: true });
  const python = spawnSync('python3', ['--version']).status === 0 ? 'python3' : 'python';
  execFileSync(python, ['-c', script, wheel, libDir], { stdio: 'inherit' });
  fs.writeFileSync(path.join(libDir, 'wheel.txt'), `${path.basename(wheel)}\n`);
}

/** The library folder in the cache, unpacked once per wheel spec. */
function cachedLibrary() {
  const key = WHEEL_SPEC.replace(/[^\w.=-]+/g, '_');
  const libDir = path.join(cacheDir, `libtensorflow-c-api-${key}`);
  if (fs.existsSync(path.join(libDir, 'wheel.txt'))) return libDir;
  // Unpacked libraries of another wheel or layout are 850 MB each: keep one.
  for (const old of fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir) : []) {
    if (old.startsWith('libtensorflow-')) fs.rmSync(path.join(cacheDir, old), { recursive: true });
  }
  const workDir = path.join(cacheDir, 'wheel');
  fs.rmSync(workDir, { recursive: true, force: true });
  fs.mkdirSync(workDir, { recursive: true });
  try {
    const wheel = fetchWheel(workDir);
    say(`unpacking the TensorFlow C library from ${path.basename(wheel)}`);
    extractLibrary(wheel, libDir);
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
  return libDir;
}

/** Lays deps/ out as tfjs-node's binding.gyp expects; hard links where possible (no copy). */
function linkDeps(libDir, pkgDir) {
  const deps = path.join(pkgDir, 'deps');
  fs.rmSync(deps, { recursive: true, force: true });
  fs.mkdirSync(path.join(deps, 'lib'), { recursive: true });
  fs.cpSync(path.join(libDir, 'include'), path.join(deps, 'include'), { recursive: true });
  for (const name of ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2']) {
    const from = path.join(libDir, 'lib', name);
    const to = path.join(deps, 'lib', name);
    try {
      fs.linkSync(from, to);
    } catch {
      fs.copyFileSync(from, to);
    }
  }
  // The binding links -ltensorflow -ltensorflow_framework; at run time it asks for the
  // libraries' own names (libtensorflow_cc.so.2), found through its rpath $ORIGIN/../../deps/lib.
  fs.symlinkSync('libtensorflow_cc.so.2', path.join(deps, 'lib', 'libtensorflow.so'));
  fs.symlinkSync('libtensorflow_cc.so.2', path.join(deps, 'lib', 'libtensorflow.so.2'));
  fs.symlinkSync(
    'libtensorflow_framework.so.2',
    path.join(deps, 'lib', 'libtensorflow_framework.so'),
  );
}

/** Node's headers beside this node binary, so node-gyp never downloads them. */
function nodeDir() {
  const configured = process.env.npm_config_nodedir;
  if (configured && fs.existsSync(path.join(configured, 'include', 'node', 'node_api.h'))) {
    return configured;
  }
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) return prefix;
  throw new Unavailable(`no Node headers (include/node/node_api.h) under ${prefix}`);
}

function buildBinding(pkgDir) {
  const gyp = [
    process.env.npm_config_node_gyp,
    path.join(root, 'node_modules/node-gyp/bin/node-gyp.js'),
  ]
    .filter(Boolean)
    .find((p) => fs.existsSync(p));
  if (!gyp) throw new Unavailable('node-gyp not found (run through npm run setup:native)');
  say('building the binding with node-gyp');
  execFileSync(
    process.execPath,
    [
      gyp,
      'rebuild',
      `--nodedir=${nodeDir()}`,
      '--module_name=tfjs_binding',
      // Absolute: the copy step resolves a relative path from build/, not from the package.
      `--module_path=${path.join(pkgDir, 'lib', `napi-v${NAPI_VERSION}`)}`,
      '--loglevel=warn',
      `--napi_build_version=${NAPI_VERSION}`,
    ],
    { cwd: pkgDir, stdio: ['ignore', 'ignore', 'inherit'] },
  );
}

class Unavailable extends Error {}

/** Leaves the outcome where the tests read it, so a skipped native test can say why. */
function record(reason) {
  fs.mkdirSync(cacheDir, { recursive: true });
  const status = { loads: !reason, reason: reason ?? null, wheel: WHEEL_SPEC };
  fs.writeFileSync(path.join(cacheDir, 'status.json'), `${JSON.stringify(status, null, 2)}\n`);
}

/** Builds and installs the binding; null when the backend then loads, else why not. */
function install() {
  try {
    if (process.platform !== 'linux' || process.arch !== 'x64') {
      throw new Unavailable(
        `this build recipe is for Linux x64, not ${process.platform} ${process.arch}`,
      );
    }
    ensurePackageFiles();
    const libDir = cachedLibrary();
    linkDeps(libDir, packageDir());
    buildBinding(packageDir());
  } catch (err) {
    // Failed commands (pip, npm, node-gyp) carry a status; anything else is a bug here.
    if (!(err instanceof Unavailable) && !(err?.status || err?.code)) throw err;
    return err.message.split('\n')[0];
  }
  const after = checkBackend();
  return after ? `built, but it does not load: ${after}` : null;
}

function main() {
  const args = process.argv.slice(2);
  const started = Date.now();
  const before = checkBackend();
  if (!before || args.includes('--check')) {
    say(before ? `the native backend does not load: ${before}` : 'the native backend loads');
    if (!args.includes('--check')) record(null);
    return before ? 1 : 0;
  }
  const reason = install();
  record(reason);
  if (reason) {
    say(`the native TensorFlow backend is not installed: ${reason}`);
    say('Ocellus runs on WebAssembly instead, and the native-backend tests are skipped.');
    return args.includes('--require') ? 1 : 0;
  }
  say(
    `the native TensorFlow backend loads (set up in ${Math.round((Date.now() - started) / 1000)} s)`,
  );
  return 0;
}

process.exitCode = main();
