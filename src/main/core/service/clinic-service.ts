import type { ClinicApi } from '../../../shared/api';
import { OcellusError } from '../../../shared/errors';
import type { LeakageOptions, OperatingPointTarget } from '../../../shared/types';
import { chooseOperatingPoint } from '../eval/operating-point';
import { OperatingPointStore } from '../eval/operating-point-store';
import { validationPredictions } from './run-models';
import { splitLeakage } from '../eval/leakage';
import { requireMetadataKeys } from '../library/image-metadata';
import type { EmbedModel } from '../ml/embedder';
import { readRunDataset, RunStore } from '../train/run-store';
import type { Workspace } from './workspace';
import { requireObject } from './validate';

/** The `clinic` domain: leakage across a run's split, its operating point. */
export function createClinicService(ctx: Workspace): ClinicApi {
  return {
    async setOperatingPoint(runId, target) {
      const point = chooseOperatingPoint(
        await validationPredictions(ctx, runId),
        operatingTarget(target),
      );
      const store = ctx.requireStore();
      if (store.readOnly)
        throw new OcellusError(
          'READ_ONLY',
          'The project is open read-only: the operating point cannot be stored',
        );
      new OperatingPointStore(store.db).set(point);
      return point;
    },
    async operatingPoint(runId) {
      return new OperatingPointStore(ctx.requireStore().db).get(runIdOf(runId));
    },
    async clearOperatingPoint(runId) {
      return new OperatingPointStore(ctx.requireStore().db).clear(runIdOf(runId));
    },
    async leakage(runId, options) {
      if (typeof runId !== 'number' || !Number.isSafeInteger(runId))
        throw new OcellusError('INVALID_ARGUMENT', 'runId must be an integer');
      const db = ctx.requireStore().db;
      const run = new RunStore(db).get(runId);
      const { split } = readRunDataset(db, runId);
      if (!split) throw new OcellusError('INVALID_ARGUMENT', `Run ${runId} recorded no split`);
      const wanted = leakageOptions(options);
      if (wanted.keys) requireMetadataKeys(db, wanted.keys);
      return splitLeakage(db, runId, split, baseModel(ctx, run.config.baseModel), wanted);
    },
  };
}

/** The run's base model, whose cached embeddings judge near-duplicates; null when not here. */
function baseModel(ctx: Workspace, id: string): EmbedModel | null {
  try {
    return ctx.models.resolve(id);
  } catch {
    // A base model no longer on this machine: the report says how many images went unchecked.
    return null;
  }
}

function leakageOptions(value: unknown): LeakageOptions {
  if (value === undefined || value === null) return {};
  const o = requireObject(value, 'options');
  const out: LeakageOptions = {};
  const threshold = o['threshold'];
  if (threshold !== undefined) {
    if (typeof threshold !== 'number' || !(threshold > 0 && threshold <= 1))
      throw new OcellusError('INVALID_ARGUMENT', 'threshold must be a cosine in (0, 1]');
    out.threshold = threshold;
  }
  const keys = o['keys'];
  if (keys !== undefined) {
    if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string'))
      throw new OcellusError('INVALID_ARGUMENT', 'keys must be a list of metadata keys');
    out.keys = keys as string[];
  }
  const maxPairs = o['maxPairs'];
  if (maxPairs !== undefined) {
    if (typeof maxPairs !== 'number' || !Number.isInteger(maxPairs) || maxPairs < 0)
      throw new OcellusError('INVALID_ARGUMENT', 'maxPairs must be a whole number');
    out.maxPairs = maxPairs;
  }
  return out;
}

function runIdOf(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value))
    throw new OcellusError('INVALID_ARGUMENT', 'runId must be an integer');
  return value;
}

function operatingTarget(value: unknown): OperatingPointTarget {
  const o = requireObject(value, 'target');
  const { positiveClass, by, value: v } = o;
  if (typeof positiveClass !== 'string' || positiveClass === '')
    throw new OcellusError('INVALID_ARGUMENT', 'positiveClass must be a class name');
  if (by !== 'sensitivity' && by !== 'specificity' && by !== 'threshold')
    throw new OcellusError('INVALID_ARGUMENT', 'by is sensitivity, specificity or threshold');
  if (typeof v !== 'number' || !(v >= 0 && v <= 1))
    throw new OcellusError('INVALID_ARGUMENT', 'value must be a number between 0 and 1');
  return { positiveClass, by, value: v };
}
