import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { labelCounter } from '../labels/label-counts';
import type { OcellusError } from '../../../shared/errors';
import { diskFullError, isDiskFull, isPersistentIoError, toOcellusError } from '../util/io-errors';
import { derivativePaths } from './derivative-paths';
import { renderDerivatives } from './derivatives';
import { ImageTable } from './image-table';

export type Priority = 'high' | 'low';

/** Tries of one render when the cache cannot be written, with doubling waits between. */
const WRITE_ATTEMPTS = 3;
const FIRST_BACKOFF_MS = 250;

interface Task {
  imageId: number;
  promise: Promise<void>;
  resolve: () => void;
}

/**
 * Makes thumbnails and model inputs with a bounded pool. What is on screen (`high`) jumps
 * ahead of the import's background work (`low`); one image is never rendered twice at once.
 */
export class DerivativeQueue {
  private readonly high: Task[] = [];
  private readonly low: Task[] = [];
  private readonly tasks = new Map<number, Task>();
  private running = 0;
  private closed = false;
  /** Set when the cache cannot be written (disk full, read-only): rendering stops. */
  private failure: OcellusError | null = null;
  readonly concurrency: number;

  constructor(
    private readonly db: Database.Database,
    private readonly cacheDir: string,
    private readonly rootPath: (rootId: number) => string | null,
    concurrency = Math.max(2, os.availableParallelism()),
  ) {
    this.concurrency = concurrency;
  }

  /** Resolves when the image's derivatives exist or its failure is recorded. */
  request(imageId: number, priority: Priority): Promise<void> {
    const existing = this.tasks.get(imageId);
    if (existing) {
      if (priority === 'high') {
        const i = this.low.indexOf(existing);
        if (i >= 0) {
          this.low.splice(i, 1);
          this.high.push(existing);
        }
      }
      return existing.promise;
    }
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    const task: Task = { imageId, promise, resolve };
    this.tasks.set(imageId, task);
    (priority === 'high' ? this.high : this.low).push(task);
    this.pump();
    return promise;
  }

  /** Drops queued background work (running renders finish). */
  clearLow(): void {
    for (const t of this.low.splice(0)) {
      this.tasks.delete(t.imageId);
      t.resolve();
    }
  }

  /**
   * Why rendering stopped (full or read-only disk, after bounded retries), or null. While
   * set, requests resolve at once without rendering, so nothing spins on a full disk.
   */
  stoppedBy(): OcellusError | null {
    return this.failure;
  }

  /** Tries again after `stoppedBy` (a new import job, after space was freed). */
  resume(): void {
    this.failure = null;
  }

  /** Stops taking work; queued tasks resolve without rendering. */
  close(): void {
    this.closed = true;
    for (const t of [...this.high.splice(0), ...this.low.splice(0)]) {
      this.tasks.delete(t.imageId);
      t.resolve();
    }
  }

  private pump(): void {
    while (!this.closed && this.running < this.concurrency) {
      const task = this.high.shift() ?? this.low.shift();
      if (!task) return;
      this.running++;
      void this.renderWithRetry(task.imageId)
        .catch((err: unknown) => console.error(`[ocellus] thumbnail ${task.imageId}:`, err))
        .finally(() => {
          this.running--;
          this.tasks.delete(task.imageId);
          task.resolve();
          this.pump();
        });
    }
  }

  /** Renders, retrying a full or read-only cache a few times with backoff, then stops the queue. */
  private async renderWithRetry(imageId: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      if (this.failure) return;
      try {
        await this.render(imageId);
        return;
      } catch (err) {
        if (!isPersistentIoError(err)) throw err;
        if (attempt >= WRITE_ATTEMPTS) {
          if (!this.failure) {
            this.failure = (
              isDiskFull(err)
                ? diskFullError(this.cacheDir, err)
                : toOcellusError(err, this.cacheDir)
            ) as OcellusError;
            console.error(`[ocellus] thumbnails stopped: ${this.failure.message}`);
          }
          return;
        }
        await new Promise((r) => setTimeout(r, FIRST_BACKOFF_MS * 2 ** (attempt - 1)));
      }
    }
  }

  private async render(imageId: number): Promise<void> {
    if (this.closed || !this.db.open) return;
    const row = this.db
      .prepare(
        "SELECT root_id, rel_path, frame, frames, hash, derived FROM images WHERE id = ? AND status = 'ok' AND missing = 0",
      )
      .get(imageId) as
      | {
          root_id: number;
          rel_path: string;
          frame: number;
          frames: number | null;
          hash: string | null;
          derived: number;
        }
      | undefined;
    if (!row?.hash) return;
    const paths = derivativePaths(this.cacheDir, row.hash);
    // Same content elsewhere in the project (or a rebuilt row): the cache is already there.
    if (fs.existsSync(paths.thumb) && fs.existsSync(paths.input)) {
      if (row.derived === 0) this.markDerived(imageId);
      return;
    }
    const root = this.rootPath(row.root_id);
    if (!root) return;
    const result = await renderDerivatives(
      path.join(root, ...row.rel_path.split('/')),
      paths.thumb,
      paths.input,
      { roots: [root], frame: row.frame, frames: row.frames },
    );
    if (this.closed || !this.db.open) return;
    if (result.ok) this.markDerived(imageId);
    else {
      new ImageTable(this.db).markUnreadable(imageId, result.status, result.error);
      labelCounter(this.db).invalidate();
    }
  }

  private markDerived(imageId: number): void {
    new ImageTable(this.db).markDerived(imageId);
  }
}
