import type { DialogsApi } from '../../../shared/api';
import type { AppCapabilities, AppInfo } from '../../../shared/types';
import type { EventBus } from '../event-bus';
import type { JobRegistry } from '../jobs/job-registry';
import type { RecentProjects } from '../recent-projects';
import type { ProjectStore } from '../store/project-store';

/** What the host (Electron shell, browser-mode server, CLI) tells the service about itself. */
export interface HostOptions {
  host: AppInfo['host'];
  appVersion: string;
  appDataDir: string;
  defaultProjectDir: string;
  capabilities?: Partial<AppCapabilities>;
  /** Native dialogs, when the host has them. */
  dialogs?: DialogsApi;
  /** Whether opened projects go on the recent list (not for the CLI). Default true. */
  trackRecent?: boolean;
  /** better-sqlite3 addon built for this runtime, when not the default one. */
  nativeBinding?: string;
}

/** State shared by the service modules of one running app. */
export interface ServiceContext {
  options: HostOptions;
  bus: EventBus;
  jobs: JobRegistry;
  recent: RecentProjects;
  /** The open project, or null. */
  store: ProjectStore | null;
}
