import type { DialogsApi } from '../../../shared/api';
import type { AppCapabilities, AppInfo } from '../../../shared/types';

/** What the host (Electron shell, browser-mode server, CLI) tells the service about itself. */
export interface HostOptions {
  host: AppInfo['host'];
  appVersion: string;
  appDataDir: string;
  defaultProjectDir: string;
  capabilities?: Partial<AppCapabilities>;
  /** Native dialogs, when the host has them. */
  dialogs?: DialogsApi;
  /**
   * Keep the open project in sync with the disk: re-scan roots on open and watch them
   * (not for the CLI, whose commands should touch only what they say). Default true.
   */
  watch?: boolean;
  /** Milliseconds a file must stop growing before the watcher reads it. */
  writeStabilityMs?: number;
  /** Whether opened projects go on the recent list (not for the CLI). Default true. */
  trackRecent?: boolean;
  /** The app's resources folder (model-zoo manifest, bundled models). */
  resourcesDir?: string;
  /** The built ML worker script; ML runs in-process when absent (tests). */
  mlWorkerFile?: string | null;
  /** better-sqlite3 addon built for this runtime, when not the default one. */
  nativeBinding?: string;
}
