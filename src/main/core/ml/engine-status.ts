import { createRequire } from 'node:module';
import type { EngineName } from './embed-engine';
import { forcedEngine } from './inference-engine';

const nodeRequire = createRequire(import.meta.url);
let last: { engine: EngineName; note: string } | null = null;

/** Remembers the engine the last embedding run used (and why), for the status bar. */
export function recordEngine(engine: EngineName, note: string): void {
  last = { engine, note };
}

/**
 * The engine in use, or before any run the one that would be tried: the forced one, else
 * ONNX Runtime when its package is installed. Never loads the native addon in this process.
 */
export function engineStatus(): { engine: EngineName; note: string } {
  if (last) return last;
  let forced: EngineName | null;
  try {
    forced = forcedEngine(null);
  } catch (err) {
    return { engine: 'tfjs', note: err instanceof Error ? err.message : String(err) };
  }
  if (forced) return { engine: forced, note: 'forced by OCELLUS_ENGINE' };
  try {
    nodeRequire.resolve('onnxruntime-node');
    return { engine: 'onnx', note: 'used when the model converts to ONNX' };
  } catch {
    return { engine: 'tfjs', note: 'onnxruntime-node is not installed' };
  }
}
