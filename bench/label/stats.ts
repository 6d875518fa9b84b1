import type { LongTask } from './page';

/** One API call the page made: channel, sent and received (page clock), size. */
export interface RpcEntry {
  channel: string;
  sent: number;
  recv: number;
  bytes: number;
}

export interface Stats {
  n: number;
  p50: number;
  p95: number;
  max: number;
  mean: number;
}

export function stats(xs: number[]): Stats {
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

export function countBy(xs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}

export function callSummary(
  rpc: RpcEntry[],
): Record<string, { count: number; roundTrip: Stats; kbPerCall: number }> {
  const out: Record<string, { count: number; roundTrip: Stats; kbPerCall: number }> = {};
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

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function ms(x: number | null | undefined): string {
  return x === null || x === undefined ? '—' : `${x.toFixed(x < 10 ? 1 : 0)} ms`;
}

export function pct(s: Stats): string {
  return `${ms(s.p50)} / ${ms(s.p95)} / ${ms(s.max)}`;
}

export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ')).join('\n');
}

export interface Span {
  start: number;
  end: number;
}

export function tasksIn(tasks: LongTask[], w: Span, over = 0): LongTask[] {
  return tasks.filter((t) => t.start >= w.start && t.start < w.end && t.duration > over);
}

export function taskSummary(tasks: LongTask[]): { count: number; totalMs: number; maxMs: number } {
  return {
    count: tasks.length,
    totalMs: Math.round(tasks.reduce((a, t) => a + t.duration, 0)),
    maxMs: Math.round(Math.max(0, ...tasks.map((t) => t.duration))),
  };
}
