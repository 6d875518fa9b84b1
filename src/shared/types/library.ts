/** The image library: roots, images, listings, media, metadata columns. */
import type { Suggestion } from './assist';
import type { ImageCounts } from './project';

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
  /** Images of one detection category (or none: 'empty') at a threshold, as the detect panel counts them. */
  detection?: DetectionImageFilter;
}

/** The grid's detection filter, run in the image query (core/detect adds its SQL). */
export interface DetectionImageFilter {
  category: 'empty' | 'animal' | 'person' | 'vehicle';
  threshold: number;
  /** A burst with an animal in any frame keeps all its frames as animal (default true). */
  burstAware?: boolean;
  /** The detector's results key; default: the detector used last in the project. */
  detector?: string | null;
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
  /** In a multi-frame file (DICOM): this item's frame (0-based) and the file's frame count. */
  frame?: number;
  frames?: number;
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
