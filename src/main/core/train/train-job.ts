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
      } finally {
        host.onEnd();
      }
    },
    0,
    { subject: String(runId), retry: host.retry },
  ).info;
}
