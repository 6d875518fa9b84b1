/**
 * Labelling UI benchmark: a generated project (100,000 images by default; --n 1000000 works)
 * in browser mode, driven by Playwright with Debian's Chromium, in one run:
 *
 *   - opening: first grid cell and thumbnail, and keystroke → persisted while the project's
 *     open-time rescan runs;
 *   - keystroke → persisted in the image view, one key at a time (--labels), then 300 keys
 *     back to back (each checked to have labelled the right image);
 *   - scrolling the whole grid: long tasks, frame intervals, the page's heap before and after;
 *     then labelling again after the scroll;
 *   - the floor: `labels.assign` over the raw WebSocket, and a grid page of 240 in the core
 *     at the start, middle and end (keyset, beside LIMIT/OFFSET).
 *
 *   npm run bench:label -- [--n 100000] [--labels 600] [--data DIR] [--fresh] [--json]
 *                          [--profile] [--headed] [--setup-only] [--previews 10000]
 *
 * --previews N runs only the camera-preview phase (bench/label/previews.ts). Progress goes to
 * stderr, the table (or with --json the result object) to stdout; the result object is also
 * written to <data>/last-result.json.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type * as PlaywrightCore from 'playwright-core';
import { timeGridPages } from './label/core-timing';
import { profileScroll } from './label/profile';
import { AFTER_SCROLL, BURST, DURING_RESCAN, log, parseOptions } from './label/options';
import {
  ChangeCounter,
  INIT_SCRIPT,
  SCROLL_SCRIPT,
  benchState,
  labelBurst,
  labelSequential,
  now,
  pollUntil,
  type ScrollResult,
} from './label/page';
import { runPreviews } from './label/previews';
import { report, type Result } from './label/report';
import { paths, setup } from './label/setup';
import {
  Rpc,
  cpuSeconds,
  rssMb,
  startServer,
  stopServer,
  waitIdle,
  type ClassInfo,
  type JobInfo,
} from './lib/web-server';
import { round, sleep, stats } from './lib/stats';
import type { Span } from './label/stats';

// Playwright is a dev dependency: loaded at run time from node_modules, never bundled.
const { chromium } = createRequire(__filename)('playwright-core') as typeof PlaywrightCore;
type Page = PlaywrightCore.Page;

const CLASS_NAMES = ['deer', 'empty', 'fox'];
const VIEWPORT = { width: 1600, height: 1000 };
/** A scroll takes about this many frames at most (more images: several viewports a frame). */
const SCROLL_FRAMES = 3000;
const PROFILE_FRAMES = 400;

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  if (opts.previews > 0) return runPreviews(opts);
  const p = paths(opts);
  const built = await setup(opts);
  if (opts.setupOnly) {
    process.stdout.write(`${JSON.stringify(built, null, 2)}\n`);
    return;
  }
  const load1AtStart = os.loadavg()[0] ?? 0;
  // Past 100,000 files the folder watcher (which tracks every file) is left off: it takes
  // minutes and gigabytes to start on a million (see the README); the rescan still runs.
  const watch = opts.n <= 100_000;
  log(
    `starting browser mode (node out/main/web.js --project …)${watch ? '' : ', OCELLUS_WATCH=0'}`,
  );
  const server = await startServer(
    p.project,
    p.appData,
    opts.data,
    watch ? {} : { OCELLUS_WATCH: '0' },
  );
  const pid = server.child.pid;
  const serverCpu: Record<string, number | null> = {};
  let lastCpu = cpuSeconds(pid) ?? 0;
  const cpuMark = (phase: string) => {
    const c = cpuSeconds(pid);
    serverCpu[phase] = c === null ? null : round(c - lastCpu, 2);
    if (c !== null) lastCpu = c;
  };
  let browser: PlaywrightCore.Browser | null = null;
  try {
    const rpc = await Rpc.connect(server);
    // Three classes with hotkeys; every image the bench labels starts unlabelled.
    let classes = await rpc.call<ClassInfo[]>('labels.classes');
    for (const name of CLASS_NAMES)
      if (!classes.some((c) => c.name === name)) await rpc.call('labels.addClass', name);
    classes = await rpc.call<ClassInfo[]>('labels.classes');
    const keyed = classes.filter((c) => c.hotkey !== null).slice(0, 3);
    if (keyed.length < 3) throw new Error('need three classes with hotkeys');
    const keys = keyed.map((c) => c.hotkey as string);
    let pressed = 0;
    const nextKey = () => keys[pressed++ % keys.length] as string;
    // The generated project's ids are 1..n in path order (setup.ts writes them so).
    const uiCount = DURING_RESCAN + opts.labels + BURST + AFTER_SCROLL + 10;
    const uiIds = Array.from({ length: uiCount }, (_, i) => i + 1);
    const floorIds = Array.from({ length: opts.labels }, (_, i) => opts.n - i);
    for (let i = 0; i < uiIds.length; i += 500)
      await rpc.call('labels.clear', uiIds.slice(i, i + 500));
    await rpc.call('labels.clear', floorIds);

    const executablePath =
      process.env['OCELLUS_CHROMIUM'] ??
      ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((f) => fs.existsSync(f));
    browser = await chromium.launch({
      ...(executablePath ? { executablePath } : {}),
      headless: !opts.headed,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
    });
    const context = await browser.newContext({ viewport: VIEWPORT });
    const page: Page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    const heap = async (): Promise<{ usedMb: number; afterGcMb: number }> => {
      const used = (await cdp.send('Runtime.getHeapUsage')).usedSize;
      await cdp.send('HeapProfiler.collectGarbage');
      const after = (await cdp.send('Runtime.getHeapUsage')).usedSize;
      return { usedMb: round(used / 2 ** 20, 1), afterGcMb: round(after / 2 ** 20, 1) };
    };
    const counter = new ChangeCounter();
    await page.exposeFunction('__benchChange', (n: number) => counter.seen(n));
    await page.addInitScript(INIT_SCRIPT);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const importRunning = async () =>
      (await rpc.call<JobInfo[]>('jobs.list')).some(
        (j) => j.kind === 'import' && j.state === 'running',
      );

    // 1. Opening: the grid while the open-time rescan runs, and labelling during it.
    log('first grid paint, during the open-time rescan');
    await page.goto(server.url);
    const grid = page.getByTestId('image-grid');
    await grid.getByRole('gridcell').first().waitFor({ state: 'attached', timeout: 120_000 });
    await pollUntil(page, '__bench.t.img !== undefined', 120_000);
    const paint = (await benchState(page)).t;
    await grid.focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('position').filter({ hasText: /^1 \// }).waitFor();
    const rescanAtStart = await importRunning();
    log(
      `labelling ${DURING_RESCAN} images while the rescan runs (${rescanAtStart ? 'running' : 'already done'})`,
    );
    const duringRescan = await labelSequential(page, counter, nextKey, DURING_RESCAN);
    const rescanAtEnd = await importRunning();
    const idleMs = await waitIdle(rpc);
    cpuMark('open, rescan, first labels');
    const heapAtOpen = await heap();

    // 2. One key at a time, then a burst, in the image view.
    log(`labelling ${opts.labels} images one key at a time`);
    const labelWindow: Span = { start: await now(page), end: 0 };
    const sequential = await labelSequential(page, counter, nextKey, opts.labels);
    labelWindow.end = await now(page);
    cpuMark('label one at a time');
    log(`labelling ${BURST} more, keys back to back`);
    const burstStart = DURING_RESCAN + opts.labels;
    const burstKeys: string[] = [];
    const burstRun = await labelBurst(
      page,
      counter,
      () => {
        const k = nextKey();
        burstKeys.push(k);
        return k;
      },
      BURST,
    );
    const tiles = await rpc.call<{ id: number; classIds: number[] }[]>(
      'library.tiles',
      uiIds.slice(burstStart, burstStart + BURST),
    );
    const classOfKey = new Map(keyed.map((c) => [c.hotkey, c.id]));
    const right = tiles.filter(
      (t, i) => t.classIds.length === 1 && t.classIds[0] === classOfKey.get(burstKeys[i] ?? null),
    ).length;
    cpuMark('label burst');
    log(`  ${burstRun.keys} keys → ${right} images labelled as their key said`);

    // 3. The whole grid, scrolled; the heap before and after.
    log('scrolling the whole grid');
    await page.keyboard.press('Escape');
    await grid.getByRole('gridcell').first().waitFor({ state: 'attached' });
    await sleep(1000);
    const heapBeforeScroll = await heap();
    const scroll = (await page.evaluate(
      `(${SCROLL_SCRIPT})([1e9, ${SCROLL_FRAMES}])`,
    )) as ScrollResult;
    const heapAfterScroll = await heap();
    cpuMark('scroll');
    const scrollWindow: Span = { start: scroll.start, end: scroll.end + 1000 };

    // 4. Labelling again after the scroll (the focus is where the burst left it).
    log(`labelling ${AFTER_SCROLL} images after the full scroll`);
    await grid.focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('position').waitFor();
    await sleep(500);
    const afterScroll = await labelSequential(page, counter, nextKey, AFTER_SCROLL);
    cpuMark('label after scroll');
    const heapAtEnd = await heap();
    const state = await benchState(page);
    let profile: string | null = null;
    if (opts.profile) {
      log(`profiled scroll pass: the first ${PROFILE_FRAMES} frames`);
      await page.keyboard.press('Escape');
      await grid.getByRole('gridcell').first().waitFor({ state: 'attached' });
      profile = await profileScroll(browser, page, SCROLL_SCRIPT, PROFILE_FRAMES, opts.data);
    }
    await browser.close();
    browser = null;

    // 5. The floor: labels.assign over the WebSocket, from Node; grid pages in the core.
    log(`raw API: ${opts.labels} labels.assign calls over the WebSocket`);
    const floor: number[] = [];
    for (let i = 0; i < opts.labels; i++) {
      const t = performance.now();
      await rpc.call('labels.assign', [floorIds[i]], (keyed[i % 3] as ClassInfo).id);
      floor.push(performance.now() - t);
    }
    await rpc.call('labels.clear', floorIds);
    rpc.close();
    log('grid pages of 240 in the core, at the start, middle and end');
    const pages = timeGridPages(p.project, opts.n);

    const result: Result = {
      n: opts.n,
      setup: built,
      labels: opts.labels,
      server: { startMs: Math.round(server.startMs), idleAfterMs: Math.round(idleMs) },
      firstPaint: { cellMs: round(paint.cell ?? NaN, 1), thumbnailMs: round(paint.img ?? NaN, 1) },
      duringRescan: { run: duringRescan, rescanAtStart, rescanAtEnd },
      sequential,
      burst: { ...burstRun, right },
      afterScroll,
      scroll,
      longTasks: state.longtasks,
      longTaskError: state.longtaskError,
      windows: { label: labelWindow, scroll: scrollWindow },
      heap: {
        open: heapAtOpen,
        beforeScroll: heapBeforeScroll,
        afterScroll: heapAfterScroll,
        end: heapAtEnd,
      },
      serverRssMb: rssMb(pid),
      serverCpu,
      floor: stats(floor),
      pages,
      errors,
      machine: {
        cpus: os.availableParallelism(),
        load1AtStart,
        load1AtEnd: os.loadavg()[0] ?? 0,
      },
    };
    fs.writeFileSync(path.join(opts.data, 'last-result.json'), JSON.stringify(result, null, 2));
    process.stdout.write(
      opts.json
        ? `${JSON.stringify(result, null, 2)}\n`
        : `${report(result)}${profile ? `\n${profile}\n` : ''}`,
    );
  } finally {
    if (browser) await browser.close().catch(() => undefined);
    await stopServer(server.child);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(
    `bench:label: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
