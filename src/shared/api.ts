/**
 * The one API contract between the UI and the main side.
 *
 * Every method the renderer or the CLI can call, and every event the main side pushes,
 * is declared here. The method and event tables below are the runtime mirror of these
 * interfaces; the compiler checks they list exactly the declared members, so transports
 * are generated from them and no channel string is ever written by hand.
 */
import type {
  AddRootOptions,
  AppInfo,
  BackendName,
  BaseModelInfo,
  ClassInfo,
  ClassUpdate,
  ImageFilter,
  IdPage,
  IdQuery,
  ImageTile,
  LabelChange,
  LabelOptions,
  LabelCounts,
  LabelEvent,
  LabelMode,
  LabelsChanged,
  EmbeddingStatus,
  MlStatus,
  CreateProjectInput,
  ImageCounts,
  ImageDetail,
  ImagePage,
  ImageQuery,
  JobInfo,
  LibraryChange,
  LibrarySettings,
  RunSummary,
  SavedModelChoice,
  SavedModelInfo,
  TrainConfig,
  TrainPlan,
  MetadataImport,
  MetadataKey,
  TrainProgress,
  MediaKind,
  OpenProjectOptions,
  ProjectStatus,
  ProjectSummary,
  RecentProject,
  RemoveRootOptions,
  RootInfo,
  BundleExportOptions,
  CamtrapClassMapping,
  DatasetExportOptions,
  ExportRecord,
  LabelImportResult,
  AssistSettings,
  BulkAcceptPreview,
  HeatMap,
  PredictionDetail,
  PredictionStatus,
  SimilarResult,
  EvaluateOptions,
  EvaluationReport,
  MisclassifiedImage,
  RunFreshness,
  ImagePrediction,
  ManifestPredictOptions,
  ManifestPredictResult,
  PredictSource,
  PredictionImportOptions,
  PredictionImportResult,
  PredictorInfo,
} from './types';
import type {
  LeakageOptions,
  LeakageReport,
  OperatingPointTarget,
  RunOperatingPoint,
} from './types/clinic';
import type {
  Detection,
  DetectionChange,
  DetectionCounts,
  DetectionCountsQuery,
  DetectionExportResult,
  DetectionImportResult,
  DetectOptions,
  DetectorInfo,
  MarkEmptyOptions,
  MarkEmptyResult,
  NewDetection,
  StaticBoxGroup,
} from './types/detect';
import type { SerializedError } from './errors';

export interface AppApi {
  /** Version, host, platform and what the host can do. */
  info(): Promise<AppInfo>;
  /** Recently opened projects, newest first. */
  recentProjects(): Promise<RecentProject[]>;
  /** Removes one entry from the recent list (the file is untouched). */
  forgetRecentProject(path: string): Promise<RecentProject[]>;
}

export interface ProjectApi {
  /** Creates a new project file and opens it. Refuses to overwrite an existing file. */
  create(input: CreateProjectInput): Promise<ProjectSummary>;
  /**
   * Opens an existing project file, closing the current one. PROJECT_LOCKED when another
   * Ocellus process owns it (unless opened read-only).
   */
  open(path: string, options?: OpenProjectOptions): Promise<ProjectSummary>;
  /** Closes the current project, if any. */
  close(): Promise<void>;
  /** The open project, or null. */
  current(): Promise<ProjectSummary | null>;
  /** Counts for the open project. */
  status(): Promise<ProjectStatus>;
}

