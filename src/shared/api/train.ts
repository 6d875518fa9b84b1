/** The `train` domain of the API contract (see ../api.ts). */
import type { RunSummary, TrainConfig, TrainPlan } from '../types';

export interface TrainApi {
  /** Good defaults, with a one-line explanation of each setting. */
  defaults(): Promise<{ config: TrainConfig; help: Record<keyof TrainConfig, string> }>;
  /** Starts a training run as a job; the run record is returned at once. */
  start(
    config: Partial<TrainConfig> & { baseModel: string },
    options?: { title?: string | null },
  ): Promise<RunSummary>;
  /** Gives a run a title of its own (null or blank takes it away). */
  setTitle(runId: number, title: string | null): Promise<RunSummary>;
  /** Every run of the project, newest first. */
  runs(): Promise<RunSummary[]>;
  run(runId: number): Promise<RunSummary>;
  /** What a run with this configuration will train, and roughly how long it takes. */
  plan(config: Partial<TrainConfig> & { baseModel: string }): Promise<TrainPlan>;
}
