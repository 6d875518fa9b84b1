/** The `export` domain of the API contract (see ../api.ts). */
import type {
  LabelOptions,
  JobInfo,
  BundleExportOptions,
  CamtrapClassMapping,
  DatasetExportOptions,
  ExportRecord,
  LabelImportResult,
} from '../types';

export interface ExportApi {
  /** Writes a dataset export (CSV, ImageFolder, Camtrap DP) as a job. */
  dataset(options: DatasetExportOptions): Promise<JobInfo>;
  /** Writes a run's self-contained model bundle (and optionally a .zip) as a job. */
  bundle(options: BundleExportOptions): Promise<JobInfo>;
  /** Imports human labels from a CSV (path, label) as one undoable batch, asking as `labels.assign` does. */
  importLabels(file: string, options?: LabelOptions): Promise<LabelImportResult>;
  /** The project's recent exports, newest first. */
  history(): Promise<ExportRecord[]>;
  /** How each class becomes a Camtrap DP observation (saved entries and guesses). */
  camtrapMapping(): Promise<CamtrapClassMapping[]>;
  /** Saves edited mapping entries; returns the whole mapping. */
  setCamtrapMapping(entries: CamtrapClassMapping[]): Promise<CamtrapClassMapping[]>;
}