export interface LibraryApi {
  /** The project's root folders. */
  roots(): Promise<RootInfo[]>;
  /** Adds a folder (recursive) and starts importing it as a job. */
  addRoot(path: string, options?: AddRootOptions): Promise<RootInfo>;
  /** Removes a root and its images, keeping or dropping their labels. */
  removeRoot(rootId: number, options: RemoveRootOptions): Promise<void>;
  /** Points a root at the folder it moved to (another drive letter, a renamed folder). */
  relocateRoot(rootId: number, path: string): Promise<RootInfo>;
  /** Re-reads all roots (or one) from disk; returns the import job. */
  rescan(rootId?: number): Promise<JobInfo | null>;
  /** Image counts by status. */
  counts(): Promise<ImageCounts>;
  /** One page of images matching a filter, in a sort order. */
  listImages(query: ImageQuery): Promise<ImagePage>;
  /** The next chunk of a listing's ids after a cursor (keyset paging: as fast at any depth). */
  listIds(query: IdQuery): Promise<IdPage>;
  /** Tiles of these images in this order (at most 5,000; unknown or missing ones left out). */
  tiles(imageIds: number[]): Promise<ImageTile[]>;
  /** Everything known about one image, EXIF included. */
  image(imageId: number): Promise<ImageDetail>;
  /** Ids of every image matching a filter (for "select all"), in the given order. */
  imageIds(filter: ImageFilter, sort?: ImageQuery['sort']): Promise<number[]>;
  settings(): Promise<LibrarySettings>;
  updateSettings(settings: Partial<LibrarySettings>): Promise<LibrarySettings>;
  /** Imports image metadata (patient id, eye…) from a CSV: path,<key>,<key>… */
  importMetadata(file: string): Promise<MetadataImport>;
  /** Metadata keys of the project, for grouping a split by one (`meta:<key>`). */
  metadataKeys(): Promise<MetadataKey[]>;
}

export interface LabelsApi {
  /** Classes in display order with their image counts. */
  classes(): Promise<ClassInfo[]>;
  /** Per-class counts, unlabelled images, and whether there is enough to train. */
  counts(): Promise<LabelCounts>;
  addClass(name: string, update?: ClassUpdate): Promise<ClassInfo>;
  /** Rename, recolour or re-key a class. */
  updateClass(classId: number, update: ClassUpdate): Promise<ClassInfo>;
  /** Deletes a class and its labels (not undoable: the UI confirms with the count first). */
  deleteClass(classId: number): Promise<{ removedLabels: number }>;
  /** Moves every label of one class to another and deletes the first. */
  mergeClasses(sourceId: number, targetId: number): Promise<{ moved: number }>;
  reorderClasses(classIds: number[]): Promise<ClassInfo[]>;
  /**
   * Labels images with a class (replacing others in single-label projects). Undoable. Where
   * that would replace human labels of another class it writes nothing and says how many
   * (`replacesHuman`), unless `replaceHuman` is set.
   */
  assign(imageIds: number[], classId: number, options?: LabelOptions): Promise<LabelChange>;
  /** Takes a class off images. Undoable. */
  unassign(imageIds: number[], classId: number): Promise<LabelChange>;
  /** Removes all labels of images. Undoable. */
  clear(imageIds: number[]): Promise<LabelChange>;
  /** Labels every image of a sequence (burst), asking as `assign` does. Undoable. */
  assignSequence(sequenceId: number, classId: number, options?: LabelOptions): Promise<LabelChange>;
  undo(): Promise<LabelChange | null>;
  redo(): Promise<LabelChange | null>;
  /** Who labelled an image with what, when, and with what confidence. */
  history(imageId: number): Promise<LabelEvent[]>;
  /** Switches single/multi-label; going to single keeps one label per image. */
  setLabelMode(mode: LabelMode): Promise<{ affectedImages: number }>;
}

export interface MlApi {
  /** The TF.js backend in use (started on first call) and why better ones are not. */
  status(): Promise<MlStatus>;
  /** Forces a backend (checked to work, remembered across starts), or null for the best one. */
  setBackend(backend: BackendName | null): Promise<MlStatus>;
  /** Base models: the zoo, bundled, downloaded and imported. */
  models(): Promise<BaseModelInfo[]>;
  /** Downloads a zoo model (resumable, checksum-verified) as a job. */
  downloadModel(id: string): Promise<JobInfo>;
  /**
   * Imports a model folder (model.json + shards, or a TensorFlow SavedModel, which needs the
   * native backend) or an exported model file.
   */
  importModel(path: string, savedModel?: SavedModelChoice): Promise<BaseModelInfo>;
  /**
   * What a SavedModel folder offers (signatures, detected feature output) before importing it;
   * null when the path is not a SavedModel folder.
   */
  inspectSavedModel(path: string): Promise<SavedModelInfo | null>;
  /** Writes an offline copy of a model to one file, to carry to another machine. */
  exportModel(id: string, file: string): Promise<void>;
  /** Computes embeddings of every readable image with a base model, as a job. */
  embed(modelId: string, options?: { batchSize?: number }): Promise<JobInfo>;
  /** How many images have embeddings for a base model. */
  embeddingStatus(modelId: string): Promise<EmbeddingStatus>;
}

