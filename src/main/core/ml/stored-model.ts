import type { ModelFormat } from '../../../shared/types';
import type { ModelHashes, OnnxBaseDeclaration } from './model-files';

/** Where a model's files are on disk and which loader they need. */
export interface ModelFiles {
  /** model.json, or model.onnx for an ONNX base. */
  modelJson: string;
  dir: string;
  format: ModelFormat;
  /** ONNX bases: how to feed the model. */
  onnx?: OnnxBaseDeclaration;
}

/** A model available offline. */
export interface StoredModel extends ModelFiles {
  id: string;
  name: string;
  source: 'bundled' | 'cache' | 'imported';
  sizeBytes: number;
  sha256: ModelHashes;
  zooId: string | null;
}
