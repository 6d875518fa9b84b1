import type { EmbedItem, EngineConfig, EngineName } from './embed-engine';
import type { BackendName } from './tf-runtime';

/** Main → ML worker. */
export type ToWorker =
  | { type: 'init'; config: EngineConfig }
  | { type: 'embed'; id: number; items: EmbedItem[] }
  | { type: 'close' };

/** ML worker → main. Vectors travel packed in one transferable Float32Array. */
export type FromWorker =
  | {
      type: 'ready';
      size: number;
      featureLayer: string;
      backend: BackendName;
      /** Inference engine in use (absent: tfjs); `note` says why when it fell back. */
      engine?: EngineName;
      note?: string;
    }
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
