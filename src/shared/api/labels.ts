/** The `labels` domain of the API contract (see ../api.ts). */
import type {
  ClassInfo,
  ClassUpdate,
  LabelChange,
  LabelOptions,
  LabelCounts,
  LabelEvent,
  LabelMode,
} from '../types';

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
  /**
   * Takes a class off images. Undoable. Human labels on more than one image are not taken off
   * unless `replaceHuman` says the user was asked: the change then only counts them (`replacesHuman`).
   */
  unassign(imageIds: number[], classId: number, options?: LabelOptions): Promise<LabelChange>;
  /** Removes all labels of images. Undoable; asks about human labels as `unassign` does. */
  clear(imageIds: number[], options?: LabelOptions): Promise<LabelChange>;
  /** Labels every image of a sequence (burst), asking as `assign` does. Undoable. */
  assignSequence(sequenceId: number, classId: number, options?: LabelOptions): Promise<LabelChange>;
  undo(): Promise<LabelChange | null>;
  redo(): Promise<LabelChange | null>;
  /** Who labelled an image with what, when, and with what confidence. */
  history(imageId: number): Promise<LabelEvent[]>;
  /** Switches single/multi-label; going to single keeps one label per image. */
  setLabelMode(mode: LabelMode): Promise<{ affectedImages: number }>;
}
