import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OcellusError } from '../../../shared/errors';
import type {
  AddRootOptions,
  IdPage,
  IdQuery,
  ImageCounts,
  ImageDetail,
  ImagePage,
  ImageQuery,
  ImageTile,
  JobInfo,
  LibraryChange,
  MediaKind,
  RemoveRootOptions,
  RootInfo,
} from '../../../shared/types';
import type { EventBus } from '../util/event-bus';
import { isPathInside, mimeType, realFileInside } from '../util/fs-safety';
import type { JobRegistry } from '../jobs/job-registry';
import { keepLabelsOfRoot } from '../labels/indexed-labels';
import { labelCounter } from '../labels/label-counts';
import type { ProjectStore } from '../store/project-store';
import { cacheDirFor, derivativePaths } from './derivative-paths';
import { DerivativeQueue } from './derivative-queue';
import { ImageTable } from './image-table';
import { Indexer } from './indexer';
import { LibraryDb } from './library-db';
import { LibrarySync } from './library-sync';
import type { ReconcileResult } from './reconcile';
import { FileRecorder } from './reconcile';
import type { ScanProblem } from './scanner';
import { RootWatcher, type RootChanges } from './watcher';

export interface LibraryOptions {
  bus: EventBus;
  jobs: JobRegistry;
  /** Watch roots for changes while the project is open (off for the CLI). */
  watch: boolean;
  /** Milliseconds a file must stop growing before it is read (watch mode). */
  writeStabilityMs?: number;
}

export interface MediaFile {
  file: string;
  contentType: string;
  /** The folder `file` must still lie in when it is opened (a root, or the cache). */
  root: string;
}

const CHANGE_EVENT_MS = 500;
const LIST_BUDGET_MS = 6;
const MAX_PROBLEMS = 200;

