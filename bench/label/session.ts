import fs from 'node:fs';
import { createRequire } from 'node:module';
import type * as PlaywrightCore from 'playwright-core';
import { round } from '../lib/stats';
import { type Rpc, cpuSeconds, type ClassInfo, type JobInfo } from '../lib/web-server';
import { AFTER_SCROLL, BURST, DURING_RESCAN, type Options } from './options';
import { ChangeCounter, INIT_SCRIPT } from './page';

// Playwright is a dev dependency: loaded at run time from node_modules, never bundled.
const { chromium } = createRequire(__filename)('playwright-core') as typeof PlaywrightCore;
type Page = PlaywrightCore.Page;

const CLASS_NAMES = ['deer', 'empty', 'fox'];
const VIEWPORT = { width: 1600, height: 1000 };

/** What the bench labels with and which images it labels. */
export interface Labelling {
  /** The three classes with hotkeys, in key order. */
  keyed: ClassInfo[];
  /** The next class key (round robin over the three). */
  nextKey: () => string;
  /** Images the UI labels (ids 1..): all unlabelled at the start. */
  uiIds: number[];
  /** Images the raw API labels (the last ones): unlabelled too. */
  floorIds: number[];
}

/** The page under test with its probes. */
export interface BrowserSession {
  browser: PlaywrightCore.Browser;
  page: Page;
  counter: ChangeCounter;
  /** The page's heap now, and after a forced garbage collection. */
  heap: () => Promise<{ usedMb: number; afterGcMb: number }>;
  errors: string[];
}

/** Three classes with hotkeys, and every image the bench labels unlabelled. */
export async function prepareLabelling(rpc: Rpc, opts: Options): Promise<Labelling> {
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
  return { keyed, nextKey, uiIds, floorIds };
}

/** Debian's Chromium (or OCELLUS_CHROMIUM) with the page's probes installed. */
export async function openBrowser(opts: Options): Promise<BrowserSession> {
  const executablePath =
    process.env['OCELLUS_CHROMIUM'] ??
    ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((f) => fs.existsSync(f));
  const browser = await chromium.launch({
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
  return { browser, page, counter, heap, errors };
}

/** CPU seconds the server spent per phase: `mark(phase)` closes a phase. */
export function cpuMarks(pid: number | undefined): {
  serverCpu: Record<string, number | null>;
  mark: (phase: string) => void;
} {
  const serverCpu: Record<string, number | null> = {};
  let lastCpu = cpuSeconds(pid) ?? 0;
  const mark = (phase: string) => {
    const c = cpuSeconds(pid);
    serverCpu[phase] = c === null ? null : round(c - lastCpu, 2);
    if (c !== null) lastCpu = c;
  };
  return { serverCpu, mark };
}

/** Whether an import (the open-time rescan) runs now. */
export async function importRunning(rpc: Rpc): Promise<boolean> {
  return (await rpc.call<JobInfo[]>('jobs.list')).some(
    (j) => j.kind === 'import' && j.state === 'running',
  );
}
