import type { LabelsApi } from '../../../shared/api';
import { OcellusError } from '../../../shared/errors';
import type { ClassUpdate, LabelChange, LabelMode } from '../../../shared/types';
import { labelHistory } from '../detect/box-labels';
import { ClassStore } from '../labels/class-store';
import { ImageTable } from '../library/image-table';
import type { Workspace } from './workspace';
import { labelOptions, requireObject, requireString } from './validate';

/** The `labels` domain: classes, labelling, undo and redo, history. */
// eslint-disable-next-line max-lines-per-function -- the labels domain's method table; each method is a short adapter to the label and class stores.
export function createLabelsService(ctx: Workspace): LabelsApi {
  const classes = () => new ClassStore(ctx.requireStore().db);
  // Box labels are label batches too: undo and redo put boxes back with them.
  const labels = () => labelHistory(ctx.requireStore());
  const emit = (imageIds: number[], classesChanged: boolean) => {
    const l = labels();
    ctx.bus.emit('labels:changed', {
      imageIds,
      classesChanged,
      canUndo: l.canUndo(),
      canRedo: l.canRedo(),
    });
  };
  const changed = (change: LabelChange | null): LabelChange | null => {
    if (change && change.imageIds.length > 0) emit(change.imageIds, false);
    return change;
  };
  const atomic = <T>(work: () => T): T => ctx.requireStore().db.transaction(work)();
  const classEdit = <T>(result: T, imageIds: number[] = []): T => {
    emit(imageIds, true);
    return result;
  };

  return {
    async classes() {
      return classes().list();
    },
    async counts() {
      const l = labels();
      return { ...classes().counts(), canUndo: l.canUndo(), canRedo: l.canRedo() };
    },
    async addClass(name, update) {
      return classEdit(classes().add(requireString(name, 'name'), updateOf(update)));
    },
    async updateClass(classId, update) {
      return classEdit(classes().update(requireId(classId), updateOf(update)));
    },
    async deleteClass(classId) {
      const id = requireId(classId);
      // With the end of undo in one transaction: a crash between them left undo open.
      const result = atomic(() => {
        const r = classes().delete(id);
        labels().endUndoHere();
        return r;
      });
      return classEdit(result);
    },
    async mergeClasses(sourceId, targetId) {
      const [from, to] = [requireId(sourceId), requireId(targetId)];
      const result = atomic(() => {
        const r = classes().merge(from, to);
        labels().endUndoHere();
        return r;
      });
      return classEdit(result);
    },
    async reorderClasses(ids) {
      return classEdit(classes().reorder(requireIds(ids)));
    },
    async assign(imageIds, classId, options) {
      const ids = requireIds(imageIds);
      const cls = classes().get(requireId(classId));
      return changed(
        labels().assign(ids, cls.id, labelled(ids.length, cls.name), labelOptions(options)),
      ) as LabelChange;
    },
    async unassign(imageIds, classId, options) {
      const ids = requireIds(imageIds);
      const cls = classes().get(requireId(classId));
      return changed(
        labels().unassign(
          ids,
          cls.id,
          (n) => (n === 0 ? `No image had ${cls.name}` : `Remove ${cls.name} from ${plural(n)}`),
          labelOptions(options),
        ),
      ) as LabelChange;
    },
    async clear(imageIds, options) {
      const ids = requireIds(imageIds);
      return changed(
        labels().clear(
          ids,
          (n) => (n === 0 ? 'No labels to clear' : `Clear labels of ${plural(n)}`),
          labelOptions(options),
        ),
      ) as LabelChange;
    },
    async assignSequence(sequenceId, classId, options) {
      const seq = requireId(sequenceId);
      const cls = classes().get(requireId(classId));
      const ids = new ImageTable(ctx.requireStore().db).sequenceMembers(seq);
      if (ids.length === 0) throw new OcellusError('NOT_FOUND', `Sequence ${seq} has no images`);
      return changed(
        labels().assign(
          ids,
          cls.id,
          (n) =>
            n === 0
              ? `All ${plural(ids.length)} of sequence ${seq} already ${cls.name}`
              : `Label ${plural(n)} of sequence ${seq} as ${cls.name}`,
          labelOptions(options),
        ),
      ) as LabelChange;
    },
    async undo() {
      return changed(labels().undo());
    },
    async redo() {
      return changed(labels().redo());
    },
    async history(imageId) {
      return labels().history(requireId(imageId));
    },
    async setLabelMode(mode) {
      if (mode !== 'single' && mode !== 'multi')
        throw new OcellusError('INVALID_ARGUMENT', 'The label mode is single or multi');
      const result = atomic(() => {
        const r = classes().setLabelMode(mode as LabelMode);
        labels().endUndoHere();
        return r;
      });
      ctx.bus.emit('project:changed', ctx.requireStore().summary());
      return classEdit(result);
    },
  };
}

function updateOf(update: unknown): ClassUpdate {
  if (update === undefined || update === null) return {};
  const u = requireObject(update, 'update');
  const out: ClassUpdate = {};
  if (u['name'] !== undefined) out.name = requireString(u['name'], 'name');
  if (u['color'] !== undefined) out.color = requireString(u['color'], 'color');
  if (u['hotkey'] !== undefined)
    out.hotkey = u['hotkey'] === null ? null : requireString(u['hotkey'], 'hotkey');
  return out;
}

function requireId(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new OcellusError('INVALID_ARGUMENT', 'An id must be a positive integer');
  }
  return value;
}

function requireIds(value: unknown): number[] {
  if (!Array.isArray(value)) throw new OcellusError('INVALID_ARGUMENT', 'Expected a list of ids');
  return value.map(requireId);
}

function plural(n: number): string {
  return `${n} image${n === 1 ? '' : 's'}`;
}

/** "Label 6 images as heron", counting the images that changed. */
export function labelled(requested: number, className: string): (n: number) => string {
  return (n) =>
    n === 0
      ? `${requested === 1 ? 'Already' : `All ${plural(requested)} already`} ${className}`
      : `Label ${plural(n)} as ${className}`;
}