export interface TrainApi {
  /** Good defaults, with a one-line explanation of each setting. */
  defaults(): Promise<{ config: TrainConfig; help: Record<keyof TrainConfig, string> }>;
  /** Starts a training run as a job; the run record is returned at once. */
  start(
    config: Partial<TrainConfig> & { baseModel: string },
    options?: { title?: string | null },
  ): Promise<RunSummary>;
  /** Gives a run a title of its own (null or blank takes it away). */
  setTitle(runId: number, title: string | null): Promise<RunSummary>;
  /** Every run of the project, newest first. */
  runs(): Promise<RunSummary[]>;
  run(runId: number): Promise<RunSummary>;
  /** What a run with this configuration will train, and roughly how long it takes. */
  plan(config: Partial<TrainConfig> & { baseModel: string }): Promise<TrainPlan>;
}

export interface EvaluateApi {
  /** Figures of a finished run on its validation split, against the current human labels. */
  run(runId: number, options?: EvaluateOptions): Promise<EvaluationReport>;
  /** Validation images the run got wrong, most confident first. */
  misclassified(runId: number): Promise<MisclassifiedImage[]>;
  /** Per run, newest first: whether its labels changed since it trained (stale). */
  runs(): Promise<RunFreshness[]>;
}

/** Clinical checks of a run: leakage across its split (DICOM and any other project). */
export interface ClinicApi {
  /** Patients (metadata values), identical files and near-duplicates on both sides of a run's split. */
  leakage(runId: number, options?: LeakageOptions): Promise<LeakageReport>;
  /** Fixes the run's threshold for a class by target sensitivity, specificity or value. */
  setOperatingPoint(runId: number, target: OperatingPointTarget): Promise<RunOperatingPoint>;
  /** The run's operating point, or null. */
  operatingPoint(runId: number): Promise<RunOperatingPoint | null>;
  /** Goes back to the most probable class; true when there was an operating point. */
  clearOperatingPoint(runId: number): Promise<boolean>;
}

export interface DialogsApi {
  /** Native "open project" dialog; null when cancelled. UNSUPPORTED outside Electron. */
  chooseProjectToOpen(): Promise<string | null>;
  /** Native "save as" dialog for a new project; null when cancelled. UNSUPPORTED outside Electron. */
  chooseNewProjectPath(suggestedName: string): Promise<string | null>;
  /** Native folder picker; null when cancelled. UNSUPPORTED outside Electron. */
  chooseFolder(title: string): Promise<string | null>;
  /** Shows a file or folder in the system file manager. UNSUPPORTED outside Electron. */
  showInFolder(path: string): Promise<void>;
}

export interface JobsApi {
  /** Jobs of this session, running ones first. */
  list(): Promise<JobInfo[]>;
  /** Asks a job to stop; it reports state `cancelled` when it has. */
  cancel(id: string): Promise<void>;
  /** Starts a failed or cancelled job's work again (when it is `retryable`); the new job. */
  retry(id: string): Promise<JobInfo>;
}

