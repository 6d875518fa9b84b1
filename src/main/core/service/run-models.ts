/** A run's models as the services use them: its classifier, its validation predictions. */
import { OcellusError } from '../../../shared/errors';
import { withDecisionRule } from '../export/decision-rule';
import { runPredictor, type Predictor } from '../export/predict';
import { OperatingPointStore } from '../eval/operating-point-store';
import { RunStore } from '../train/run-store';
import type { Workspace } from './workspace';
import { predictValidation, type ValidationPredictions } from '../eval/run-evaluation';

/** The app's own classifier of a run of the open project (the newest finished by default). */
export async function createRunPredictor(ctx: Workspace, runId?: number): Promise<Predictor> {
  const store = ctx.requireStore();
  const runs = new RunStore(store.db);
  const id = runId ?? newestDoneRun(runs);
  const run = runs.get(id);
  const head = runs.head(id);
  if (run.status !== 'done' || !head)
    throw new OcellusError('INVALID_ARGUMENT', `Run ${id} has no trained model`);
  const predictor = await runPredictor(
    await ctx.resolveRunModel(run),
    head,
    run.classes,
    run.config.tta,
  );
  const point = new OperatingPointStore(store.db).get(id);
  return withDecisionRule(predictor, point);
}

/** The newest finished run, or NOT_FOUND. */
export function newestDoneRun(runs: RunStore): number {
  const run = runs.list().find((r) => r.status === 'done');
  if (!run) throw new OcellusError('NOT_FOUND', 'No finished training run to export yet');
  return run.id;
}

/** A finished run's probabilities on its validation split (also for the operating point). */
export async function validationPredictions(
  ctx: Workspace,
  runId: unknown,
): Promise<ValidationPredictions> {
  if (typeof runId !== 'number' || !Number.isSafeInteger(runId))
    throw new OcellusError('INVALID_ARGUMENT', 'runId must be an integer');
  const db = ctx.requireStore().db;
  const runs = new RunStore(db);
  const run = runs.get(runId);
  if (run.config.mode === 'finetune' && run.estimate?.refit) {
    // Its tuned layers were refit on every label: the validation images are not held out.
    throw new OcellusError(
      'UNSUPPORTED',
      `Run ${runId} was fine-tuned again on every label, validation images included, so they cannot measure it: its estimate is the validation figures recorded while training (accuracy ${((run.estimate.accuracy ?? 0) * 100).toFixed(1)} %). Train with refit "never" to evaluate a fine-tuned run here.`,
    );
  }
  // Also starts TF.js, on which predictHead runs.
  const model = await ctx.resolveRunModel(run);
  return predictValidation(db, run, runs.estimateHead(runId), model);
}
