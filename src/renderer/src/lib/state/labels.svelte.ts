import type { ClassInfo, LabelChange, LabelCounts } from '../../../../shared/types';
import { debounced } from '../debounce';
import { appState } from './app.svelte';

/** Classes, counters, and label actions with undo and redo. */
class LabelsState {
  classes = $state<ClassInfo[]>([]);
  counts = $state<LabelCounts | null>(null);
  canUndo = $state(false);
  canRedo = $state(false);
  /** The last action, for the status line ("Labelled 3 images as deer"). */
  lastAction = $state<string | null>(null);
  /** Move to the next image after labelling one in the image view. */
  advance = $state(true);

  private readonly scheduleRefresh = debounced(() => void this.refresh());
  // Label actions run one after another in key-press order, however fast the keys come.
  private chain: Promise<unknown> = Promise.resolve();

  constructor() {
    appState.onStart((client) => {
      client.on('labels:changed', (e) => {
        this.canUndo = e.canUndo;
        this.canRedo = e.canRedo;
        this.scheduleRefresh(e.classesChanged ? 0 : 150);
      });
      client.on('library:changed', () => this.scheduleRefresh(300));
      client.on('project:changed', (p) => {
        this.classes = [];
        this.counts = null;
        this.lastAction = null;
        if (p) void this.refresh();
      });
    });
  }

  async refresh(): Promise<void> {
    if (!appState.project) return;
    try {
      const counts = await appState.api().labels.counts();
      this.counts = counts;
      this.classes = counts.classes;
    } catch (err) {
      appState.report(err);
    }
  }

  byHotkey(key: string): ClassInfo | undefined {
    const k = key.toLowerCase();
    return this.classes.find((c) => c.hotkey === k);
  }

  byId(id: number): ClassInfo | undefined {
    return this.classes.find((c) => c.id === id);
  }

  async assign(imageIds: number[], classId: number): Promise<boolean> {
    if (imageIds.length === 0) return false;
    return this.act(() => appState.api().labels.assign(imageIds, classId));
  }

  async unassign(imageIds: number[], classId: number): Promise<boolean> {
    if (imageIds.length === 0) return false;
    return this.act(() => appState.api().labels.unassign(imageIds, classId));
  }

  async clear(imageIds: number[]): Promise<boolean> {
    if (imageIds.length === 0) return false;
    return this.act(() => appState.api().labels.clear(imageIds));
  }

  async assignSequence(sequenceId: number, classId: number): Promise<boolean> {
    return this.act(() => appState.api().labels.assignSequence(sequenceId, classId));
  }

  /** Confirms model suggestions as human labels (in key order with other label actions). */
  async acceptSuggestions(imageIds: number[]): Promise<boolean> {
    if (imageIds.length === 0) return false;
    return this.act(() => appState.api().assist.accept(imageIds));
  }

  /** Confirms every unconfirmed suggestion at or above a confidence (0–1). */
  async bulkAccept(threshold: number, classId: number | null): Promise<boolean> {
    return this.act(() => appState.api().assist.bulkAccept(threshold, classId));
  }

  async undo(): Promise<void> {
    await this.act(() => appState.api().labels.undo());
  }

  async redo(): Promise<void> {
    await this.act(() => appState.api().labels.redo());
  }

  async addClass(name: string): Promise<ClassInfo | null> {
    let created: ClassInfo | null = null;
    await appState.guard(async () => {
      created = await appState.api().labels.addClass(name);
    });
    await this.refresh();
    return created;
  }

  async rename(id: number, name: string): Promise<void> {
    await appState.guard(() => appState.api().labels.updateClass(id, { name }));
  }

  async setHotkey(id: number, hotkey: string | null): Promise<void> {
    await appState.guard(() => appState.api().labels.updateClass(id, { hotkey }));
  }

  async setColor(id: number, color: string): Promise<void> {
    await appState.guard(() => appState.api().labels.updateClass(id, { color }));
  }

  async move(id: number, delta: -1 | 1): Promise<void> {
    const ids = this.classes.map((c) => c.id);
    const i = ids.indexOf(id);
    const j = i + delta;
    if (i < 0 || j < 0 || j >= ids.length) return;
    [ids[i], ids[j]] = [ids[j] as number, ids[i] as number];
    await appState.guard(() => appState.api().labels.reorderClasses(ids));
  }

  async setLabelMode(mode: 'single' | 'multi'): Promise<void> {
    let affected = 0;
    await appState.guard(async () => {
      affected = (await appState.api().labels.setLabelMode(mode)).affectedImages;
    });
    this.lastAction =
      mode === 'single'
        ? `One class per image now${affected ? ` (${affected} image${affected === 1 ? '' : 's'} kept one label)` : ''}`
        : 'Images can now have several classes';
  }

  async merge(sourceId: number, targetId: number): Promise<void> {
    await appState.guard(() => appState.api().labels.mergeClasses(sourceId, targetId));
  }

  async remove(id: number): Promise<void> {
    await appState.guard(() => appState.api().labels.deleteClass(id));
  }

  private act(action: () => Promise<LabelChange | null>): Promise<boolean> {
    const run = this.chain.then(() => this.actNow(action));
    this.chain = run;
    return run;
  }

  private async actNow(action: () => Promise<LabelChange | null>): Promise<boolean> {
    let change: LabelChange | null = null;
    const ok = await appState.guard(async () => {
      change = await action();
    });
    const c = change as LabelChange | null;
    if (c) {
      this.canUndo = c.canUndo;
      this.canRedo = c.canRedo;
      this.lastAction = c.description;
    } else if (ok) {
      this.lastAction = 'Nothing to do';
    }
    return ok;
  }
}

export const labels = new LabelsState();
