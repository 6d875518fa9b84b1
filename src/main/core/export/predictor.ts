import type { DecisionRule, PredictInput } from '../../../shared/types';
import type { PreprocessingSpec } from '../ml/zoo-types';

/** One image's prediction; `error` set (and no label) when the image could not be read. */
export interface PredictionRow {
  path: string;
  /** The frame of a multi-frame file, when the input was one. */
  frame?: number;
  label: string;
  confidence: number | null;
  probabilities: number[] | null;
  error: string | null;
  /** The decision by the run's operating point, when it has one. */
  decision?: string;
  /** With a detector: the box ([x, y, w, h], normalised) and its category, or 'empty'. */
  box?: [number, number, number, number] | null;
  detection?: string;
  detectionConfidence?: number | null;
}

/** A classifier ready to run on image files. */
export interface Predictor {
  readonly classes: string[];
  readonly preprocessing: PreprocessingSpec;
  /** Probabilities are averaged with the mirror image's (test-time augmentation). */
  readonly tta: boolean;
  /** What runs the network: TF.js, or ONNX Runtime for a bundle's model.onnx. */
  readonly engine: 'tfjs' | 'onnx';
  /** The operating point its rows' decisions follow (export/decision-rule.ts), if any. */
  readonly decisionRule?: DecisionRule | null;
  /** Probabilities for a batch of files (or frames); unreadable files get an error row. */
  predict(files: readonly PredictInput[]): Promise<PredictionRow[]>;
  /** Detects first and gives one row per box (export/box-predict.ts). */
  readonly detects?: boolean;
  /** Probabilities of network pixels ([h, w, 3] sRGB bytes each, e.g. boxes' crops). */
  predictPixels(pixels: readonly Uint8Array[]): Promise<number[][]>;
  dispose(): void;
}
