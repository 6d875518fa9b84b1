import fs from 'node:fs';
import path from 'node:path';
import type { io } from '@tensorflow/tfjs-core';
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

/** 'layers' or 'graph', from model.json's format field or topology shape. */
export function modelFormat(modelJsonPath: string): 'layers' | 'graph' {
  const json = JSON.parse(fs.readFileSync(modelJsonPath, 'utf8')) as ModelJson;
  if (json.format === 'graph-model') return 'graph';
  if (json.format === 'layers-model') return 'layers';
  const topo = json.modelTopology as Record<string, unknown> | undefined;
  return topo && ('node' in topo || 'versions' in topo) ? 'graph' : 'layers';
}
