/** Clinical checks: leakage across a run's split, its operating point, de-identification. */

/** A metadata value (a patient, an eye…) found on both sides of a split. */
export interface LeakedGroup {
  value: string;
  train: number;
  validation: number;
}

/** Two images, one on each side of the split. */
export interface LeakedPair {
  trainId: number;
  trainPath: string;
  validationId: number;
  validationPath: string;
  /** Cosine similarity of their embeddings; 1 for identical files. */
  cosine: number;
}

export interface LeakageOptions {
  /** Embedding cosine at or above which two images count as near-duplicates; default 0.97. */
  threshold?: number;
  /** Metadata keys whose values must not straddle the split; default every key present. */
  keys?: string[];
  /** Most near-duplicate pairs listed (all are counted); default 100. */
  maxPairs?: number;
}

/** What of a run's validation split is also in its training split. */
export interface LeakageReport {
  runId: number;
  train: number;
  validation: number;
  threshold: number;
  /** Per metadata key, the values (patients, eyes…) on both sides; keys without any are left out. */
  groups: { key: string; values: LeakedGroup[] }[];
  /** Identical files on both sides. */
  exact: LeakedPair[];
  /** Pairs at or above the threshold (identical files excluded), most similar first. */
  near: LeakedPair[];
  /** How many near-duplicate pairs there are in all (near lists at most maxPairs). */
  nearCount: number;
  /** Images left out of the near-duplicate check: no embedding for the run's base model. */
  noEmbedding: number;
}

/** What a dataset export does to keep identifying data in the project (ImageFolder exports). */
export interface PrivacyOptions {
  /** DICOM files: de-identify by DICOM PS3.15 Annex E's Basic Profile (and log it). */
  deidentify?: boolean;
  /** With deidentify: shift dates per patient (default; intervals kept) or remove them. */
  dates?: 'shift' | 'remove';
  /** Other images: drop EXIF (GPS, camera serials, times), XMP, IPTC and comments. */
  stripMetadata?: boolean;
  /** File names become image-000001.<ext>: the originals' names can identify people. */
  pseudonymiseNames?: boolean;
}

/** How the user fixes a run's threshold for its positive class. */
export interface OperatingPointTarget {
  positiveClass: string;
  /** Reach at least this sensitivity or specificity, or use this threshold as it is. */
  by: 'sensitivity' | 'specificity' | 'threshold';
  value: number;
}

/**
 * A run's operating point: an image is called `positiveClass` when that class's probability
 * is at least `threshold`, else the most probable other class. Stored with the run; bundles
 * and every predict path apply it.
 */
export interface DecisionRule {
  positiveClass: string;
  threshold: number;
}

/** The operating point as set, with the validation figures at it (95 % bootstrap CIs). */
export interface RunOperatingPoint extends DecisionRule {
  runId: number;
  target: OperatingPointTarget;
  sensitivity: number | null;
  specificity: number | null;
  ppv: number | null;
  npv: number | null;
  intervals: {
    sensitivity: { lower: number; upper: number } | null;
    specificity: { lower: number; upper: number } | null;
    ppv: { lower: number; upper: number } | null;
    npv: { lower: number; upper: number } | null;
  };
  /** Validation images the figures come from. */
  count: number;
  setAt: string;
}
