import type { JobsApi } from '../../../shared/api';
import type { Workspace } from './workspace';
import { requireString } from './validate';

/** The `jobs` domain: list, cancel and retry long-running work. */
export function createJobsService(ctx: Workspace): JobsApi {
  return {
    async list() {
      return ctx.jobs.list();
    },
    async cancel(id) {
      ctx.jobs.cancel(requireString(id, 'id'));
    },
    async retry(id) {
      return ctx.jobs.retry(requireString(id, 'id'));
    },
  };
}
