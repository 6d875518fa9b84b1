/**
 * The one API contract between the UI and the main side.
 *
 * Every method the renderer or the CLI can call, and every event the main side pushes,
 * is declared here: the per-domain interfaces live in ./api/<domain>.ts and are re-exported
 * from this file, which every importer uses. The method and event tables below are the runtime mirror of these
 * interfaces; the compiler checks they list exactly the declared members, so transports
 * are generated from them and no channel string is ever written by hand.
 */
import type {
  LabelsChanged,
  JobInfo,
  LibraryChange,
  RunSummary,
  TrainProgress,
  MediaKind,
  ProjectSummary,
  RecentProject,
  ExportRecord,
  PredictionStatus,
} from './types';
import type { SerializedError } from './errors';
import type { AppApi } from './api/app';
import type { ProjectApi } from './api/project';
import type { LibraryApi } from './api/library';
import type { LabelsApi } from './api/labels';
import type { MlApi } from './api/ml';
import type { TrainApi } from './api/train';
import type { EvaluateApi } from './api/evaluate';
import type { ClinicApi } from './api/clinic';
import type { DialogsApi } from './api/dialogs';
import type { JobsApi } from './api/jobs';
import type { ExportApi } from './api/export';
import type { AssistApi } from './api/assist';
import type { PredictApi } from './api/predict';
import type { DetectApi } from './api/detect';

export type { AppApi } from './api/app';
export type { ProjectApi } from './api/project';
export type { LibraryApi } from './api/library';
export type { LabelsApi } from './api/labels';
export type { MlApi } from './api/ml';
export type { TrainApi } from './api/train';
export type { EvaluateApi } from './api/evaluate';
export type { ClinicApi } from './api/clinic';
export type { DialogsApi } from './api/dialogs';
export type { JobsApi } from './api/jobs';
export type { ExportApi } from './api/export';
export type { AssistApi } from './api/assist';
export type { PredictApi } from './api/predict';
export type { DetectApi, DetectionFilter } from './api/detect';

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
    'tileBoxes',
    'updateBox',
    'addBox',
    'labelBoxes',
    'uncertainBoxes',
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
