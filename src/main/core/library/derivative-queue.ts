import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { derivativePaths } from './derivative-paths';
import { renderDerivatives } from './derivatives';

export type Priority = 'high' | 'low';

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
      void this.render(task.imageId)
        .catch((err: unknown) => console.error(`[ocellus] thumbnail ${task.imageId}:`, err))
        .finally(() => {
          this.running--;
          this.tasks.delete(task.imageId);
          task.resolve();
          this.pump();
        });
    }
  }

  private async render(imageId: number): Promise<void> {
    if (this.closed || !this.db.open) return;
    const row = this.db
      .prepare(
        "SELECT root_id, rel_path, hash, derived FROM images WHERE id = ? AND status = 'ok' AND missing = 0",
      )
      .get(imageId) as
      { root_id: number; rel_path: string; hash: string | null; derived: number } | undefined;
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
      { roots: [root] },
    );
    if (this.closed || !this.db.open) return;
    if (result.ok) this.markDerived(imageId);
    else {
      this.db
        .prepare('UPDATE images SET status = ?, error = ?, derived = 0 WHERE id = ?')
        .run(result.status, result.error, imageId);
    }
  }

  private markDerived(imageId: number): void {
    this.db.prepare('UPDATE images SET derived = 1 WHERE id = ?').run(imageId);
  }
}
