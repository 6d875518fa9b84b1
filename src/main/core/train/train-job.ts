import { pct } from '../../../shared/format';
import type { JobInfo, RunSummary, TrainConfig } from '../../../shared/types';
import type { JobRegistry } from '../jobs/job-registry';
import { ImageTable } from '../library/image-table';
import { runEmbedding, type EmbedModel } from '../ml/embedder';
import { runTraining, type TrainDeps } from './trainer';

/** What a training job needs from the running app besides the run itself. */
export interface TrainJobHost {
  jobs: JobRegistry;
  deps: TrainDeps;
  /** The tuned network a finished fine-tune run reads features with. */
  tunedModel: (run: RunSummary) => Promise<EmbedModel>;
  /** Called when the job ends, however it ends. */
  onEnd: () => void;
  retry: () => Promise<JobInfo>;
}

/**
 * Starts the job that trains run `runId` (already created); a fine-tune run then embeds its
 * split with the tuned network, so evaluation, suggestions, heat maps and bundles work as
 * for feature runs.
 */
export function startTrainingJob(host: TrainJobHost, runId: number, config: TrainConfig): JobInfo {
  const { deps } = host;
  return host.jobs.start(
    'train',
    `Training run ${runId}`,
    async (job) => {
      try {
        await runTraining(job, runId, config, deps);
        if (config.mode === 'finetune' && deps.runs.get(runId).status === 'done') {
          const tuned = await host.tunedModel(deps.runs.get(runId));
          const split = deps.runs.split(runId) ?? { train: [], validation: [] };
          const hashes = new ImageTable(deps.db).hashesOf([...split.train, ...split.validation]);
          job.phase('Embedding the run’s images with the tuned network', hashes.size);
          await runEmbedding(job, { ...deps.embed, db: deps.db, model: tuned, onlyHashes: hashes });
        }
        const run = deps.runs.get(runId);
        return run.status === 'done' ? trainingOutcome(run) : undefined;
      } finally {
        host.onEnd();
      }
    },
    0,
    { subject: String(runId), retry: host.retry },
  ).info;
}

/** What a finished training job says (its toast, the jobs panel): the run's estimate, not its last phase. */
export function trainingOutcome(run: RunSummary): string {
  const e = run.estimate;
  const accuracy = e ? e.accuracy : (run.best?.valAccuracy ?? null);
  const parts =
    accuracy === null
      ? [`Trained on ${run.counts.train} images; no validation images to estimate its accuracy`]
      : [
          `Estimated accuracy ${pct(accuracy)}` +
            (e?.interval
              ? ` (95 % interval ${pct(e.interval[0])} – ${pct(e.interval[1])}, ${e.validationImages} validation images)`
              : ''),
        ];
  const cv = e?.crossValidation;
  if (cv) parts.push(`${cv.folds.length}-fold cross-validation ${pct(cv.mean)} ± ${pct(cv.sd)}`);
  if (e?.refit) parts.push(`released model trained on all ${e.refit.images} images`);
  return parts.join('; ');
}
