/** The `jobs` domain of the API contract (see ../api.ts). */
import type { JobInfo } from '../types';

export interface JobsApi {
  /** Jobs of this session, running ones first. */
  list(): Promise<JobInfo[]>;
  /** Asks a job to stop; it reports state `cancelled` when it has. */
  cancel(id: string): Promise<void>;
  /** Starts a failed or cancelled job's work again (when it is `retryable`); the new job. */
  retry(id: string): Promise<JobInfo>;
}
