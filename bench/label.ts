/**
 * Labelling UI benchmark: a 100,000-image project in browser mode, driven by Playwright with
 * Debian's Chromium, in one run:
 *
 *   - time to first grid paint (first gridcell, first thumbnail loaded);
 *   - keystroke → persisted latency in the image view over 1,000 class-key presses (keydown
 *     → last-action text, split into keydown → assign sent → result → DOM), labels per
 *     second, key presses the view ignored; then 300 keys back to back (how many labelled);
 *   - long tasks (> 50 ms, reported > 100 ms) while scrolling the whole grid, one viewport
 *     per frame, by tenth of the grid; then 200 more labels with every tile page cached;
 *   - the floor under the UI figure: `labels.assign` over the WebSocket, timed from Node,
 *     and the other calls the image view makes, timed alone.
 *
 *   npm run bench:label -- [--n 100000] [--labels 1000] [--data DIR] [--fresh] [--json]
 *                          [--profile] [--headed] [--setup-only]
 *
 * The images (a few distinct tiny JPEGs written under many names) and the imported project
 * are made once and cached in --data (default: <tmp>/ocellus-bench-label); --fresh rebuilds
 * them. Progress goes to stderr; the table (or with --json the result object) to stdout; the
 * result object is also written to <data>/last-result.json.
 * --profile adds a traced and profiled scroll pass (first 400 frames, reloaded page) and
 * prints where the renderer's main thread spent its time; the trace and the CPU profile are
 * left in --data. Server CPU and memory, and the page's JS heap, are noted by phase.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type * as PlaywrightCore from 'playwright-core';
import sharp from 'sharp';
import WebSocket from 'ws';

// Playwright is a dev dependency: loaded at run time from node_modules, never bundled.
const { chromium } = createRequire(__filename)('playwright-core') as typeof PlaywrightCore;
type Page = PlaywrightCore.Page;

const REPO = path.resolve(__dirname, '../..');
const CLI = path.join(REPO, 'bin/ocellus.cjs');
const WEB = path.join(REPO, 'out/main/web.js');
const CLASS_NAMES = ['deer', 'empty', 'fox'];
const PER_FOLDER = 500;
const DISTINCT = 16;
/** Part of the cache marker: a change to the generator makes a new set. */
const GENERATOR_VERSION = 2;
const BURST_SHOTS = 5;
/** 2024-06-01T00:00:00Z, in seconds. */
const BASE_TIME = 1_717_200_000;
const VIEWPORT = { width: 1600, height: 1000 };
const BURST = 300;
const AFTER_SCROLL = 200;
/** Frames of the --profile scroll pass (a trace of the whole grid outgrows a JS string). */
const PROFILE_FRAMES = 400;

// ---------------------------------------------------------------------------------------------
// Options

interface Options {
  n: number;
  labels: number;
  data: string;
  fresh: boolean;
  json: boolean;
  profile: boolean;
  headed: boolean;
  setupOnly: boolean;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      n: { type: 'string', default: '100000' },
      labels: { type: 'string', default: '1000' },
      data: { type: 'string', default: path.join(os.tmpdir(), 'ocellus-bench-label') },
      fresh: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      headed: { type: 'boolean', default: false },
      'setup-only': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      'Usage: npm run bench:label -- [--n 100000] [--labels 1000] [--data DIR] [--fresh] [--json] [--profile] [--headed] [--setup-only]\n',
    );
    process.exit(0);
  }
  const count = (name: string, v: string, min: number): number => {
    const x = Number(v);
    if (!Number.isInteger(x) || x < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
    return x;
  };
  const n = count('n', values.n, 100);
  const labels = count('labels', values.labels, 3);
  if (2 * labels + BURST + AFTER_SCROLL + 10 > n) {
    throw new Error(`--n ${n} is too small for --labels ${labels}`);
  }
  return {
    n,
    labels,
    data: path.resolve(values.data),
    fresh: values.fresh,
    json: values.json,
    profile: values.profile,
    headed: values.headed,
    setupOnly: values['setup-only'],
  };
}

function log(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

// ---------------------------------------------------------------------------------------------
// Setup: images written index-only, imported with the CLI, cached in --data

interface Setup {
  version: number;
  images: number;
  folders: number;
  distinct: number;
  generateSeconds: number;
  importSeconds: number;
  /** The CLI's own `seconds` (add + import job) from `add --json`. */
  cliSeconds: number | null;
  imagesPerSecond: number;
  createdAt: string;
}

interface SetupResult extends Setup {
  reused: boolean;
  project: string;
  projectBytes: number;
}

function paths(opts: Options) {
  return {
    photos: path.join(opts.data, 'photos'),
    project: path.join(opts.data, 'bench.ocellus'),
    appData: path.join(opts.data, 'appdata'),
    marker: path.join(opts.data, 'setup.json'),
  };
}

async function distinctJpegs(): Promise<Buffer[]> {
  return Promise.all(
    Array.from({ length: DISTINCT }, (_, i) => {
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
      return sharp(raw, { raw: { width: w, height: h, channels: 3 } })
        .jpeg({ quality: 80 })
        .toBuffer();
    }),
  );
}

function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let lastProgress = 0;
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      const lines = err.split('\n');
      err = lines.pop() ?? '';
      const now = performance.now();
      const last = lines.at(-1);
      if (last && now - lastProgress > 5000) {
        lastProgress = now;
        log(`  ${last.trim()}`);
      }
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`ocellus ${args[0]} exited ${code}: ${err}${out}`));
    });
  });
}

