import type { EvaluationReport, RunLabelState, RunSummary } from '../../../shared/types';

/** One validation image with the run's prediction for it. */
export interface PredictedImage {
  imageId: number;
  /** The box, for a box-level run's items (eval/box-evaluation.ts). */
  boxId?: number;
  relPath: string;
  thumbVersion: string | null;
  /** Class index of its current human label. */
  trueIndex: number;
  /** Class index it had when the run trained, when recorded. */
  runIndex: number | null;
  probs: Float32Array;
}

export interface ValidationPredictions {
  run: RunSummary;
  items: PredictedImage[];
  excluded: EvaluationReport['excluded'];
  labels: RunLabelState;
}
