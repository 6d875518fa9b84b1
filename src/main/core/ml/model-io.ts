import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { io } from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { OcellusError } from '../../../shared/errors';

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
 */
export function diskModelHandler(modelJsonPath: string): io.IOHandler {
  return {
    load: async () => {
      let json: ModelJson;
      try {
        json = JSON.parse(await fs.promises.readFile(modelJsonPath, 'utf8')) as ModelJson;
      } catch (err) {
        throw new OcellusError(
          'IO_ERROR',
          `Cannot read ${modelJsonPath}: ${(err as Error).message}`,
        );
      }
      const dir = path.dirname(modelJsonPath);
      const specs: io.WeightsManifestEntry[] = [];
      const buffers: Buffer[] = [];
      for (const group of json.weightsManifest ?? []) {
        for (const p of group.paths) {
          const file = path.resolve(dir, p);
          if (path.relative(dir, file).startsWith('..')) {
            throw new OcellusError('INVALID_ARGUMENT', `Weight path ${p} leaves the model folder`);
          }
          buffers.push(await fs.promises.readFile(file));
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
 * lives in the optional tfjs-node) and returns what was written.
 */
export async function saveModel(model: LayersModel, dir: string): Promise<SavedModelFiles> {
  fs.mkdirSync(dir, { recursive: true });
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
      fs.writeFileSync(path.join(dir, 'weights.bin'), weights);
      fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(modelJson));
      saved = { modelJson, weights };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!saved) throw new OcellusError('INTERNAL', 'TF.js did not hand over the model to save');
  return saved;
}