/** The image library of one open project: roots, import, watching, thumbnails, queries. */
export class Library {
  readonly cacheDir: string;
  private readonly ldb: LibraryDb;
  private readonly queue: DerivativeQueue;
  private readonly sync: LibrarySync;
  private readonly recorder: FileRecorder;
  private readonly watchers = new Map<number, RootWatcher>();
  private readonly problems = new Map<number, ScanProblem[]>();
  private lastChangeEmit = 0;
  private changeTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly store: ProjectStore,
    private readonly options: LibraryOptions,
  ) {
    this.cacheDir = cacheDirFor(store.path);
    this.ldb = new LibraryDb(store.db);
    this.recorder = new FileRecorder(store.db);
    const workers = thumbnailWorkers();
    this.queue = new DerivativeQueue(
      store.db,
      this.cacheDir,
      (id) => this.rootPathOrNull(id),
      Math.max(1, workers),
    );
    const indexer = new Indexer(
      store.db,
      (id) => this.rootPathOrNull(id) ?? '',
      () => store.summary().labelMode,
      (hash) => derivativePaths(this.cacheDir, hash).preview,
    );
    this.sync = new LibrarySync(store.db, options.jobs, indexer, this.queue, {
      rootPath: (id) => this.rootPathOrNull(id),
      sequenceGapSeconds: () => this.sequenceGapSeconds(),
      onScanned: (id, result) => this.recordScan(id, result),
      onChanged: (final) => this.changed('import', final),
      background: workers > 0,
    });
  }

  /** Reconciles every root with the disk (what changed while closed) and starts watching. */
  start(): JobInfo | null {
    let job: JobInfo | null = null;
    for (const root of this.ldb.roots()) {
      this.watchRoot(root.id, root.path);
      job = this.sync.scan(root.id);
    }
    return job ?? this.sync.kick();
  }

  /** Roots with their state. */
  roots(): RootInfo[] {
    const counts = this.ldb.imageCountsByRoot();
    return this.ldb.roots().map((r) => ({
      id: r.id,
      path: r.path,
      exists: isFolder(r.path),
      labelsFromFolders: r.labels_from_folders === 1,
      imageCount: counts.get(r.id) ?? 0,
      addedAt: r.added_at,
      problems: this.problems.get(r.id) ?? [],
    }));
  }

  /** Adds a folder (recursive) and starts importing it. */
  addRoot(folder: string, options: AddRootOptions = {}): RootInfo {
    const abs = path.resolve(folder);
    if (!isFolder(abs)) {
      throw new OcellusError('NOT_FOUND', `${abs} is not a folder that can be opened`, {
        path: abs,
      });
    }
    const real = fs.realpathSync(abs);
    for (const r of this.ldb.roots()) {
      const other = isFolder(r.path) ? fs.realpathSync(r.path) : path.resolve(r.path);
      if (isPathInside(other, real) || isPathInside(real, other)) {
        throw new OcellusError(
          'ALREADY_EXISTS',
          other === real
            ? `${abs} is already in the project`
            : `${abs} overlaps the project folder ${r.path}; add folders that do not contain each other`,
          { path: abs, rootId: r.id },
        );
      }
    }
    if (isPathInside(path.resolve(this.cacheDir), real)) {
      throw new OcellusError('INVALID_ARGUMENT', `${abs} is inside the project's thumbnail cache`);
    }
    const id = this.ldb.addRoot(abs, options.labelsFromFolders);
    this.watchRoot(id, abs);
    this.sync.scan(id);
    this.changed('roots', true);
    return this.rootInfo(id);
  }

  /** Removes a root and its images; with keepLabels, labels wait for the same content to return. */
  async removeRoot(rootId: number, options: RemoveRootOptions): Promise<void> {
    this.ldb.root(rootId);
    await this.unwatch(rootId);
    const db = this.store.db;
    db.transaction(() => {
      if (options.keepLabels) {
        keepLabelsOfRoot(db, rootId);
      }
      new ImageTable(db).deleteRoot(rootId);
      this.ldb.deleteRoot(rootId);
    })();
    labelCounter(db).invalidate();
    this.problems.delete(rootId);
    this.changed('roots', true);
  }

  /** Points a root at the folder it moved to; paths inside stay as they were. */
  async relocateRoot(rootId: number, newFolder: string): Promise<RootInfo> {
    this.ldb.root(rootId);
    const abs = path.resolve(newFolder);
    if (!isFolder(abs))
      throw new OcellusError('NOT_FOUND', `${abs} is not a folder`, { path: abs });
    await this.unwatch(rootId);
    this.ldb.setRootPath(rootId, abs);
    this.watchRoot(rootId, abs);
    this.sync.scan(rootId);
    this.changed('roots', true);
    return this.rootInfo(rootId);
  }

  /** Re-scans every root (or one) against the disk. */
  rescan(rootId?: number): JobInfo | null {
    const ids =
      rootId === undefined ? this.ldb.roots().map((r) => r.id) : [this.ldb.root(rootId).id];
    let job: JobInfo | null = null;
    for (const id of ids) job = this.sync.scan(id);
    return job;
  }

  counts(): ImageCounts {
    return this.ldb.counts();
  }

  list(query: ImageQuery): ImagePage {
    return this.ldb.list(query);
  }

  ids(query: ImageQuery): number[] {
    return this.ldb.ids(query);
  }

  /** A chunk of a listing; it ends early after LIST_BUDGET_MS so labelling never waits long. */
  listIds(query: IdQuery): IdPage {
    return this.ldb.listIds(query, LIST_BUDGET_MS);
  }

  tiles(ids: readonly number[]): ImageTile[] {
    return this.ldb.tiles(ids);
  }

  detail(id: number): ImageDetail {
    return this.ldb.detail(id, (rootId, rel) =>
      path.join(this.rootPathOrNull(rootId) ?? '', ...rel.split('/')),
    );
  }

  /** Gap between shots that starts a new sequence, in seconds. */
  sequenceGapSeconds(): number {
    const v = Number(this.store.getMeta('sequence_gap_seconds'));
    return Number.isFinite(v) && v > 0 ? v : 60;
  }

  /** Changes the sequence gap and regroups images at once. */
  setSequenceGapSeconds(seconds: number): void {
    if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 86_400) {
      throw new OcellusError(
        'INVALID_ARGUMENT',
        'The sequence gap must be between 0 and 86400 seconds',
      );
    }
    this.store.setMeta('sequence_gap_seconds', String(seconds));
    this.sync.recomputeSequences();
    this.changed('rescan', true);
  }

  /**
   * The file behind a media URL: a thumbnail (rendered now, ahead of the queue, when
   * missing) or an original. Only files inside the cache or a root are ever returned.
   */
  async media(kind: MediaKind, imageId: number): Promise<MediaFile | null> {
    const loc = this.ldb.locate(imageId);
    if (!loc) return null;
    if (kind === 'thumb') {
      if (loc.status !== 'ok' || !loc.hash) return null;
      const { thumb, preview } = derivativePaths(this.cacheDir, loc.hash);
      if (!fs.existsSync(thumb)) {
        // The camera's own preview until the thumbnail is made in the background.
        const early = loc.derived ? null : realFileInside(this.cacheDir, preview);
        if (early) return { file: early, contentType: 'image/jpeg', root: this.cacheDir };
        await this.queue.request(imageId, 'high');
      }
      const file = realFileInside(this.cacheDir, thumb);
      return file ? { file, contentType: 'image/webp', root: this.cacheDir } : null;
    }
    const root = this.rootPathOrNull(loc.rootId);
    if (!root) return null;
    const file = realFileInside(root, path.join(root, ...loc.relPath.split('/')));
    return file ? { file, contentType: mimeType(file), root } : null;
  }

  /** Resolves when the background import has nothing left to do. */
  whenIdle(): Promise<JobInfo | null> {
    return this.sync.whenIdle();
  }

  /** Stops watchers and the import, waiting until nothing writes to the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.changeTimer) clearTimeout(this.changeTimer);
    this.queue.close();
    await Promise.all([...this.watchers.keys()].map((id) => this.unwatch(id)));
    await this.sync.close();
  }

  private rootInfo(id: number): RootInfo {
    const info = this.roots().find((r) => r.id === id);
    if (!info) throw new OcellusError('NOT_FOUND', `No root folder with id ${id}`);
    return info;
  }

  private rootPathOrNull(rootId: number): string | null {
    try {
      return this.ldb.root(rootId).path;
    } catch {
      return null;
    }
  }

  private recordScan(rootId: number, result: ReconcileResult): void {
    this.problems.set(rootId, result.problems.slice(0, MAX_PROBLEMS));
  }

  private watchRoot(rootId: number, rootPath: string): void {
    // OCELLUS_WATCH=0: no watching (the watcher tracks every file: minutes and GBs at open
    // for a million); reopening or Rescan still finds what changed.
    const off = process.env['OCELLUS_WATCH'] === '0';
    if (!this.options.watch || off || this.watchers.has(rootId) || !isFolder(rootPath)) return;
    const watcher = new RootWatcher(rootPath, (changes) => this.applyChanges(rootId, changes), {
      stabilityMs: this.options.writeStabilityMs,
    });
    this.watchers.set(rootId, watcher);
  }

  /** Resolves once every watcher is live (tests wait on this before touching files). */
  async watchersReady(): Promise<void> {
    await Promise.all([...this.watchers.values()].map((w) => w.whenReady()));
  }

  private async unwatch(rootId: number): Promise<void> {
    const w = this.watchers.get(rootId);
    this.watchers.delete(rootId);
    await w?.close();
  }

  private applyChanges(rootId: number, changes: RootChanges): void {
    if (this.closed || !this.store.db.open) return;
    // Removals first, so a rename (unlink + add) finds the old row missing and takes it over.
    for (const folder of changes.removedFolders) this.recorder.markFolderMissing(rootId, folder);
    this.recorder.markMissing(rootId, [...changes.removed]);
    this.recorder.record(
      rootId,
      [...changes.upserted].map(([relPath, st]) => ({ relPath, ...st })),
    );
    this.changed('watch', true);
    this.sync.kick();
  }

  private changed(reason: LibraryChange['reason'], force: boolean): void {
    if (this.closed || !this.store.db.open) return;
    const emit = () => {
      this.changeTimer = null;
      this.lastChangeEmit = Date.now();
      if (this.closed || !this.store.db.open) return;
      this.options.bus.emit('library:changed', { reason, counts: this.ldb.counts() });
    };
    if (force) {
      if (this.changeTimer) clearTimeout(this.changeTimer);
      emit();
    } else if (!this.changeTimer) {
      const wait = Math.max(0, CHANGE_EVENT_MS - (Date.now() - this.lastChangeEmit));
      this.changeTimer = setTimeout(emit, wait);
    }
  }
}

/**
 * Thumbnails made at once (OCELLUS_THUMBNAIL_WORKERS, default one per core, at least 2);
 * 0 makes none in the background: only when shown, and not for images whose camera
 * embedded a preview.
 */
function thumbnailWorkers(): number {
  const v = process.env['OCELLUS_THUMBNAIL_WORKERS'];
  const n = v === undefined || v === '' ? NaN : Number(v);
  return Number.isInteger(n) && n >= 0 ? n : Math.max(2, os.availableParallelism());
}

function isFolder(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}
