import type {
  BulkAcceptAsked,
  ClassInfo,
  LabelChange,
  LabelCounts,
  LabelOptions,
} from '../../../../shared/types';
import { debounced } from '../debounce';
import type { AppState } from './app.svelte';

/** A question the user answers before a label action goes ahead. */
export interface Question {
  text: string;
  /** The button that goes ahead ("Replace 3 human labels"). */
  confirm: string;
  /** A milder way ahead, when there is one ("Mark only the others"): answered as 'other'. */
  other?: string;
  answer(yes: boolean | 'other'): void;
}

type Call = (options: LabelOptions) => Promise<LabelChange | null>;

/**
 * Classes, counters, and label actions with undo and redo. Actions run one after another
 * in the order their keys were pressed, each on the images it was aimed at when pressed;
 * one that would replace human labels of another class waits for an answer first (and the
 * actions queued behind it wait too).
 */
export class LabelsState {
  readonly #app: AppState;

  #classes = $state<ClassInfo[]>([]);
  get classes(): ClassInfo[] {
    return this.#classes;
  }

  #counts = $state<LabelCounts | null>(null);
  get counts(): LabelCounts | null {
    return this.#counts;
  }

  #canUndo = $state(false);
  get canUndo(): boolean {
    return this.#canUndo;
  }

  #canRedo = $state(false);
  get canRedo(): boolean {
    return this.#canRedo;
  }

  /** The status line: what the last key did ("Label 3 images as deer"). */
  #lastAction = $state<string | null>(null);
  get lastAction(): string | null {
    return this.#lastAction;
  }

  /** Bumped for every status line message, also when the text repeats. */
  #actionCount = $state(0);
  get actionCount(): number {
    return this.#actionCount;
  }

  /** Label actions queued or running. */
  #pending = $state(0);
  get pending(): number {
    return this.#pending;
  }

  /** The question waiting for an answer, if any. */
  #question = $state<Question | null>(null);
  get question(): Question | null {
    return this.#question;
  }

  /** Move to the next image after labelling one in the image view. */
  #advance = $state(true);
  get advance(): boolean {
    return this.#advance;
  }
  set advance(value: boolean) {
    this.#advance = value;
  }

  /** Class keys in the image view label the shown image's whole burst (sequence). */
  #burst = $state(false);
  get burst(): boolean {
    return this.#burst;
  }
  set burst(value: boolean) {
    this.#burst = value;
  }

  private readonly scheduleRefresh = debounced(() => void this.refresh());
  private chain: Promise<unknown> = Promise.resolve();
  /** The accept that was pressed once and waits for its second press. */
  private armed: string | null = null;