async function setup(opts: Options): Promise<SetupResult> {
  const p = paths(opts);
  if (!fs.existsSync(CLI) || !fs.existsSync(WEB)) {
    throw new Error('Build first: npx electron-vite build (npm run bench:label does)');
  }
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
  fs.mkdirSync(p.photos, { recursive: true });
  fs.mkdirSync(p.appData, { recursive: true });

  const t0 = performance.now();
  const jpegs = await distinctJpegs();
  const folders = Math.ceil(opts.n / PER_FOLDER);
  for (let f = 0; f < folders; f++) {
    const dir = path.join(p.photos, `card${String(Math.floor(f / 10)).padStart(2, '0')}`, `f${f}`);
    fs.mkdirSync(dir, { recursive: true });
    for (let k = 0; k < PER_FOLDER; k++) {
      const i = f * PER_FOLDER + k;
      if (i >= opts.n) break;
      const bytes = jpegs[i % DISTINCT] as Buffer;
      const file = path.join(dir, `IMG_${String(i).padStart(6, '0')}.jpg`);
      fs.writeFileSync(file, bytes);
      // No EXIF, so sequences come from mtimes: bursts of 5 shots 10 s apart, an hour apart.
      // (Files written together would make each folder one 500-shot "sequence".)
      const t = BASE_TIME + Math.floor(k / BURST_SHOTS) * 3600 + (k % BURST_SHOTS) * 10;
      fs.utimesSync(file, t, t);
    }
  }
  const generateSeconds = (performance.now() - t0) / 1000;
  log(`  wrote ${opts.n.toLocaleString()} files in ${generateSeconds.toFixed(1)} s`);

  const env = { ...process.env, OCELLUS_APP_DATA: p.appData };
  await runCli(['init', p.project, '--name', 'Label bench'], env);
  log('  importing with `ocellus add` …');
  const t1 = performance.now();
  const out = await runCli(['add', p.project, p.photos, '--json', '--progress'], env);
  const importSeconds = (performance.now() - t1) / 1000;
  let cliSeconds: number | null = null;
  try {
    const summary = JSON.parse(out) as { seconds?: number; images?: { total?: number } };
    cliSeconds = summary.seconds ?? null;
    if (summary.images?.total !== opts.n) {
      throw new Error(`import found ${summary.images?.total} images, expected ${opts.n}`);
    }
  } catch (err) {
    if (err instanceof SyntaxError) log(`  could not parse \`add --json\` output: ${out}`);
    else throw err;
  }
  log(`  imported in ${importSeconds.toFixed(1)} s`);
  const m: Setup = {
    version: GENERATOR_VERSION,
    images: opts.n,
    folders,
    distinct: DISTINCT,
    generateSeconds: round(generateSeconds, 2),
    importSeconds: round(importSeconds, 2),
    cliSeconds,
    imagesPerSecond: Math.round(opts.n / importSeconds),
    createdAt: new Date().toISOString(),
  };
  fs.writeFileSync(p.marker, JSON.stringify(m, null, 2));
  return { ...m, reused: false, project: p.project, projectBytes: fs.statSync(p.project).size };
}

// ---------------------------------------------------------------------------------------------
// The browser-mode server and a raw WebSocket client of its API

interface Server {
  child: ChildProcess;
  url: string;
  origin: string;
  token: string;
  startMs: number;
}

async function startServer(project: string, appData: string): Promise<Server> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [WEB, '--port', '0', '--project', project], {
    env: {
      ...process.env,
      OCELLUS_APP_DATA: appData,
      OCELLUS_PROJECT_DIR: path.dirname(project),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Open (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.length > 20_000) err = err.slice(-10_000);
    });
    child.once('exit', (code) => reject(new Error(`web server exited (${code}): ${err}`)));
  });
  const parsed = new URL(url);
  return {
    child,
    url,
    origin: parsed.origin,
    token: parsed.searchParams.get('token') ?? '',
    startMs: performance.now() - t0,
  };
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** Resident memory of a process in MB; null off Linux. */
function rssMb(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) a process has used so far; null off Linux. */
function cpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

type RpcResult = { ok: true; value: unknown } | { ok: false; error: { message?: string } };

class Rpc {
  private next = 1;
  private readonly pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString()) as { type: string; id?: number; result?: RpcResult };
      if (msg.type !== 'result' || msg.id === undefined || !msg.result) return;
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.result.ok) p.resolve(msg.result.value);
      else p.reject(new Error(msg.result.error.message ?? 'API error'));
    });
  }

  static async connect(server: Server): Promise<Rpc> {
    const ws = new WebSocket(
      `ws://${new URL(server.origin).host}/api?token=${encodeURIComponent(server.token)}`,
    );
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new Rpc(ws);
  }

  call<T>(channel: string, ...args: unknown[]): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.ws.send(JSON.stringify({ type: 'call', id, channel, args }));
    });
  }

  close(): void {
    this.ws.close();
  }
}

interface ClassInfo {
  id: number;
  name: string;
  hotkey: string | null;
}

interface JobInfo {
  state: string;
  kind: string;
}

async function waitIdle(rpc: Rpc, timeoutMs = 30 * 60_000): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const jobs = await rpc.call<JobInfo[]>('jobs.list');
    if (!jobs.some((j) => j.state === 'running' || j.state === 'queued')) break;
    if (performance.now() - t0 > timeoutMs) throw new Error('server did not become idle');
    await sleep(250);
  }
  return performance.now() - t0;
}

// ---------------------------------------------------------------------------------------------
// In-page instrumentation (plain JavaScript: runs in Chromium, typed as DOM there, not here)

const INIT_SCRIPT = `(() => {
  const b = { t: {}, longtasks: [], keys: [], changes: [], lastText: null, longtaskError: null };
  window.__bench = b;
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        b.longtasks.push({
          start: e.startTime,
          duration: e.duration,
          name: e.name,
          attribution: (e.attribution || []).map((a) =>
            [a.name, a.containerType, a.containerName, a.containerSrc].filter(Boolean).join(' '),
          ),
        });
      }
    }).observe({ type: 'longtask', buffered: true });
  } catch (e) {
    b.longtaskError = String(e);
  }
  const cellSel = '[data-testid=image-grid] [role=gridcell]';
  document.addEventListener('load', (e) => {
    const t = e.target;
    if (b.t.img === undefined && t && t.tagName === 'IMG' && t.closest(cellSel) && t.naturalWidth > 0) {
      b.t.img = performance.now();
      requestAnimationFrame(() => { b.t.imgFrame = performance.now(); });
    }
  }, true);
  window.addEventListener('keydown', (e) => { b.keys.push(e.timeStamp); }, true);
  // Every API call the page makes over its WebSocket: channel, sent, result received.
  b.rpc = [];
  b.events = [];
  b.assignSent = 0;
  const calls = new Map();
  // A subclass, so this listener is registered (and runs) before the app's own.
  const Base = window.WebSocket;
  window.WebSocket = class extends Base {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (e) => {
        if (typeof e.data !== 'string') return;
        const t = performance.now();
        const r = /^{"type":"result","id":(\\d+)/.exec(e.data);
        if (r) {
          const c = calls.get(Number(r[1]));
          if (c) {
            calls.delete(Number(r[1]));
            b.rpc.push({ channel: c.channel, sent: c.sent, recv: t, bytes: e.data.length });
          }
          return;
        }
        const ev = /^{"type":"event","event":"([^"]+)"/.exec(e.data);
        if (ev) b.events.push({ event: ev[1], t });
      });
    }
    send(data) {
      if (typeof data === 'string') {
        const id = /"id":(\\d+)/.exec(data);
        const ch = /"channel":"([^"]+)"/.exec(data);
        if (id && ch) calls.set(Number(id[1]), { channel: ch[1], sent: performance.now() });
        if (ch && ch[1] === 'labels.assign') b.assignSent++;
      }
      return super.send(data);
    }
  };
  new MutationObserver(() => {
    const now = performance.now();
    if (b.t.cell === undefined && document.querySelector(cellSel)) b.t.cell = now;
    const el = document.querySelector('[data-testid=last-action]');
    const text = el ? el.textContent.trim() : null;
    if (text !== null && text !== b.lastText) {
      b.lastText = text;
      b.changes.push(now);
      if (window.__benchChange) window.__benchChange(b.changes.length);
    }
  }).observe(document, { subtree: true, childList: true, characterData: true });
})();`;

