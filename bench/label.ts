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
import os from 'node:os';
import path from 'node:path';
import { round } from './lib/stats';
import { Rpc, rssMb, startServer, stopServer } from './lib/web-server';
import { timeGridPages } from './label/core-timing';
import { log, parseOptions } from './label/options';
import { afterScroll, floor, labelling, opening, scrolling, type Phase } from './label/phases';
import { runPreviews } from './label/previews';
import { report, type Result } from './label/report';
import { cpuMarks, openBrowser, prepareLabelling, type BrowserSession } from './label/session';
import { paths, setup } from './label/setup';

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
  // minutes and gigabytes to start on a million (see docs/GUIDE.md); the rescan still runs.
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
  const { serverCpu, mark } = cpuMarks(pid);
  let session: BrowserSession | null = null;
  try {
    const rpc = await Rpc.connect(server);
    const labelled = await prepareLabelling(rpc, opts);
    session = await openBrowser(opts);
    const phase: Phase = { opts, session, labelling: labelled, rpc, mark };
    const open = await opening(phase, server);
    const keys = await labelling(phase);
    const scrolled = await scrolling(phase);
    const after = await afterScroll(phase);
    await session.browser.close();
    session = null;
    const floorStats = await floor(phase);
    rpc.close();
    log('grid pages of 240 in the core, at the start, middle and end');
    const pages = timeGridPages(p.project, opts.n);

    const result: Result = {
      n: opts.n,
      setup: built,
      labels: opts.labels,
      server: { startMs: Math.round(server.startMs), idleAfterMs: Math.round(open.idleMs) },
      firstPaint: {
        cellMs: round(open.paint.cell ?? NaN, 1),
        thumbnailMs: round(open.paint.img ?? NaN, 1),
      },
      duringRescan: open.duringRescan,
      sequential: keys.sequential,
      burst: keys.burst,
      afterScroll: after.afterScroll,
      scroll: scrolled.scroll,
      longTasks: after.state.longtasks,
      longTaskError: after.state.longtaskError,
      windows: { label: keys.labelWindow, scroll: scrolled.scrollWindow },
      heap: {
        open: open.heapAtOpen,
        beforeScroll: scrolled.heapBeforeScroll,
        afterScroll: scrolled.heapAfterScroll,
        end: after.heapAtEnd,
      },
      serverRssMb: rssMb(pid),
      serverCpu,
      floor: floorStats,
      pages,
      errors: phase.session.errors,
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
        : `${report(result)}${after.profile ? `\n${after.profile}\n` : ''}`,
    );
  } finally {
    if (session) await session.browser.close().catch(() => undefined);
    await stopServer(server.child);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(
    `bench:label: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
