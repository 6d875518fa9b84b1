/** The `detect` domain of the API contract (see ../api.ts). */
import type { JobInfo, LabelChange } from '../types';
import type {
  Detection,
  DetectionChange,
  DetectionCounts,
  DetectionCountsQuery,
  DetectionExportResult,
  DetectionImportResult,
  DetectOptions,
  DetectorInfo,
  MarkEmptyOptions,
  MarkEmptyResult,
  NewDetection,
  StaticBoxGroup,
} from '../types/detect';

/** Camera-trap detection: detectors, boxes, empty filtering, MegaDetector interchange. */
export interface DetectApi {
  /** The built-in stand-in and the zoo's detectors, with whether each is on this machine. */
  detectors(): Promise<DetectorInfo[]>;
  /** Runs a detector over the project's images as a job; results are cached per content and detector. */
  run(options?: DetectOptions): Promise<JobInfo>;
  /** Detectors with results in this project, most recently used first. */
  used(): Promise<string[]>;
  /** Images per category at a threshold (burst-aware by default). */
  counts(query: DetectionCountsQuery): Promise<DetectionCounts>;
  /** The image ids of one category (or 'empty') at a threshold, for the grid's filter. */
  imageIds(query: DetectionCountsQuery & { category: DetectionFilter }): Promise<number[]>;
  /** An image's boxes from a detector (default: the latest used) and people's. */
  boxes(imageId: number, detector?: string | null): Promise<Detection[]>;
  /** The boxes at or above a threshold of many images (the grid's visible tiles; at most 5000), by image id. */
  tileBoxes(query: {
    imageIds: number[];
    threshold: number;
    detector?: string | null;
  }): Promise<Record<number, Detection[]>>;
  /** Confirms, deletes, relabels or moves a box. */
  updateBox(id: number, change: DetectionChange): Promise<Detection>;
  /** Adds a box a person drew. */
  addBox(box: NewDetection): Promise<Detection>;
  /** Gives boxes a class (null: none) and confirms them, as one undoable label action. */
  labelBoxes(boxIds: number[], classId: number | null): Promise<LabelChange>;
  /** A box run's uncertainty queue: suggested boxes, least confident first (default 50). */
  uncertainBoxes(limit?: number): Promise<Detection[]>;
  /** Labels the images with no box at the threshold as empty, in one undoable batch. */
  markEmpty(options: MarkEmptyOptions): Promise<MarkEmptyResult>;
  /** Boxes recurring at one place (IoU ≥ 0.9) across many images of one camera. */
  staticBoxes(options?: {
    detector?: string | null;
    minImages?: number;
  }): Promise<StaticBoxGroup[]>;
  /** Hides the boxes of static groups (they stay, marked deleted); returns how many. */
  suppressStatic(detectionIds: number[]): Promise<number>;
  /**
   * Reads a MegaDetector batch-output JSON into the project. With `labels`, the file is
   * verified: its boxes' classifications become people's box labels (one undoable action).
   */
  importResults(file: string, options?: { labels?: boolean }): Promise<DetectionImportResult>;
  /** Writes a detector's results as MegaDetector batch-output JSON. */
  exportResults(file: string, detector?: string | null): Promise<DetectionExportResult>;
}

/** What the grid can filter on by detection. */
export type DetectionFilter = 'empty' | 'animal' | 'person' | 'vehicle';
