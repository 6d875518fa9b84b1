/** The `assist` domain of the API contract (see ../api.ts). */
import type {
  AcceptOptions,
  LabelChange,
  JobInfo,
  AssistSettings,
  BulkAcceptAsked,
  BulkAcceptPreview,
  HeatMap,
  PredictionDetail,
  PredictionStatus,
  SimilarResult,
} from '../types';

export interface AssistApi {
  /** Which run's suggestions are shown, how many, and the quick-retrain state. */
  status(): Promise<PredictionStatus>;
  /** Recomputes suggestions for every readable image with a run (default: the latest done). */
  predict(runId?: number): Promise<JobInfo>;
  /** One image's suggestion with every class's probability, or null. */
  prediction(imageId: number): Promise<PredictionDetail | null>;
  /** Confirms the suggestions of these images as human labels (one undoable batch), asking as `labels.assign` does. */
  accept(imageIds: number[], options?: AcceptOptions): Promise<LabelChange>;
  /** How many unconfirmed suggestions reach a confidence (optionally of one class). */
  bulkAcceptPreview(threshold: number, classId?: number | null): Promise<BulkAcceptPreview>;
  /**
   * Confirms every unconfirmed suggestion at or above a confidence (one undoable batch). With
   * `asked` (what the user's question showed), refuses when the count or the run has changed.
   */
  bulkAccept(
    threshold: number,
    classId?: number | null,
    asked?: BulkAcceptAsked,
  ): Promise<LabelChange>;
  /** Nearest images by embedding (cosine), most similar first. */
  similar(imageId: number, k?: number): Promise<SimilarResult>;
  /** Grad-CAM of a run's predicted (or given) class for one image. */
  heatMap(imageId: number, runId?: number, classId?: number): Promise<HeatMap>;
  settings(): Promise<AssistSettings>;
  updateSettings(settings: Partial<AssistSettings>): Promise<AssistSettings>;
}
