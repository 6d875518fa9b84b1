/** The `ml` domain of the API contract (see ../api.ts). */
import type {
  BackendName,
  BaseModelInfo,
  EmbeddingStatus,
  MlStatus,
  JobInfo,
  SavedModelChoice,
  SavedModelInfo,
} from '../types';

export interface MlApi {
  /** The TF.js backend in use (started on first call) and why better ones are not. */
  status(): Promise<MlStatus>;
  /** Forces a backend (checked to work, remembered across starts), or null for the best one. */
  setBackend(backend: BackendName | null): Promise<MlStatus>;
  /** Base models: the zoo, bundled, downloaded and imported. */
  models(): Promise<BaseModelInfo[]>;
  /** Downloads a zoo model (resumable, checksum-verified) as a job. */
  downloadModel(id: string): Promise<JobInfo>;
  /**
   * Imports a model folder (model.json + shards, or a TensorFlow SavedModel, which needs the
   * native backend) or an exported model file.
   */
  importModel(path: string, savedModel?: SavedModelChoice): Promise<BaseModelInfo>;
  /**
   * What a SavedModel folder offers (signatures, detected feature output) before importing it;
   * null when the path is not a SavedModel folder.
   */
  inspectSavedModel(path: string): Promise<SavedModelInfo | null>;
  /** Writes an offline copy of a model to one file, to carry to another machine. */
  exportModel(id: string, file: string): Promise<void>;
  /** Computes embeddings of every readable image with a base model, as a job. */
  embed(modelId: string, options?: { batchSize?: number }): Promise<JobInfo>;
  /** How many images have embeddings for a base model. */
  embeddingStatus(modelId: string): Promise<EmbeddingStatus>;
}
