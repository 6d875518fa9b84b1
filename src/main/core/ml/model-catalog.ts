import { OcellusError } from '../../../shared/errors';
import type { BaseModelInfo } from '../../../shared/types';
import type { EmbedModel } from './embedder';
import type { ModelStore, StoredModel } from './model-store';
import { defaultPreprocessing, loadZoo } from './zoo';
import type { ZooModel } from './zoo-types';

/**
 * The base models of one running app: the offline copies (`stored`) and the zoo manifest,
 * read once, and how a model id becomes the model an embedding or a run reads.
 */
export class ModelCatalog {
  private zooModels: ZooModel[] | null = null;

  constructor(
    readonly stored: ModelStore,
    private readonly resourcesDir: string | undefined,
  ) {}

  /** The zoo manifest's models (none without a resources folder), read on first use. */
  zoo(): ZooModel[] {
    if (!this.resourcesDir) return [];
    this.zooModels ??= loadZoo(this.resourcesDir);
    return this.zooModels;
  }

  /** The offline model for an id, with its preprocessing and feature output. */
  resolve(id: string): EmbedModel {
    const stored = this.stored.find(id);
    const entry = this.zoo().find((z) => z.id === (stored?.zooId ?? id));
    if (!stored) {
      throw new OcellusError(
        'NOT_FOUND',
        entry
          ? `${entry.name} is not downloaded yet: download it, or import a copy (ocellus models import)`
          : `No base model ${id}`,
      );
    }
    if (stored.format === 'onnx') {
      const io = entry?.onnx ?? stored.onnx?.io;
      const preprocessing = entry?.preprocessing ?? stored.onnx?.preprocessing;
      if (!io || !preprocessing) {
        throw new OcellusError(
          'INVALID_ARGUMENT',
          `${id} is an ONNX model without its declaration`,
        );
      }
      return {
        id: stored.id,
        modelJson: stored.modelJson,
        modelSha: stored.sha256.modelJson,
        featureOutput: io.output,
        preprocessing,
        onnx: io,
      };
    }
    return {
      id: stored.id,
      modelJson: stored.modelJson,
      modelSha: stored.sha256.modelJson,
      featureOutput: entry?.featureOutput ?? (stored.format === 'graph' ? 'default' : 'auto'),
      preprocessing: entry?.preprocessing ?? defaultPreprocessing(stored.modelJson),
    };
  }

  /** The display name of a base model: its zoo or folder name, else null. */
  nameOf(id: string): string | null {
    const stored = this.stored.find(id);
    if (stored) return stored.name;
    return this.zoo().find((z) => z.id === id)?.name ?? null;
  }

  /** Every model offline, then the zoo's models not downloaded yet. */
  describeAll(): BaseModelInfo[] {
    const zooModels = this.zoo();
    const stored = this.stored.list();
    const out: BaseModelInfo[] = stored.map((m) => this.describe(m));
    for (const z of zooModels) {
      if (!stored.some((m) => (m.zooId ?? m.id) === z.id)) out.push(describeZoo(z));
    }
    return out;
  }

  /** An offline model as the contract shows it, with what its zoo entry adds. */
  describe(
    m: StoredModel,
    z = this.zoo().find((entry) => entry.id === (m.zooId ?? m.id)),
  ): BaseModelInfo {
    const pre = z?.preprocessing ?? m.onnx?.preprocessing ?? defaultPreprocessing(m.modelJson);
    return {
      id: m.id,
      name: m.name,
      format: m.format,
      inputSize: pre.inputSize,
      featureSize: z?.featureSize ?? null,
      licence: z?.licence ?? m.onnx?.licence ?? 'unknown (imported)',
      source: m.source,
      available: true,
      confirmed: z?.confirmed ?? true,
      sizeBytes: m.sizeBytes,
      url: z?.url ?? null,
    };
  }
}

function describeZoo(z: ZooModel): BaseModelInfo {
  return {
    id: z.id,
    name: z.name,
    format: z.format,
    inputSize: z.preprocessing.inputSize,
    featureSize: z.featureSize,
    licence: z.licence,
    source: 'zoo',
    available: false,
    confirmed: z.confirmed,
    sizeBytes: z.sizeBytes,
    url: z.url,
  };
}
