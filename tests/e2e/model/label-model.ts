/**
 * The reference model of labelling: what each user action must do to the labels, the grid's
 * list, the focus and the selection, written from the rules the UI promises (not from its
 * code). The model-based test drives the real UI and compares after every action.
 */

export interface ImageInfo {
  id: number;
  rootId: number;
  relPath: string;
  sequenceId: number | null;
  takenAt: string | null;
  mtimeMs: number | null;
  suggestion: { classId: number | null; confidence: number; margin: number } | null;
}

export interface Label {
  classId: number;
  /** Logical time the label was written (the "suggested since" filter compares it). */
  at: number;
}

export type Filter =
  | { kind: 'all' }
  | { kind: 'unlabelled' }
  | { kind: 'class'; classId: number }
  | { kind: 'predicted'; classId: number }
  | { kind: 'suggested'; since: number }
  | { kind: 'similar'; ids: number[] };

export type Sort = 'path' | 'time' | 'uncertain' | 'confidence';

/** One image's part of an undoable action, and when the action ran. */
type Change = { id: number; before: number | null; after: number | null; at: number };

/** How sure a suggestion must be to be accepted with one press (the app's default). */
export const ACCEPT_TWICE_BELOW = 0.5;

export class LabelModel {
  readonly labels = new Map<number, Label>();
  private readonly undoStack: Change[][] = [];
  private redoStack: Change[][] = [];
  private clock = 0;

  view: 'grid' | 'image' = 'grid';
  filter: Filter = { kind: 'all' };
  sort: Sort = 'path';
  focus = 0;
  focusId: number | null = null;
  readonly selection = new Set<number>();
  anchorId: number | null = null;
  armed: string | null = null;
  /** The image view's frozen list and position. */
  frozen: number[] = [];
  pos = 0;
  /** "Class keys label the whole burst" in the image view. */
  burst = false;
  includeHuman = false;
  private listed: number[] = [];

  constructor(readonly images: readonly ImageInfo[]) {
    this.listed = this.compute();
  }

  image(id: number): ImageInfo {
    const im = this.images.find((i) => i.id === id);
    if (!im) throw new Error(`no image ${id}`);
    return im;
  }

  /** Ticks the logical clock: one per action. */
  tick(): number {
    return ++this.clock;
  }

  /** The grid's list: the filter's images in the sort's order, from the current labels. */
  list(): number[] {
    return this.listed;
  }

  /** The ids a key acts on in the grid: the selection (ascending), else the focused image. */
  targets(): number[] {
    if (this.selection.size > 0) return [...this.selection].sort((a, b) => a - b);
    const id = this.listed[this.focus];
    return id === undefined ? [] : [id];
  }

  // ---------------------------------------------------------------- grid navigation

  setFilter(filter: Filter): void {
    this.filter = filter;
    this.focus = 0;
    this.focusId = null;
    this.selection.clear();
    this.anchorId = null;
    this.listed = this.compute();
  }

  /** A new order: the list starts again, so the selection goes (the anchor stays). */
  setSort(sort: Sort): void {
    this.sort = sort;
    this.focus = 0;
    this.focusId = null;
    this.selection.clear();
    this.listed = this.compute();
  }

  moveFocus(to: number): void {
    if (this.listed.length === 0) return;
    this.focus = Math.min(this.listed.length - 1, Math.max(0, to));
    this.focusId = this.listed[this.focus] ?? null;
  }

  /** Whether the selection is the one image a plain click chose (arrows carry it along). */
  clickedOne = false;

  /** A plain arrow, Home or End: the focus moves, and a plain click's one image with it. */
  step(to: number): void {
    const carry = this.clickedOne && this.selection.size === 1;
    this.moveFocus(to);
    const id = this.listed[this.focus];
    if (!carry || id === undefined) return;
    this.selection.clear();
    this.selection.add(id);
    this.anchorId = id;
  }

  click(index: number, mods: { shift: boolean; toggle: boolean }): void {
    this.clickedOne = !mods.shift && !mods.toggle;
    this.moveFocus(index);
    const id = this.listed[this.focus];
    if (id === undefined) return;
    const anchor = this.anchorId === null ? -1 : this.listed.indexOf(this.anchorId);
    if (mods.shift && anchor >= 0) {
      if (!mods.toggle) this.selection.clear();
      const [from, to] = anchor < index ? [anchor, index] : [index, anchor];
      for (const x of this.listed.slice(from, to + 1)) this.selection.add(x);
      return;
    }
    if (mods.toggle) {
      if (!this.selection.delete(id)) this.selection.add(id);
    } else {
      this.selection.clear();
      this.selection.add(id);
    }
    this.anchorId = id;
  }

  /** Shift+arrow starts its range at the focused image when no anchor is in the list. */
  anchorAtFocus(): void {
    if (this.anchorId === null || !this.listed.includes(this.anchorId))
      this.anchorId = this.listed[this.focus] ?? null;
  }

