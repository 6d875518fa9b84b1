import fs from 'node:fs';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { isImagePath } from './image-formats';

/** What changed under one root since the last flush, as '/'-separated relative paths. */
export interface RootChanges {
  upserted: Map<string, { size: number; mtimeMs: number }>;
  removed: Set<string>;
  removedFolders: Set<string>;
}

const IGNORED_NAMES =
  /^(\.|\._|Thumbs\.db$|desktop\.ini$|@eaDir$|\$RECYCLE\.BIN$|System Volume Information$)/i;
const FLUSH_MS = 250;

/**
 * Watches one root folder and reports batched changes. Writes are reported once the file
 * stops growing (`awaitWriteFinish`), so half-copied photos are never read.
 */
export class RootWatcher {
  private readonly watcher: FSWatcher;
  private pending: RootChanges = emptyChanges();
  private timer: NodeJS.Timeout | null = null;
  private readonly ready: Promise<void>;

  constructor(
    readonly rootPath: string,
    private readonly onChanges: (changes: RootChanges) => void,
    options: { stabilityMs?: number } = {},
  ) {
    this.watcher = watch(rootPath, {
      ignoreInitial: true,
      persistent: true,
      followSymlinks: false,
      awaitWriteFinish: { stabilityThreshold: options.stabilityMs ?? 600, pollInterval: 100 },
      ignored: (p: string, stats?: fs.Stats) =>
        IGNORED_NAMES.test(path.basename(p)) || (stats?.isFile() === true && !isImagePath(p)),
    });
    this.watcher.on('add', (p, stats) => this.upsert(p, stats));
    this.watcher.on('change', (p, stats) => this.upsert(p, stats));
    this.watcher.on('unlink', (p) => this.remove(p));
    this.watcher.on('unlinkDir', (p) => {
      const rel = this.rel(p);
      if (rel) {
        this.pending.removedFolders.add(rel);
        this.schedule();
      }
    });
    this.watcher.on('error', (err) => console.error(`[ocellus] watching ${rootPath}:`, err));
    this.ready = new Promise((resolve) => this.watcher.once('ready', () => resolve()));
  }

  /** Resolves once the initial crawl is done and events are live. */
  whenReady(): Promise<void> {
    return this.ready;
  }

  /** Stops watching; pending changes are dropped (a re-scan on open catches up). */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.watcher.close();
  }

  private upsert(p: string, stats?: fs.Stats): void {
    const rel = this.rel(p);
    if (!rel || !isImagePath(p)) return;
    let st = stats;
    if (!st) {
      try {
        st = fs.statSync(p);
      } catch {
        return;
      }
    }
    this.pending.removed.delete(rel);
    this.pending.upserted.set(rel, { size: st.size, mtimeMs: st.mtimeMs });
    this.schedule();
  }

  private remove(p: string): void {
    const rel = this.rel(p);
    if (!rel) return;
    this.pending.upserted.delete(rel);
    this.pending.removed.add(rel);
    this.schedule();
  }

  private rel(p: string): string | null {
    const rel = path.relative(this.rootPath, p);
    if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) return null;
    return rel.split(path.sep).join('/');
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const changes = this.pending;
      this.pending = emptyChanges();
      this.onChanges(changes);
    }, FLUSH_MS);
  }
}

function emptyChanges(): RootChanges {
  return { upserted: new Map(), removed: new Set(), removedFolders: new Set() };
}
