/** The app itself: transports, capabilities, recent projects. */

export type Transport = 'ipc' | 'websocket' | 'direct';

export interface AppCapabilities {
  /** Native open/save dialogs exist (Electron only). */
  nativeDialogs: boolean;
  /** The host can reveal a file in the OS file manager. */
  revealInFolder: boolean;
}

export interface AppInfo {
  name: string;
  version: string;
  platform: string;
  /** Which host serves the API: the Electron shell, the browser-mode server or the CLI. */
  host: 'electron' | 'web' | 'cli';
  /** Folder suggested for new projects. */
  defaultProjectDir: string;
  /** The project file extension, with its dot. */
  projectExtension: string;
  capabilities: AppCapabilities;
}

export interface RecentProject {
  path: string;
  name: string;
  /** ISO 8601 time the project was last opened. */
  openedAt: string;
  /** False when the file is gone (drive unplugged, moved, deleted). */
  exists: boolean;
}
