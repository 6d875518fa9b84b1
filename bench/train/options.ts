/** The training benchmark's command line and sizes. */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isBackendName, type BackendName } from '../../src/main/core/ml/tf-runtime';

export const DIM = 1280;
export const CLASSES = 10;

export function options() {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '2000,10000' },
      epochs: { type: 'string', default: '4' },
      'ref-epochs': { type: 'string', default: '2' },
      images: { type: 'string', default: '200' },
      'ft-epochs': { type: 'string', default: '2' },
      views: { type: 'string', default: '2' },
      backend: { type: 'string', default: 'wasm' },
      data: { type: 'string', default: path.join(os.tmpdir(), 'ocellus-bench-train') },
      json: { type: 'boolean', default: false },
      'native-unfreeze': { type: 'string', default: '4,1000' },
      'native-epochs': { type: 'string', default: '2' },
      'no-native': { type: 'boolean', default: false },
    },
  });
  if (!isBackendName(values.backend)) throw new Error(`--backend: ${values.backend}`);
  const int = (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`not a positive integer: ${v}`);
    return n;
  };
  return {
    sizes: values.sizes.split(',').map(int),
    epochs: Math.max(2, int(values.epochs)),
    refEpochs: int(values['ref-epochs']),
    images: int(values.images),
    ftEpochs: int(values['ft-epochs']),
    views: int(values.views),
    backend: values.backend as BackendName,
    data: values.data,
    json: values.json,
    native: !values['no-native'],
    nativeUnfreeze: values['native-unfreeze'].split(',').map(int),
    nativeEpochs: int(values['native-epochs']),
  };
}

/** Embeddings with a learnable signal: each class lifts its own block of dimensions. */
