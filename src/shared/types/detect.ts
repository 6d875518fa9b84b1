/** Camera-trap detection: boxes of animals, people and vehicles per image. */

/** What a detector's classes are mapped to; images with none above the threshold are empty. */
export type DetectionCategory = 'animal' | 'person' | 'vehicle';

export const DETECTION_CATEGORIES: readonly DetectionCategory[] = ['animal', 'person', 'vehicle'];

/** A box normalised to the image: x, y of its top-left corner, width, height, all in [0, 1]. */
export type NormalisedBox = [x: number, y: number, w: number, h: number];

/** Where a box came from. */
export type DetectionSource = 'model' | 'human' | 'import';

/** One box of one image. */
export interface Detection {
  id: number;
  imageId: number;
  detector: string;
  category: DetectionCategory;
  confidence: number;
  box: NormalisedBox;
  source: DetectionSource;
  /** A person confirmed it; a deleted box stays (so a re-run does not bring it back) but is hidden. */
  status: 'pending' | 'confirmed' | 'deleted';
  /** Recurs at the same place across many images of one camera (a rock, a stump). */
  static: boolean;
  /** The box's label, when any, and its confidence when it came from a classifier's results. */
  classId: number | null;
  classConf: number | null;
}

/** A detector Ocellus can run: the built-in stand-in, a zoo entry or an imported folder. */
export interface DetectorInfo {
  id: string;
  name: string;
  format: 'onnx' | 'graph';
  /** Whether its files are on this machine. */
  available: boolean;
  licence: string;
  /** Why it is not available (download or import it), or ''. */
  note: string;
}

export interface DetectOptions {
  /** A detector id (see `detect.detectors`) or a model folder; default: the built-in stand-in. */
  detector?: string | null;
  /** Boxes below this confidence are not stored (default 0.05, so the threshold can be lowered later). */
  minConfidence?: number;
  /** Images sent to the detector process at a time (default 8). */
  batchSize?: number;
}

/** Per-category image counts at one threshold (an image counts once per category it has). */
export interface DetectionCounts {
  detector: string | null;
  threshold: number;
  /** Images the detector has processed. */
  processed: number;
  /** Processed images with no box at or above the threshold. */
  empty: number;
  animal: number;
  person: number;
  vehicle: number;
  /** Empty images kept as animal candidates because another frame of their burst has an animal. */
  burstKept: number;
  /** Images not processed yet (or that failed). */
  pending: number;
}

export interface DetectionCountsQuery {
  threshold: number;
  detector?: string | null;
  /** Count an empty frame of a burst with an animal as an animal candidate (default true). */
  burstAware?: boolean;
}

/** The result of reading a MegaDetector batch-output file into the project. */
export interface DetectionImportResult {
  detector: string;
  images: number;
  boxes: number;
  /** Files of the JSON that match no image of the project. */
  unmatched: string[];
  /** Boxes whose class became a person's label (importing with `labels`). */
  labelled?: number;
}

/** Marking images without detections as empty: what would change, and what was refused. */
export interface MarkEmptyResult {
  /** Images labelled with the empty class (0 in a preview). */
  labelled: number;
  /** Images that would be labelled. */
  candidates: number;
  /** Candidates that already carry a human label (left alone unless replaceHuman). */
  humanLabelled: number;
  /** The undo batch of the change, when anything changed. */
  batchId: number | null;
}

export interface MarkEmptyOptions {
  threshold: number;
  detector?: string | null;
  /** The class name that means empty (created when missing); default "empty". */
  className?: string;
  burstAware?: boolean;
  /** Only count, change nothing. */
  preview?: boolean;
  /** Replace human labels too (the UI asks first, saying how many). */
  replaceHuman?: boolean;
}

/** Boxes recurring at one place across the images of one camera. */
export interface StaticBoxGroup {
  camera: string;
  box: NormalisedBox;
  images: number;
  detectionIds: number[];
}

/** A change to one box. */
export interface DetectionChange {
  status?: 'pending' | 'confirmed' | 'deleted';
  category?: DetectionCategory;
  /** The box's label (a class id), or null to clear it. */
  classId?: number | null;
  box?: NormalisedBox;
}

/** A box a person draws on an image. */
export interface NewDetection {
  imageId: number;
  category: DetectionCategory;
  box: NormalisedBox;
  classId?: number | null;
}

/** What writing MegaDetector JSON produced. */
export interface DetectionExportResult {
  file: string;
  detector: string;
  images: number;
  boxes: number;
}
