import { SvelteMap } from 'svelte/reactivity';
import type {
  ImageCounts,
  ImageFilter,
  ImageSort,
  ImageTile,
  MediaKind,
  RootInfo,
} from '../../../../shared/types';
import { appState } from './app.svelte';

const PAGE_SIZE = 240;

export type GridFilter = 'all' | 'problem' | 'pending';

/**
 * The open project's library: root folders, counts and the image grid's data, loaded a
 * page at a time so 100,000 images cost only what is on screen.
 */
class LibraryState {
  roots = $state<RootInfo[]>([]);
  counts = $state<ImageCounts | null>(null);
  total = $state(0);
  filter = $state<GridFilter>('all');
  sort = $state<ImageSort>('path');
  tileSize = $state(160);
  /** Bumped whenever cached pages are stale. */
  generation = $state(0);

  private readonly pages = new SvelteMap<number, ImageTile[]>();
  private readonly loading = new Set<number>();
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;

  constructor() {
    appState.onStart((client) => {
      client.on('library:changed', () => this.scheduleRefresh());
      client.on('project:changed', (p) => {
        this.pages.clear();
        this.roots = [];
        this.counts = null;
        this.total = 0;
        if (p) void this.refresh();
      });
    });
  }

  /** Reloads roots, counts and the grid's size; cached pages are refetched as seen. */
  async refresh(): Promise<void> {
    if (!appState.project) return;
    const api = appState.api();
    try {
      const [roots, counts, first] = await Promise.all([
        api.library.roots(),
        api.library.counts(),
        api.library.listImages({
          filter: this.query(),
          sort: this.sort,
          offset: 0,
          limit: PAGE_SIZE,
        }),
      ]);
      this.roots = roots;
      this.counts = counts;
      this.total = first.total;
      this.loading.clear();
      this.pages.clear();
      this.pages.set(0, first.items);
      this.generation++;
    } catch (err) {
      appState.report(err);
    }
  }

  /** The tile at a grid index, or null while its page loads (the load starts here). */
  tileAt(index: number): ImageTile | null {
    const page = Math.floor(index / PAGE_SIZE);
    const items = this.pages.get(page);
    if (!items) {
      this.load(page);
      return null;
    }
    return items[index - page * PAGE_SIZE] ?? null;
  }

  mediaUrl(kind: MediaKind, id: number, version: string | null): string {
    return appState.api().mediaUrl(kind, id, version);
  }

  setFilter(filter: GridFilter): void {
    this.filter = filter;
    void this.refresh();
  }

  setSort(sort: ImageSort): void {
    this.sort = sort;
    void this.refresh();
  }

  async addRoot(folder: string, labelsFromFolders: boolean): Promise<boolean> {
    if (!folder.trim()) {
      appState.error = 'Enter the path of a folder of images.';
      return false;
    }
    const ok = await appState.guard(() =>
      appState.api().library.addRoot(folder.trim(), { labelsFromFolders }),
    );
    if (ok) await this.refresh();
    return ok;
  }

  async removeRoot(rootId: number, keepLabels: boolean): Promise<void> {
    if (await appState.guard(() => appState.api().library.removeRoot(rootId, { keepLabels }))) {
      await this.refresh();
    }
  }

  async relocateRoot(rootId: number, folder: string): Promise<void> {
    if (await appState.guard(() => appState.api().library.relocateRoot(rootId, folder.trim()))) {
      await this.refresh();
    }
  }

  async rescan(): Promise<void> {
    await appState.guard(() => appState.api().library.rescan());
  }

  private query(): ImageFilter {
    return this.filter === 'all' ? {} : { status: this.filter };
  }

  private load(page: number): void {
    if (this.loading.has(page)) return;
    this.loading.add(page);
    const generation = this.generation;
    // Deferred: this runs while the grid renders, where state must not change.
    queueMicrotask(async () => {
      try {
        const res = await appState.api().library.listImages({
          filter: this.query(),
          sort: this.sort,
          offset: page * PAGE_SIZE,
          limit: PAGE_SIZE,
        });
        if (generation !== this.generation) return;
        this.pages.set(page, res.items);
        this.total = res.total;
      } catch (err) {
        appState.report(err);
      } finally {
        this.loading.delete(page);
      }
    });
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      void this.refresh();
    }, 300);
  }
}

export const library = new LibraryState();
