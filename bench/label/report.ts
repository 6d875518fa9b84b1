import type { DepthTiming } from './core-timing';
import { AFTER_SCROLL, BURST, DURING_RESCAN } from './options';
import type { BurstRun, LabelRun, LongTask, ScrollResult } from './page';
import type { SetupResult } from './setup';
import { ms, pct, stats, type Stats } from '../lib/stats';
import { table, tasksIn, type Span } from './stats';

interface Heap {
  usedMb: number;
  afterGcMb: number;
}

export interface Result {
  n: number;
  setup: SetupResult;
  labels: number;
  server: { startMs: number; idleAfterMs: number };
  firstPaint: { cellMs: number; thumbnailMs: number };
  duringRescan: { run: LabelRun; rescanAtStart: boolean; rescanAtEnd: boolean };
  sequential: LabelRun;
  burst: Omit<BurstRun, 'labelledInRange'> & { right: number };
  afterScroll: LabelRun;
  scroll: ScrollResult;
  longTasks: LongTask[];
  longTaskError: string | null;
  windows: { label: Span; scroll: Span };
  heap: { open: Heap; beforeScroll: Heap; afterScroll: Heap; end: Heap };
  serverRssMb: number | null;
  serverCpu: Record<string, number | null>;
  floor: Stats;
  pages: DepthTiming[];
  errors: string[];
  machine: { cpus: number; load1AtStart: number; load1AtEnd: number };
}

const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');

/** The table of every target beside its figure and the raw round trip, then notes. */
export function report(r: Result): string {
  const frames = stats(r.scroll.gaps);
  const scrollTasks = tasksIn(r.longTasks, r.windows.scroll, 50);
  const maxTask = Math.round(Math.max(0, ...scrollTasks.map((t) => t.duration)));
  const heapMax = Math.max(...Object.values(r.heap).map((h) => h.afterGcMb));
  const heapUsedMax = Math.max(...Object.values(r.heap).map((h) => h.usedMb));
  const deepest = Math.max(...r.pages.map((p) => p.keyset.p50 + p.tiles.p50));
  const rows: string[][] = [
    ['what', 'measured', 'target'],
    [`images`, r.n.toLocaleString('en-US'), ''],
    ['server start → listening (opens the project)', ms(r.server.startMs), ''],
    ['open-time rescan, after listening', ms(r.server.idleAfterMs), ''],
    [
      'first grid cell / first thumbnail',
      `${ms(r.firstPaint.cellMs)} / ${ms(r.firstPaint.thumbnailMs)}`,
      '',
    ],
    [
      `keystroke → persisted during the rescan, p50/p95/max (${DURING_RESCAN})`,
      pct(r.duringRescan.run.inPage),
      `p95 < 50 ms: ${verdict(r.duringRescan.run.inPage.p95 < 50)}${r.duringRescan.rescanAtEnd ? '' : ' (rescan ended before the last)'}`,
    ],
    [
      `keystroke → persisted, p50/p95/max (${r.labels})`,
      pct(r.sequential.inPage),
      `p95 < 50 ms: ${verdict(r.sequential.inPage.p95 < 50)}`,
    ],
    ['  raw API labels.assign round trip, p50/p95/max', pct(r.floor), 'the floor'],
    [
      `${BURST} keys back to back: on the right image`,
      `${r.burst.right} of ${BURST} (${r.burst.labelsPerSecond} labels/s)`,
      `all: ${verdict(r.burst.right === BURST)}`,
    ],
    [
      `scroll top to bottom (${r.scroll.steps} frames, ${Math.round(r.scroll.step)} px each): long tasks > 50 ms`,
      r.longTaskError
        ? `unsupported: ${r.longTaskError}`
        : `${scrollTasks.length}${scrollTasks.length ? ` (max ${maxTask} ms)` : ''}`,
      `none: ${verdict(scrollTasks.length === 0)}`,
    ],
    ['  frame interval p50/p95/max', pct(frames), `p95 ≤ 20 ms: ${verdict(frames.p95 <= 20)}`],
    [
      `keystroke → persisted after the scroll, p50/p95/max (${AFTER_SCROLL})`,
      pct(r.afterScroll.inPage),
      `p95 < 50 ms: ${verdict(r.afterScroll.inPage.p95 < 50)}`,
    ],
    [
      'page JS heap after GC: open / before / after scroll / end',
      `${r.heap.open.afterGcMb} / ${r.heap.beforeScroll.afterGcMb} / ${r.heap.afterScroll.afterGcMb} / ${r.heap.end.afterGcMb} MB`,
      `< 100 MB: ${verdict(heapMax < 100)}`,
    ],
    ['  heap in use before GC, largest seen', `${heapUsedMax} MB`, ''],
    ...r.pages.flatMap((p) => [
      [
        `grid page of 240 in the core at ${p.depth.toLocaleString('en-US')}: keyset ids + tiles (p50)`,
        `${ms(p.keyset.p50)} + ${ms(p.tiles.p50)}`,
        p === r.pages[r.pages.length - 1] ? `< 5 ms: ${verdict(deepest < 5)}` : '',
      ],
      ['  plain LIMIT/OFFSET page with its count (the old grid page)', ms(p.offset.p50), ''],
    ]),
  ];
  const callLine = (run: LabelRun) =>
    Object.entries(run.calls)
      .map(([k, v]) => `${k} ×${v.count} (p50 ${ms(v.roundTrip.p50)}, p95 ${ms(v.roundTrip.p95)})`)
      .join('; ');
  const notes = [
    `Keystroke → persisted is measured in the page: keydown → the status line's next message, set after the write's result came back (SQLite committed).`,
    ...(r.sequential.breakdown
      ? [
          `One at a time, split: keydown → sent ${pct(r.sequential.breakdown.keydownToSend)}, sent → result ${pct(r.sequential.breakdown.roundTrip)}, result → status ${pct(r.sequential.breakdown.resultToDom)}.`,
        ]
      : []),
    `API calls while labelling one at a time: ${callLine(r.sequential)}.`,
    `Key presses the image view ignored: ${r.sequential.ignoredPresses.length + r.afterScroll.ignoredPresses.length + r.duringRescan.run.ignoredPresses.length}.`,
    `Rescan running when labelling during it began/ended: ${r.duringRescan.rescanAtStart}/${r.duringRescan.rescanAtEnd}.`,
    `Scroll: scrollHeight ${r.scroll.scrollHeight} px, viewport ${r.scroll.clientHeight} px, ${r.scroll.rowsRendered} rows drawn at the end; ${r.scroll.gaps.filter((g) => g > 50).length} frames > 50 ms.`,
    `Server RSS at the end ${r.serverRssMb ?? '—'} MB; server CPU seconds: ${Object.entries(
      r.serverCpu,
    )
      .map(([k, v]) => `${k} ${v ?? '—'}`)
      .join('; ')}.`,
    `Machine: ${r.machine.cpus} CPUs shared with other work; load average ${r.machine.load1AtStart.toFixed(1)} at start, ${r.machine.load1AtEnd.toFixed(1)} at end: absolute figures are inflated; compare within the run.`,
    `Project ${r.setup.reused ? 'reused' : 'made'}: ${r.setup.images.toLocaleString('en-US')} hard links to ${r.setup.distinct} small JPEGs, index rows written directly (${r.setup.indexSeconds} s).`,
    ...(r.errors.length ? [`Page errors: ${r.errors.slice(0, 3).join(' | ')}`] : []),
  ];
  return `\n${table(rows)}\n\n${notes.map((n) => `- ${n}`).join('\n')}\n`;
}
