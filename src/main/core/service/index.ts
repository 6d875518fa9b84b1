import type { EventBus } from '../util/event-bus';
import type { OcellusApi } from '../../../shared/api';
import { createAppService } from './app-service';
import { guardApi } from './guard';
import type { HostOptions } from './context';
import { Workspace } from './workspace';
import { createUnsupportedDialogs } from './dialogs-service';
import { createJobsService } from './jobs-service';
import { createProjectService } from './project-service';
import { createLibraryService } from './library-service';
import { createMlService } from './ml-service';
import { createLabelsService } from './labels-service';
import { createTrainService } from './train-service';
import { createExportService } from './export-service';
import { createRunPredictor } from './run-models';
import type { Predictor } from '../export/predict';
import { createAssistService } from './assist-service';
import { createPredictService } from './predict-service';
import { createClinicService } from './clinic-service';
import { createDetectService } from './detect-service';
import { createEvaluateService } from './evaluate-service';
import type { JobInfo, MediaKind } from '../../../shared/types';
import type { MediaFile } from '../library/library';

export type { HostOptions } from './context';

/** A running service: the contract's implementation, its events, and shutdown. */
export interface OcellusService {
  api: OcellusApi;
  bus: EventBus;
  /** The file behind a media address, or null when there is none it may serve. */
  media(kind: MediaKind, imageId: number): Promise<MediaFile | null>;
  /** Resolves when background import work is done, with its last job (the CLI waits on this). */
  whenIdle(): Promise<JobInfo | null>;
  /** Cancels jobs and closes the open project; safe to call twice. */
  dispose(): Promise<void>;
  /** The classifier of a run of the open project (newest finished by default), for `ocellus predict`. */
  runPredictor(runId?: number): Promise<Predictor>;
}

/** Builds the implementation of the whole contract for one host. */
export function createOcellusService(options: HostOptions): OcellusService {
  const ctx = new Workspace(options);
  const assist = createAssistService(ctx);
  const api: OcellusApi = guardApi({
    app: createAppService(ctx),
    project: createProjectService(ctx),
    library: createLibraryService(ctx),
    labels: createLabelsService(ctx),
    ml: createMlService(ctx),
    train: createTrainService(ctx),
    evaluate: createEvaluateService(ctx),
    dialogs: options.dialogs ?? createUnsupportedDialogs(),
    jobs: createJobsService(ctx),
    export: createExportService(ctx),
    assist,
    // Imported suggestions show at once, as a finished prediction job's do.
    predict: createPredictService(ctx, async () => {
      ctx.bus.emit('assist:changed', await assist.status());
    }),
    clinic: createClinicService(ctx),
    detect: createDetectService(ctx),
  });
  return {
    api,
    bus: ctx.bus,
    media: async (kind, imageId) => ctx.library?.media(kind, imageId) ?? null,
    whenIdle: async () => (await ctx.library?.whenIdle()) ?? null,
    dispose: async () => {
      ctx.jobs.cancelAll();
      await ctx.closeProject(true);
    },
    runPredictor: (runId) => createRunPredictor(ctx, runId),
  };
}
