/** Model assistance: suggestions, quick retraining, similar images, heat maps. */

/** A model's suggested class for an image (from the latest run's predictions). */
export interface Suggestion {
  runId: number;
  /** null when the class was deleted since. */
  classId: number | null;
  confidence: number;
  /** Top probability minus the second: small means unsure. */
  margin: number;
  /** Entropy of the probabilities, in nats. */
  entropy: number;
}

export interface PredictionStatus {
  /** The run whose suggestions are shown, or null when there are none. */
  runId: number | null;
  /** Images with a suggestion from that run. */
  predicted: number;
  /** Of those, without a human label. */
  unconfirmed: number;
  /** Of those, whose human label differs. */
  disagreeing: number;
  /** The prediction job running now, if any. */
  jobId: string | null;
  /** Quick retrain state, for the UI. */
  quickRetrain: QuickRetrainStatus;
}

export interface PredictionDetail extends Suggestion {
  imageId: number;
  /** Every class's probability, in the run's class order. */
  probabilities: { classId: number | null; name: string; p: number }[];
}

export interface AssistSettings {
  /** Retrain the head in the background as labels arrive. */
  quickRetrain: boolean;
  /** Seconds after the last label before a quick retrain starts. */
  quickRetrainDelaySeconds: number;
  /** Accepting a suggestion below this confidence (0–1) takes a second press. */
  acceptTwiceBelow: number;
}

export interface QuickRetrainStatus {
  enabled: boolean;
  /** 'idle', 'waiting' (debounce), 'training', or why it cannot run. */
  state: 'idle' | 'waiting' | 'training' | 'unavailable';
  detail: string | null;
  lastRunId: number | null;
}

export interface BulkAcceptPreview {
  /** Images a bulk accept would label now. */
  count: number;
  threshold: number;
  classId: number | null;
  /** The run whose suggestions were counted (null when there are none). */
  runId: number | null;
}

/** What a bulk accept's question showed: the accept goes ahead only if it still holds. */
export interface BulkAcceptAsked {
  count: number;
  runId: number | null;
}

export interface SimilarImage {
  imageId: number;
  /** Cosine similarity, -1–1. */
  score: number;
}

export interface SimilarResult {
  imageId: number;
  items: SimilarImage[];
  /** Vectors scanned and the scan's time, for the curious. */
  scanned: number;
  milliseconds: number;
}

export interface HeatMap {
  imageId: number;
  runId: number;
  classId: number | null;
  className: string;
  /** Grid size of the map (the feature map's spatial size). */
  width: number;
  height: number;
  /** Row-major, 0–1. */
  values: number[];
  /** How the model input was cut from the image, to lay the map over it. */
  resize: 'squash' | 'center-crop' | 'letterbox';
}
