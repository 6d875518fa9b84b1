/** Exports: dataset formats, model bundles, label imports, Camtrap DP. */
import type { PrivacyOptions } from './clinic';

export type DatasetFormat = 'csv' | 'imagefolder' | 'camtrap-dp';
export type ExportKind = DatasetFormat | 'bundle';

export interface DatasetExportOptions {
  format: DatasetFormat;
  /** Output folder (created; for ImageFolder and Camtrap DP it must be empty or absent). */
  out: string;
  /** ImageFolder: copy the files or hard-link them (same drive only; copies otherwise). */
  linkMode?: 'copy' | 'hardlink';
  /** Camtrap DP: one deployment per root folder or per camera. */
  deploymentsBy?: 'root' | 'camera';
  /** Camtrap DP: UTC offset of the camera clocks, e.g. "+02:00". */
  timezone?: string;
  /** ImageFolder: de-identify DICOM, strip photo metadata, pseudonymise names. */
  privacy?: PrivacyOptions;
}

export interface BundleExportOptions {
  /** The run to export; the newest finished run when absent. */
  runId?: number;
  out: string;
  /** Also write `<out>.zip`. */
  zip?: boolean;
  /**
   * A detector to include (its id, e.g. the built-in `centernet-coco`, or a detector folder's
   * full path): the bundle then detects, crops each box and classifies the crop. Absent, a box
   * run's bundle includes the detector last run on the project (else the built-in); null: none.
   */
  detector?: string | null;
  /** Boxes at or above this confidence are classified (default 0.2). */
  detectorThreshold?: number;
}

/** One past export of the project, newest first in lists. */
export interface ExportRecord {
  id: number;
  kind: ExportKind;
  path: string;
  runId: number | null;
  state: 'done' | 'failed';
  /** One line: what was written, or why it failed. */
  summary: string;
  createdAt: string;
}

export interface LabelImportResult {
  /** Data rows with a path. */
  rows: number;
  /** Images whose labels changed. */
  labelled: number;
  createdClasses: string[];
  /** Paths that match no image (the first 200), with their CSV line. */
  unknown: { line: number; path: string }[];
  unknownCount: number;
  /** The undoable label batch, or null when nothing changed. */
  batchId: number | null;
  imageIds: number[];
  /** Nothing was imported: it would replace human labels of another class on this many images. */
  replacesHuman?: number;
}

export type CamtrapObservationType =
  'animal' | 'human' | 'vehicle' | 'blank' | 'unknown' | 'unclassified';

/** How one class becomes a Camtrap DP observation. */
export interface CamtrapClassMapping {
  className: string;
  observationType: CamtrapObservationType;
  /** For animals; the class name when not set. */
  scientificName: string | null;
}
