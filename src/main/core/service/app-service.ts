import type { AppApi } from '../../../shared/api';
import { PROJECT_EXTENSION } from '../store/project-file';
import type { Workspace } from './workspace';
import { requireString } from './validate';

/** The `app` domain: who we are and the recent-projects list. */
export function createAppService(ctx: Workspace): AppApi {
  return {
    async info() {
      const { options } = ctx;
      return {
        name: 'Ocellus',
        version: options.appVersion,
        platform: process.platform,
        host: options.host,
        defaultProjectDir: options.defaultProjectDir,
        projectExtension: PROJECT_EXTENSION,
        capabilities: {
          nativeDialogs: options.capabilities?.nativeDialogs ?? false,
          revealInFolder: options.capabilities?.revealInFolder ?? false,
        },
      };
    },
    async recentProjects() {
      return ctx.recent.list();
    },
    async forgetRecentProject(path) {
      const list = ctx.recent.forget(requireString(path, 'path'));
      ctx.bus.emit('recent:changed', list);
      return list;
    },
  };
}
