import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { cacheDirFor, derivativePaths } from '../../src/main/core/library/derivative-paths';
import { renderDerivatives } from '../../src/main/core/library/derivatives';
import { log, type Options } from './options';

export const REPO = path.resolve(__dirname, '../..');
const CLI = path.join(REPO, 'bin/ocellus.cjs');
const PER_FOLDER = 500;
const DISTINCT = 16;
/** Part of the cache marker: a change to the generator makes a new set. */
const GENERATOR_VERSION = 4;

export interface Setup {
  version: number;
  images: number;
  folders: number;
  distinct: number;
  filesSeconds: number;
  indexSeconds: number;
  createdAt: string;
}

export interface SetupResult extends Setup {
  reused: boolean;
  project: string;
  projectBytes: number;
}

export function paths(opts: Options) {
  return {
    sources: path.join(opts.data, 'sources'),
    photos: path.join(opts.data, 'photos'),
    project: path.join(opts.data, 'bench.ocellus'),
    appData: path.join(opts.data, 'appdata'),
    marker: path.join(opts.data, 'setup.json'),
  };
}

/** Runs the built CLI; its stderr progress is echoed every few seconds. */
export function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-20_000)));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`ocellus ${args[0]} exited ${code}: ${err}${out}`));
    });
  });
}

async function distinctJpegs(dir: string): Promise<string[]> {
  fs.mkdirSync(dir, { recursive: true });
  return Promise.all(
    Array.from({ length: DISTINCT }, async (_, i) => {
      const w = 64;
      const h = 48;
      const raw = Buffer.alloc(w * h * 3);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const o = (y * w + x) * 3;
          raw[o] = (i * 53 + x * 3) & 255;
          raw[o + 1] = (i * 97 + y * 5) & 255;
          raw[o + 2] = (i * 31 + (x ^ y) * 4) & 255;
        }
      }
      const file = path.join(dir, `d${i}.jpg`);
      await sharp(raw, { raw: { width: w, height: h, channels: 3 } })
        .jpeg({ quality: 80 })
        .toFile(file);
      return file;
    }),
  );
}

/**
 * The project: `n` files (hard links to a few distinct small JPEGs, in folders of 500) and
 * their index rows, written straight into a project file made by `ocellus init` — the rows
 * and thumbnails an earlier `ocellus add` would have left, without reading a million files
 * first (importing is bench:import's subject). Each image is its own sequence, as images
 * without a capture time are. Made once and kept in --data.
 */
export async function setup(opts: Options): Promise<SetupResult> {
  const p = paths(opts);
  if (!fs.existsSync(CLI)) throw new Error('Build first: npm run bench:label builds');
  if (!opts.fresh && fs.existsSync(p.marker) && fs.existsSync(p.project)) {
    const m = JSON.parse(fs.readFileSync(p.marker, 'utf8')) as Setup;
    if (m.version === GENERATOR_VERSION && m.images === opts.n) {
      log(
        `reusing the ${opts.n.toLocaleString()}-image project in ${opts.data} (--fresh rebuilds)`,
      );
      return { ...m, reused: true, project: p.project, projectBytes: fs.statSync(p.project).size };
    }
  }
  log(`setting up ${opts.n.toLocaleString()} images in ${opts.data}`);
  fs.rmSync(opts.data, { recursive: true, force: true });
  fs.mkdirSync(p.appData, { recursive: true });
  const t0 = performance.now();
  const sources = await distinctJpegs(p.sources);
  const facts = sources.map((f) => {
    const bytes = fs.readFileSync(f);
    const st = fs.statSync(f);
    return {
      size: bytes.length,
      mtime: Math.round(st.mtimeMs),
      hash: crypto.createHash('sha256').update(bytes).digest('hex'),
    };
  });
  const folders = Math.ceil(opts.n / PER_FOLDER);
  const rel = (i: number) => {
    const f = Math.floor(i / PER_FOLDER);
    return `card${String(Math.floor(f / 10)).padStart(3, '0')}/f${f}/IMG_${String(i).padStart(7, '0')}.jpg`;
  };
  for (let f = 0; f < folders; f++) {
    fs.mkdirSync(path.join(p.photos, path.dirname(rel(f * PER_FOLDER))), { recursive: true });
    for (let i = f * PER_FOLDER; i < Math.min(opts.n, (f + 1) * PER_FOLDER); i++)
      fs.linkSync(sources[i % DISTINCT] as string, path.join(p.photos, rel(i)));
    if (f % 200 === 199) log(`  ${((f + 1) * PER_FOLDER).toLocaleString()} files`);
  }
  const filesSeconds = (performance.now() - t0) / 1000;
  log(`  ${opts.n.toLocaleString()} files in ${filesSeconds.toFixed(1)} s`);

  await runCli(['init', p.project, '--name', 'Label bench'], {
    ...process.env,
    OCELLUS_APP_DATA: p.appData,
  });
  const t1 = performance.now();
  const db = new Database(p.project);
  const now = new Date().toISOString();
  db.transaction(() => {
    const root = Number(
      db
        .prepare('INSERT INTO roots (path, labels_from_folders, added_at) VALUES (?, 0, ?)')
        .run(p.photos, now).lastInsertRowid,
    );
    const insert = db.prepare(
      `INSERT INTO images (root_id, rel_path, status, size, mtime_ms, hash, width, height,
                           imported_at, format, derived, sequence_id)
       VALUES (?, ?, 'ok', ?, ?, ?, 64, 48, ?, 'jpeg', 1, ?)`,
    );
    for (let i = 0; i < opts.n; i++) {
      const d = facts[i % DISTINCT] as (typeof facts)[number];
      insert.run(root, rel(i), d.size, d.mtime, d.hash, now, i + 1);
    }
  })();
  const cache = cacheDirFor(p.project);
  for (const [i, f] of facts.entries()) {
    const out = derivativePaths(cache, f.hash);
    await renderDerivatives(sources[i] as string, out.thumb, out.input);
  }
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  const indexSeconds = (performance.now() - t1) / 1000;
  log(`  index rows written in ${indexSeconds.toFixed(1)} s`);
  const m: Setup = {
    version: GENERATOR_VERSION,
    images: opts.n,
    folders,
    distinct: DISTINCT,
    filesSeconds: Math.round(filesSeconds * 10) / 10,
    indexSeconds: Math.round(indexSeconds * 10) / 10,
    createdAt: new Date().toISOString(),
  };
  fs.writeFileSync(p.marker, JSON.stringify(m, null, 2));
  return { ...m, reused: false, project: p.project, projectBytes: fs.statSync(p.project).size };
}
