import { performance } from 'node:perf_hooks';
import type * as PlaywrightCore from 'playwright-core';
import { countBy, round, sleep, stats, type Stats } from '../lib/stats';
import { callSummary, type RpcEntry } from './stats';

type Page = PlaywrightCore.Page;

/** In-page instrumentation (plain JavaScript: runs in Chromium, typed as DOM there, not here). */
export const INIT_SCRIPT = `(() => {
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
  // Every status line message bumps data-count (also when its text repeats): one per label.
  new MutationObserver(() => {
    const now = performance.now();
    if (b.t.cell === undefined && document.querySelector(cellSel)) b.t.cell = now;
    const el = document.querySelector('[data-testid=last-action]');
    const count = el ? el.getAttribute('data-count') : null;
    if (count !== null && count !== b.lastText) {
      if (b.lastText !== null) {
        b.changes.push(now);
        if (window.__benchChange) window.__benchChange(b.changes.length);
      }
      b.lastText = count;
    }
  }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['data-count'] });
})();`;

/**
 * Scrolls the grid's scroll container top to bottom, one step per animation frame: a
 * viewport, or more when the grid would take over `frames` frames (a scrollbar drag), at most
 * `maxSteps` steps.
 */
export const SCROLL_SCRIPT = `async ([maxSteps, frames]) => {
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
  const step = Math.max(sc.clientHeight, (sc.scrollHeight - sc.clientHeight) / frames);
  const start = performance.now();
  let last = start;
  const gaps = [];
  let steps = 0;
  while (sc.scrollTop + sc.clientHeight < sc.scrollHeight - 1 && steps < maxSteps) {
    sc.scrollTop = sc.scrollTop + step;
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
    start, end, steps, gaps, step,
    scrollHeight: sc.scrollHeight, clientHeight: sc.clientHeight,
    rowsRendered: grid.querySelectorAll('[role=row]').length,
    lastLabel: lastCell ? lastCell.getAttribute('aria-label') : null,
    lastLoaded: [...cells].filter((c) => { const i = c.querySelector('img'); return i && i.complete && i.naturalWidth > 0; }).length,
    cellsRendered: cells.length,
  };
}`;

export interface LongTask {
  start: number;
  duration: number;
  name: string;
  attribution: string[];
}

export interface BenchState {
  t: { cell?: number; img?: number; imgFrame?: number };
  longtasks: LongTask[];
  longtaskError: string | null;
}

export interface ScrollResult {
  start: number;
  end: number;
  steps: number;
  /** Pixels per frame. */
  step: number;
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
export async function pollUntil(page: Page, expression: string, timeoutMs: number): Promise<void> {
  const t0 = performance.now();
  while (!(await page.evaluate(expression))) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${expression}`);
    await sleep(10);
  }
}

export const now = (page: Page) => page.evaluate('performance.now()') as Promise<number>;
export const benchState = (page: Page) =>
  page.evaluate(
    '({ t: __bench.t, longtasks: __bench.longtasks, longtaskError: __bench.longtaskError })',
  ) as Promise<BenchState>;

/** Resolves when the page's count of last-action changes reaches n. */
export class ChangeCounter {
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

export interface LabelRun {
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
export async function labelSequential(
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

export interface BurstRun {
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
export async function labelBurst(
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
