import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { io } from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { OcellusError } from '../../../shared/errors';
import { refuseExisting, writeNewFile } from '../util/fs-atomic';
import { readFileSafe, readTextSafe } from '../util/safe-fs';
import { MAX_MODEL_BYTES, MAX_MODEL_JSON_BYTES } from './model-import';

interface ModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  modelTopology?: unknown;
  weightsManifest?: { paths: string[]; weights: io.WeightsManifestEntry[] }[];
  signature?: unknown;
  // TF.js types this as {[key: string]: {}}: any non-null value.
  userDefinedMetadata?: Record<string, NonNullable<unknown>>;
  modelInitializer?: unknown;
}

/**
 * A TF.js IOHandler that reads model.json and its weight shards from disk. TF.js's own
 * file:// handler lives in @tensorflow/tfjs-node, which is optional and often absent.
 * Everything is read through the safe reader, confined to model.json's folder: a shard
 * path or link leading out of it, a FIFO or a device (/dev/zero) is refused, not read.
 */
export function diskModelHandler(modelJsonPath: string): io.IOHandler {
  return {
    load: async () => {
      const dir = path.dirname(path.resolve(modelJsonPath));
      const json = await readModelJson(modelJsonPath, dir);
      const specs: io.WeightsManifestEntry[] = [];
      const buffers: Buffer[] = [];
      let total = 0;
      for (const group of json.weightsManifest ?? []) {
        for (const p of group.paths) {
          const file = path.resolve(dir, p);
          if (path.relative(dir, file).startsWith('..')) {
            throw new OcellusError('INVALID_ARGUMENT', `Weight path ${p} leaves the model folder`);
          }
          const shard = await readFileSafe(file, {
            roots: [dir],
            maxBytes: MAX_MODEL_BYTES - total,
          });
          total += shard.length;
          buffers.push(shard);
        }
        specs.push(...group.weights);
      }
      const all = Buffer.concat(buffers);
      return {
        modelTopology: json.modelTopology as io.ModelArtifacts['modelTopology'],
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy ?? undefined,
        weightSpecs: specs,
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
        signature: json.signature as io.ModelArtifacts['signature'],
        userDefinedMetadata: json.userDefinedMetadata,
        modelInitializer: json.modelInitializer as io.ModelArtifacts['modelInitializer'],
      };
    },
  };
}

/** model.json through the safe reader (inside `dir`); a refusal keeps its own clear message. */
async function readModelJson(modelJsonPath: string, dir: string): Promise<ModelJson> {
  const text = await readTextSafe(modelJsonPath, { roots: [dir], maxBytes: MAX_MODEL_JSON_BYTES });
  try {
    return JSON.parse(text) as ModelJson;
  } catch (err) {
    throw new OcellusError(
      'INVALID_ARGUMENT',
      `${modelJsonPath} is not JSON: ${(err as Error).message}`,
      { path: modelJsonPath },
    );
  }
}

/** 'layers', 'graph' or 'savedmodel', from model.json's format field or topology shape; 'onnx' for a .onnx file. */
export function modelFormat(modelJsonPath: string): 'layers' | 'graph' | 'onnx' | 'savedmodel' {
  if (modelJsonPath.toLowerCase().endsWith('.onnx')) return 'onnx';
  const json = JSON.parse(fs.readFileSync(modelJsonPath, 'utf8')) as ModelJson;
  if (json.format === 'graph-model') return 'graph';
  if (json.format === 'tf-saved-model') return 'savedmodel';
  if (json.format === 'layers-model') return 'layers';
  const topo = json.modelTopology as Record<string, unknown> | undefined;
  return topo && ('node' in topo || 'versions' in topo) ? 'graph' : 'layers';
}

/** The artifacts of a model as TF.js writes them: topology, weight specs and bytes. */
export interface SavedModelFiles {
  modelJson: Record<string, unknown>;
  weights: Buffer;
}

/**
 * Saves a Layers model as `model.json` + one weight shard in `dir` (TF.js's file:// saver
 * lives in the optional tfjs-node) and returns what was written. Both files are new: an
 * existing file (or a link) at either name is refused before anything is written.
 */
export async function saveModel(model: LayersModel, dir: string): Promise<SavedModelFiles> {
  fs.mkdirSync(dir, { recursive: true });
  // mkdir accepts an existing link to a folder: files would land wherever it points.
  if (fs.lstatSync(dir).isSymbolicLink()) {
    throw new OcellusError('ALREADY_EXISTS', `${dir} is a symbolic link; nothing is saved in it`, {
      path: dir,
    });
  }
  const weightsFile = path.join(dir, 'weights.bin');
  const jsonFile = path.join(dir, 'model.json');
  refuseExisting(weightsFile);
  refuseExisting(jsonFile);
  let saved: SavedModelFiles | null = null;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData;
      const weights = Array.isArray(data)
        ? Buffer.concat(data.map((b) => Buffer.from(b)))
        : Buffer.from(data ?? new ArrayBuffer(0));
      const modelJson = {
        format: 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: 'Ocellus',
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      };
      writeNewFile(weightsFile, weights);
      writeNewFile(jsonFile, JSON.stringify(modelJson));
      saved = { modelJson, weights };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!saved) throw new OcellusError('INTERNAL', 'TF.js did not hand over the model to save');
  return saved;
}
