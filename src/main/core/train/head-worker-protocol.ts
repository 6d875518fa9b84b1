import type { EpochMetrics } from '../../../shared/types';
import type { BackendName } from '../ml/tf-runtime';
import type { HeadConfig, HeadData, HeadResult } from './head-trainer';

/** Main → head-training worker: one run, then the worker exits. */
export interface HeadWorkerStart {
  data: HeadData;
  config: HeadConfig;
  backend: BackendName | null;
  /** Int32Array over it: 1 once the run is cancelled, read by the worker between batches. */
  stop: SharedArrayBuffer;
}

/** Head-training worker → main. */
export type FromHeadWorker =
  | { type: 'batch'; epoch: number; batch: number; batches: number; loss: number; accuracy: number }
  | { type: 'epoch'; metrics: EpochMetrics }
  | { type: 'done'; result: HeadResult }
  | { type: 'failed'; message: string };
