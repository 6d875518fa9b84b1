import type { JobInfo } from '../../../../shared/types';
import type { AppState, ViewId } from './app.svelte';

/** A job that ended while the window was open, shown as a toast until read. */
export interface JobToast {
  jobId: string;
  state: 'done' | 'failed' | 'cancelled';
  title: string;
  message: string | null;
  retryable: boolean;
  /** When it appeared (ms since the epoch), for fading good news. */
  shownAt: number;
}

/** Kinds whose success is news; imports (the folder watcher starts many) and suggestions are not. */
const ANNOUNCED_DONE = new Set(['download', 'embed', 'train', 'export']);

/** Where each kind of job is started, so its outcome can lead back there. */
const VIEW_OF_KIND: Record<string, ViewId> = {
  import: 'library',
  download: 'train',
  embed: 'train',
  train: 'train',
  predict: 'label',
  export: 'export',
};

/**
 * How every job ended: the jobs panel (the session's history), toasts for jobs that end
 * while the window is open, and each job's outcome for the place it was started. Jobs
 * themselves live in the app state's `jobs`, kept current by `job:updated`.
 */
export class JobsState {
  readonly #app: AppState;

  #panelOpen = $state(false);
  get panelOpen(): boolean {
    return this.#panelOpen;
  }
  set panelOpen(value: boolean) {
    this.#panelOpen = value;
  }

  #toasts = $state<JobToast[]>([]);
  get toasts(): JobToast[] {
    return this.#toasts;
  }

  /** Jobs whose outcome the user has read (toast or inline note dismissed). */
  #read = $state<string[]>([]);
  /**
   * States seen so far, to tell an ending from an ended job reported again: bookkeeping
   * nothing renders, so a plain Map.
   */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #seen = new Map<string, JobInfo['state']>();

  constructor(app: AppState) {
    this.#app = app;
    this.#app.onStart((client) => {
      client.on('job:updated', (job) => this.onUpdate(job));
      void client.jobs.list().then((list) => {
        for (const j of list) this.#seen.set(j.id, j.state);
      });
    });
  }

  get running(): JobInfo[] {
    return this.#app.jobs.filter((j) => j.state === 'running' || j.state === 'queued');
  }

  get finished(): JobInfo[] {
    return this.#app.jobs.filter((j) => j.state !== 'running' && j.state !== 'queued');
  }

  /** Failed jobs nobody has looked at yet. */
  get unreadFailures(): number {
    return this.finished.filter((j) => j.state === 'failed' && !this.#read.includes(j.id)).length;
  }

  /** The newest job of a kind (and subject), running or not. */
  latest(kind: string, subject?: string | null): JobInfo | undefined {
    return this.#app.jobs
      .filter((j) => j.kind === kind && (subject === undefined || j.subject === subject))
      .sort((a, b) => b.startedAt.localeCompare(a.startedAt))[0];
  }

  /** The newest ended job of a kind (and subject) whose failure the user has not dismissed. */
  unreadOutcome(kind: string, subject?: string | null): JobInfo | undefined {
    const job = this.latest(kind, subject);
    if (!job || job.state === 'running' || job.state === 'done' || this.#read.includes(job.id))
      return undefined;
    return job;
  }

  viewOf(job: JobInfo): ViewId | null {
    return VIEW_OF_KIND[job.kind] ?? null;
  }

  /** Marks a job's outcome read: its toast and inline note go away. */
  markRead(jobId: string): void {
    if (!this.#read.includes(jobId)) this.#read = [...this.#read, jobId];
    this.#toasts = this.#toasts.filter((t) => t.jobId !== jobId);
  }

  async retry(jobId: string): Promise<void> {
    this.markRead(jobId);
    await this.#app.guard(() => this.#app.api().jobs.retry(jobId));
  }

  async cancel(jobId: string): Promise<void> {
    await this.#app.cancelJob(jobId);
  }

  /** Goes to where the job was started and closes the panel. */
  show(job: JobInfo): void {
    const view = this.viewOf(job);
    if (view && this.#app.project) this.#app.view = view;
    this.#panelOpen = false;
  }

  private onUpdate(job: JobInfo): void {
    const before = this.#seen.get(job.id);
    this.#seen.set(job.id, job.state);
    const ended = job.state === 'done' || job.state === 'failed' || job.state === 'cancelled';
    if (!ended || before === job.state) return;
    if (job.state === 'done' && !ANNOUNCED_DONE.has(job.kind)) return;
    this.#toasts = [
      ...this.#toasts.filter((t) => t.jobId !== job.id),
      {
        jobId: job.id,
        state: job.state as JobToast['state'],
        title: job.title,
        message: job.state === 'failed' ? job.error : job.detail,
        retryable: job.retryable && job.state !== 'done',
        shownAt: Date.now(),
      },
    ].slice(-4);
  }
}
