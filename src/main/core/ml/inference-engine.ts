/**
 * The inference-engine choice: ONNX Runtime when the model converts to ONNX and the
 * conversion matches TF.js, TF.js otherwise. `OCELLUS_ENGINE=tfjs|onnx` forces one.
 */
import { loadLayersModel } from '@tensorflow/tfjs-layers';
import { OcellusError } from '../../../shared/errors';
import {
  EmbedEngine,
  type EmbedItem,
  type EmbedOutcome,
  type EngineConfig,
  type EngineName,
  type PreparedBatch,
} from './embed-engine';
import { diskModelHandler, modelFormat } from './model-io';
import { convertFeatureModel } from './onnx/convert-layers';
import { readOnnxCache, writeOnnxCache } from './onnx/onnx-cache';
import { OnnxEngine, createSession, loadOrt, probeOnnxBase } from './onnx/onnx-engine';
import fs from 'node:fs';
import { VERIFY_TOLERANCE, compareWithTfjs, verificationInputs } from './onnx/verify';
import { NATIVE_ONLY_NOTE } from './saved-model-files';
import { initBackend } from './tf-runtime';

export type { EngineName };

/** What both engines offer the ML worker. */
export interface InferenceEngine {
  readonly engine: EngineName;
  readonly size: number;
  readonly featureLayer: string;
  /** Why this engine was chosen over the other (a fallback's reason), or ''. */
  readonly note: string;
  prepare(items: readonly EmbedItem[]): Promise<PreparedBatch>;
  infer(batch: PreparedBatch): EmbedOutcome[] | Promise<EmbedOutcome[]>;
  numTensors(): number;
  dispose(): void;
}

/** True when `value` names an engine. */
export function isEngineName(value: unknown): value is EngineName {
  return value === 'tfjs' || value === 'onnx';
}

/** The engine forced by OCELLUS_ENGINE, or by `preferred`; null: choose. */
export function forcedEngine(preferred?: EngineName | null): EngineName | null {
  const v = process.env['OCELLUS_ENGINE'];
  if (v) {
    if (!isEngineName(v)) {
      throw new OcellusError('INVALID_ARGUMENT', `OCELLUS_ENGINE must be onnx or tfjs, not ${v}`);
    }
    return v;
  }
  return preferred ?? null;
}

/** An ONNX base model runs on ONNX Runtime only: there is no TF.js model to fall back to. */
async function onnxBaseEngine(
  config: EngineConfig,
  forced: EngineName | null,
): Promise<InferenceEngine> {
  if (forced === 'tfjs') {
    throw new OcellusError(
      'UNSUPPORTED',
      'This base is an ONNX model: it runs on ONNX Runtime only (OCELLUS_ENGINE=tfjs cannot run it)',
    );
  }
  const ort = await loadOrt();
  const session = await createSession(fs.readFileSync(config.modelJson));
  const size = await probeOnnxBase(session, ort, config);
  return new OnnxEngine(session, ort, config, size, config.onnx?.output ?? '', 'ONNX base model');
}

/**
 * Starts the fastest engine that works for this model. ONNX failures (unsupported layers,
 * a mismatch with TF.js, the runtime missing) fall back to TF.js with the reason in `note`,
 * unless ONNX was forced, when they are errors.
 */
// eslint-disable-next-line max-lines-per-function -- one fallback ladder (ONNX Runtime, then TF.js) whose every reason lands in the same note.
export async function createInferenceEngine(config: EngineConfig): Promise<InferenceEngine> {
  const forced = forcedEngine(config.engine);
  if (config.onnx) return onnxBaseEngine(config, forced);
  if (forced === 'tfjs') return EmbedEngine.create(config);
  let tfjs: EmbedEngine | null = null;
  try {
    const format = modelFormat(config.modelJson);
    if (format === 'graph') {
      throw new OcellusError('UNSUPPORTED', 'Graph models are not converted to ONNX yet');
    }
    if (format === 'savedmodel') throw new OcellusError('UNSUPPORTED', NATIVE_ONLY_NOTE);
    const cached = readOnnxCache(config.modelJson, config.featureOutput);
    const ort = await loadOrt();
    if (cached) {
      const session = await createSession(cached.bytes);
      const e = cached.entry;
      return new OnnxEngine(
        session,
        ort,
        config,
        e.size,
        e.featureLayer,
        `cached, max diff ${e.maxDiff.toExponential(1)}`,
      );
    }
    await initBackend(config.backend ?? null);
    const layers = await loadLayersModel(diskModelHandler(config.modelJson));
    let conversion;
    try {
      conversion = convertFeatureModel(layers, config.featureOutput);
    } finally {
      layers.dispose();
    }
    tfjs = await EmbedEngine.create(config);
    const session = await createSession(conversion.bytes);
    const [h, w] = conversion.inputSize;
    const reference = tfjs;
    const maxDiff = await compareWithTfjs(
      session,
      ort,
      (b) => reference.embedTensor(b),
      verificationInputs(2, h, w),
      [2, h, w, 3],
    );
    if (!(maxDiff < VERIFY_TOLERANCE)) {
      void session.release();
      throw new OcellusError(
        'UNSUPPORTED',
        `The ONNX conversion differs from TF.js by ${maxDiff.toExponential(2)} (more than ${VERIFY_TOLERANCE})`,
      );
    }
    const entry = {
      featureLayer: conversion.featureLayer,
      size: conversion.size,
      inputSize: conversion.inputSize,
      maxDiff,
    };
    try {
      writeOnnxCache(config.modelJson, config.featureOutput, conversion.bytes, entry);
    } catch {
      // A read-only model folder only costs a conversion next time.
    }
    tfjs.dispose();
    tfjs = null;
    return new OnnxEngine(
      session,
      ort,
      config,
      entry.size,
      entry.featureLayer,
      `converted, max diff ${maxDiff.toExponential(1)}`,
    );
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    if (forced === 'onnx') {
      tfjs?.dispose();
      throw err instanceof OcellusError
        ? err
        : new OcellusError('UNSUPPORTED', `ONNX Runtime: ${reason}`);
    }
    const engine = tfjs ?? (await EmbedEngine.create(config));
    engine.note = `ONNX Runtime not used: ${reason}`;
    return engine;
  }
}
