import type Database from 'better-sqlite3';
import { OcellusError } from '../../../shared/errors';
import type { LabelMode, MarkEmptyResult } from '../../../shared/types';
import { ensureClass } from '../labels/class-store';
import { LabelStore } from '../labels/label-store';
import { humanLabelledOtherwise, imageTops, readableImageCount } from './detection-store';
import { verdicts } from './filtering';

export interface MarkEmptyInput {
  detector: string;
  threshold: number;
  className: string;
  burstAware: boolean;
  preview: boolean;
  replaceHuman: boolean;
  labelMode: LabelMode;
}

/**
 * Labels every processed image with no box at the threshold (and not kept for its burst)
 * with the empty class, as one undoable batch. Images a person labelled otherwise are never
 * relabelled unless `replaceHuman` (the UI asks first, saying how many).
 */
export function markEmpty(
  db: Database.Database,
  input: MarkEmptyInput,
): MarkEmptyResult & { imageIds: number[] } {
  if (readableImageCount(db) === 0)
    throw new OcellusError('NOT_FOUND', 'The project has no images');
  const empty = verdicts(imageTops(db, input.detector), input.threshold, input.burstAware)
    .filter((v) => v.empty)
    .map((v) => v.imageId);
  const human = humanLabelledOtherwise(db, empty, input.className);
  const result = {
    labelled: 0,
    candidates: empty.length,
    humanLabelled: human.length,
    batchId: null,
  };
  if (input.preview || empty.length === 0) return { ...result, imageIds: [] };
  const target = input.replaceHuman ? empty : empty.filter((id) => !human.includes(id));
  const classId = ensureClass(db, input.className);
  const labels = new LabelStore(db, () => input.labelMode);
  const change = labels.assign(
    target,
    classId,
    (n) => `Mark ${n} image${n === 1 ? '' : 's'} without detections as ${input.className}`,
    { replaceHuman: input.replaceHuman },
  );
  return {
    ...result,
    labelled: change.imageIds.length,
    batchId: change.batchId,
    imageIds: change.imageIds,
  };
}
