/** The `app` domain of the API contract (see ../api.ts). */
import type { AppInfo, RecentProject } from '../types';

export interface AppApi {
  /** Version, host, platform and what the host can do. */
  info(): Promise<AppInfo>;
  /** Recently opened projects, newest first. */
  recentProjects(): Promise<RecentProject[]>;
  /** Removes one entry from the recent list (the file is untouched). */
  forgetRecentProject(path: string): Promise<RecentProject[]>;
}