/** Scrolls the grid's scroll container top to bottom, one viewport per animation frame. */
const SCROLL_SCRIPT = `async (maxSteps) => {
  const grid = document.querySelector('[data-testid=image-grid]');
  const sc = [grid, ...grid.querySelectorAll('*')].find((el) => {
    const s = getComputedStyle(el);
    return /(auto|scroll)/.test(s.overflowY) && el.scrollHeight > el.clientHeight + 1;
  });
  if (!sc) throw new Error('no scroll container in the grid');
  const frame = () => new Promise((r) => requestAnimationFrame(() => r(performance.now())));
  sc.scrollTop = 0;
  await frame();
  await new Promise((r) => setTimeout(r, 300));
  await frame();
  const start = performance.now();
  let last = start;
  const gaps = [];
  let steps = 0;
  while (sc.scrollTop + sc.clientHeight < sc.scrollHeight - 1 && steps < maxSteps) {
    sc.scrollTop = sc.scrollTop + sc.clientHeight;
    const now = await frame();
    gaps.push(now - last);
    last = now;
    steps++;
  }
  const end = performance.now();
  await new Promise((r) => setTimeout(r, 1000));
  const cells = grid.querySelectorAll('[role=gridcell]');
  const lastCell = cells[cells.length - 1];
  return {
    start, end, steps, gaps,
    scrollHeight: sc.scrollHeight, clientHeight: sc.clientHeight,
    rowsRendered: grid.querySelectorAll('[role=row]').length,
    lastLabel: lastCell ? lastCell.getAttribute('aria-label') : null,
    lastLoaded: [...cells].filter((c) => { const i = c.querySelector('img'); return i && i.complete && i.naturalWidth > 0; }).length,
    cellsRendered: cells.length,
  };
}`;

interface LongTask {
  start: number;
  duration: number;
  name: string;
  attribution: string[];
}

interface BenchState {
  t: { cell?: number; img?: number; imgFrame?: number };
  longtasks: LongTask[];
  longtaskError: string | null;
}

interface ScrollResult {
  start: number;
  end: number;
  steps: number;
  gaps: number[];
  scrollHeight: number;
  clientHeight: number;
  rowsRendered: number;
  cellsRendered: number;
  lastLabel: string | null;
  lastLoaded: number;
}

/**
 * Polls a page expression until it is truthy (page.waitForFunction with a string predicate
 * evaluates it with eval inside the page, which the app's CSP refuses).
 */
