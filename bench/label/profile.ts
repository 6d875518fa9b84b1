import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { round } from '../lib/stats';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export function topSelfTime(
  profile: Profile,
  top = 15,
): { fn: string; ms: number; share: number }[] {
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

export interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  args?: { name?: string };
}

export interface TraceSummary {
  /** RunTasks of the renderer's main thread: count, over 50 ms, over 100 ms, busy ms. */
  tasks: { count: number; over50: number; over100: number; busyMs: number };
  /** Self time by trace event name on the renderer's main thread, largest first. */
  selfTime: { name: string; ms: number; share: number }[];
}

/** Self time per event name on the busiest renderer main thread of a Chromium trace. */
export function summarizeTrace(trace: { traceEvents: TraceEvent[] }, top = 14): TraceSummary {
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

/**
 * --profile: a traced and profiled scroll pass (the first `frames` frames of a reloaded
 * page), for where the renderer's main thread spends its time. Files are left in `dir`.
 */
export async function profileScroll(
  browser: Browser,
  page: Page,
  scrollScript: string,
  frames: number,
  dir: string,
): Promise<string> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
  await browser.startTracing(page, {
    categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink'],
  });
  await cdp.send('Profiler.start');
  await page.evaluate(`(${scrollScript})([${frames}, ${frames}])`);
  const { profile } = (await cdp.send('Profiler.stop')) as unknown as { profile: Profile };
  const trace = await browser.stopTracing();
  fs.writeFileSync(path.join(dir, 'scroll.cpuprofile'), JSON.stringify(profile));
  fs.writeFileSync(path.join(dir, 'scroll.trace.json'), trace);
  const t = summarizeTrace(JSON.parse(trace.toString()) as { traceEvents: TraceEvent[] });
  const lines = [
    `Profiled scroll (${frames} frames): ${t.tasks.count} tasks, ${t.tasks.over50} > 50 ms, ${t.tasks.busyMs} ms busy.`,
    ...t.selfTime.map(
      (r) =>
        `    ${String(r.ms).padStart(6)} ms ${(r.share * 100).toFixed(1).padStart(5)}%  ${r.name}`,
    ),
    'JS self time:',
    ...topSelfTime(profile).map(
      (r) =>
        `    ${String(r.ms).padStart(6)} ms ${(r.share * 100).toFixed(1).padStart(5)}%  ${r.fn}`,
    ),
  ];
  return lines.join('\n');
}
