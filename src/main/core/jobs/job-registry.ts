import { randomUUID } from 'node:crypto';
import { OcellusError } from '../../../shared/errors';
import type { JobInfo } from '../../../shared/types';
import type { EventBus } from '../util/event-bus';
import { toOcellusError } from '../util/io-errors';

/** What a running job sees: its cancel signal and a way to report progress. */
export interface JobContext {
  readonly signal: AbortSignal;
  /** Reports progress; `total` may change as work is discovered. */
  progress(done: number, total?: number): void;
  /** Starts a new phase: a new detail line and counter; the rate starts over. */
  phase(detail: string, total: number): void;
  /** Throws CANCELLED when the job was asked to stop. */
  throwIfCancelled(): void;
}

/** What the UI needs beyond progress to show a job's outcome where it was started. */
export interface JobOptions {
  /** What the job works on (a model id, a run id, an export kind), or nothing. */
  subject?: string;
  /** Starts the same work again as a new job; offered once this one failed or was cancelled. */
  retry?: () => Promise<JobInfo> | JobInfo;
}

interface JobEntry {
  info: JobInfo;
  controller: AbortController;
  /** Settles when the job has ended, however it ended. */
  ended?: Promise<JobInfo>;
  retry: JobOptions['retry'];
  lastEmit: number;
  rateSampleAt: number;
  rateSampleDone: number;
}

const EMIT_INTERVAL_MS = 100;
const RATE_WINDOW_MS = 1000;
/** Finished jobs kept for the session's history (quick retrains add up over a day). */
const FINISHED_KEPT = 100;

/** Runs long work as jobs: ids returned at once, progress and state pushed as `job:updated`. */
export class JobRegistry {
  private readonly jobs = new Map<string, JobEntry>();
  /** While `stopAll` waits: the kinds that may still start (others start cancelled). */
  private stopping: ReadonlySet<string> | null = null;

  constructor(private readonly bus: EventBus) {}

  /**
   * Starts `run` in the background and returns its job at once. A `run` that resolves to text
   * names its outcome: a finished job shows it instead of its last phase's line.
   */
  start(
    kind: string,
    title: string,
    run: (ctx: JobContext) => Promise<string | void>,
    total = 0,
    options: JobOptions = {},
  ): { info: JobInfo; done: Promise<JobInfo> } {
    const now = Date.now();
    const entry: JobEntry = {
      info: {
        id: randomUUID(),
        kind,
        title,
        state: 'running',
        done: 0,
        total,
        rate: null,
        etaSeconds: null,
        detail: null,
        startedAt: new Date(now).toISOString(),
        finishedAt: null,
        error: null,
        subject: options.subject ?? null,
        retryable: options.retry !== undefined,
      },
      controller: new AbortController(),
      retry: options.retry,
      lastEmit: 0,
      rateSampleAt: now,
      rateSampleDone: 0,
    };
    this.jobs.set(entry.info.id, entry);
    if (this.stopping && !this.stopping.has(kind)) entry.controller.abort();
    this.emit(entry, true);
    const ctx: JobContext = {
      signal: entry.controller.signal,
      progress: (done, newTotal) => this.progress(entry, done, newTotal),
      phase: (detail, phaseTotal) => {
        entry.info.detail = detail;
        entry.info.done = 0;
        entry.info.total = phaseTotal;
        entry.info.rate = null;
        entry.info.etaSeconds = null;
        entry.rateSampleAt = Date.now();
        entry.rateSampleDone = 0;
        this.emit(entry, true);
      },
      throwIfCancelled: () => {
        if (entry.controller.signal.aborted) throw new OcellusError('CANCELLED', 'Cancelled');
      },
    };
    const done = (async () => {
      try {
        // Work starts on a later turn, so every caller holds the job (and can subscribe to
        // its updates) before any progress or its end is announced, however quick it is.
        await new Promise((resolve) => setImmediate(resolve));
        const outcome = await run(ctx);
        entry.info.state = entry.controller.signal.aborted ? 'cancelled' : 'done';
        if (entry.info.state === 'done' && typeof outcome === 'string') entry.info.detail = outcome;
      } catch (err) {
        if (
          entry.controller.signal.aborted ||
          (err instanceof OcellusError && err.code === 'CANCELLED')
        ) {
          entry.info.state = 'cancelled';
        } else {
          const typed = toOcellusError(err);
          entry.info.state = 'failed';
          entry.info.error = typed instanceof Error ? typed.message : String(typed);
          entry.info.errorCode = typed instanceof OcellusError ? typed.code : 'INTERNAL';
          if (entry.info.errorCode === 'INTERNAL') console.error(`[ocellus] job ${title}:`, err);
        }
      }
      entry.info.finishedAt = new Date().toISOString();
      entry.info.etaSeconds = null;
      this.emit(entry, true);
      this.prune();
      return { ...entry.info };
    })();
    entry.ended = done;
    return { info: { ...entry.info }, done };
  }

