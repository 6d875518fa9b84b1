import type { EmbedItem, EngineConfig } from './embed-engine';
import type { BackendName } from './tf-runtime';

/** Main → ML worker. */
export type ToWorker =
  | { type: 'init'; config: EngineConfig }
  | { type: 'embed'; id: number; items: EmbedItem[] }
  | { type: 'close' };

/** ML worker → main. Vectors travel packed in one transferable Float32Array. */
export type FromWorker =
  | { type: 'ready'; size: number; featureLayer: string; backend: BackendName }
  | {
      type: 'embedded';
      id: number;
      keys: string[];
      errors: (string | null)[];
      vectors: Float32Array;
      dim: number;
      numTensors: number;
    }
  | { type: 'failed'; id: number | null; message: string };
