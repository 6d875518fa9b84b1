import { OcellusError } from '../../../shared/errors';
import type { TrainConfig } from '../../../shared/types';
import type { JobContext } from '../jobs/job-registry';
import { runFeatureTraining } from './feature-run';
import { runFinetune } from './finetune/finetune-run';

import type { TrainDeps } from './train-deps';

export type { TrainDeps };

/**
 * One training run: feature mode (runFeatureTraining) or fine-tune mode (runFinetune). A
 * run that fails or is cancelled is recorded so, with the reason.
 */
export async function runTraining(
  ctx: JobContext,
  runId: number,
  config: TrainConfig,
  deps: TrainDeps,
): Promise<void> {
  const { db, runs } = deps;
  try {
    if (config.mode === 'finetune') {
      await runFinetune(ctx, runId, config, deps);
      return;
    }
    await runFeatureTraining(ctx, runId, config, deps);
  } catch (err) {
    const cancelled =
      ctx.signal.aborted || (err instanceof OcellusError && err.code === 'CANCELLED');
    if (db.open && runs.get(runId).status === 'running') {
      runs.finish(runId, cancelled ? 'cancelled' : 'failed', {
        error: cancelled ? undefined : err instanceof Error ? err.message : String(err),
      });
    }
    throw err;
  }
}
