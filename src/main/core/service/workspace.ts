import path from 'node:path';
import { OcellusError } from '../../../shared/errors';
import type { BackendName, JobInfo, RunSummary, TrainConfig } from '../../../shared/types';
import { RecentProjects } from '../app/recent-projects';
import { readAppSettings } from '../app/app-settings';
import { JobRegistry } from '../jobs/job-registry';
import type { Library } from '../library/library';
import type { EmbedModel, EmbedRunOptions } from '../ml/embedder';
import { ModelCatalog } from '../ml/model-catalog';
import { ModelStore } from '../ml/model-store';
import { initBackend } from '../ml/tf-runtime';
import type { ProjectStore } from '../store/project-store';
import { runFeatureModel } from '../train/run-model';
import { RunStore } from '../train/run-store';
import { startTrainingJob } from '../train/train-job';
import type { TrainDeps } from '../train/trainer';
import { EventBus } from '../util/event-bus';
import type { HostOptions } from './context';

/** Jobs that belong to the app, not to the open project: closing it leaves them running. */
const APP_JOBS: ReadonlySet<string> = new Set(['download']);

/** Where embedding work reads images and runs, for the open project. */
export type EmbedSource = Omit<EmbedRunOptions, 'model' | 'db'>;

/**
 * What the service modules of one running app share: the host's options, the event bus,
 * jobs, the open project (store and library), the base models (zoo read once) and the
 * backend. Services get this object instead of calling each other.
 */
export class Workspace {
  readonly bus = new EventBus();
  readonly jobs: JobRegistry;
  readonly recent: RecentProjects;
  /** Base models available offline, with the zoo. */
  readonly models: ModelCatalog;
  /** The open project, or null. */
  store: ProjectStore | null = null;
  /** The open project's image library, or null. */
  library: Library | null = null;

  constructor(readonly options: HostOptions) {
    this.jobs = new JobRegistry(this.bus);
    this.recent = new RecentProjects(options.appDataDir);
    const stored = new ModelStore({
      cacheDir: path.join(options.appDataDir, 'models'),
      bundledDirs: options.resourcesDir ? [path.join(options.resourcesDir, 'models')] : [],
    });
    this.models = new ModelCatalog(stored, options.resourcesDir);
  }

  /** The open project, or NO_PROJECT_OPEN. */
  requireStore(): ProjectStore {
    if (!this.store) throw new OcellusError('NO_PROJECT_OPEN', 'No project is open');
    return this.store;
  }

  /** The open project's library, or NO_PROJECT_OPEN. */
  requireLibrary(): Library {
    if (!this.library) throw new OcellusError('NO_PROJECT_OPEN', 'No project is open');
    return this.library;
  }

  /** A job's retry that refuses to run once the job's project is closed (it would act on another). */
  retryInProject(retry: () => Promise<JobInfo>): () => Promise<JobInfo> {
    const store = this.store;
    return async () => {
      if (!store || this.store !== store)
        throw new OcellusError(
          'INVALID_ARGUMENT',
          'That job belongs to a project that is no longer open: open it again, then start the work there',
        );
      return retry();
    };
  }

  /** The backend the user chose in the settings, if any. */
  backend(): BackendName | null {
    return readAppSettings(this.options.appDataDir).backend ?? null;
  }

  /** Where embedding work reads the open project's images, with the worker and backend. */
  embedSource(): EmbedSource {
    const library = this.requireLibrary();
    return {
      cacheDir: library.cacheDir,
      rootPath: (rootId) => library.roots().find((r) => r.id === rootId)?.path ?? null,
      workerFile: this.options.mlWorkerFile ?? null,
      backend: this.backend(),
    };
  }

  /**
   * The model whose features a run's head reads (the tuned network of a fine-tuned run, else
   * its base), with the TF.js backend started to build it.
   */
  async resolveRunModel(run: RunSummary): Promise<EmbedModel> {
    const base = this.models.resolve(run.config.baseModel);
    await initBackend(this.backend());
    return runFeatureModel(this.requireStore().db, run.id, base, this.requireLibrary().cacheDir);
  }

  /** What training a run of the open project reads and writes. */
  trainDeps(config: TrainConfig): TrainDeps {
    const store = this.requireStore();
    const embed = this.embedSource();
    return {
      db: store.db,
      runs: new RunStore(store.db),
      model: this.models.resolve(config.baseModel),
      embed,
      onProgress: (p) => this.bus.emit('train:progress', p),
    };
  }

  /** A run as the contract shows it: runs from before base names were recorded get the name the model has now. */
  namedRun(run: RunSummary): RunSummary {
    return run.baseName ? run : { ...run, baseName: this.models.nameOf(run.config.baseModel) };
  }

  /** Creates a run of the open project and starts its training job (the config is validated). */
  startTraining(config: TrainConfig, title: string | null): RunSummary {
    const deps = this.trainDeps(config);
    const { db, runs } = deps;
    const runId = runs.create(config, { title, baseName: this.models.nameOf(config.baseModel) });
    const info = startTrainingJob(
      {
        jobs: this.jobs,
        deps,
        tunedModel: (run) => this.resolveRunModel(run),
        onEnd: () => {
          if (db.open) this.bus.emit('train:run', this.namedRun(runs.get(runId)));
        },
        retry: this.retryInProject(async () => this.jobOf(this.startTraining(config, title))),
      },
      runId,
      config,
    );
    const summary = { ...this.namedRun(runs.get(runId)), jobId: info.id };
    this.bus.emit('train:run', summary);
    return summary;
  }

  private jobOf(run: RunSummary): JobInfo {
    const job = this.jobs.list().find((j) => j.id === run.jobId);
    if (!job) throw new OcellusError('INTERNAL', `Run ${run.id} started without a job`);
    return job;
  }

  /** Opens and closes, one at a time: an open that arrives while a close waits for its jobs. */
  private switching: Promise<unknown> = Promise.resolve();
  serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.switching.then(work, work);
    this.switching = run.catch(() => undefined);
    return run;
  }

  /**
   * Stops the project's jobs (a model download carries on), the library (watchers, import),
   * and closes the project file. `force`: even under a job that did not stop (shutdown).
   */
  async closeProject(force = false): Promise<void> {
    if (this.store) {
      const stuck = await this.jobs.stopAll(APP_JOBS);
      // Never closed under a job that is still writing: the project stays open instead.
      if (stuck.length > 0 && !force)
        throw new OcellusError(
          'BUSY',
          `${stuck.join(', ')} did not stop within a minute: the project stays open. Try again, or quit Ocellus.`,
        );
    }
    const { library, store } = this;
    this.library = null;
    this.store = null;
    await library?.close();
    store?.close();
  }
}
