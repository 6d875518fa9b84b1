import type { OcellusApi } from '../../../shared/api';
import { EventBus } from '../event-bus';
import { JobRegistry } from '../jobs/job-registry';
import { RecentProjects } from '../recent-projects';
import { createAppService } from './app-service';
import type { HostOptions, ServiceContext } from './context';
import { createUnsupportedDialogs } from './dialogs-service';
import { createJobsService } from './jobs-service';
import { createProjectService } from './project-service';

export type { HostOptions } from './context';

/** A running service: the contract's implementation, its events, and shutdown. */
export interface OcellusService {
  api: OcellusApi;
  bus: EventBus;
  /** Cancels jobs and closes the open project; safe to call twice. */
  dispose(): void;
}

/** Builds the implementation of the whole contract for one host. */
export function createOcellusService(options: HostOptions): OcellusService {
  const bus = new EventBus();
  const ctx: ServiceContext = {
    options,
    bus,
    jobs: new JobRegistry(bus),
    recent: new RecentProjects(options.appDataDir),
    store: null,
  };
  const api: OcellusApi = {
    app: createAppService(ctx),
    project: createProjectService(ctx),
    dialogs: options.dialogs ?? createUnsupportedDialogs(),
    jobs: createJobsService(ctx),
  };
  return {
    api,
    bus,
    dispose() {
      ctx.jobs.cancelAll();
      ctx.store?.close();
      ctx.store = null;
    },
  };
}
