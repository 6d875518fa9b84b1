import type { LongTask } from './page';
import { round, stats, type Stats } from '../lib/stats';

/** One API call the page made: channel, sent and received (page clock), size. */
export interface RpcEntry {
  channel: string;
  sent: number;
  recv: number;
  bytes: number;
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