async function pollUntil(page: Page, expression: string, timeoutMs: number): Promise<void> {
  const t0 = performance.now();
  while (!(await page.evaluate(expression))) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${expression}`);
    await sleep(10);
  }
}

const now = (page: Page) => page.evaluate('performance.now()') as Promise<number>;
const benchState = (page: Page) =>
  page.evaluate(
    '({ t: __bench.t, longtasks: __bench.longtasks, longtaskError: __bench.longtaskError })',
  ) as Promise<BenchState>;

/** Resolves when the page's count of last-action changes reaches n. */
class ChangeCounter {
  count = 0;
  private waiters: { n: number; resolve: () => void }[] = [];

  seen(n: number): void {
    this.count = Math.max(this.count, n);
    this.waiters = this.waiters.filter((w) => {
      if (w.n > this.count) return true;
      w.resolve();
      return false;
    });
  }

  /** Whether the count reaches n within timeoutMs (never rejects). */
  within(n: number, timeoutMs: number): Promise<boolean> {
    return this.reach(n, timeoutMs).then(
      () => true,
      () => false,
    );
  }

  reach(n: number, timeoutMs = 30_000): Promise<void> {
    if (this.count >= n) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`last-action changed ${this.count} times, waited for ${n}`)),
        timeoutMs,
      );
      this.waiters.push({
        n,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }
}

interface RpcEntry {
  channel: string;
  sent: number;
  recv: number;
  bytes: number;
}

interface LabelRun {
  labels: number;
  /**
   * Labels (0-based, in this run) whose first key press the view ignored (no assign sent):
   * it was pressed again, and its latency counts from the press that worked.
   */
  ignoredPresses: number[];
  /** In the page, per label: keydown → assign sent, sent → result back, result → DOM text. */
  breakdown: { keydownToSend: Stats; roundTrip: Stats; resultToDom: Stats } | null;
  /** Every API call the page made meanwhile: how many, round trip p50/p95/max. */
  calls: Record<string, { count: number; roundTrip: Stats; kbPerCall: number }>;
  /** Server events the page received meanwhile. */
  events: Record<string, number>;
  /** In the page: keydown event time → the last-action text changed (after SQLite commit). */
  inPage: Stats;
  /** From Node: before keyboard.press → the change reported back (adds the CDP round trips). */
  driver: Stats;
  seconds: number;
  labelsPerSecond: number;
}

/** Presses class keys one at a time, each waiting for its action to be persisted. */
async function labelSequential(
  page: Page,
  counter: ChangeCounter,
  nextKey: () => string,
  n: number,
): Promise<LabelRun> {
  await page.evaluate('__bench.keys = []');
  const base = (await page.evaluate('__bench.changes.length')) as number;
  const start = await now(page);
  counter.seen(base);
  const driver: number[] = [];
  const sentAtStart = (await page.evaluate('__bench.assignSent')) as number;
  /** Indexes (in press order) of presses the view ignored: no assign was sent. */
  const ignored: number[] = [];
  const ignoredAt: number[] = [];
  let presses = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const key = nextKey();
    let t = performance.now();
    await page.keyboard.press(key);
    presses++;
    // A press the view ignores never changes last-action: after 1 s with no assign sent,
    // note it and press the same key again.
    while (!(await counter.within(base + i + 1, 1000))) {
      const sent = (await page.evaluate('__bench.assignSent')) as number;
      if (sent > sentAtStart + i) {
        await counter.reach(base + i + 1);
        break;
      }
      ignored.push(presses - 1);
      ignoredAt.push(i);
      if (ignored.length > 50) throw new Error('more than 50 key presses were ignored');
      t = performance.now();
      await page.keyboard.press(key);
      presses++;
    }
    driver.push(performance.now() - t);
  }
  const seconds = (performance.now() - t0) / 1000;
  const { kd: allKeys, ch } = (await page.evaluate(
    `({ kd: __bench.keys, ch: __bench.changes.slice(${base}) })`,
  )) as { kd: number[]; ch: number[] };
  const skip = new Set(ignored);
  const kd = allKeys.filter((_, j) => !skip.has(j));
  if (kd.length !== n || ch.length !== n) {
    throw new Error(`expected ${n} keydowns and changes, saw ${kd.length} and ${ch.length}`);
  }
  const inPage = kd.map((k, i) => (ch[i] as number) - k);
  const { rpc, events } = (await page.evaluate(
    `({ rpc: __bench.rpc.filter((c) => c.sent >= ${start}), events: __bench.events.filter((e) => e.t >= ${start}).map((e) => e.event) })`,
  )) as { rpc: RpcEntry[]; events: string[] };
  const assigns = rpc.filter((c) => c.channel === 'labels.assign').sort((a, b) => a.sent - b.sent);
  const breakdown =
    assigns.length === n
      ? {
          keydownToSend: stats(assigns.map((c, i) => c.sent - (kd[i] as number))),
          roundTrip: stats(assigns.map((c) => c.recv - c.sent)),
          resultToDom: stats(assigns.map((c, i) => (ch[i] as number) - c.recv)),
        }
      : null;
  return {
    labels: n,
    ignoredPresses: ignoredAt,
    breakdown,
    calls: callSummary(rpc),
    events: countBy(events),
    inPage: stats(inPage),
    driver: stats(driver),
    seconds: round(seconds, 2),
    labelsPerSecond: round(n / seconds, 1),
  };
}

interface BurstRun {
  keys: number;
  /** Label actions persisted (last-action changes); fewer than keys means presses were lost. */
  persisted: number;
  /** Images of the burst's range that carry a label afterwards (read back over the API). */
  labelledInRange: number | null;
  /** First keydown → last persisted change, in the page. */
  seconds: number;
  labelsPerSecond: number;
  /** The image view's position afterwards ("i / n"). */
  position: string | null;
}

/**
 * Presses class keys back to back (each press still awaits Chromium's dispatch), then waits
 * until the changes stop: returns how many actions were persisted and how fast.
 */
async function labelBurst(
  page: Page,
  counter: ChangeCounter,
  nextKey: () => string,
  n: number,
): Promise<Omit<BurstRun, 'labelledInRange'>> {
  await page.evaluate('__bench.keys = []');
  const base = (await page.evaluate('__bench.changes.length')) as number;
  counter.seen(base);
  for (let i = 0; i < n; i++) await page.keyboard.press(nextKey());
  // Wait for all n, or for 3 s without a change.
  let seen = counter.count;
  let quietSince = performance.now();
  while (counter.count < base + n && performance.now() - quietSince < 3000) {
    await sleep(100);
    if (counter.count !== seen) {
      seen = counter.count;
      quietSince = performance.now();
    }
  }
  const { kd, ch, position } = (await page.evaluate(
    `({ kd: __bench.keys, ch: __bench.changes.slice(${base}), position: document.querySelector('[data-testid=position]')?.textContent ?? null })`,
  )) as { kd: number[]; ch: number[]; position: string | null };
  const first = kd[0] ?? 0;
  const last = ch.at(-1) ?? first;
  const seconds = (last - first) / 1000;
  return {
    keys: kd.length,
    persisted: ch.length,
    seconds: round(seconds, 2),
    labelsPerSecond: round(ch.length / Math.max(seconds, 1e-3), 1),
    position,
  };
}

// ---------------------------------------------------------------------------------------------
// Statistics and formatting

interface Stats {
  n: number;
  p50: number;
  p95: number;
  max: number;
  mean: number;
}

function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] ?? 0;
  const mean = s.reduce((a, b) => a + b, 0) / Math.max(1, s.length);
  return {
    n: s.length,
    p50: round(q(0.5), 1),
    p95: round(q(0.95), 1),
    max: round(s.at(-1) ?? 0, 1),
    mean: round(mean, 1),
  };
}

function countBy(xs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}

function callSummary(rpc: RpcEntry[]): LabelRun['calls'] {
  const out: LabelRun['calls'] = {};
  for (const channel of new Set(rpc.map((c) => c.channel))) {
    const of = rpc.filter((c) => c.channel === channel);
    out[channel] = {
      count: of.length,
      roundTrip: stats(of.map((c) => c.recv - c.sent)),
      kbPerCall: round(of.reduce((a, c) => a + c.bytes, 0) / of.length / 1024, 1),
    };
  }
  return out;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function ms(x: number | null | undefined): string {
  return x === null || x === undefined ? '—' : `${x.toFixed(x < 10 ? 1 : 0)} ms`;
}

function pct(s: Stats): string {
  return `${ms(s.p50)} / ${ms(s.p95)} / ${ms(s.max)}`;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ')).join('\n');
}

interface Span {
  start: number;
  end: number;
}

function tasksIn(tasks: LongTask[], w: Span, over = 0): LongTask[] {
  return tasks.filter((t) => t.start >= w.start && t.start < w.end && t.duration > over);
}

function taskSummary(tasks: LongTask[]): { count: number; totalMs: number; maxMs: number } {
  return {
    count: tasks.length,
    totalMs: Math.round(tasks.reduce((a, t) => a + t.duration, 0)),
    maxMs: Math.round(Math.max(0, ...tasks.map((t) => t.duration))),
  };
}

// ---------------------------------------------------------------------------------------------
// Profiling (--profile): where the renderer's time goes during a scroll

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function topSelfTime(profile: Profile, top = 15): { fn: string; ms: number; share: number }[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    const node = byId.get(id);
    if (!node) return;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url ? url.replace(/^.*\//, '').replace(/\?.*$/, '') : '';
    const key = `${functionName || '(anonymous)'}${file ? ` ${file}:${lineNumber + 1}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    if (functionName !== '(idle)') total += dt;
  });
  return [...self.entries()]
    .filter(([k]) => k !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([fn, t]) => ({ fn, ms: Math.round(t), share: round(t / total, 3) }));
}

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  args?: { name?: string };
}

interface TraceSummary {
  /** RunTasks of the renderer's main thread: count, over 50 ms, over 100 ms, busy ms. */
  tasks: { count: number; over50: number; over100: number; busyMs: number };
  /** Self time by trace event name on the renderer's main thread, largest first. */
  selfTime: { name: string; ms: number; share: number }[];
}

/** Self time per event name on the busiest renderer main thread of a Chromium trace. */
function summarizeTrace(trace: { traceEvents: TraceEvent[] }, top = 14): TraceSummary {
  const mains = trace.traceEvents.filter(
    (e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain',
  );
  let best: TraceEvent[] = [];
  for (const m of mains) {
    const evs = trace.traceEvents.filter(
      (e) => e.pid === m.pid && e.tid === m.tid && e.ph === 'X' && e.dur !== undefined,
    );
    if (evs.length > best.length) best = evs;
  }
  best.sort((a, b) => a.ts - b.ts || (b.dur ?? 0) - (a.dur ?? 0));
  const self = new Map<string, number>();
  const stack: { end: number; name: string; child: number; dur: number }[] = [];
  const pop = () => {
    const top = stack.pop();
    if (!top) return;
    self.set(top.name, (self.get(top.name) ?? 0) + Math.max(0, top.dur - top.child));
  };
  for (const e of best) {
    const dur = e.dur ?? 0;
    while (stack.length && (stack.at(-1)?.end ?? 0) <= e.ts) pop();
    const parent = stack.at(-1);
    if (parent) parent.child += dur;
    stack.push({ end: e.ts + dur, name: e.name, child: 0, dur });
  }
  while (stack.length) pop();
  const runTasks = best.filter(
    (e) => e.name === 'RunTask' || e.name === 'ThreadControllerImpl::RunTask',
  );
  const busy = runTasks.reduce((a, e) => a + (e.dur ?? 0), 0);
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  return {
    tasks: {
      count: runTasks.length,
      over50: runTasks.filter((e) => (e.dur ?? 0) > 50_000).length,
      over100: runTasks.filter((e) => (e.dur ?? 0) > 100_000).length,
      busyMs: Math.round(busy / 1000),
    },
    selfTime: [...self.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: Math.round(us / 1000), share: round(us / total, 3) })),
  };
}

// ---------------------------------------------------------------------------------------------
// The run

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const p = paths(opts);
  const built = await setup(opts);
  if (opts.setupOnly) {
    process.stdout.write(`${JSON.stringify(built, null, 2)}\n`);
    return;
  }
  const load1AtStart = os.loadavg()[0];

  log('starting browser mode (node out/main/web.js --project …)');
  const server = await startServer(p.project, p.appData);
  const pid = server.child.pid;
  const serverCpu: Record<string, number | null> = {};
  const cpuMark = (() => {
    let last = cpuSeconds(pid) ?? 0;
    return (phase: string) => {
      const c = cpuSeconds(pid);
      serverCpu[phase] = c === null ? null : round(c - last, 2);
      if (c !== null) last = c;
    };
  })();
  let browser: PlaywrightCore.Browser | null = null;
  let page: Page | null = null;
  const memory: Record<string, { serverRssMb: number | null; pageHeapMb: number | null }> = {};
  const memMark = async (phase: string) => {
    const heap = page
      ? ((await page
          .evaluate('performance.memory ? performance.memory.usedJSHeapSize : null')
          .catch(() => null)) as number | null)
      : null;
    memory[phase] = {
      serverRssMb: rssMb(pid),
      pageHeapMb: heap === null ? null : Math.round(heap / 2 ** 20),
    };
  };
  try {
    const rpc = await Rpc.connect(server);
    const idleMs = await waitIdle(rpc);
    cpuMark('open + rescan on open');
    await memMark('server idle');
    log(`  listening after ${ms(server.startMs)}, idle (open rescan) after ${ms(idleMs)} more`);

    // Three classes with hotkeys (added once; kept in the cached project).
    let classes = await rpc.call<ClassInfo[]>('labels.classes');
    for (const name of CLASS_NAMES) {
      if (!classes.some((c) => c.name === name)) await rpc.call('labels.addClass', name);
    }
    classes = await rpc.call<ClassInfo[]>('labels.classes');
    const keyed = classes.filter((c) => c.hotkey !== null).slice(0, 3);
    if (keyed.length < 3) throw new Error('need three classes with hotkeys');
    // Cycling keys makes every action's description differ from the one before it.
    const keys = keyed.map((c) => c.hotkey as string);
    let pressed = 0;
    const nextKey = () => keys[pressed++ % keys.length] as string;

    // Every labelled image starts unlabelled, so each press really writes.
    const ids = await rpc.call<number[]>('library.imageIds', {}, 'path');
    if (ids.length !== opts.n) throw new Error(`project has ${ids.length} images, not ${opts.n}`);
    const uiIds = ids.slice(0, opts.labels + BURST + AFTER_SCROLL + 10);
    const floorIds = ids.slice(ids.length - opts.labels);
    for (let i = 0; i < uiIds.length; i += 500) {
      await rpc.call('labels.clear', uiIds.slice(i, i + 500));
    }
    await rpc.call('labels.clear', floorIds);
    await sleep(500);
    cpuMark('prepare');

    // ---- Browser
    const executablePath =
      process.env['OCELLUS_CHROMIUM'] ??
      ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((f) => fs.existsSync(f));
    browser = await chromium.launch({
      ...(executablePath ? { executablePath } : {}),
      headless: !opts.headed,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    const context = await browser.newContext({ viewport: VIEWPORT });
    page = await context.newPage();
    const counter = new ChangeCounter();
    await page.exposeFunction('__benchChange', (n: number) => counter.seen(n));
    await page.addInitScript(INIT_SCRIPT);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));

    // 1. First grid paint.
    log('first grid paint');
    const g0 = performance.now();
    await page.goto(server.url);
    const cellLocator = page.getByTestId('image-grid').getByRole('gridcell').first();
    await cellLocator.waitFor({ state: 'attached', timeout: 60_000 });
    const driverCellMs = performance.now() - g0;
    await pollUntil(page, '__bench.t.img !== undefined', 60_000);
    const driverImgMs = performance.now() - g0;
    const nav = (await page.evaluate(
      `(() => { const n = performance.getEntriesByType('navigation')[0]; return n ? { responseEnd: n.responseEnd, domContentLoaded: n.domContentLoadedEventEnd, load: n.loadEventEnd } : null; })()`,
    )) as { responseEnd: number; domContentLoaded: number; load: number } | null;
    const paint = (await benchState(page)).t;
    await sleep(1500);
    cpuMark('first paint');
    await memMark('first paint');
    const afterPaint = await now(page);

    // 2. Keystroke → persisted, in the image view.
    log(`labelling ${opts.labels} images one key at a time`);
    await page.getByTestId('image-grid').focus();
    await page.keyboard.press('Enter');
    await page
      .getByTestId('position')
      .filter({ hasText: /^1 \/ / })
      .waitFor();
    const labelWindow: Span = { start: await now(page), end: 0 };
    const sequential = await labelSequential(page, counter, nextKey, opts.labels);
    labelWindow.end = await now(page);
    cpuMark('label (one at a time)');
    await memMark('labelled one at a time');
    log(`  p50/p95/max ${pct(sequential.inPage)}; ${sequential.labelsPerSecond} labels/s`);
    const positionAfter = await page.getByTestId('position').textContent();

    log(`labelling ${BURST} more, keys back to back`);
    await sleep(500);
    const burstWindow: Span = { start: await now(page), end: 0 };
    const burstRun = await labelBurst(page, counter, nextKey, BURST);
    burstWindow.end = await now(page);
    cpuMark('label (burst)');
    await memMark('burst');
    const range = await rpc.call<{ items: { classIds: number[] }[] }>('library.listImages', {
      filter: {},
      sort: 'path',
      offset: opts.labels,
      limit: BURST,
    });
    const burst: BurstRun = {
      ...burstRun,
      labelledInRange: range.items.filter((t) => t.classIds.length > 0).length,
    };
    log(
      `  ${burst.keys} keys → ${burst.labelledInRange} images labelled; ${burst.labelsPerSecond} labels/s`,
    );

    // 3. Scroll the whole grid.
    log('scrolling the whole grid, one viewport per frame');
    await page.keyboard.press('Escape');
    await cellLocator.waitFor({ state: 'attached' });
    await sleep(1500);
    const scroll = (await page.evaluate(`(${SCROLL_SCRIPT})(1e9)`)) as ScrollResult;
    cpuMark('scroll');
    await memMark('scrolled');
    const scrollWindow: Span = { start: scroll.start, end: scroll.end + 1000 };
    const frames = stats(scroll.gaps);
    log(`  ${scroll.steps} frames; frame p95 ${ms(frames.p95)}, max ${ms(frames.max)}`);

    // 4. Labelling again, now that the grid has every page of tiles cached.
    log(`labelling ${AFTER_SCROLL} images after the full scroll`);
    // The focus stayed where the burst left it: Enter opens the first image not yet labelled.
    await page.getByTestId('image-grid').focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('position').waitFor();
    await sleep(500);
    const afterWindow: Span = { start: await now(page), end: 0 };
    const afterScroll = await labelSequential(page, counter, nextKey, AFTER_SCROLL);
    afterWindow.end = await now(page);
    cpuMark('label after scroll');

    const state = await benchState(page);
    await memMark('labelled after the scroll');

    // 5. Optional: a second scroll pass on a reloaded page (tile pages cold again, the
    //    thumbnails perhaps in the HTTP cache), traced and profiled, for where the time goes.
    let profileTop: { fn: string; ms: number; share: number }[] | null = null;
    let traceTop: TraceSummary | null = null;
    let profileFile: string | null = null;
    if (opts.profile) {
      log(`traced and profiled scroll pass (--profile): the first ${PROFILE_FRAMES} frames`);
      try {
        await page.reload();
        await pollUntil(page, '__bench.t.img !== undefined', 60_000);
        await sleep(1500);
        const cdp = await context.newCDPSession(page);
        await cdp.send('Profiler.enable');
        await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
        await browser.startTracing(page, {
          categories: [
            'devtools.timeline',
            'disabled-by-default-devtools.timeline',
            'blink',
            'loading',
          ],
        });
        await cdp.send('Profiler.start');
        await page.evaluate(`(${SCROLL_SCRIPT})(${PROFILE_FRAMES})`);
        const { profile } = (await cdp.send('Profiler.stop')) as unknown as { profile: Profile };
        const trace = await browser.stopTracing();
        profileFile = path.join(opts.data, 'scroll.cpuprofile');
        fs.writeFileSync(profileFile, JSON.stringify(profile));
        fs.writeFileSync(path.join(opts.data, 'scroll.trace.json'), trace);
        profileTop = topSelfTime(profile);
        traceTop = summarizeTrace(JSON.parse(trace.toString()) as { traceEvents: TraceEvent[] });
      } catch (err) {
        log(`  profiling failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }

    await browser.close();
    browser = null;

    // 6. The floor: labels.assign over the WebSocket, from Node, no UI.
    log(`raw API: ${opts.labels} labels.assign calls over the WebSocket`);
    const floor: number[] = [];
    const f0 = performance.now();
    for (let i = 0; i < opts.labels; i++) {
      const cls = keyed[i % keyed.length] as ClassInfo;
      const t = performance.now();
      await rpc.call('labels.assign', [floorIds[i]], cls.id);
      floor.push(performance.now() - t);
    }
    const floorSeconds = (performance.now() - f0) / 1000;
    cpuMark('raw API');
    await rpc.call('labels.clear', floorIds);

    // What else the image view asks for on every label, timed alone (30 calls each).
    const mid = Math.floor(opts.n / 2);
    const tile = (
      await rpc.call<{ items: { id: number; sequenceId: number | null }[] }>('library.listImages', {
        filter: {},
        sort: 'path',
        offset: mid,
        limit: 1,
      })
    ).items[0];
    const others: Record<string, () => Promise<unknown>> = {
      'library.listImages (240 tiles at offset 0)': () =>
        rpc.call('library.listImages', { filter: {}, sort: 'path', offset: 0, limit: 240 }),
      [`library.listImages (240 tiles at offset ${mid})`]: () =>
        rpc.call('library.listImages', { filter: {}, sort: 'path', offset: mid, limit: 240 }),
      [`library.listImages (240 tiles at offset ${opts.n - 240})`]: () =>
        rpc.call('library.listImages', {
          filter: {},
          sort: 'path',
          offset: opts.n - 240,
          limit: 240,
        }),
      'library.image': () => rpc.call('library.image', tile?.id),
      'library.listImages (sequence)': () =>
        rpc.call('library.listImages', {
          filter: { sequenceId: tile?.sequenceId },
          sort: 'time',
          limit: 200,
        }),
      'labels.counts': () => rpc.call('labels.counts'),
    };
    const rawCalls: Record<string, Stats> = {};
    for (const [name, fn] of Object.entries(others)) {
      const xs: number[] = [];
      for (let i = 0; i < 30; i++) {
        const t = performance.now();
        await fn();
        xs.push(performance.now() - t);
      }
      rawCalls[name] = stats(xs);
    }
    rpc.close();

    // ---- Report
    const tasks = state.longtasks;
    const bootTasks = tasksIn(tasks, { start: 0, end: paint.img ?? 0 });
    const idleTasks = tasksIn(tasks, { start: paint.img ?? 0, end: labelWindow.start });
    const phases = {
      boot: taskSummary(bootTasks),
      afterPaintIdle: taskSummary(idleTasks),
      label: taskSummary(tasksIn(tasks, labelWindow)),
      burst: taskSummary(tasksIn(tasks, burstWindow)),
      scroll: taskSummary(tasksIn(tasks, scrollWindow)),
      labelAfterScroll: taskSummary(tasksIn(tasks, afterWindow)),
    };
    const scrollOver100 = tasksIn(tasks, scrollWindow, 100);
    // Where in the grid the time went: frames and long tasks by tenth of the scroll.
    const frameEnds: number[] = [];
    scroll.gaps.reduce((t, g) => {
      frameEnds.push(t + g);
      return t + g;
    }, scroll.start);
    const tenthOf = (t: number) => {
      const k = frameEnds.findIndex((end) => end >= t);
      return Math.min(9, Math.floor(((k < 0 ? scroll.steps - 1 : k) * 10) / scroll.steps));
    };
    const byTenth = Array.from({ length: 10 }, (_, d) => {
      const from = Math.floor((d * scroll.steps) / 10);
      const to = Math.floor(((d + 1) * scroll.steps) / 10);
      const lt = tasksIn(tasks, scrollWindow).filter((t) => tenthOf(t.start) === d);
      return {
        tenth: d + 1,
        frameP95: stats(scroll.gaps.slice(from, to)).p95,
        longTasks: lt.length,
        over100: lt.filter((t) => t.duration > 100).length,
        longTaskMs: Math.round(lt.reduce((a, t) => a + t.duration, 0)),
      };
    });
    // Up to the end of the measured phases (a --profile pass comes after and is left out).
    const afterPaintOver100 = tasksIn(tasks, { start: afterPaint, end: afterWindow.end }, 100);
    const floorStats = stats(floor);
    const result = {
      setup: built,
      server: { startMs: Math.round(server.startMs), idleAfterMs: Math.round(idleMs) },
      viewport: VIEWPORT,
      firstPaint: {
        gridcellMs: round(paint.cell ?? NaN, 1),
        thumbnailMs: round(paint.img ?? NaN, 1),
        thumbnailFrameMs: round(paint.imgFrame ?? NaN, 1),
        driverGridcellMs: Math.round(driverCellMs),
        driverThumbnailMs: Math.round(driverImgMs),
        navigation: nav,
      },
      label: sequential,
      burst,
      labelAfterScroll: afterScroll,
      positionAfter,
      scroll: {
        frames: scroll.steps,
        seconds: round((scroll.end - scroll.start) / 1000, 1),
        scrollHeight: scroll.scrollHeight,
        clientHeight: scroll.clientHeight,
        frameGaps: frames,
        framesOver50ms: scroll.gaps.filter((g) => g > 50).length,
        lastCell: scroll.lastLabel,
        cellsRendered: scroll.cellsRendered,
        cellsLoadedAtEnd: scroll.lastLoaded,
        longTasksOver100: scrollOver100,
      },
      longTasks: {
        supported: state.longtaskError === null,
        error: state.longtaskError,
        byPhase: phases,
        over100AfterFirstPaint: afterPaintOver100.length,
        all: tasks.map((t) => ({ ...t, start: round(t.start, 1), duration: round(t.duration, 1) })),
      },
      rawApi: {
        calls: opts.labels,
        latency: floorStats,
        labelsPerSecond: round(opts.labels / floorSeconds, 1),
        otherCalls: rawCalls,
      },
      serverCpuSeconds: serverCpu,
      memory,
      scrollByTenth: byTenth,
      pageErrors: errors,
      profile: profileTop ? { file: profileFile, jsSelfTime: profileTop, trace: traceTop } : null,
      machine: {
        cpus: os.availableParallelism(),
        node: process.version,
        load1AtStart,
        load1AtEnd: os.loadavg()[0],
      },
    };

    fs.writeFileSync(path.join(opts.data, 'last-result.json'), JSON.stringify(result, null, 2));
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return;
    }
    const target95 = sequential.inPage.p95 < 50 ? 'met' : 'MISSED';
    const rows: string[][] = [
      ['what', 'figure', 'target'],
      [
        `project (${opts.n.toLocaleString()} images)`,
        built.reused
          ? `reused (import took ${built.importSeconds} s)`
          : `generated ${built.generateSeconds} s, imported ${built.importSeconds} s (${built.imagesPerSecond}/s)`,
        '',
      ],
      ['server start → listening (opens the project)', ms(server.startMs), ''],
      ['  → idle (open-time rescan)', ms(idleMs), ''],
      ['first gridcell (from navigation start)', ms(paint.cell), ''],
      ['first thumbnail loaded in a gridcell', ms(paint.img), ''],
      [
        `keystroke → persisted, p50/p95/max (${opts.labels} labels)`,
        pct(sequential.inPage),
        `p95 < 50 ms: ${target95}`,
      ],
      ['  same, from Playwright (adds CDP round trips)', pct(sequential.driver), ''],
      [
        '  key presses ignored by the image view',
        sequential.ignoredPresses.length
          ? `${sequential.ignoredPresses.length} (at labels ${sequential.ignoredPresses.map((i) => i + 1).join(', ')})`
          : '0',
        'none',
      ],
      ['  throughput, one key at a time', `${sequential.labelsPerSecond} labels/s`, ''],
      ...(sequential.breakdown
        ? [
            ['  keydown → assign sent', pct(sequential.breakdown.keydownToSend), ''],
            [
              '  assign sent → result (as the page sees it)',
              pct(sequential.breakdown.roundTrip),
              '',
            ],
            ['  result → last-action text', pct(sequential.breakdown.resultToDom), ''],
          ]
        : []),
      [
        `  ${BURST} keys back to back: labelled`,
        `${burst.labelledInRange ?? '—'} of ${burst.keys} (${burst.labelsPerSecond} labels/s)`,
        burst.labelledInRange === burst.keys ? 'all: met' : 'all: MISSED',
      ],
      [
        `  after scrolling the whole grid (${AFTER_SCROLL} labels)`,
        `${pct(afterScroll.inPage)}${afterScroll.ignoredPresses.length ? `, ${afterScroll.ignoredPresses.length} presses ignored` : ''}`,
        afterScroll.inPage.p95 < 50 ? 'met' : 'MISSED',
      ],
      ...(afterScroll.breakdown
        ? [
            ['    keydown → assign sent', pct(afterScroll.breakdown.keydownToSend), ''],
            ['    assign sent → result', pct(afterScroll.breakdown.roundTrip), ''],
            ['    result → last-action text', pct(afterScroll.breakdown.resultToDom), ''],
          ]
        : []),
      [
        `long tasks > 100 ms, scrolling the grid (${scroll.steps} frames)`,
        state.longtaskError
          ? `unsupported: ${state.longtaskError}`
          : `${scrollOver100.length}${scrollOver100.length ? ` (max ${Math.round(Math.max(...scrollOver100.map((t) => t.duration)))} ms)` : ''}`,
        scrollOver100.length === 0 ? 'none: met' : 'none: MISSED',
      ],
      ['long tasks > 100 ms after first paint (all phases)', `${afterPaintOver100.length}`, 'none'],
      [
        '  scroll frame interval p50/p95/max',
        pct(frames),
        `${result.scroll.framesOver50ms} frames > 50 ms`,
      ],
      ['raw API labels.assign round trip p50/p95/max', pct(floorStats), 'floor'],
      ['  raw API throughput', `${result.rawApi.labelsPerSecond} labels/s`, ''],
      ...Object.entries(rawCalls).map(([k, v]) => [`raw API ${k}`, pct(v), '']),
    ];
    const callLine = (run: LabelRun) =>
      Object.entries(run.calls)
        .map(
          ([k, v]) =>
            `${k} ×${v.count} (p50 ${ms(v.roundTrip.p50)}, p95 ${ms(v.roundTrip.p95)}, ${v.kbPerCall} KB)`,
        )
        .join('; ');
    const notes = [
      `API calls the page made while labelling ${opts.labels} one at a time: ${callLine(sequential)}; events received: ${JSON.stringify(sequential.events)}.`,
      `Same, ${AFTER_SCROLL} labels after the full scroll: ${callLine(afterScroll)}.`,
      `Long tasks (> 50 ms) by phase: ${Object.entries(phases)
        .map(([k, v]) => `${k} ${v.count} (${v.totalMs} ms, max ${v.maxMs})`)
        .join('; ')}.`,
      `Scroll by tenth of the grid (frame p95 ms / long tasks > 50 ms / of which > 100 ms): ${byTenth
        .map((b) => `${b.tenth}: ${b.frameP95}/${b.longTasks}/${b.over100}`)
        .join(', ')}.`,
      `Memory (server RSS MB / page JS heap MB): ${Object.entries(memory)
        .map(([k, v]) => `${k} ${v.serverRssMb ?? '—'}/${v.pageHeapMb ?? '—'}`)
        .join('; ')}.`,
      `Server CPU seconds by phase: ${Object.entries(serverCpu)
        .map(([k, v]) => `${k} ${v ?? '—'}`)
        .join('; ')}.`,
      `Machine: ${os.availableParallelism()} CPUs, load average ${load1AtStart?.toFixed(1)} at start, ${os.loadavg()[0]?.toFixed(1)} at end (other work on the machine inflates every figure).`,
      `Scroll: ${result.scroll.seconds} s, scrollHeight ${scroll.scrollHeight} px, viewport ${scroll.clientHeight} px; last cell ${scroll.lastLabel}.`,
      `In-page latency: keydown event → [data-testid=last-action] text changed (set after the API call returns, i.e. after SQLite committed). Keys cycle ${keys.join('/')} so every description differs.`,
      ...(errors.length ? [`Page errors: ${errors.slice(0, 3).join(' | ')}`] : []),
      ...(profileTop
        ? [
            ...(traceTop
              ? [
                  `Trace of a second scroll pass, renderer main thread: ${traceTop.tasks.count} tasks, ${traceTop.tasks.over50} > 50 ms, ${traceTop.tasks.over100} > 100 ms, ${traceTop.tasks.busyMs} ms busy; self time by event:\n${traceTop.selfTime
                    .map(
                      (r) =>
                        `    ${String(r.ms).padStart(6)} ms ${(r.share * 100).toFixed(1).padStart(5)}%  ${r.name}`,
                    )
                    .join('\n')}`,
                ]
              : []),
            `JS profile (${profileFile}), top self time while scrolling ((program) = native work outside JS):\n${profileTop
              .map(
                (r) =>
                  `    ${String(r.ms).padStart(6)} ms ${(r.share * 100).toFixed(1).padStart(5)}%  ${r.fn}`,
              )
              .join('\n')}`,
          ]
        : []),
    ];
    process.stdout.write(`\n${table(rows)}\n\n${notes.map((n) => `- ${n}`).join('\n')}\n`);
  } finally {
    if (browser) await browser.close().catch(() => {});
    await stopServer(server.child);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(
    `bench:label: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
