/** Measuring the embedding benchmark's parts: RSS, wall and CPU time, child processes. */
import { fork } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Part, Options } from './options';

/** Samples RSS every 100 ms: peak since start, and peak within each open window. */
export class RssSampler {
  peak = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly windows = new Set<{ peak: number }>();

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

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), 100);
    this.timer.unref();
  }

  stop(): number {
    if (this.timer) clearInterval(this.timer);
    this.sample();
    return this.peak;
  }

  private sample(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.peak) this.peak = rss;
    for (const w of this.windows) if (rss > w.peak) w.peak = rss;
  }
}

/** Wall time and CPU use (all threads of the process) of one stretch of work. */
export interface Span {
  seconds: number;
  /** (user + system CPU time) / wall time: how many cores were busy on average. */
  cores: number;
  /** User + system CPU seconds of the whole process (all threads, ML workers included). */
  cpu: number;
}

export class SpanClock {
  private readonly t = performance.now();
  private readonly cpu = process.cpuUsage();

  stop(): Span {
    const ms = performance.now() - this.t;
    const cpu = process.cpuUsage(this.cpu);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    return { seconds: ms / 1000, cores: (cpuSeconds * 1000) / ms, cpu: cpuSeconds };
  }
}

/** CPU seconds used by this process so far (all threads). */
export function cpuNow(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
}

export interface PartMemory {
  rssAtStart: number;
  peakRss: number;
  maxRss: number;
}

export function runPart<T>(part: Part, opts: Options, work: string): Promise<T> {
  const script = process.argv[1];
  if (!script) throw new Error('Cannot tell which script is running');
  const args = ['--part', part, '--n', String(opts.n), '--big', String(opts.big)];
  args.push('--data', opts.data, '--work', work, '--backend', opts.backend);
  return new Promise((resolve, reject) => {
    let result: T | undefined;
    const child = fork(script, args, { stdio: 'inherit' });
    child.on('message', (m) => (result = m as T));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code !== 0) reject(new Error(`${part} failed (${signal ?? code})`));
      else if (result === undefined) reject(new Error(`${part}: no result`));
      else resolve(result);
    });
  });
}

export function modelDir(data: string): string {
  return path.join(data, 'mobilenet_v2');
}

export function workerFile(): string {
  return path.resolve('out', 'main', 'embed-worker.js');
}