  /** Jobs of this session, running first, newest first. */
  list(): JobInfo[] {
    return [...this.jobs.values()]
      .map((e) => ({ ...e.info }))
      .sort(
        (a, b) =>
          Number(b.state === 'running') - Number(a.state === 'running') ||
          b.startedAt.localeCompare(a.startedAt),
      );
  }

  /** Asks a job to stop. Unknown ids are NOT_FOUND; finished jobs are left as they are. */
  cancel(id: string): void {
    const entry = this.jobs.get(id);
    if (!entry) throw new OcellusError('NOT_FOUND', `No job with id ${id}`);
    if (entry.info.state === 'running' || entry.info.state === 'queued') entry.controller.abort();
  }

  /** Starts a failed or cancelled job's work again; returns the new job. */
  async retry(id: string): Promise<JobInfo> {
    const entry = this.jobs.get(id);
    if (!entry) throw new OcellusError('NOT_FOUND', `No job with id ${id}`);
    if (!entry.retry)
      throw new OcellusError('UNSUPPORTED', `${entry.info.title} cannot be retried`);
    if (entry.info.state !== 'failed' && entry.info.state !== 'cancelled')
      throw new OcellusError(
        'INVALID_ARGUMENT',
        `${entry.info.title} is ${entry.info.state}: only a failed or cancelled job is retried`,
      );
    return entry.retry();
  }

  /** Cancels everything still running (on shutdown). */
  cancelAll(): void {
    for (const entry of this.jobs.values()) entry.controller.abort();
  }

  /**
   * Cancels the running jobs of every kind but `keep` and waits until they have ended, so
   * that a project is closed under none of them (a training run cancelled by closing its
   * project wrote its next epoch into the closed file and took the process down). A job of
   * another kind started meanwhile (a quick retrain, suggestions after a run) starts
   * cancelled and is waited for too. Returns the titles of those still running at `timeoutMs`.
   */
  async stopAll(keep: ReadonlySet<string>, timeoutMs = 60_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    const running = () =>
      [...this.jobs.values()].filter(
        (e) => (e.info.state === 'running' || e.info.state === 'queued') && !keep.has(e.info.kind),
      );
    this.stopping = keep;
    try {
      for (let left = running(); left.length > 0 && Date.now() < deadline; left = running()) {
        for (const e of left) e.controller.abort();
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          Promise.all(left.map((e) => e.ended)),
          new Promise((resolve) => (timer = setTimeout(resolve, deadline - Date.now()))),
        ]);
        clearTimeout(timer);
      }
      return running().map((e) => e.info.title);
    } finally {
      this.stopping = null;
    }
  }

  private prune(): void {
    const finished = [...this.jobs.values()].filter(
      (e) => e.info.state !== 'running' && e.info.state !== 'queued',
    );
    // Map order is start order: the oldest finished jobs go first.
    for (const e of finished.slice(0, Math.max(0, finished.length - FINISHED_KEPT)))
      this.jobs.delete(e.info.id);
  }

  private progress(entry: JobEntry, done: number, total?: number): void {
    if (total !== undefined) entry.info.total = total;
    entry.info.done = done;
    const now = Date.now();
    const elapsed = now - entry.rateSampleAt;
    if (elapsed >= RATE_WINDOW_MS) {
      const instant = ((done - entry.rateSampleDone) * 1000) / elapsed;
      entry.info.rate = entry.info.rate === null ? instant : 0.5 * entry.info.rate + 0.5 * instant;
      entry.rateSampleAt = now;
      entry.rateSampleDone = done;
    }
    const left = entry.info.total - done;
    entry.info.etaSeconds =
      entry.info.rate && entry.info.rate > 0 && left >= 0 ? left / entry.info.rate : null;
    this.emit(entry, false);
  }

  private emit(entry: JobEntry, force: boolean): void {
    const now = Date.now();
    if (!force && now - entry.lastEmit < EMIT_INTERVAL_MS) return;
    entry.lastEmit = now;
    this.bus.emit('job:updated', { ...entry.info });
  }
}
