/**
 * Measuring the import benchmark's parts: child processes, RSS, wall, CPU and event-loop time,
 * import phases.
 */
import { fork } from 'node:child_process';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { log } from '../lib/measure';
import type { JobInfo } from '../../src/shared/types';
import type { Part, Options } from './options';
import { mb } from './output';

/**
 * Runs one part of the benchmark in a child process (this same script) and returns what it
 * sends back: each part's RSS and maxRSS are then its own, not the sum of what ran before.
 */
export function runPart<T>(part: Part, opts: Options, work: string | null): Promise<T> {
  const script = process.argv[1];
  if (!script) throw new Error('Cannot tell which script is running');
  const args = ['--part', part, '--n', String(opts.n), '--big', String(opts.big)];
  args.push('--data', opts.data);
  if (work) args.push('--work', work);
  return new Promise((resolve, reject) => {
    let result: T | undefined;
    const child = fork(script, args, { stdio: 'inherit' });
    child.on('message', (m) => (result = m as T));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code !== 0) reject(new Error(`${part} failed (${signal ?? code})`));
      else if (part !== 'generate' && result === undefined) reject(new Error(`${part}: no result`));
      else resolve(result as T);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Measuring

/** Samples RSS every 100 ms into every open window (windows may nest). */
export class RssSampler {
  private readonly windows = new Set<{ peak: number }>();
  private timer: NodeJS.Timeout | null = null;

  start(): void {
    this.timer = setInterval(() => this.sample(), 100);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  open(): { peak: number } {
    const w = { peak: 0 };
    this.windows.add(w);
    this.sample();
    return w;
  }

  /** Closes a window; returns its peak. */
  close(w: { peak: number }): number {
    this.sample();
    this.windows.delete(w);
    return w.peak;
  }

  private sample(): void {
    const rss = process.memoryUsage.rss();
    for (const w of this.windows) if (rss > w.peak) w.peak = rss;
  }
}

export const rss = new RssSampler();

/** Wall time, CPU use and event-loop use of one stretch of work. */
export interface Span {
  seconds: number;
  /** (user + system CPU time) / wall time: how many of the cores were busy on average. */
  cores: number;
  /** Fraction of the wall time the main thread's event loop was busy. */
  eventLoop: number;
  peakRss: number;
}

export class SpanClock {
  private readonly t = performance.now();
  private readonly cpu = process.cpuUsage();
  private readonly elu: EventLoopUtilization = performance.eventLoopUtilization();
  private readonly rssWindow = rss.open();

  stop(): Span {
    const ms = performance.now() - this.t;
    const cpu = process.cpuUsage(this.cpu);
    return {
      seconds: ms / 1000,
      cores: (cpu.user + cpu.system) / 1000 / ms,
      eventLoop: performance.eventLoopUtilization(this.elu).utilization,
      peakRss: rss.close(this.rssWindow),
    };
  }
}

export async function measure(fn: () => Promise<void>): Promise<Span> {
  const clock = new SpanClock();
  await fn();
  return clock.stop();
}

export type PhaseKey = 'scan' | 'read' | 'thumbs' | 'other';

export interface Phase extends Span {
  /** The phase's total as the job announced it (images to read or to render). */
  items: number;
  /** The highest done count seen in its events (progress events are throttled). */
  done: number;
}

export function phaseKey(detail: string): PhaseKey {
  if (detail.startsWith('Scanning')) return 'scan';
  if (detail === 'Reading images') return 'read';
  if (detail === 'Making thumbnails') return 'thumbs';
  return 'other';
}

/**
 * Cuts the import job's `job:updated` events into phases (by `detail`). A phase ends at the
 * next phase or when the job ends, so the last phase includes the job's final bookkeeping
 * (sequence regrouping).
 */
export class PhaseRecorder {
  readonly phases = new Map<PhaseKey, Phase>();
  private current: {
    key: PhaseKey;
    jobId: string;
    clock: SpanClock;
    items: number;
    done: number;
  } | null = null;

  onJob(job: JobInfo): void {
    if (job.kind !== 'import') return;
    const key = job.state === 'running' && job.detail ? phaseKey(job.detail) : null;
    if (this.current && (this.current.key !== key || this.current.jobId !== job.id)) {
      this.close();
    }
    if (key && !this.current) {
      this.current = { key, jobId: job.id, clock: new SpanClock(), items: 0, done: 0 };
    }
    if (this.current) {
      this.current.items = Math.max(this.current.items, job.total);
      this.current.done = Math.max(this.current.done, job.done);
    }
    if (job.state === 'failed') log(`import job failed: ${job.error}`);
  }

  private close(): void {
    const cur = this.current;
    if (!cur) return;
    this.current = null;
    const span = cur.clock.stop();
    const prev = this.phases.get(cur.key);
    if (!prev) {
      this.phases.set(cur.key, { ...span, items: cur.items, done: cur.done });
    } else {
      // The same phase again (the job came back to it): add up, weighting the averages by time.
      const total = prev.seconds + span.seconds;
      prev.cores = (prev.cores * prev.seconds + span.cores * span.seconds) / total;
      prev.eventLoop = (prev.eventLoop * prev.seconds + span.eventLoop * span.seconds) / total;
      prev.seconds = total;
      prev.peakRss = Math.max(prev.peakRss, span.peakRss);
      prev.items += cur.items;
      prev.done += cur.done;
    }
    const what = cur.key === 'scan' ? 'scanned' : `${cur.items} items`;
    log(`  ${cur.key}: ${what} in ${span.seconds.toFixed(2)} s, peak RSS ${mb(span.peakRss)}`);
  }
}