  selectAll(): void {
    this.clickedOne = false;
    for (const id of this.listed) this.selection.add(id);
  }

  clearSelection(): void {
    this.selection.clear();
    this.anchorId = null;
  }

  // ---------------------------------------------------------------- image view

  open(): void {
    // Opening drops a selection of just the image opened (a double-click's click made it).
    const id = this.listed[this.focus];
    if (id !== undefined && this.selection.size === 1 && this.selection.has(id))
      this.clearSelection();
    this.view = 'image';
    this.frozen = [...this.listed];
    this.pos = Math.max(0, Math.min(this.focus, this.frozen.length - 1));
  }

  move(delta: number): void {
    if (this.frozen.length === 0) return;
    this.pos = Math.max(0, Math.min(this.pos + delta, this.frozen.length - 1));
  }

  /** The next image outside burst `seq` (the shown image's, just labelled), clamped. */
  skipBurst(seq: number): void {
    let p = this.pos + 1;
    while (p < this.frozen.length - 1 && this.image(this.frozen[p] as number).sequenceId === seq)
      p++;
    this.pos = Math.min(p, this.frozen.length - 1);
  }

  back(): void {
    this.view = 'grid';
    const id = this.frozen[this.pos];
    if (id === undefined) return;
    const i = this.listed.indexOf(id);
    this.moveFocus(i >= 0 ? i : this.focus);
  }

  // ---------------------------------------------------------------- labels

  /**
   * A class over images. Several images with human labels of another class ask first:
   * returns the count to ask about (0: nothing to ask), applying only when allowed.
   */
  assign(ids: number[], classId: number, allowReplace: boolean): number {
    const asked = ids.length > 1 ? this.replaced(ids.map((id) => [id, classId])) : 0;
    if (asked > 0 && !allowReplace) return asked;
    this.batch(
      ids.filter((id) => this.labels.get(id)?.classId !== classId).map((id) => [id, classId]),
    );
    return asked;
  }

  /**
   * A class off images. Taking (human) labels off more than one image asks first: returns the
   * count to ask about (0: nothing to ask), applying only when allowed.
   */
  unassign(ids: number[], classId: number, allow = true): number {
    const off = [...new Set(ids)].filter((id) => this.labels.get(id)?.classId === classId);
    const asked = off.length > 1 ? off.length : 0;
    if (asked > 0 && !allow) return asked;
    this.batch(off.map((id) => [id, null]));
    return asked;
  }

  /** Every label off images; asks as `unassign` does. */
  clear(ids: number[], allow = true): number {
    const off = [...new Set(ids)].filter((id) => this.labels.has(id));
    const asked = off.length > 1 ? off.length : 0;
    if (asked > 0 && !allow) return asked;
    this.batch(off.map((id) => [id, null]));
    return asked;
  }

  /** Every readable image of the burst; asks as `assign` does (the burst is never "one image"). */
  assignSequence(sequenceId: number, classId: number, allowReplace: boolean): number {
    const ids = this.images.filter((i) => i.sequenceId === sequenceId).map((i) => i.id);
    const asked = this.replaced(ids.map((id) => [id, classId]));
    if (asked > 0 && !allowReplace) return asked;
    this.batch(
      ids.filter((id) => this.labels.get(id)?.classId !== classId).map((id) => [id, classId]),
    );
    return asked;
  }

  /**
   * The second-press rule of accepting: true when this press goes ahead. Unsure means a
   * suggestion under the setting (or, for one image, any suggestion under it).
   */
  pressAccept(ids: number[]): boolean {
    const key = ids.join(',');
    const unsure = ids.some((id) => {
      const s = this.image(id).suggestion;
      return s !== null && s.classId !== null && s.confidence < ACCEPT_TWICE_BELOW;
    });
    if (!unsure || this.armed === key) {
      this.armed = null;
      return true;
    }
    this.armed = key;
    return false;
  }

  /** Accepts suggestions (those not already the image's label); asks as `assign` does. */
  accept(ids: number[], allowReplace: boolean): number {
    const items: [number, number][] = [];
    for (const id of ids) {
      const c = this.image(id).suggestion?.classId;
      if (c === null || c === undefined || this.labels.get(id)?.classId === c) continue;
      items.push([id, c]);
    }
    const asked = ids.length > 1 ? this.replaced(items) : 0;
    if (asked > 0 && !allowReplace) return asked;
    this.batch(items);
    return asked;
  }

  /** How many unlabelled images have a suggestion at or above `threshold` (of one class). */
  bulkItems(threshold: number, classId: number | null): [number, number][] {
    return this.images
      .filter((im) => {
        const s = im.suggestion;
        return (
          s !== null &&
          s.classId !== null &&
          s.confidence >= threshold &&
          (classId === null || s.classId === classId) &&
          !this.labels.has(im.id)
        );
      })
      .map((im) => [im.id, im.suggestion?.classId as number]);
  }

