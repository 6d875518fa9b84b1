import fs from 'node:fs';
import path from 'node:path';
import { OcellusError } from '../../../shared/errors';
import { readSavedModelDescriptor } from './saved-model-files';
import type { PreprocessingSpec, ZooManifest, ZooModel } from './zoo-types';

export const ZOO_FILE = 'model-zoo.json';

/** Reads the model-zoo manifest shipped in resources/. */
export function loadZoo(resourcesDir: string): ZooModel[] {
  const file = path.join(resourcesDir, ZOO_FILE);
  let data: ZooManifest;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8')) as ZooManifest;
  } catch (err) {
    throw new OcellusError(
      'IO_ERROR',
      `Cannot read the model zoo ${file}: ${(err as Error).message}`,
    );
  }
  if (data.version !== 1 || !Array.isArray(data.models)) {
    throw new OcellusError('IO_ERROR', `${file} is not a version-1 model zoo manifest`);
  }
  return data.models;
}

/** Preprocessing for a model outside the zoo: its own input size, centre crop, values in [0, 1]. */
export function defaultPreprocessing(modelJsonPath: string): PreprocessingSpec {
  // An imported SavedModel carries the preprocessing declared when it was imported.
  const savedModel = readSavedModelDescriptor(modelJsonPath);
  if (savedModel) return savedModel.preprocessing;
  return {
    inputSize: layersInputSize(modelJsonPath) ?? [224, 224],
    resize: 'center-crop',
    normalization: { kind: 'range', min: 0, max: 1 },
  };
}

/** The [height, width] a Layers model declares for its input, when it does. */
export function layersInputSize(modelJsonPath: string): [number, number] | null {
  try {
    const json = JSON.parse(fs.readFileSync(modelJsonPath, 'utf8')) as {
      modelTopology?: {
        model_config?: {
          config?: { layers?: { config?: { batch_input_shape?: (number | null)[] } }[] };
        };
        config?: { layers?: { config?: { batch_input_shape?: (number | null)[] } }[] };
      };
    };
    const topo = json.modelTopology;
    const layers = topo?.model_config?.config?.layers ?? topo?.config?.layers ?? [];
    const shape = layers[0]?.config?.batch_input_shape;
    const h = shape?.[1];
    const w = shape?.[2];
    return typeof h === 'number' && typeof w === 'number' ? [h, w] : null;
  } catch {
    return null;
  }
}
