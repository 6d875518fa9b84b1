/** Long-running work and its progress. */
import type { ErrorCode } from '../errors';

export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface JobInfo {
  id: string;
  kind: string;
  title: string;
  state: JobState;
  done: number;
  total: number;
  /** Items per second over the recent past, or null before there is a rate. */
  rate: number | null;
  /** Seconds left at the current rate, or null when unknown. */
  etaSeconds: number | null;
  /** What the job is doing now, e.g. "Reading EXIF" or "Making thumbnails". */
  detail: string | null;
  startedAt: string;
  finishedAt: string | null;
  error: string | null;
  /** What the job works on (a model id, a run id, an export kind), for showing it there. */
  subject: string | null;
  /** `jobs.retry` can start the same work again once this job failed or was cancelled. */
  retryable: boolean;
  /** Why a failed job failed, e.g. DISK_FULL (set only when state is 'failed'). */
  errorCode?: ErrorCode;
}