  bulkAccept(threshold: number, classId: number | null): void {
    this.batch(this.bulkItems(threshold, classId));
  }

  /** More like this: the image and its neighbours (order from the app), selected unless human-labelled. */
  showSimilar(ids: number[]): void {
    this.view = 'grid';
    this.setFilter({ kind: 'similar', ids });
    this.selectSimilar();
  }

  selectSimilar(): void {
    this.clickedOne = false;
    this.selection.clear();
    this.anchorId = null;
    for (const id of this.listed)
      if (this.includeHuman || !this.labels.has(id)) this.selection.add(id);
  }

  /** Undo puts labels back as the history has them: written when the undone action ran. */
  undo(): void {
    const b = this.undoStack.pop();
    if (!b) return;
    for (const c of [...b].reverse()) this.set(c.id, c.before, c.at);
    this.redoStack.push(b);
    this.relist();
  }

  redo(): void {
    const b = this.redoStack.pop();
    if (!b) return;
    for (const c of b) this.set(c.id, c.after, c.at);
    this.undoStack.push(b);
    this.relist();
  }

  // ---------------------------------------------------------------- internals

  private replaced(items: [number, number][]): number {
    return new Set(
      items
        .filter(([id, c]) => {
          const l = this.labels.get(id);
          return l !== undefined && l.classId !== c;
        })
        .map(([id]) => id),
    ).size;
  }

  private batch(items: [number, number | null][]): void {
    const changes: Change[] = [];
    for (const [id, classId] of items) {
      const before = this.labels.get(id)?.classId ?? null;
      if (before === classId) continue;
      this.set(id, classId, this.clock);
      changes.push({ id, before, after: classId, at: this.clock });
    }
    if (changes.length === 0) return;
    this.undoStack.push(changes);
    this.redoStack = [];
    this.relist();
  }

  private set(id: number, classId: number | null, at: number): void {
    if (classId === null) this.labels.delete(id);
    else this.labels.set(id, { classId, at });
  }

  /**
   * The grid follows label changes as the app does: images that left go first (out of the
   * selection, the focus keeping its image or else its place), then, when any joined, the
   * whole list is read again and the same rules apply once more.
   */
  private relist(): void {
    const before = this.listed;
    const after = this.compute();
    const now = new Set(after);
    const left = before.filter((id) => !now.has(id));
    const joined = after.some((id) => !before.includes(id));
    if (left.length > 0) {
      const gone = new Set(left);
      this.listed = before.filter((id) => !gone.has(id));
      for (const id of left) this.selection.delete(id);
      this.keepFocus();
    }
    if (joined) {
      this.listed = after;
      for (const id of [...this.selection]) if (!now.has(id)) this.selection.delete(id);
      this.keepFocus();
    }
    this.listed = after;
  }

  private keepFocus(): void {
    const i = this.focusId === null ? -1 : this.listed.indexOf(this.focusId);
    if (i >= 0) this.focus = i;
    else {
      this.focus = Math.max(0, Math.min(this.focus, this.listed.length - 1));
      this.focusId = this.listed[this.focus] ?? null;
    }
  }

  private compute(): number[] {
    const f = this.filter;
    if (f.kind === 'similar') return [...f.ids];
    const keep = (im: ImageInfo): boolean => {
      const l = this.labels.get(im.id);
      switch (f.kind) {
        case 'all':
          return true;
        case 'unlabelled':
          return !l;
        case 'class':
          return l?.classId === f.classId;
        case 'predicted':
          return im.suggestion?.classId === f.classId;
        case 'suggested':
          return im.suggestion !== null && !(l && l.at < f.since);
      }
    };
    return this.images
      .filter(keep)
      .sort(order(this.sort))
      .map((i) => i.id);
  }
}

function order(sort: Sort): (a: ImageInfo, b: ImageInfo) => number {
  const cmp = (x: (string | number)[], y: (string | number)[]) => {
    for (let i = 0; i < x.length; i++) {
      if (x[i] !== y[i]) return (x[i] as string | number) < (y[i] as string | number) ? -1 : 1;
    }
    return 0;
  };
  const key = (im: ImageInfo): (string | number)[] => {
    const s = im.suggestion;
    switch (sort) {
      case 'time':
        return [im.takenAt ?? '~', im.mtimeMs ?? -1, im.id];
      case 'uncertain':
        return s ? [0, s.margin, im.id] : [1, 0, im.id];
      case 'confidence':
        return s ? [0, -s.confidence, -im.id] : [1, 0, im.id];
      default:
        return [im.rootId, im.relPath];
    }
  };
  return (a, b) => cmp(key(a), key(b));
}
