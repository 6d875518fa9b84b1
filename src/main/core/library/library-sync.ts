import type Database from 'better-sqlite3';
import type { JobInfo } from '../../../shared/types';
import { OcellusError } from '../../../shared/errors';
import type { JobContext, JobRegistry } from '../jobs/job-registry';
import type { DerivativeQueue } from './derivative-queue';
import { ImageTable } from './image-table';
import type { Indexer } from './indexer';
import { reconcileRoot, type ReconcileResult } from './reconcile';
import { assignSequences, cameraKey, parseNaiveTime } from './sequences';

const DERIVE_BATCH = 32;

export interface SyncHooks {
  rootPath(rootId: number): string | null;
  sequenceGapSeconds(): number;
  onScanned(rootId: number, result: ReconcileResult): void;
  /** Something visible changed; `final` at the end of a job. */
  onChanged(final: boolean): void;
  /** Make thumbnails and model inputs in the background (else only when shown). */
  background: boolean;
}

/**
 * The one background job that brings the project up to date: scan queued roots, read
 * pending images, render missing derivatives, regroup sequences. Work that arrives while it
 * runs is picked up by the same job; an interrupted job resumes from the pending rows.
 */
export class LibrarySync {
  private readonly scanQueue: number[] = [];
  private current: { info: JobInfo; done: Promise<JobInfo> } | null = null;
  private closed = false;

  constructor(
    private readonly db: Database.Database,
    private readonly jobs: JobRegistry,
    private readonly indexer: Indexer,
    private readonly queue: DerivativeQueue,
    private readonly hooks: SyncHooks,
  ) {}

  /** Queues a root for a full scan and makes sure the job runs. */
  scan(rootId: number): JobInfo | null {
    if (!this.scanQueue.includes(rootId)) this.scanQueue.push(rootId);
    return this.kick();
  }

  /** Starts the job if there is nothing running; returns the running job. */
  kick(): JobInfo | null {
    if (this.closed) return null;
    if (this.current) return this.current.info;
    const { info, done } = this.jobs.start(
      'import',
      'Importing images',
      (ctx) => this.run(ctx),
      0,
      {
        // The import resumes from what is still pending, so trying again is just running again.
        retry: () => {
          const again = this.kick();
          if (!again)
            throw new OcellusError('INVALID_ARGUMENT', 'The project of that import is closed');
          return again;
        },
      },
    );
    const current = {
      info,
      done: done.then((final) => {
        this.current = null;
        // Work that arrived after the job's last look, unless the user cancelled.
        if (final.state === 'done' && !this.closed && this.hasWork()) this.kick();
        return final;
      }),
    };
    this.current = current;
    return info;
  }

  /** Resolves when no job is running (including any follow-up job). */
  async whenIdle(): Promise<JobInfo | null> {
    let last: JobInfo | null = null;
    while (this.current) last = await this.current.done;
    return last;
  }

  /** Cancels the job and waits for it to stop writing. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.current) this.jobs.cancel(this.current.info.id);
    await this.whenIdle();
  }

  private hasWork(): boolean {
    return (
      this.scanQueue.length > 0 ||
      this.indexer.pendingCount() > 0 ||
      (this.hooks.background && this.underivedCount() > 0)
    );
  }

  private underivedCount(): number {
    return (
      this.db
        .prepare(
          "SELECT COUNT(*) AS n FROM images WHERE status = 'ok' AND missing = 0 AND derived = 0",
        )
        .get() as { n: number }
    ).n;
  }

  private async run(ctx: JobContext): Promise<void> {
    const stop = () => ctx.signal.aborted || this.closed || !this.db.open;
    // A new job tries the cache again: space may have been freed since the last one stopped.
    this.queue.resume();
    // Whether any image came, went, was read or failed to decode: only then can its burst
    // change (regrouping a million images holds the database for seconds).
    let changed = false;
    while (!stop()) {
      const rootId = this.scanQueue.shift();
      if (rootId !== undefined) {
        const rootPath = this.hooks.rootPath(rootId);
        if (rootPath === null) continue;
        ctx.phase(`Scanning ${rootPath}`, 0);
        const result = await reconcileRoot(this.db, rootId, rootPath, ctx.signal, (seen) =>
          ctx.progress(seen, seen),
        );
        if (stop()) break;
        if (result.pending > 0 || result.missing > 0) changed = true;
        this.hooks.onScanned(rootId, result);
        this.hooks.onChanged(false);
        continue;
      }
      const pending = this.indexer.pendingCount();
      if (pending > 0) {
        changed = true;
        ctx.phase('Reading images', pending);
        await this.indexer.run(
          () => stop() || this.scanQueue.length > 0,
          (done) => {
            ctx.progress(done);
            this.hooks.onChanged(false);
          },
        );
        continue;
      }
      const underived = this.hooks.background ? this.underivedCount() : 0;
      if (underived > 0) {
        changed = true;
        ctx.phase('Making thumbnails', underived);
        await this.deriveAll(ctx, stop);
        continue;
      }
      break;
    }
    if (changed && this.db.open && !this.closed) this.recomputeSequences();
    this.hooks.onChanged(true);
    ctx.throwIfCancelled();
  }

  private async deriveAll(ctx: JobContext, stop: () => boolean): Promise<void> {
    const select = this.db.prepare(
      "SELECT id FROM images WHERE status = 'ok' AND missing = 0 AND derived = 0 AND id > ? ORDER BY id LIMIT ?",
    );
    let lastId = 0;
    let done = 0;
    while (!stop() && this.scanQueue.length === 0 && this.indexer.pendingCount() === 0) {
      const ids = (select.all(lastId, DERIVE_BATCH) as { id: number }[]).map((r) => r.id);
      if (ids.length === 0) return;
      lastId = ids[ids.length - 1] ?? lastId;
      await Promise.all(ids.map((id) => this.queue.request(id, 'low')));
      // A full disk stops the job with its reason; the rows stay underived, so reopening the
      // project or a rescan carries on from here.
      const stopped = this.queue.stoppedBy();
      if (stopped) throw stopped;
      done += ids.length;
      ctx.progress(done);
      this.hooks.onChanged(false);
    }
  }

  /** Regroups every readable image into sequences (bursts) with the project's gap. */
  recomputeSequences(): void {
    const rows = this.db
      .prepare(
        `SELECT id, root_id, rel_path, taken_at, mtime_ms, camera_make, camera_model, camera_serial,
                sequence_id FROM images WHERE status = 'ok' AND missing = 0`,
      )
      .all() as {
      id: number;
      root_id: number;
      rel_path: string;
      taken_at: string | null;
      mtime_ms: number | null;
      camera_make: string | null;
      camera_model: string | null;
      camera_serial: string | null;
      sequence_id: number | null;
    }[];
    const assigned = assignSequences(
      rows.map((r) => ({
        id: r.id,
        cameraKey: cameraKey(r.root_id, r.rel_path, r.camera_make, r.camera_model, r.camera_serial),
        // Only a capture time says two shots belong together: file times change on copying.
        time: parseNaiveTime(r.taken_at),
      })),
      this.hooks.sequenceGapSeconds(),
    );
    const images = new ImageTable(this.db);
    this.db.transaction(() => {
      for (const r of rows) {
        const seq = assigned.get(r.id) ?? null;
        if (seq !== r.sequence_id) images.setSequence(r.id, seq);
      }
      images.clearUnlistedSequences();
    })();
  }
}
