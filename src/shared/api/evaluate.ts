/** The `evaluate` domain of the API contract (see ../api.ts). */
import type { EvaluateOptions, EvaluationReport, MisclassifiedImage, RunFreshness } from '../types';

export interface EvaluateApi {
  /** Figures of a finished run on its validation split, against the current human labels. */
  run(runId: number, options?: EvaluateOptions): Promise<EvaluationReport>;
  /** Validation images the run got wrong, most confident first. */
  misclassified(runId: number): Promise<MisclassifiedImage[]>;
  /** Per run, newest first: whether its labels changed since it trained (stale). */
  runs(): Promise<RunFreshness[]>;
}
