/** The `predict` domain of the API contract (see ../api.ts). */
import type {
  ImagePrediction,
  ManifestPredictOptions,
  ManifestPredictResult,
  PredictInput,
  PredictSource,
  PredictionImportOptions,
  PredictionImportResult,
  PredictorInfo,
} from '../types';

/**
 * Classifying image files with a model bundle or a run, outside the project's own suggestions:
 * `ocellus predict`, manifests split in shards for a cluster, and bringing their output back.
 */
export interface PredictApi {
  /** Loads a classifier (a bundle folder, or a run of the open project). */
  open(source: PredictSource): Promise<PredictorInfo>;
  /** Classifies these files (or frames); an unreadable one gets an `error`, never an abort. */
  images(predictorId: string, files: PredictInput[]): Promise<ImagePrediction[]>;
  /** Releases a classifier. */
  close(predictorId: string): Promise<void>;
  /**
   * Image files under these files and folders (recursive, DICOM without an extension too),
   * in a stable order; a multi-frame file as one entry per frame.
   */
  files(paths: string[]): Promise<PredictInput[]>;
  /** Classifies a manifest (or one shard of it) into JSON Lines, resumably, as a job. */
  manifest(options: ManifestPredictOptions): Promise<ManifestPredictResult>;
  /** Merges predictions JSON Lines into the open project as a named set of suggestions, as a job. */
  importRecords(options: PredictionImportOptions): Promise<PredictionImportResult>;
}