export interface ExportApi {
  /** Writes a dataset export (CSV, ImageFolder, Camtrap DP) as a job. */
  dataset(options: DatasetExportOptions): Promise<JobInfo>;
  /** Writes a run's self-contained model bundle (and optionally a .zip) as a job. */
  bundle(options: BundleExportOptions): Promise<JobInfo>;
  /** Imports human labels from a CSV (path, label) as one undoable batch, asking as `labels.assign` does. */
  importLabels(file: string, options?: LabelOptions): Promise<LabelImportResult>;
  /** The project's recent exports, newest first. */
  history(): Promise<ExportRecord[]>;
  /** How each class becomes a Camtrap DP observation (saved entries and guesses). */
  camtrapMapping(): Promise<CamtrapClassMapping[]>;
  /** Saves edited mapping entries; returns the whole mapping. */
  setCamtrapMapping(entries: CamtrapClassMapping[]): Promise<CamtrapClassMapping[]>;
}

export interface AssistApi {
  /** Which run's suggestions are shown, how many, and the quick-retrain state. */
  status(): Promise<PredictionStatus>;
  /** Recomputes suggestions for every readable image with a run (default: the latest done). */
  predict(runId?: number): Promise<JobInfo>;
  /** One image's suggestion with every class's probability, or null. */
  prediction(imageId: number): Promise<PredictionDetail | null>;
  /** Confirms the suggestions of these images as human labels (one undoable batch), asking as `labels.assign` does. */
  accept(imageIds: number[], options?: LabelOptions): Promise<LabelChange>;
  /** How many unconfirmed suggestions reach a confidence (optionally of one class). */
  bulkAcceptPreview(threshold: number, classId?: number | null): Promise<BulkAcceptPreview>;
  /** Confirms every unconfirmed suggestion at or above a confidence (one undoable batch). */
  bulkAccept(threshold: number, classId?: number | null): Promise<LabelChange>;
  /** Nearest images by embedding (cosine), most similar first. */
  similar(imageId: number, k?: number): Promise<SimilarResult>;
  /** Grad-CAM of a run's predicted (or given) class for one image. */
  heatMap(imageId: number, runId?: number, classId?: number): Promise<HeatMap>;
  settings(): Promise<AssistSettings>;
  updateSettings(settings: Partial<AssistSettings>): Promise<AssistSettings>;
}

/**
 * Classifying image files with a model bundle or a run, outside the project's own suggestions:
 * `ocellus predict`, manifests split in shards for a cluster, and bringing their output back.
 */
export interface PredictApi {
  /** Loads a classifier (a bundle folder, or a run of the open project). */
  open(source: PredictSource): Promise<PredictorInfo>;
  /** Classifies these files; an unreadable one gets an `error`, never an abort. */
  images(predictorId: string, files: string[]): Promise<ImagePrediction[]>;
  /** Releases a classifier. */
  close(predictorId: string): Promise<void>;
  /** Image files under these files and folders (recursive), in a stable order. */
  files(paths: string[]): Promise<string[]>;
  /** Classifies a manifest (or one shard of it) into JSON Lines, resumably, as a job. */
  manifest(options: ManifestPredictOptions): Promise<ManifestPredictResult>;
  /** Merges predictions JSON Lines into the open project as a named set of suggestions, as a job. */
  importRecords(options: PredictionImportOptions): Promise<PredictionImportResult>;
}

