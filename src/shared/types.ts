/** Domain types shared by every layer. Plain data only: they cross every transport. */
import type { ErrorCode } from './errors';

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
  /** Set when opened read-only (nothing can be changed; no watching, no jobs that write). */
  readOnly?: boolean;
}

export interface OpenProjectOptions {
  /**
   * Read without owning it: no lock, no migration, nothing written. Works on read-only media
   * and while another Ocellus process owns the project.
   */
  readOnly?: boolean;
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
  /** What the job works on (a model id, a run id, an export kind), for showing it there. */
  subject: string | null;
  /** `jobs.retry` can start the same work again once this job failed or was cancelled. */
  retryable: boolean;
  /** Why a failed job failed, e.g. DISK_FULL (set only when state is 'failed'). */
  errorCode?: ErrorCode;
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

export type ImageSort =
  | 'path'
  | 'time'
  | 'imported'
  /** Smallest margin between the model's top two classes first (the active-learning queue). */
  | 'uncertain'
  /** Highest entropy of the model's probabilities first. */
  | 'entropy'
  /** Most confident model suggestion first. */
  | 'confidence';

/** Which images to list. Later filters (predictions, confidence…) add fields here. */
export interface ImageFilter {
  status?: 'ok' | 'broken' | 'unsupported' | 'problem' | 'pending';
  rootId?: number;
  /** Folder relative to its root, '/' separators; includes subfolders. */
  folder?: string;
  /** One file, relative to its root. */
  relPath?: string;
  sequenceId?: number;
  classId?: number;
  unlabelled?: boolean;
  /** The current suggestions' predicted class. */
  predictedClassId?: number;
  /** Suggestion confidence range, 0–1, inclusive. */
  minConfidence?: number;
  maxConfidence?: number;
  /** Images with a suggestion and no human label (the queue to confirm). */
  suggested?: boolean;
  /**
   * With `suggested`: images a human labelled at or after this ISO time stay listed, so a
   * queue keeps its order while someone works through it.
   */
  suggestedSince?: string;
  /** Images whose human label differs from the model's suggestion. */
  disagrees?: boolean;
  /** Exactly these images; listed in this order whatever the sort. */
  imageIds?: number[];
  /** Only images with (true) or without (false) a human label. */
  humanLabelled?: boolean;
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
  /** The current model suggestion (never a label until a human confirms it), if any. */
  suggestion?: Suggestion | null;
  /** Changes when the thumbnail changes, for cache-busting its URL. */
  thumbVersion: string | null;
}

export interface ImagePage {
  total: number;
  offset: number;
  items: ImageTile[];
}

/** Where a listing stopped: pass it back to get the next chunk. Opaque to callers. */
export type ListCursor = readonly (string | number | null)[];

/** A chunk of a listing's ids, walked on an index from a cursor (keyset paging). */
export interface IdQuery {
  filter?: ImageFilter;
  sort?: ImageSort;
  /** `next` of the previous chunk; absent for the first. */
  after?: ListCursor | null;
  /** At most this many ids (default 1,000, at most 50,000); fewer when they take long to find. */
  limit?: number;
}

export interface IdPage {
  ids: number[];
  /** Cursor of the next chunk; null when this chunk ends the listing. */
  next: ListCursor | null;
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

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface MlStatus {
  /** The TF.js backend in use, or null until the first ML work starts it. */
  backend: BackendName | null;
  /** Backends that could start here, best first. */
  available: BackendName[];
  /** Why the better ones could not. */
  unavailable: { backend: BackendName; reason: string }[];
  /** Inference engine for embeddings: ONNX Runtime when the model converts, else TF.js. */
  engine?: 'onnx' | 'tfjs';
  /** Why that engine (e.g. the reason ONNX Runtime was not used). */
  engineNote?: string;
}

/** How a base model is stored: TF.js Layers or Graph, or a TensorFlow SavedModel (native only). */
export type ModelFormat = 'layers' | 'graph' | 'onnx' | 'savedmodel';

export interface BaseModelInfo {
  id: string;
  name: string;
  format: ModelFormat;
  inputSize: [number, number];
  featureSize: number | null;
  licence: string;
  /** Where the offline copy is, or 'zoo' when it must be downloaded first. */
  source: 'zoo' | 'bundled' | 'cache' | 'imported';
  /** An offline copy exists. */
  available: boolean;
  /** The zoo's download address was confirmed from a published source. */
  confirmed: boolean;
  sizeBytes: number | null;
  url: string | null;
}

export interface EmbeddingStatus {
  modelId: string;
  /** Readable images (distinct contents) that can be embedded. */
  total: number;
  embedded: number;
  failed: number;
  dim: number | null;
}

export interface ClassInfo {
  id: number;
  name: string;
  /** '#rrggbb'. */
  color: string;
  /** One key: 1–9 then a–z; null when none. */
  hotkey: string | null;
  sortOrder: number;
  /** Images carrying this class (not missing). */
  count: number;
}

export interface ClassUpdate {
  name?: string;
  color?: string;
  hotkey?: string | null;
}

export interface LabelCounts {
  classes: ClassInfo[];
  /** Readable images without any label. */
  unlabelled: number;
  /** Readable images in total. */
  readable: number;
  /** At least 5 images in at least 2 classes. */
  readyToTrain: boolean;
  /** Why not, when not ready. */
  readyHint: string | null;
}

/** The outcome of a label operation; `batchId` is what undo reverts. */
export interface LabelChange {
  batchId: number | null;
  description: string;
  /** Images whose labels changed. */
  imageIds: number[];
  /** Whether undo / redo are possible now. */
  canUndo: boolean;
  canRedo: boolean;
  /**
   * Set when nothing was written because the action would replace human labels of another
   * class on this many images: ask, then repeat it with `replaceHuman`.
   */
  replacesHuman?: number;
}

/** Options of label actions that could replace a human's labels. */
export interface LabelOptions {
  /** Go ahead even where human labels of another class are replaced (the user was asked). */
  replaceHuman?: boolean;
}

export interface LabelEvent {
  classId: number;
  className: string | null;
  action: 'add' | 'remove';
  source: 'human' | 'model';
  runId: number | null;
  confidence: number | null;
  at: string;
  /** True when this step was undone. */
  undone: boolean;
}

export interface LabelsChanged {
  imageIds: number[];
  /** The class list itself changed (added, renamed, merged, deleted, reordered). */
  classesChanged: boolean;
  canUndo: boolean;
  canRedo: boolean;
}

/** `meta:<key>` groups by an imported image metadata column (patient id, eye…). */
export type SplitGrouping = 'none' | 'sequence' | 'folder' | 'camera' | `meta:${string}`;
export type TrainMode = 'features' | 'finetune';

export interface TrainConfig {
  baseModel: string;
  mode: TrainMode;
  hiddenUnits: number;
  dropout: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  validationFraction: number;
  groupBy: SplitGrouping;
  classWeighting: boolean;
  patience: number;
  seed: number;
  /** Fine-tuning: weighted layers (conv, depthwise, dense) unfrozen from the top of the base. */
  unfreezeLayers: number;
  /** Fine-tuning: epochs that train the head alone, base frozen, before unfreezing. */
  warmupEpochs: number;
  /** Fine-tuning: the unfrozen base layers learn at learningRate × this. */
  baseLearningRateFactor: number;
  /** Random changes to training images (both modes), against overfitting. */
  augmentation: AugmentationConfig;
  /** Augmented views cached per training image (view 0 is the plain image; 1 = no augmentation). */
  viewsPerImage: number;
  /**
   * After the epochs are chosen on the validation split, train the released model again on
   * every labelled image for that many epochs. 'auto': below REFIT_AUTO_LIMIT images.
   */
  refit: 'auto' | 'always' | 'never';
  /** k-fold cross-validation of the estimate (feature mode): 0 = auto (5 below 1,000 images), 1 = off. */
  crossValidation: number;
  /** Test-time augmentation: average the probabilities of the image and its mirror image. */
  tta: boolean;
}

/** Below this many labelled images, refit: 'auto' trains the released model on all of them. */
export const REFIT_AUTO_LIMIT = 3000;

/** What a run's validation figures say about the released model, and how it was made. */
export interface RunEstimate {
  /** Accuracy on the validation split at the chosen epoch (the head that saw only the training side). */
  accuracy: number | null;
  /** 95 % interval of that accuracy (Wilson score interval), or null without validation images. */
  interval: [number, number] | null;
  validationImages: number;
  /** How the number of epochs was chosen. */
  epochChoice: 'early-stopping' | 'fixed';
  /** Epochs the released model trained. */
  epochs: number;
  /** k-fold cross-validation, when it ran: accuracy per fold, their mean and standard deviation. */
  crossValidation: {
    folds: { accuracy: number; images: number; epochs: number }[];
    mean: number;
    sd: number;
  } | null;
  /** The released model was trained again on every labelled image (else on the training side only). */
  refit: { images: number; epochs: number } | null;
  /** Classes with fewer than SMALL_CLASS images in all: their figures are the least reliable. */
  smallClasses: { name: string; images: number }[];
  /** Augmented views per training image and test-time flip averaging. */
  views: number;
  tta: boolean;
  notes: string[];
}

/** A class with fewer labelled images than this is flagged as unreliable. */
export const SMALL_CLASS = 20;

export interface AugmentationConfig {
  flip: boolean;
  /** Random crop/zoom: the share of the side kept, at least (1 = off). */
  crop: number;
  /** Random rotation, up to this many degrees either way (0 = off). */
  rotation: number;
  /** Brightness/contrast/saturation jitter, up to ± this share (0 = off). */
  colour: number;
}

/** What a fine-tuning run will do, said before it starts. */
export interface TrainPlan {
  mode: TrainMode;
  /** 'cached' trains from activations cached at the cut; 'full' streams images through the network. */
  path: 'features' | 'cached' | 'full';
  backend: string;
  /** Layer whose output is cached (cached path). */
  cutLayer: string | null;
  cutShape: number[] | null;
  /** Weighted layers above the cut, top first, and whether each trains. */
  layers: { name: string; kind: string; trains: boolean; reason: string | null }[];
  /** Bytes of the activation cache for the labelled images and views. */
  cacheBytes: number;
  images: number;
  /** Rough duration of the whole run, including caching activations. */
  estimatedSeconds: number;
  notes: string[];
}

export interface EpochMetrics {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  valLoss: number;
  valAccuracy: number;
  seconds: number;
}

export type RunStatus = 'running' | 'done' | 'cancelled' | 'failed';

export interface RunSummary {
  id: number;
  status: RunStatus;
  error: string | null;
  config: TrainConfig;
  backend: string | null;
  classes: string[];
  startedAt: string;
  finishedAt: string | null;
  durationSeconds: number | null;
  bestEpoch: number | null;
  best: EpochMetrics | null;
  history: EpochMetrics[];
  counts: {
    train: number;
    validation: number;
    perClass: { name: string; train: number; validation: number }[];
    excludedUnlabelled: number;
    excludedUnreadable: number;
    excludedNoEmbedding: number;
  };
  /** Identical contents found on both sides of the split. */
  leakedContents: number;
  /** What the validation figures estimate and what the released model learnt from (null: older runs). */
  estimate: RunEstimate | null;
  jobId: string | null;
  /** A name people gave the run, or null. */
  title: string | null;
  /** The base model's display name (null for runs whose base is no longer known by name). */
  baseName: string | null;
}

export interface TrainProgress {
  runId: number;
  epoch: number;
  batch: number;
  batches: number;
  /** Smoothed over recent batches. */
  loss: number;
  accuracy: number;
  /** Set at the end of an epoch. */
  epochMetrics: EpochMetrics | null;
}

// ── Exports ──────────────────────────────────────────────────────────────────────────

export type DatasetFormat = 'csv' | 'imagefolder' | 'camtrap-dp';
export type ExportKind = DatasetFormat | 'bundle';

export interface DatasetExportOptions {
  format: DatasetFormat;
  /** Output folder (created; for ImageFolder and Camtrap DP it must be empty or absent). */
  out: string;
  /** ImageFolder: copy the files or hard-link them (same drive only; copies otherwise). */
  linkMode?: 'copy' | 'hardlink';
  /** Camtrap DP: one deployment per root folder or per camera. */
  deploymentsBy?: 'root' | 'camera';
  /** Camtrap DP: UTC offset of the camera clocks, e.g. "+02:00". */
  timezone?: string;
}

export interface BundleExportOptions {
  /** The run to export; the newest finished run when absent. */
  runId?: number;
  out: string;
  /** Also write `<out>.zip`. */
  zip?: boolean;
}

/** One past export of the project, newest first in lists. */
export interface ExportRecord {
  id: number;
  kind: ExportKind;
  path: string;
  runId: number | null;
  state: 'done' | 'failed';
  /** One line: what was written, or why it failed. */
  summary: string;
  createdAt: string;
}

export interface LabelImportResult {
  /** Data rows with a path. */
  rows: number;
  /** Images whose labels changed. */
  labelled: number;
  createdClasses: string[];
  /** Paths that match no image (the first 200), with their CSV line. */
  unknown: { line: number; path: string }[];
  unknownCount: number;
  /** The undoable label batch, or null when nothing changed. */
  batchId: number | null;
  imageIds: number[];
  /** Nothing was imported: it would replace human labels of another class on this many images. */
  replacesHuman?: number;
}

export type CamtrapObservationType =
  'animal' | 'human' | 'vehicle' | 'blank' | 'unknown' | 'unclassified';

/** How one class becomes a Camtrap DP observation. */
export interface CamtrapClassMapping {
  className: string;
  observationType: CamtrapObservationType;
  /** For animals; the class name when not set. */
  scientificName: string | null;
}

/** A model's suggested class for an image (from the latest run's predictions). */
export interface Suggestion {
  runId: number;
  /** null when the class was deleted since. */
  classId: number | null;
  confidence: number;
  /** Top probability minus the second: small means unsure. */
  margin: number;
  /** Entropy of the probabilities, in nats. */
  entropy: number;
}

export interface PredictionStatus {
  /** The run whose suggestions are shown, or null when there are none. */
  runId: number | null;
  /** Images with a suggestion from that run. */
  predicted: number;
  /** Of those, without a human label. */
  unconfirmed: number;
  /** Of those, whose human label differs. */
  disagreeing: number;
  /** The prediction job running now, if any. */
  jobId: string | null;
  /** Quick retrain state, for the UI. */
  quickRetrain: QuickRetrainStatus;
}

export interface PredictionDetail extends Suggestion {
  imageId: number;
  /** Every class's probability, in the run's class order. */
  probabilities: { classId: number | null; name: string; p: number }[];
}

export interface AssistSettings {
  /** Retrain the head in the background as labels arrive. */
  quickRetrain: boolean;
  /** Seconds after the last label before a quick retrain starts. */
  quickRetrainDelaySeconds: number;
  /** Accepting a suggestion below this confidence (0–1) takes a second press. */
  acceptTwiceBelow: number;
}

export interface QuickRetrainStatus {
  enabled: boolean;
  /** 'idle', 'waiting' (debounce), 'training', or why it cannot run. */
  state: 'idle' | 'waiting' | 'training' | 'unavailable';
  detail: string | null;
  lastRunId: number | null;
}

export interface BulkAcceptPreview {
  /** Images a bulk accept would label now. */
  count: number;
  threshold: number;
  classId: number | null;
}

export interface SimilarImage {
  imageId: number;
  /** Cosine similarity, -1–1. */
  score: number;
}

export interface SimilarResult {
  imageId: number;
  items: SimilarImage[];
  /** Vectors scanned and the scan's time, for the curious. */
  scanned: number;
  milliseconds: number;
}

export interface HeatMap {
  imageId: number;
  runId: number;
  classId: number | null;
  className: string;
  /** Grid size of the map (the feature map's spatial size). */
  width: number;
  height: number;
  /** Row-major, 0–1. */
  values: number[];
  /** How the model input was cut from the image, to lay the map over it. */
  resize: 'squash' | 'center-crop' | 'letterbox';
}

export interface Interval {
  lower: number;
  upper: number;
}

/** Per-class figures; a ratio with a zero denominator is 0 (scikit-learn's zero_division=0). */
export interface ClassEvaluation {
  name: string;
  precision: number;
  recall: number;
  f1: number;
  /** Validation images whose (current) label is this class. */
  support: number;
  /** One-vs-rest ROC AUC; null when the class has no support (or every image has it). */
  auc: number | null;
  /** One-vs-rest average precision; null when the class has no support. */
  averagePrecision: number | null;
}

/** A 2 × 2 table at one threshold: an image is called positive when its score is ≥ it. */
export interface OperatingPoint {
  threshold: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  /** Null where the denominator is 0 (no positives, negatives, or calls of one kind). */
  sensitivity: number | null;
  specificity: number | null;
  ppv: number | null;
  npv: number | null;
}

/** Two classes, or one class against the rest, scored by that class's probability. */
export interface BinaryEvaluation {
  kind: 'binary' | 'one-vs-rest';
  positiveClass: string;
  positives: number;
  negatives: number;
  roc: { fpr: number[]; tpr: number[] };
  auc: number | null;
  pr: { recall: number[]; precision: number[] };
  averagePrecision: number | null;
  /** The requested threshold and its figures. */
  atThreshold: OperatingPoint;
  /** Figures at every distinct score, highest threshold first (for a live slider). */
  operatingPoints: OperatingPoint[];
  intervals: {
    auc: Interval | null;
    averagePrecision: Interval | null;
    sensitivity: Interval | null;
    specificity: Interval | null;
    ppv: Interval | null;
    npv: Interval | null;
  };
}

export interface ReliabilityBin {
  /** Top-label confidences in (lower, upper]. */
  lower: number;
  upper: number;
  count: number;
  confidence: number | null;
  accuracy: number | null;
}

/** How a run was evaluated on its validation split, against the current human labels. */
export interface EvaluationReport {
  runId: number;
  classes: string[];
  /** Validation images evaluated. */
  count: number;
  accuracy: number;
  /** Counts: true class by row, predicted class by column, in class order. */
  confusionMatrix: number[][];
  /** Each row divided by its support (rows without support are 0). */
  confusionMatrixNormalised: number[][];
  perClass: ClassEvaluation[];
  macro: { precision: number; recall: number; f1: number };
  weighted: { precision: number; recall: number; f1: number };
  topK: { k: number; accuracy: number }[];
  /** 95 % percentile-bootstrap intervals of the headline figures. */
  intervals: { accuracy: Interval | null; macroF1: Interval | null };
  binary: BinaryEvaluation | null;
  calibration: { bins: ReliabilityBin[]; ece: number; mce: number };
  bootstrap: { resamples: number; level: number; seed: number };
  /** Validation images left out, and why. */
  excluded: { missing: number; unlabelled: number; otherClass: number; noEmbedding: number };
  labels: RunLabelState;
}

/** Whether the human labels a run learnt from have changed since. */
export interface RunLabelState {
  /** False for runs made before labels were recorded with the run. */
  known: boolean;
  /** Images of the run (train or validation) whose human label is not what the run used. */
  changed: number;
  /** Of those, validation images. */
  changedValidation: number;
  /** The run no longer reflects the labels: retrain to use the fixes. */
  stale: boolean;
}

export interface MisclassifiedImage {
  imageId: number;
  relPath: string;
  thumbVersion: string | null;
  /** The current human label. */
  trueClass: string;
  predictedClass: string;
  /** Probability of the predicted class. */
  confidence: number;
  /** Probability the run gave the current true class. */
  trueProbability: number;
  /** The label the run was trained and evaluated with, when it was recorded. */
  runClass: string | null;
  /** The label changed since the run (e.g. fixed here). */
  relabelled: boolean;
}

export interface EvaluateOptions {
  /** The class scored for ROC, PR and the threshold (default: the second of two, else the first). */
  positiveClass?: string;
  /** Default 0.5. */
  threshold?: number;
}

/** A run and whether its labels changed since it trained. */
export interface RunFreshness extends RunLabelState {
  runId: number;
}

/** Outcome of importing an image metadata CSV. */
export interface MetadataImport {
  /** Images that got values. */
  matched: number;
  /** Rows whose path matched no image, and the first few of them. */
  unmatched: number;
  unmatchedSample: string[];
  keys: string[];
}

/** A metadata key of the project (a CSV column), usable as a split grouping `meta:<key>`. */
export interface MetadataKey {
  key: string;
  images: number;
  values: number;
}

/** One signature of a TensorFlow SavedModel; shapes use -1 for "any". */
export interface SavedModelSignature {
  tags: string[];
  name: string;
  inputs: { name: string; dtype: string; shape: number[] }[];
  outputs: { name: string; dtype: string; shape: number[] }[];
}

/** What a SavedModel folder offers, and what Ocellus would pick by default. */
export interface SavedModelInfo {
  signatures: SavedModelSignature[];
  signature: string;
  featureOutput: string;
  /** Which engine can run it, and why. */
  note: string;
}

/** Choices when importing a SavedModel; anything left out is detected or defaulted. */
export interface SavedModelChoice {
  signature?: string;
  featureOutput?: string;
  /** How images are prepared for it (default: its declared size, centre crop, RGB in [0, 1]). */
  preprocessing?: {
    inputSize?: [number, number];
    resize?: 'squash' | 'center-crop' | 'letterbox';
    normalization?:
      | { kind: 'range'; min: number; max: number }
      | { kind: 'mean-std'; mean: [number, number, number]; std: [number, number, number] }
      | { kind: 'caffe'; mean: [number, number, number]; bgr: boolean };
  };
}
