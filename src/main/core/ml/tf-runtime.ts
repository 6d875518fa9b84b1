import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { OcellusError } from '../../../shared/errors';
import type { BackendName } from '../../../shared/types';

export type { BackendName };
export const BACKENDS: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

const nodeRequire = createRequire(import.meta.url);
let active: BackendName | null = null;
let skipped: { backend: BackendName; reason: string }[] = [];

/** True when `value` names a backend. */
export function isBackendName(value: unknown): value is BackendName {
  return typeof value === 'string' && (BACKENDS as readonly string[]).includes(value);
}

/**
 * Picks the best backend that works here, best first: native TensorFlow (the optional
 * @tensorflow/tfjs-node), WebAssembly, plain JS. `OCELLUS_BACKEND` or `preferred` forces one.
 */
export async function initBackend(preferred?: BackendName | null): Promise<BackendName> {
  // The environment variable wins over a saved setting, for scripts and support.
  const forced = envBackend() ?? preferred ?? null;
  if (active && (!forced || forced === active)) return active;
  const order = forced ? [forced] : BACKENDS;
  const failures: string[] = [];
  const tried: { backend: BackendName; reason: string }[] = [];
  for (const name of order) {
    let reason: string;
    try {
      await register(name);
      // Production mode skips per-op NaN checks and the "install tfjs-node" console banner.
      tf.enableProdMode();
      if (await tf.setBackend(name)) {
        await tf.ready();
        active = name;
        skipped = tried;
        return name;
      }
      reason = 'did not initialise';
    } catch (err) {
      reason = err instanceof Error ? (err.message.split('\n')[0] ?? err.message) : String(err);
    }
    tried.push({ backend: name, reason });
    failures.push(`${name}: ${reason}`);
  }
  throw new OcellusError(
    'UNSUPPORTED',
    `No machine-learning backend works here (${failures.join('; ')})`,
    {
      failures,
    },
  );
}

/** Better backends that could not start, and why. */
export function skippedBackends(): { backend: BackendName; reason: string }[] {
  return skipped;
}

/** The backend in use, or null before initBackend. */
export function activeBackend(): BackendName | null {
  return active;
}

function envBackend(): BackendName | null {
  const v = process.env['OCELLUS_BACKEND'];
  if (!v) return null;
  if (!isBackendName(v)) {
    throw new OcellusError(
      'INVALID_ARGUMENT',
      `OCELLUS_BACKEND must be one of ${BACKENDS.join(', ')}, not ${v}`,
    );
  }
  return v;
}

async function register(name: BackendName): Promise<void> {
  if (name === 'cpu') return;
  if (name === 'wasm') {
    // The wasm binaries sit in the package's dist folder; in Node they are read from disk.
    const dist = path.join(
      path.dirname(nodeRequire.resolve('@tensorflow/tfjs-backend-wasm/package.json')),
      'dist',
    );
    setWasmPaths(`${dist}${path.sep}`);
    return;
  }
  // TensorFlow's C++ start-up notes (oneDNN, CPU features) would land on every CLI's stderr.
  process.env['TF_CPP_MIN_LOG_LEVEL'] ??= '2';
  // Optional dependency: absent wherever libtensorflow could not be downloaded (an offline
  // install without `npm run setup:native`).
  nodeRequire('@tensorflow/tfjs-node');
}
