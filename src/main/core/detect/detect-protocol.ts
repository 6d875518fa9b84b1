import type { BackendName } from '../ml/tf-runtime';
import type { CategoryBox } from './box-math';
import type { DetectorSpec } from './detector-spec';

/** One image to detect in: its cache key (content hash) and file. */
export interface DetectItem {
  key: string;
  file: string;
  /** The root folder the file must resolve inside (links leading out are refused). */
  root?: string;
  /** The frame of a multi-frame DICOM to detect in (0 or absent: the first or only one). */
  frame?: number;
}

/** The boxes of one image, or why it failed. */
export interface DetectOutcome {
  key: string;
  width?: number;
  height?: number;
  boxes?: CategoryBox[];
  error?: string;
}

/** Main → detector process. */
export type ToDetectWorker =
  | {
      type: 'init';
      spec: DetectorSpec;
      backend: BackendName | null;
      minConfidence: number;
    }
  | { type: 'detect'; id: number; items: DetectItem[] }
  | { type: 'close' };

/** Detector process → main. */
export type FromDetectWorker =
  | { type: 'ready'; engine: 'onnx' | 'tfjs'; backend: BackendName | null }
  | { type: 'detected'; id: number; outcomes: DetectOutcome[] }
  | { type: 'failed'; id: number | null; message: string };