/** Camera-trap detection: detectors, boxes, empty filtering, MegaDetector interchange. */
export interface DetectApi {
  /** The built-in stand-in and the zoo's detectors, with whether each is on this machine. */
  detectors(): Promise<DetectorInfo[]>;
  /** Runs a detector over the project's images as a job; results are cached per content and detector. */
  run(options?: DetectOptions): Promise<JobInfo>;
  /** Detectors with results in this project, most recently used first. */
  used(): Promise<string[]>;
  /** Images per category at a threshold (burst-aware by default). */
  counts(query: DetectionCountsQuery): Promise<DetectionCounts>;
  /** The image ids of one category (or 'empty') at a threshold, for the grid's filter. */
  imageIds(query: DetectionCountsQuery & { category: DetectionFilter }): Promise<number[]>;
  /** An image's boxes from a detector (default: the latest used) and people's. */
  boxes(imageId: number, detector?: string | null): Promise<Detection[]>;
  /** Confirms, deletes, relabels or moves a box. */
  updateBox(id: number, change: DetectionChange): Promise<Detection>;
  /** Adds a box a person drew. */
  addBox(box: NewDetection): Promise<Detection>;
  /** Labels the images with no box at the threshold as empty, in one undoable batch. */
  markEmpty(options: MarkEmptyOptions): Promise<MarkEmptyResult>;
  /** Boxes recurring at one place (IoU ≥ 0.9) across many images of one camera. */
  staticBoxes(options?: {
    detector?: string | null;
    minImages?: number;
  }): Promise<StaticBoxGroup[]>;
  /** Hides the boxes of static groups (they stay, marked deleted); returns how many. */
  suppressStatic(detectionIds: number[]): Promise<number>;
  /** Reads a MegaDetector batch-output JSON into the project. */
  importResults(file: string): Promise<DetectionImportResult>;
  /** Writes a detector's results as MegaDetector batch-output JSON. */
  exportResults(file: string, detector?: string | null): Promise<DetectionExportResult>;
}

/** What the grid can filter on by detection. */
export type DetectionFilter = 'empty' | 'animal' | 'person' | 'vehicle';

export interface OcellusApi {
  app: AppApi;
  project: ProjectApi;
  library: LibraryApi;
  labels: LabelsApi;
  ml: MlApi;
  train: TrainApi;
  evaluate: EvaluateApi;
  dialogs: DialogsApi;
  jobs: JobsApi;
  export: ExportApi;
  assist: AssistApi;
  predict: PredictApi;
  clinic: ClinicApi;
  detect: DetectApi;
}

/** Events pushed by the main side, with their payloads. */
export interface ApiEvents {
  'project:changed': ProjectSummary | null;
  'recent:changed': RecentProject[];
  'job:updated': JobInfo;
  'library:changed': LibraryChange;
  'labels:changed': LabelsChanged;
  'train:progress': TrainProgress;
  'train:run': RunSummary;
  'export:recorded': ExportRecord;
  /** Suggestions changed (new predictions, or quick-retrain state). */
  'assist:changed': PredictionStatus;
  /** Boxes changed (a detection job's batch, an import, a person's edit). */
  'detect:changed': { detector: string | null };
}

export type Domain = keyof OcellusApi;
export type MethodOf<D extends Domain> = keyof OcellusApi[D] & string;
export type EventName = keyof ApiEvents;

type MethodTable = { readonly [D in Domain]: readonly MethodOf<D>[] };

/** Runtime list of every method, per domain. */
export const API_METHODS = {
  app: ['info', 'recentProjects', 'forgetRecentProject'],
  project: ['create', 'open', 'close', 'current', 'status'],
  library: [
    'roots',
    'addRoot',
    'removeRoot',
    'relocateRoot',
    'rescan',
    'counts',
    'listImages',
    'listIds',
    'tiles',
    'image',
    'imageIds',
    'settings',
    'updateSettings',
    'importMetadata',
    'metadataKeys',
  ],
  labels: [
    'classes',
    'counts',
    'addClass',
    'updateClass',
    'deleteClass',
    'mergeClasses',
    'reorderClasses',
    'assign',
    'unassign',
    'clear',
    'assignSequence',
    'undo',
    'redo',
    'history',
    'setLabelMode',
  ],
  ml: [
    'status',
    'setBackend',
    'models',
    'downloadModel',
    'importModel',
    'inspectSavedModel',
    'exportModel',
    'embed',
    'embeddingStatus',
  ],
  train: ['defaults', 'start', 'setTitle', 'runs', 'run', 'plan'],
  dialogs: ['chooseProjectToOpen', 'chooseNewProjectPath', 'chooseFolder', 'showInFolder'],
  evaluate: ['run', 'misclassified', 'runs'],
  jobs: ['list', 'cancel', 'retry'],
  export: ['dataset', 'bundle', 'importLabels', 'history', 'camtrapMapping', 'setCamtrapMapping'],
  assist: [
    'status',
    'predict',
    'prediction',
    'accept',
    'bulkAcceptPreview',
    'bulkAccept',
    'similar',
    'heatMap',
    'settings',
    'updateSettings',
  ],
  predict: ['open', 'images', 'close', 'files', 'manifest', 'importRecords'],
  clinic: ['leakage', 'setOperatingPoint', 'operatingPoint', 'clearOperatingPoint'],
  detect: [
    'detectors',
    'run',
    'used',
    'counts',
    'imageIds',
    'boxes',
    'updateBox',
    'addBox',
    'markEmpty',
    'staticBoxes',
    'suppressStatic',
    'importResults',
    'exportResults',
  ],
} as const satisfies MethodTable;

