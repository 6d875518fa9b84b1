import fs from 'node:fs';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { isPathInside } from '../util/fs-safety';
import { fileKind } from '../util/safe-fs';
import { isImagePath, mayBeDicomPath } from './image-formats';
import { hasDicomPreamble } from './dicom';

/** What changed under one root since the last flush, as '/'-separated relative paths. */
export interface RootChanges {
  /** `unsupported` is set for FIFOs, sockets and devices: listed with the reason, never read. */
  upserted: Map<string, { size: number; mtimeMs: number; unsupported?: string }>;
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
  private readonly realRoot: string;

  constructor(
    readonly rootPath: string,
    private readonly onChanges: (changes: RootChanges) => void,
    options: { stabilityMs?: number } = {},
  ) {
    this.realRoot = realOr(rootPath);
    this.watcher = watch(rootPath, {
      ignoreInitial: true,
      persistent: true,
      followSymlinks: false,
      awaitWriteFinish: { stabilityThreshold: options.stabilityMs ?? 600, pollInterval: 100 },
      ignored: (p: string, stats?: fs.Stats) =>
        IGNORED_NAMES.test(path.basename(p)) ||
        (stats?.isFile() === true && !isImagePath(p) && !mayBeDicomPath(p)),
    });
    // chokidar's stats are lstat's for links (and it reports links even in its first scan
    // with followSymlinks off), so every path is judged afresh by upsert.
    this.watcher.on('add', (p) => this.upsert(p));
    this.watcher.on('change', (p) => this.upsert(p));
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

  private upsert(p: string): void {
    const rel = this.rel(p);
    if (!rel) return;
    if (isImagePath(p)) this.record(p, rel);
    else if (mayBeDicomPath(p)) {
      void hasDicomPreamble(p, [this.rootPath]).then((yes) => yes && this.record(p, rel));
    }
  }

  private record(p: string, rel: string): void {
    const entry = this.judge(p);
    if (entry === 'skip') return;
    if (entry === 'gone') {
      // A link now leading outside the root (or nowhere) stops being an image of the project.
      this.remove(p);
      return;
    }
    this.pending.removed.delete(rel);
    this.pending.upserted.set(rel, entry);
    this.schedule();
  }

  /**
   * What a path is, without opening it: a regular file (size, time), a special file
   * (listed as unsupported), 'gone' for a link leading outside the root or nowhere, 'skip'
   * for a folder or a path that vanished.
   */
  private judge(
    p: string,
  ): { size: number; mtimeMs: number; unsupported?: string } | 'gone' | 'skip' {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
      if (st.isSymbolicLink()) {
        const real = fs.realpathSync(p);
        if (real === this.realRoot || !isPathInside(this.realRoot, real)) return 'gone';
        st = fs.statSync(real);
      }
    } catch {
      return fs.existsSync(p) || isLink(p) ? 'gone' : 'skip';
    }
    if (st.isDirectory()) return 'skip';
    if (!st.isFile()) {
      const unsupported = `Not read: it is ${fileKind(st)}, not a regular file`;
      return { size: 0, mtimeMs: st.mtimeMs, unsupported };
    }
    return { size: st.size, mtimeMs: st.mtimeMs };
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

function realOr(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

function isLink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
