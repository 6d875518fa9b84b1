/** Batch prediction outside the project view: bundles, manifests, shards and their import. */

/** What classifies: a model bundle folder, or a run of the open project (newest finished by default). */
export type PredictSource = { bundle: string } | { runId?: number };

/** An open classifier (`predict.open`), used by id until `predict.close`. */
export interface PredictorInfo {
  id: string;
  classes: string[];
  engine: 'tfjs' | 'onnx';
  /** Probabilities are the mean of the image's and its mirror's. */
  tta: boolean;
  /** Rows carry a decision: the classifier has an operating point. */
  decides: boolean;
  /** The bundle detects first: one row per box (and one 'empty' row per image without). */
  detects?: boolean;
}

/** One image's prediction; `error` set (and no label) when the image could not be read. */
/** One frame of a multi-frame image file (DICOM), 0-based: predicted as an image of its own. */
export interface PredictFrame {
  path: string;
  frame: number;
}

/** What a classifier is given: an image file, or one frame of a multi-frame file. */
export type PredictInput = string | PredictFrame;

export interface ImagePrediction {
  path: string;
  /** The frame of a multi-frame file this row is about (absent for ordinary files). */
  frame?: number;
  label: string;
  confidence: number | null;
  /** In the classifier's class order. */
  probabilities: number[] | null;
  /** The class chosen at the operating point, when the classifier has one. */
  decision?: string | null;
  error: string | null;
  /** With a detector: the box ([x, y, w, h] normalised to the image), or null for an empty image. */
  box?: [number, number, number, number] | null;
  /** With a detector: the box's category (animal, person, vehicle), or 'empty'. */
  detection?: string;
  detectionConfidence?: number | null;
}

/** A stable part of a manifest: line k (0-based, blank lines skipped) belongs to shard k mod count. */
export interface ShardSpec {
  index: number;
  count: number;
}

export interface ManifestPredictOptions {
  source: PredictSource;
  /** A text file with one image path per line, or a folder (walked once, in sorted order). */
  manifest: string;
  /** This task's shard; the whole manifest when absent. */
  shard?: ShardSpec;
  /** The JSON Lines file written (appended batch by batch). */
  out: string;
  /** Keep the records already in `out` and continue after them. */
  resume?: boolean;
  batchSize?: number;
}

export interface ManifestPredictResult {
  out: string;
  /** Files of this shard in the manifest (its lines): what the job's progress counts. */
  total: number;
  /** Files this call wrote records for. */
  files: number;
  /**
   * Records already in `out` when resuming. A record is a row: one per file, one per frame of
   * a multi-frame DICOM.
   */
  resumed: number;
  /** Records written by this call. */
  written: number;
  /** Of those, images that could not be read (a record with `error`). */
  errors: number;
  seconds: number;
  engine: 'tfjs' | 'onnx';
}

/**
 * One line of a predictions JSON Lines file (`ocellus predict --manifest`). `decision` is the
 * class chosen at the model's operating point, null where the model declares none.
 */
export interface PredictionRecord {
  path: string;
  /** The frame of a multi-frame file (0-based); absent for ordinary files. */
  frame?: number;
  sha256: string | null;
  label: string | null;
  confidence: number | null;
  probabilities: Record<string, number> | null;
  decision: string | null;
  error: string | null;
}

/** Rewrites a record's path before matching: `from` (a path prefix) becomes `to`. */
export interface PathPrefixMap {
  from: string;
  to: string;
}

export interface PredictionImportOptions {
  /** JSON Lines files written by `ocellus predict --manifest`. */
  files: string[];
  /** The name of the imported set of suggestions; importing the same name again replaces it. */
  name: string;
  prefixMap?: PathPrefixMap[];
}

export interface PredictionImportResult {
  name: string;
  /** The run id the suggestions carry (negative: an imported set, not a training run). */
  runId: number;
  records: number;
  matched: number;
  byHash: number;
  byPath: number;
  /** Records naming no image of the project (and records of unreadable images). */
  unmatched: number;
  /** Records of an image already matched by an earlier record (the first one is kept). */
  duplicated: number;
  errors: number;
  /** Record classes the project does not have (their suggestions carry no class). */
  unknownClasses: string[];
  /** A few unmatched paths, to see what went wrong. */
  unmatchedExamples: string[];
}
