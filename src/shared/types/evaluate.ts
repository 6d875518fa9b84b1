/** Evaluation of a run: per-class figures, operating points, calibration. */

export interface Interval {
  lower: number;
  upper: number;
}

/** Per-class figures; a ratio with a zero denominator is 0 (scikit-learn's zero_division=0). */
export interface ClassEvaluation {
  name: string;
  precision: number;
  recall: number;
  f1: number;
  /** Validation images whose (current) label is this class. */
  support: number;
  /** One-vs-rest ROC AUC; null when the class has no support (or every image has it). */
  auc: number | null;
  /** One-vs-rest average precision; null when the class has no support. */
  averagePrecision: number | null;
}

/** A 2 × 2 table at one threshold: an image is called positive when its score is ≥ it. */
export interface OperatingPoint {
  threshold: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  /** Null where the denominator is 0 (no positives, negatives, or calls of one kind). */
  sensitivity: number | null;
  specificity: number | null;
  ppv: number | null;
  npv: number | null;
}

/** Two classes, or one class against the rest, scored by that class's probability. */
export interface BinaryEvaluation {
  kind: 'binary' | 'one-vs-rest';
  positiveClass: string;
  positives: number;
  negatives: number;
  roc: { fpr: number[]; tpr: number[] };
  auc: number | null;
  pr: { recall: number[]; precision: number[] };
  averagePrecision: number | null;
  /** The requested threshold and its figures. */
  atThreshold: OperatingPoint;
  /** Figures at every distinct score, highest threshold first (for a live slider). */
  operatingPoints: OperatingPoint[];
  intervals: {
    auc: Interval | null;
    averagePrecision: Interval | null;
    sensitivity: Interval | null;
    specificity: Interval | null;
    ppv: Interval | null;
    npv: Interval | null;
  };
}

export interface ReliabilityBin {
  /** Top-label confidences in (lower, upper]; the first bin also holds 0. */
  lower: number;
  upper: number;
  count: number;
  /** Mean confidence of its items; null when empty. */
  confidence: number | null;
  /** Share of its items predicted right; null when empty. */
  accuracy: number | null;
}

/** How a run was evaluated on its validation split, against the current human labels. */
export interface EvaluationReport {
  runId: number;
  classes: string[];
  /** Validation images evaluated. */
  count: number;
  accuracy: number;
  /** Counts: true class by row, predicted class by column, in class order. */
  confusionMatrix: number[][];
  /** Each row divided by its support (rows without support are 0). */
  confusionMatrixNormalised: number[][];
  perClass: ClassEvaluation[];
  macro: { precision: number; recall: number; f1: number };
  weighted: { precision: number; recall: number; f1: number };
  topK: { k: number; accuracy: number }[];
  /** 95 % percentile-bootstrap intervals of the headline figures. */
  intervals: { accuracy: Interval | null; macroF1: Interval | null };
  binary: BinaryEvaluation | null;
  calibration: { bins: ReliabilityBin[]; ece: number; mce: number };
  bootstrap: { resamples: number; level: number; seed: number };
  /** Validation images left out, and why. */
  excluded: { missing: number; unlabelled: number; otherClass: number; noEmbedding: number };
  labels: RunLabelState;
}

/** Whether the human labels a run learnt from have changed since. */
export interface RunLabelState {
  /** False for runs made before labels were recorded with the run. */
  known: boolean;
  /** Images of the run (train or validation) whose human label is not what the run used. */
  changed: number;
  /** Of those, validation images. */
  changedValidation: number;
  /** The run no longer reflects the labels: retrain to use the fixes. */
  stale: boolean;
}

export interface MisclassifiedImage {
  imageId: number;
  /** The box, when the run is a box-level one (the item is the box's crop). */
  boxId?: number;
  relPath: string;
  thumbVersion: string | null;
  /** The current human label. */
  trueClass: string;
  predictedClass: string;
  /** Probability of the predicted class. */
  confidence: number;
  /** Probability the run gave the current true class. */
  trueProbability: number;
  /** The label the run was trained and evaluated with, when it was recorded. */
  runClass: string | null;
  /** The label changed since the run (e.g. fixed here). */
  relabelled: boolean;
}

export interface EvaluateOptions {
  /** The class scored for ROC, PR and the threshold (default: the second of two, else the first). */
  positiveClass?: string;
  /** Default 0.5. */
  threshold?: number;
}

/** A run and whether its labels changed since it trained. */
export interface RunFreshness extends RunLabelState {
  runId: number;
}
