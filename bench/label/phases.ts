import { performance } from 'node:perf_hooks';
import { sleep, stats, type Stats } from '../lib/stats';
import { waitIdle, type ClassInfo, type Rpc, type Server } from '../lib/web-server';
import { AFTER_SCROLL, BURST, DURING_RESCAN, log, type Options } from './options';
import {
  SCROLL_SCRIPT,
  benchState,
  labelBurst,
  labelSequential,
  now,
  pollUntil,
  type BenchState,
  type LabelRun,
  type ScrollResult,
} from './page';
import { profileScroll } from './profile';
import type { Result } from './report';
import { importRunning, type BrowserSession, type Labelling } from './session';
import type { Span } from './stats';

/** A scroll takes about this many frames at most (more images: several viewports a frame). */
const SCROLL_FRAMES = 3000;
const PROFILE_FRAMES = 400;

/** What every phase works with. */
export interface Phase {
  opts: Options;
  session: BrowserSession;
  labelling: Labelling;
  rpc: Rpc;
  /** Closes a phase of the server's CPU accounting. */
  mark: (phase: string) => void;
}

type Heap = Result['heap']['open'];

/** 1. Opening: the grid while the open-time rescan runs, and labelling during it. */
export async function opening(
  { session, labelling, rpc, mark }: Phase,
  server: Server,
): Promise<{
  paint: BenchState['t'];
  duringRescan: Result['duringRescan'];
  idleMs: number;
  heapAtOpen: Heap;
}> {
  const { page, counter } = session;
  log('first grid paint, during the open-time rescan');
  await page.goto(server.url);
  const grid = page.getByTestId('image-grid');
  await grid.getByRole('gridcell').first().waitFor({ state: 'attached', timeout: 120_000 });
  await pollUntil(page, '__bench.t.img !== undefined', 120_000);
  const paint = (await benchState(page)).t;
  await grid.focus();
  await page.keyboard.press('Enter');
  await page.getByTestId('position').filter({ hasText: /^1 \// }).waitFor();
  const rescanAtStart = await importRunning(rpc);
  log(
    `labelling ${DURING_RESCAN} images while the rescan runs (${rescanAtStart ? 'running' : 'already done'})`,
  );
  const run = await labelSequential(page, counter, labelling.nextKey, DURING_RESCAN);
  const rescanAtEnd = await importRunning(rpc);
  const idleMs = await waitIdle(rpc);
  mark('open, rescan, first labels');
  const heapAtOpen = await session.heap();
  return { paint, duringRescan: { run, rescanAtStart, rescanAtEnd }, idleMs, heapAtOpen };
}

/** 2. One key at a time, then a burst, in the image view; the burst checked image by image. */
export async function labelling({ opts, session, labelling: l, rpc, mark }: Phase): Promise<{
  labelWindow: Span;
  sequential: LabelRun;
  burst: Result['burst'];
}> {
  const { page, counter } = session;
  log(`labelling ${opts.labels} images one key at a time`);
  const labelWindow: Span = { start: await now(page), end: 0 };
  const sequential = await labelSequential(page, counter, l.nextKey, opts.labels);
  labelWindow.end = await now(page);
  mark('label one at a time');
  log(`labelling ${BURST} more, keys back to back`);
  const burstStart = DURING_RESCAN + opts.labels;
  const burstKeys: string[] = [];
  const burstRun = await labelBurst(
    page,
    counter,
    () => {
      const k = l.nextKey();
      burstKeys.push(k);
      return k;
    },
    BURST,
  );
  const tiles = await rpc.call<{ id: number; classIds: number[] }[]>(
    'library.tiles',
    l.uiIds.slice(burstStart, burstStart + BURST),
  );
  const classOfKey = new Map(l.keyed.map((c) => [c.hotkey, c.id]));
  const right = tiles.filter(
    (t, i) => t.classIds.length === 1 && t.classIds[0] === classOfKey.get(burstKeys[i] ?? null),
  ).length;
  mark('label burst');
  log(`  ${burstRun.keys} keys → ${right} images labelled as their key said`);
  return { labelWindow, sequential, burst: { ...burstRun, right } };
}

/** 3. The whole grid, scrolled; the heap before and after. */
export async function scrolling({ session, mark }: Phase): Promise<{
  scroll: ScrollResult;
  scrollWindow: Span;
  heapBeforeScroll: Heap;
  heapAfterScroll: Heap;
}> {
  const { page } = session;
  log('scrolling the whole grid');
  await page.keyboard.press('Escape');
  await page.getByTestId('image-grid').getByRole('gridcell').first().waitFor({ state: 'attached' });
  await sleep(1000);
  const heapBeforeScroll = await session.heap();
  const scroll = (await page.evaluate(
    `(${SCROLL_SCRIPT})([1e9, ${SCROLL_FRAMES}])`,
  )) as ScrollResult;
  const heapAfterScroll = await session.heap();
  mark('scroll');
  const scrollWindow: Span = { start: scroll.start, end: scroll.end + 1000 };
  return { scroll, scrollWindow, heapBeforeScroll, heapAfterScroll };
}

/** 4. Labelling again after the scroll (the focus is where the burst left it); --profile. */
export async function afterScroll({ opts, session, labelling: l, mark }: Phase): Promise<{
  afterScroll: LabelRun;
  heapAtEnd: Heap;
  state: BenchState;
  profile: string | null;
}> {
  const { page, counter } = session;
  const grid = page.getByTestId('image-grid');
  log(`labelling ${AFTER_SCROLL} images after the full scroll`);
  await grid.focus();
  await page.keyboard.press('Enter');
  await page.getByTestId('position').waitFor();
  await sleep(500);
  const run = await labelSequential(page, counter, l.nextKey, AFTER_SCROLL);
  mark('label after scroll');
  const heapAtEnd = await session.heap();
  const state = await benchState(page);
  let profile: string | null = null;
  if (opts.profile) {
    log(`profiled scroll pass: the first ${PROFILE_FRAMES} frames`);
    await page.keyboard.press('Escape');
    await grid.getByRole('gridcell').first().waitFor({ state: 'attached' });
    profile = await profileScroll(session.browser, page, SCROLL_SCRIPT, PROFILE_FRAMES, opts.data);
  }
  return { afterScroll: run, heapAtEnd, state, profile };
}

/** 5. The floor: labels.assign over the WebSocket, from Node, without a page. */
export async function floor({ opts, labelling: l, rpc }: Phase): Promise<Stats> {
  log(`raw API: ${opts.labels} labels.assign calls over the WebSocket`);
  const times: number[] = [];
  for (let i = 0; i < opts.labels; i++) {
    const t = performance.now();
    await rpc.call('labels.assign', [l.floorIds[i]], (l.keyed[i % 3] as ClassInfo).id);
    times.push(performance.now() - t);
  }
  await rpc.call('labels.clear', l.floorIds);
  return stats(times);
}
