/** Machine-learning backends and base models (TF.js, ONNX, SavedModel). */

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface MlStatus {
  /** The TF.js backend in use, or null until the first ML work starts it. */
  backend: BackendName | null;
  /** Backends that could start here, best first. */
  available: BackendName[];
  /** Why the better ones could not. */
  unavailable: { backend: BackendName; reason: string }[];
  /** Inference engine for embeddings: ONNX Runtime when the model converts, else TF.js. */
  engine?: 'onnx' | 'tfjs';
  /** Why that engine (e.g. the reason ONNX Runtime was not used). */
  engineNote?: string;
}

/** How a base model is stored: TF.js Layers or Graph, or a TensorFlow SavedModel (native only). */
export type ModelFormat = 'layers' | 'graph' | 'onnx' | 'savedmodel';

export interface BaseModelInfo {
  id: string;
  name: string;
  format: ModelFormat;
  inputSize: [number, number];
  featureSize: number | null;
  licence: string;
  /** Where the offline copy is, or 'zoo' when it must be downloaded first. */
  source: 'zoo' | 'bundled' | 'cache' | 'imported';
  /** An offline copy exists. */
  available: boolean;
  /** The zoo's download address was confirmed from a published source. */
  confirmed: boolean;
  sizeBytes: number | null;
  url: string | null;
}

export interface EmbeddingStatus {
  modelId: string;
  /** Readable images (distinct contents) that can be embedded. */
  total: number;
  embedded: number;
  failed: number;
  dim: number | null;
}

/** One signature of a TensorFlow SavedModel; shapes use -1 for "any". */
export interface SavedModelSignature {
  tags: string[];
  name: string;
  inputs: { name: string; dtype: string; shape: number[] }[];
  outputs: { name: string; dtype: string; shape: number[] }[];
}

/** What a SavedModel folder offers, and what Ocellus would pick by default. */
export interface SavedModelInfo {
  signatures: SavedModelSignature[];
  signature: string;
  featureOutput: string;
  /** Which engine can run it, and why. */
  note: string;
}

/** Choices when importing a SavedModel; anything left out is detected or defaulted. */
export interface SavedModelChoice {
  signature?: string;
  featureOutput?: string;
  /** How images are prepared for it (default: its declared size, centre crop, RGB in [0, 1]). */
  preprocessing?: {
    inputSize?: [number, number];
    resize?: 'squash' | 'center-crop' | 'letterbox';
    normalization?:
      | { kind: 'range'; min: number; max: number }
      | { kind: 'mean-std'; mean: [number, number, number]; std: [number, number, number] }
      | { kind: 'caffe'; mean: [number, number, number]; bgr: boolean };
  };
}
