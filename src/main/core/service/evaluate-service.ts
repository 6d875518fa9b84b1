import type { EvaluateApi } from '../../../shared/api';
import { OcellusError } from '../../../shared/errors';
import type { EvaluateOptions } from '../../../shared/types';
import {
  evaluationReport,
  misclassifiedImages,
  type ValidationPredictions,
} from '../eval/run-evaluation';
import { runLabelState } from '../train/run-labels';
import { RunStore } from '../train/run-store';
import type { Workspace } from './workspace';
import { validationPredictions } from './run-models';
import { requireObject } from './validate';

/** The `evaluate` domain: a run's figures on its validation split, and its mistakes. */
export function createEvaluateService(ctx: Workspace): EvaluateApi {
  const predictions = (runId: unknown): Promise<ValidationPredictions> =>
    validationPredictions(ctx, runId);
  return {
    async run(runId, options) {
      return evaluationReport(await predictions(runId), optionsOf(options));
    },
    async misclassified(runId) {
      return misclassifiedImages(await predictions(runId));
    },
    async runs() {
      const db = ctx.requireStore().db;
      return new RunStore(db)
        .list()
        .filter((r) => r.status === 'done')
        .map((r) => ({ runId: r.id, ...runLabelState(db, r.id, r.classes) }));
    },
  };
}

function optionsOf(value: unknown): EvaluateOptions {
  if (value === undefined || value === null) return {};
  const o = requireObject(value, 'options');
  const out: EvaluateOptions = {};
  if (o['positiveClass'] !== undefined) {
    if (typeof o['positiveClass'] !== 'string')
      throw new OcellusError('INVALID_ARGUMENT', 'positiveClass must be a class name');
    out.positiveClass = o['positiveClass'];
  }
  if (o['threshold'] !== undefined) {
    if (typeof o['threshold'] !== 'number')
      throw new OcellusError('INVALID_ARGUMENT', 'threshold must be a number between 0 and 1');
    out.threshold = o['threshold'];
  }
  return out;
}
