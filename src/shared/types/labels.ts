/** Classes and labels, their changes and undo. */

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
  /** The project's undo history (kept in the file): what Undo and Redo can do now. */
  canUndo?: boolean;
  canRedo?: boolean;
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

/** Accepting suggestions: the label options, and what the user saw suggested. */
export interface AcceptOptions extends LabelOptions {
  /**
   * [imageId, classId] pairs of the suggestions on screen when the key was pressed: an image
   * whose suggestion has changed since (a quick retrain) is left alone and counted as such.
   */
  seen?: [number, number][];
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
