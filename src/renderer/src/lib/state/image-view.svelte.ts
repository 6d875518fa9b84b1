import type { ImageDetail, ImageTile } from '../../../../shared/types';
import { IdList } from '../id-list';
import type { AppState } from './app.svelte';
import type { LibraryState, ViewFilter } from './library.svelte';

/**
 * The image view's list: the grid's list as it was when the view opened, frozen, so Next is
 * the next image the user saw in the grid, also while labels move images in or out of the
 * filter. A key press takes its target from here at once, without waiting for anything.
 */
export class ImageViewState {
  readonly #app: AppState;
  readonly #library: LibraryState;

  /** Position of the shown image in the frozen list. */
  #pos = $state(0);
  get pos(): number {
    return this.#pos;
  }

  #length = $state(0);
  get length(): number {
    return this.#length;
  }

  /** Details of the shown image (EXIF panel). */
  #detail = $state<ImageDetail | null>(null);
  get detail(): ImageDetail | null {
    return this.#detail;
  }
  set detail(value: ImageDetail | null) {
    this.#detail = value;
  }

  /** The burst the shown image belongs to, for the film strip. */
  #sequence = $state<ImageTile[]>([]);
  get sequence(): ImageTile[] {
    return this.#sequence;
  }

  #version = $state(0);
  private ids = new IdList();
  private stopAppend: (() => void) | null = null;

  constructor(app: AppState, library: LibraryState) {
    this.#app = app;
    this.#library = library;
    this.#app.onStart((client) => {
      client.on('project:changed', () => {
        this.stopAppend?.();
        this.ids = new IdList();
        this.#length = 0;
        this.#pos = 0;
        this.#detail = null;
        this.#sequence = [];
        this.#version++;
      });
    });
  }

  /** Freezes the grid's list and shows the image at `index` of it. */
  open(index: number): void {
    this.stopAppend?.();
    this.stopAppend = null;
    this.ids = this.#library.listing.snapshot();
    // Opened before the listing was complete: the rest of it joins as it arrives.
    if (!this.#library.listing.complete) {
      this.stopAppend = this.#library.listing.onAppend((ids) => {
        this.ids.push(ids);
        this.#length = this.ids.length;
        this.#version++;
      });
    }
    this.#length = this.ids.length;
    this.#version++;
    this.#pos = Math.max(0, Math.min(index, this.#length - 1));
  }

  /** Shows a list of its own (a review queue), from the image at `index` of it. */
  openIds(ids: readonly number[], index: number): void {
    this.stopAppend?.();
    this.stopAppend = null;
    this.ids = new IdList(Math.max(1, ids.length));
    this.ids.push(ids);
    this.#length = ids.length;
    this.#version++;
    this.#pos = Math.max(0, Math.min(index, this.#length - 1));
  }

  /** Back to the grid, focused on the image shown last (or the place it had). */
  close(): void {
    this.stopAppend?.();
    this.stopAppend = null;
    const id = this.currentId;
    if (id !== null) this.#library.focusImage(id, this.#library.focus);
  }

  get currentId(): number | null {
    void this.#version;
    return this.ids.at(this.#pos) ?? null;
  }

  /** The shown image's tile (null while it loads). */
  get current(): ImageTile | null {
    const id = this.currentId;
    return id === null ? null : (this.#library.tiles.get(id) ?? null);
  }

  /** Whether the shown image left the project while listed (its file was removed or moved). */
  get currentGone(): boolean {
    const id = this.currentId;
    return id !== null && this.#library.tiles.gone(id);
  }

  /** Moves by `delta` images, clamped to the list. */
  move(delta: number): void {
    if (this.#length === 0) return;
    this.#pos = Math.max(0, Math.min(this.#pos + delta, this.#length - 1));
  }

  /**
   * Moves to the next image outside burst `seq`, as far as the loaded tiles tell (an image
   * whose tile is not loaded yet counts as outside), clamped to the list.
   */
  skipBurst(seq: number): void {
    if (this.#length === 0) return;
    let p = this.#pos + 1;
    while (p < this.#length - 1) {
      const id = this.ids.at(p);
      if (id === undefined || this.#library.tiles.get(id)?.sequenceId !== seq) break;
      p++;
    }
    this.#pos = Math.min(p, this.#length - 1);
  }

  /**
   * Shows an image of the list (film strip, or back to one), the nearest occurrence from the
   * shown one on; false when the list does not hold it.
   */
  goTo(id: number): boolean {
    void this.#version;
    let i = this.ids.indexOf(id, this.#pos);
    if (i < 0) i = this.ids.indexOf(id);
    if (i >= 0) this.#pos = i;
    return i >= 0;
  }

  /**
   * Images around the shown one whose tiles are worth having now: a window that moves in
   * steps of 16, so labelling one image after another asks for tiles once per 16.
   */
  around(): number[] {
    void this.#version;
    const from = Math.floor(this.#pos / 16) * 16 - 16;
    return this.ids.slice(from, from + 48);
  }

  /** Shows another list (a sequence, a folder), still on the shown image (else its first). */
  async showOnly(filter: ViewFilter): Promise<void> {
    const shown = this.currentId;
    this.#library.setFilter(filter);
    await this.#library.listing.whenComplete();
    this.open(0);
    if (shown !== null) this.goTo(shown);
  }

  /** Loads details and the sequence of the shown image. */
  async loadDetail(): Promise<void> {
    const id = this.currentId;
    if (id === null) {
      this.#detail = null;
      this.#sequence = [];
      return;
    }
    try {
      const api = this.#app.api();
      const detail = await api.library.image(id);
      if (id !== this.currentId) return;
      const seq =
        detail.sequenceId === null
          ? null
          : await api.library.listImages({
              filter: { sequenceId: detail.sequenceId },
              sort: 'time',
              limit: 200,
            });
      if (id !== this.currentId) return;
      this.#detail = detail;
      this.#sequence = seq?.items ?? [detail];
    } catch (err) {
      this.#app.report(err);
    }
  }
}