/** Runtime list of every event. */
export const API_EVENTS = [
  'project:changed',
  'recent:changed',
  'job:updated',
  'library:changed',
  'labels:changed',
  'train:progress',
  'train:run',
  'export:recorded',
  'assist:changed',
  'detect:changed',
] as const satisfies readonly EventName[];

// Compile-time proof that the tables above list every member of the interfaces.
type MissingMethods = {
  [D in Domain]: Exclude<MethodOf<D>, (typeof API_METHODS)[D][number]>;
}[Domain];
type MissingEvents = Exclude<EventName, (typeof API_EVENTS)[number]>;
type AssertNever<T extends never> = T;
export type ContractIsComplete = AssertNever<MissingMethods | MissingEvents>;

/** `domain.method`, the name a call travels under. */
export type MethodChannel = { [D in Domain]: `${D}.${MethodOf<D>}` }[Domain];

/** The result envelope every transport carries; errors never travel as thrown objects. */
export type RpcResult = { ok: true; value: unknown } | { ok: false; error: SerializedError };

/** What the Electron preload exposes as `window.ocellus`: the contract with enveloped results. */
export type PreloadBridge = {
  [D in Domain]: {
    [M in MethodOf<D>]: OcellusApi[D][M] extends (...args: infer A) => unknown
      ? (...args: A) => Promise<RpcResult>
      : never;
  };
} & {
  on<E extends EventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
};

/** The API plus event subscription and media addresses, as the renderer sees it. */
export type OcellusClient = OcellusApi & {
  on<E extends EventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
  /** Address of an image's thumbnail or original for <img src>, in this transport. */
  mediaUrl(kind: MediaKind, imageId: number, version?: string | null): string;
};

/** The media route, shared by the browser-mode server and the Electron protocol. */
export const MEDIA_PATH = /^\/media\/(thumb|original)\/(\d{1,15})$/;

/** Path of an image's media (without origin or query). */
export function mediaPath(kind: MediaKind, imageId: number): string {
  return `/media/${kind}/${imageId}`;
}

/** Every (domain, method, channel) triple of the contract. */
export function listMethods(): { domain: Domain; method: string; channel: MethodChannel }[] {
  const out: { domain: Domain; method: string; channel: MethodChannel }[] = [];
  for (const domain of Object.keys(API_METHODS) as Domain[]) {
    for (const method of API_METHODS[domain]) {
      out.push({ domain, method, channel: `${domain}.${method}` as MethodChannel });
    }
  }
  return out;
}

const CHANNELS: ReadonlySet<string> = new Set(listMethods().map((m) => m.channel));

/** True when `value` names a method of the contract. */
export function isMethodChannel(value: unknown): value is MethodChannel {
  return typeof value === 'string' && CHANNELS.has(value);
}

/** True when `value` names an event of the contract. */
export function isEventName(value: unknown): value is EventName {
  return typeof value === 'string' && (API_EVENTS as readonly string[]).includes(value);
}

/** The Electron IPC channel of a method. */
export function ipcChannel(channel: MethodChannel): string {
  return `ocellus:call:${channel}`;
}

/** The Electron IPC channel of an event. */
export function ipcEventChannel(event: EventName): string {
  return `ocellus:event:${event}`;
}
