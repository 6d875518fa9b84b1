/** Domain types shared by every layer. Plain data only: they cross every transport. */

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

export type LabelMode = 'single' | 'multi';

export interface CreateProjectInput {
  /** Full path of the new `.ocellus` file; the extension is added when missing. */
  path: string;
  /** Display name; defaults to the file name. */
  name?: string;
  labelMode?: LabelMode;
}

export interface ProjectSummary {
  path: string;
  name: string;
  labelMode: LabelMode;
  schemaVersion: number;
  /** ISO 8601 creation time. */
  createdAt: string;
  /** Version of the app that created the project. */
  createdWith: string;
}

export interface ImageCounts {
  total: number;
  ok: number;
  broken: number;
  unsupported: number;
}

export interface ClassCount {
  name: string;
  count: number;
}

export interface ProjectStatus {
  project: ProjectSummary;
  images: ImageCounts;
  classes: ClassCount[];
  unlabelled: number;
  /** Size of the project file (and its WAL) in bytes. */
  fileBytes: number;
}

export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface JobInfo {
  id: string;
  kind: string;
  title: string;
  state: JobState;
  done: number;
  total: number;
  /** Items per second over the recent past, or null before there is a rate. */
  rate: number | null;
  /** Seconds left at the current rate, or null when unknown. */
  etaSeconds: number | null;
  startedAt: string;
  finishedAt: string | null;
  error: string | null;
}
