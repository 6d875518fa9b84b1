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
  /** Found but not yet read (an import in progress or interrupted). */
  pending: number;
  /** Files that disappeared; kept so a moved file keeps its labels when it reappears. */
  missing: number;
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
  /** What the job is doing now, e.g. "Reading EXIF" or "Making thumbnails". */
  detail: string | null;
  startedAt: string;
  finishedAt: string | null;
  error: string | null;
}

export type ImageStatus = 'pending' | 'ok' | 'broken' | 'unsupported';

export interface RootInfo {
  id: number;
  path: string;
  /** False when the folder is not there (unplugged drive, moved folder): re-point it. */
  exists: boolean;
  labelsFromFolders: boolean;
  imageCount: number;
  addedAt: string;
  /** Folders or files the last scan could not read, with the reason. */
  problems: { relPath: string; error: string }[];
}

export interface LibrarySettings {
  /** Shots of one camera closer than this form one sequence (burst). */
  sequenceGapSeconds: number;
}

export interface AddRootOptions {
  /** ImageFolder convention: `root/<class>/…` labels each image with its first folder's name. */
  labelsFromFolders?: boolean;
}

export interface RemoveRootOptions {
  /** Keep the labels of the root's images, to reattach them if the same images return. */
  keepLabels: boolean;
}

export type ImageSort = 'path' | 'time' | 'imported';

/** Which images to list. Later filters (predictions, confidence…) add fields here. */
export interface ImageFilter {
  status?: 'ok' | 'broken' | 'unsupported' | 'problem' | 'pending';
  rootId?: number;
  /** Folder relative to its root, '/' separators; includes subfolders. */
  folder?: string;
  sequenceId?: number;
  classId?: number;
  unlabelled?: boolean;
}

export interface ImageQuery {
  filter?: ImageFilter;
  sort?: ImageSort;
  offset?: number;
  limit?: number;
}

export interface ImageTile {
  id: number;
  rootId: number;
  relPath: string;
  status: ImageStatus;
  error: string | null;
  width: number | null;
  height: number | null;
  takenAt: string | null;
  sequenceId: number | null;
  classIds: number[];
  /** Changes when the thumbnail changes, for cache-busting its URL. */
  thumbVersion: string | null;
}

export interface ImagePage {
  total: number;
  offset: number;
  items: ImageTile[];
}

export interface ImageDetail extends ImageTile {
  absPath: string;
  size: number | null;
  mtimeMs: number | null;
  hash: string | null;
  format: string | null;
  cameraMake: string | null;
  cameraModel: string | null;
  cameraSerial: string | null;
  orientation: number | null;
  gpsLat: number | null;
  gpsLon: number | null;
  gpsAlt: number | null;
  importedAt: string;
}

export interface LibraryChange {
  /** What happened, for the UI's choice of refresh. */
  reason: 'import' | 'watch' | 'roots' | 'rescan';
  counts: ImageCounts;
}

export type MediaKind = 'thumb' | 'original';