  constructor(app: AppState) {
    this.#app = app;
    this.#app.onStart((client) => {
      client.on('labels:changed', (e) => {
        this.#canUndo = e.canUndo;
        this.#canRedo = e.canRedo;
        this.scheduleRefresh(e.classesChanged ? 0 : 150);
      });
      client.on('library:changed', () => this.scheduleRefresh(300));
      client.on('project:changed', (p) => {
        this.#classes = [];
        this.#counts = null;
        this.#lastAction = null;
        this.armed = null;
        this.#question?.answer(false);
        if (p) void this.refresh();
      });
    });
  }

  get busy(): boolean {
    return this.#pending > 0 || this.#question !== null;
  }

  async refresh(): Promise<void> {
    if (!this.#app.project) return;
    try {
      const counts = await this.#app.api().labels.counts();
      this.#counts = counts;
      this.#classes = counts.classes;
      // The history is the file's: after a reload Undo still works (it was greyed out).
      if (counts.canUndo !== undefined) this.#canUndo = counts.canUndo;
      if (counts.canRedo !== undefined) this.#canRedo = counts.canRedo;
    } catch (err) {
      this.#app.report(err);
    }
  }

  byHotkey(key: string): ClassInfo | undefined {
    const k = key.toLowerCase();
    return this.#classes.find((c) => c.hotkey === k);
  }

  byId(id: number): ClassInfo | undefined {
    return this.#classes.find((c) => c.id === id);
  }

  /** Shows a message on the status line. */
  say(text: string): void {
    this.#lastAction = text;
    this.#actionCount++;
  }

  /**
   * Labels images with a class. One image is the one the user looks at: it is relabelled
   * as asked. Over several, replacing human labels of another class asks first.
   */
  assign(imageIds: number[], classId: number): Promise<boolean> {
    if (imageIds.length === 0) return this.nothing();
    const name = this.byId(classId)?.name ?? 'that class';
    return this.act(
      (o) => this.#app.api().labels.assign(imageIds, classId, o),
      imageIds.length === 1,
      (n) => replaceQuestion(n, imageIds.length, `label them ${name}`),
    );
  }

  /** Takes a class off images; taking human labels off several asks first, with the count. */
  unassign(imageIds: number[], classId: number): Promise<boolean> {
    if (imageIds.length === 0) return this.nothing();
    const name = this.byId(classId)?.name ?? 'that class';
    return this.act(
      (o) => this.#app.api().labels.unassign(imageIds, classId, o),
      imageIds.length === 1,
      (n) => `Take “${name}” off ${n} images a person labelled? Undo brings the labels back.`,
      undefined,
      (n) => `Remove from ${n} images`,
    );
  }

  /** Clears images' labels; clearing human labels of several asks first, with the count. */
  clear(imageIds: number[]): Promise<boolean> {
    if (imageIds.length === 0) return this.nothing();
    return this.act(
      (o) => this.#app.api().labels.clear(imageIds, o),
      imageIds.length === 1,
      (n) => `Clear the labels of ${n} images a person labelled? Undo brings them back.`,
      undefined,
      (n) => `Clear ${n} images`,
    );
  }

  /**
   * Labels the burst of the image shown (the image alone when it has none), in key order: the
   * burst may still be looking up when later keys are pressed.
   */
  assignBurst(
    imageId: number,
    classId: number,
    burst: number | null | Promise<number | null>,
  ): Promise<boolean> {
    const name = this.byId(classId)?.name ?? 'that class';
    const api = () => this.#app.api().labels;
    return this.act(
      async (o) => {
        const seq = await burst;
        // The one image shown is relabelled as asked, as a plain class key does.
        return seq === null
          ? api().assign([imageId], classId, { ...o, replaceHuman: true })
          : api().assignSequence(seq, classId, o);
      },
      false,
      (n) => replaceQuestion(n, null, `label the whole sequence ${name}`),
    );
  }

  /** Confirms model suggestions as human labels (in key order with other label actions). */
  acceptSuggestions(imageIds: number[], seen?: [number, number][]): Promise<boolean> {
    if (imageIds.length === 0) return this.nothing();
    return this.act(
      (o) => this.#app.api().assist.accept(imageIds, seen ? { ...o, seen } : o),
      imageIds.length === 1,
      (n) => replaceQuestion(n, imageIds.length, "give them the model's class"),
    );
  }

  /**
   * Gives boxes a class (null: none), queued behind the label keys pressed before it, so a
   * box key followed by Ctrl+Z undoes that box's label and not the action before it.
   */
  labelBoxes(boxIds: number[], classId: number | null): Promise<boolean> {
    if (boxIds.length === 0) return Promise.resolve(false);
    return this.act(() => this.#app.api().detect.labelBoxes(boxIds, classId), true);
  }

  /** Confirms every unconfirmed suggestion at or above a confidence (0–1), as many as asked about. */
  bulkAccept(threshold: number, classId: number | null, asked?: BulkAcceptAsked): Promise<boolean> {
    return this.act(() => this.#app.api().assist.bulkAccept(threshold, classId, asked), true);
  }

  undo(): Promise<boolean> {
    return this.act(() => this.#app.api().labels.undo(), true, undefined, 'Nothing to undo');
  }

  redo(): Promise<boolean> {
    return this.act(() => this.#app.api().labels.redo(), true, undefined, 'Nothing to redo');
  }

  /**
   * The second-press rule for accepting unsure suggestions: true when this press goes ahead
   * (nothing unsure, or the same accept pressed again); false when it only warns.
   */
  pressAccept(key: string, unsure: string | null): boolean {
    if (unsure === null || this.armed === key) {
      this.armed = null;
      return true;
    }
    this.armed = key;
    this.say(unsure);
    return false;
  }

  /** Any other key than a second press of the same accept cancels the first one. */
  disarm(): void {
    this.armed = null;
  }

  /** Asks a yes/no question in a dialog; resolves with the answer (Cancel and Escape: no). */
  ask(text: string, confirm: string): Promise<boolean> {
    return this.choose(text, confirm).then((a) => a === true);
  }

  /**
   * Asks with a third, milder answer beside Cancel and the confirm button; resolves with true,
   * 'other' or false (Cancel and Escape: false, and nothing happens).
   */
  choose(text: string, confirm: string, other?: string): Promise<boolean | 'other'> {
    return new Promise((resolve) => {
      this.#question = {
        text,
        confirm,
        ...(other === undefined ? {} : { other }),
        answer: (yes) => {
          this.#question = null;
          resolve(yes);
        },
      };
    });
  }

  async addClass(name: string): Promise<ClassInfo | null> {
    let created: ClassInfo | null = null;
    await this.#app.guard(async () => {
      created = await this.#app.api().labels.addClass(name);
    });
    await this.refresh();
    return created;
  }

  async rename(id: number, name: string): Promise<void> {
    await this.#app.guard(() => this.#app.api().labels.updateClass(id, { name }));
  }

  /**
   * Gives a class its key (1–9 or a–z; null: none) and says so, naming the class it was taken
   * from; any other key is refused aloud (the box used to show a key that was never saved).
   */
  async setHotkey(id: number, hotkey: string | null): Promise<boolean> {
    const name = this.byId(id)?.name ?? 'This class';
    if (hotkey !== null && !/^[1-9a-z]$/.test(hotkey)) {
      this.say(`"${hotkey}" cannot be a class key: use 1–9 or a–z (0 clears labels)`);
      return false;
    }
    const from = hotkey === null ? undefined : this.byHotkey(hotkey);
    const ok = await this.#app.guard(() => this.#app.api().labels.updateClass(id, { hotkey }));
    if (ok)
      this.say(
        hotkey === null
          ? `${name} has no key now`
          : from && from.id !== id
            ? `Key ${hotkey} now labels ${name}; ${from.name} has no key`
            : `Key ${hotkey} labels ${name}`,
      );
    return ok;
  }

  async setColor(id: number, color: string): Promise<void> {
    await this.#app.guard(() => this.#app.api().labels.updateClass(id, { color }));
  }

  async move(id: number, delta: -1 | 1): Promise<void> {
    const ids = this.#classes.map((c) => c.id);
    const i = ids.indexOf(id);
    const j = i + delta;
    if (i < 0 || j < 0 || j >= ids.length) return;
    [ids[i], ids[j]] = [ids[j] as number, ids[i] as number];
    await this.#app.guard(() => this.#app.api().labels.reorderClasses(ids));
  }

  async setLabelMode(mode: 'single' | 'multi'): Promise<void> {
    let affected = 0;
    await this.#app.guard(async () => {
      affected = (await this.#app.api().labels.setLabelMode(mode)).affectedImages;
    });
    this.say(
      mode === 'single'
        ? `One class per image now${affected ? ` (${affected} image${affected === 1 ? '' : 's'} kept one label)` : ''}`
        : 'Images can now have several classes',
    );
  }

  async merge(sourceId: number, targetId: number): Promise<void> {
    await this.#app.guard(() => this.#app.api().labels.mergeClasses(sourceId, targetId));
  }

  async remove(id: number): Promise<void> {
    await this.#app.guard(() => this.#app.api().labels.deleteClass(id));
  }

  private nothing(): Promise<boolean> {
    this.say('Nothing to label: no image is focused or selected');
    return Promise.resolve(false);
  }

  /**
   * Queues an action behind those pressed before it. `single`: it acts on the one image the
   * user looks at, so it may replace that image's human label without asking.
   */
  private act(
    call: Call,
    single: boolean,
    question?: (n: number) => string,
    nothing = 'Nothing to undo or redo',
    confirm?: (n: number) => string,
  ): Promise<boolean> {
    this.#pending++;
    const run = this.chain.then(async () => {
      try {
        return await this.actNow(call, single, question, nothing, confirm);
      } finally {
        this.#pending--;
      }
    });
    this.chain = run;
    return run;
  }

  private async actNow(
    call: Call,
    single: boolean,
    question: ((n: number) => string) | undefined,
    nothing: string,
    confirm?: (n: number) => string,
  ): Promise<boolean> {
    let change: LabelChange | null = null;
    let ok = await this.#app.guard(async () => {
      change = await call(single ? { replaceHuman: true } : {});
    });
    const asked = change as LabelChange | null;
    if (ok && asked?.replacesHuman && question) {
      const n = asked.replacesHuman;
      const yes = await this.ask(
        question(n),
        confirm?.(n) ?? `Replace ${n} human label${n === 1 ? '' : 's'}`,
      );
      if (!yes) {
        this.say('Cancelled: no label changed');
        return false;
      }
      ok = await this.#app.guard(async () => {
        change = await call({ replaceHuman: true });
      });
    }
    const c = change as LabelChange | null;
    if (c) {
      this.#canUndo = c.canUndo;
      this.#canRedo = c.canRedo;
      this.say(c.description);
    } else if (ok) this.say(nothing);
    return ok;
  }
}

function replaceQuestion(n: number, of: number | null, what: string): string {
  const images = `${n} image${n === 1 ? '' : 's'}`;
  return `${of === null ? images : `${images} of these ${of}`} ${n === 1 ? 'has' : 'have'} a human label of another class. Replace ${n === 1 ? 'it' : 'them'} and ${what}?`;
}
