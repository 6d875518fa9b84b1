import type Database from 'better-sqlite3';
import { OcellusError } from '../../../shared/errors';
import type {
  EpochMetrics,
  RunEstimate,
  RunStatus,
  RunSummary,
  TrainConfig,
} from '../../../shared/types';
import type { HeadWeights } from '../model/head';

interface RunRow {
  id: number;
  status: RunStatus;
  error: string | null;
  config: string;
  backend: string | null;
  classes: string;
  counts: string;
  history: string;
  best_epoch: number | null;
  leaked: number;
  started_at: string;
  finished_at: string | null;
  estimate: string | null;
  title: string | null;
  base_name: string | null;
}

/** Training runs in the project file: configuration, split, metrics and the best head. */
export class RunStore {
  constructor(private readonly db: Database.Database) {}

  /** Starts a run record. */
  create(
    config: TrainConfig,
    names: { title?: string | null; baseName?: string | null } = {},
  ): number {
    return Number(
      this.db
        .prepare(
          "INSERT INTO runs (status, config, started_at, title, base_name) VALUES ('running', ?, ?, ?, ?)",
        )
        .run(
          JSON.stringify(config),
          new Date().toISOString(),
          names.title ?? null,
          names.baseName ?? null,
        ).lastInsertRowid,
    );
  }

  /** Gives a run a title of its own (null takes it away). */
  setTitle(id: number, title: string | null): void {
    if (this.db.prepare('UPDATE runs SET title = ? WHERE id = ?').run(title, id).changes === 0)
      throw new OcellusError('NOT_FOUND', `No training run ${id}`);
  }

  /** Records what the run learns from, once known. */
  setDataset(
    id: number,
    data: {
      classes: string[];
      counts: RunSummary['counts'];
      split: { train: number[]; validation: number[] };
      leaked: number;
      backend: string;
      datasetKey: string;
    },
  ): void {
    this.db
      .prepare(
        'UPDATE runs SET classes = ?, counts = ?, split = ?, leaked = ?, backend = ?, dataset_key = ? WHERE id = ?',
      )
      .run(
        JSON.stringify(data.classes),
        JSON.stringify(data.counts),
        JSON.stringify(data.split),
        data.leaked,
        data.backend,
        data.datasetKey,
        id,
      );
  }

  /** Appends an epoch's metrics (persisted as they come). */
  addEpoch(id: number, m: EpochMetrics): void {
    const row = this.db.prepare('SELECT history FROM runs WHERE id = ?').get(id) as
      { history: string } | undefined;
    const history = row ? (JSON.parse(row.history) as EpochMetrics[]) : [];
    history.push(m);
    this.db.prepare('UPDATE runs SET history = ? WHERE id = ?').run(JSON.stringify(history), id);
  }

  /**
   * Ends a run with its outcome and, when done, the released head; `estimateHead` is the head
   * the validation figures were measured with, when the released one was refit on every label.
   */
  finish(
    id: number,
    status: RunStatus,
    outcome: {
      error?: string;
      bestEpoch?: number;
      head?: HeadWeights;
      estimateHead?: HeadWeights;
      estimate?: RunEstimate;
    },
  ): void {
    this.db
      .prepare(
        `UPDATE runs SET status = ?, error = ?, best_epoch = ?, head = ?, estimate_head = ?,
                         estimate = ?, finished_at = ? WHERE id = ?`,
      )
      .run(
        status,
        outcome.error ?? null,
        outcome.bestEpoch ?? null,
        outcome.head ? encodeHead(outcome.head) : null,
        outcome.estimateHead ? encodeHead(outcome.estimateHead) : null,
        outcome.estimate ? JSON.stringify(outcome.estimate) : null,
        new Date().toISOString(),
        id,
      );
  }

  /** Runs left 'running' by a killed app are failed, with the reason. */
  failInterrupted(): number {
    return this.db
      .prepare(
        "UPDATE runs SET status = 'failed', error = 'Ocellus stopped while this run was training', finished_at = ? WHERE status = 'running'",
      )
      .run(new Date().toISOString()).changes;
  }

  /** A run's train and validation image ids; null when the run or its split is not there. */
  split(id: number): { train: number[]; validation: number[] } | null {
    const row = this.db.prepare('SELECT split FROM runs WHERE id = ?').get(id) as
      { split: string | null } | undefined;
    return row?.split ? (JSON.parse(row.split) as { train: number[]; validation: number[] }) : null;
  }

  list(): RunSummary[] {
    return (this.db.prepare('SELECT * FROM runs ORDER BY id DESC').all() as RunRow[]).map(
      toSummary,
    );
  }

  get(id: number): RunSummary {
    const row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
    if (!row) throw new OcellusError('NOT_FOUND', `No training run ${id}`);
    return toSummary(row);
  }

  /** The released head of a finished run (refit on every label when the run did so). */
  head(id: number): HeadWeights | null {
    const row = this.db.prepare('SELECT head FROM runs WHERE id = ?').get(id) as
      { head: string | null } | undefined;
    return row?.head ? decodeHead(row.head) : null;
  }

  /**
   * The head that saw only the training side of the split: what evaluation on the
   * validation split must use (the released head of a refit run has seen those images).
   */
  estimateHead(id: number): HeadWeights | null {
    const row = this.db
      .prepare('SELECT COALESCE(estimate_head, head) AS head FROM runs WHERE id = ?')
      .get(id) as { head: string | null } | undefined;
    return row?.head ? decodeHead(row.head) : null;
  }
}

function toSummary(r: RunRow): RunSummary {
  const history = JSON.parse(r.history) as EpochMetrics[];
  const counts = JSON.parse(r.counts) as Partial<RunSummary['counts']>;
  return {
    id: r.id,
    status: r.status,
    error: r.error,
    config: JSON.parse(r.config) as TrainConfig,
    backend: r.backend,
    classes: JSON.parse(r.classes) as string[],
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    durationSeconds: r.finished_at
      ? (Date.parse(r.finished_at) - Date.parse(r.started_at)) / 1000
      : null,
    bestEpoch: r.best_epoch,
    best: history.find((h) => h.epoch === r.best_epoch) ?? null,
    history,
    counts: {
      train: counts.train ?? 0,
      validation: counts.validation ?? 0,
      perClass: counts.perClass ?? [],
      excludedUnlabelled: counts.excludedUnlabelled ?? 0,
      excludedUnreadable: counts.excludedUnreadable ?? 0,
      excludedNoEmbedding: counts.excludedNoEmbedding ?? 0,
    },
    leakedContents: r.leaked,
    estimate: r.estimate ? (JSON.parse(r.estimate) as RunEstimate) : null,
    jobId: null,
    title: r.title,
    baseName: r.base_name,
  };
}

function b64(a: Float32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

function f32(s: string): Float32Array {
  const buf = Buffer.from(s, 'base64');
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

function encodeHead(h: HeadWeights): string {
  return JSON.stringify({
    dim: h.dim,
    hidden: h.hidden,
    classes: h.classes,
    w1: b64(h.w1),
    b1: b64(h.b1),
    w2: b64(h.w2),
    b2: b64(h.b2),
  });
}

function decodeHead(s: string): HeadWeights {
  const o = JSON.parse(s) as {
    dim: number;
    hidden: number;
    classes: number;
    w1: string;
    b1: string;
    w2: string;
    b2: string;
  };
  return {
    dim: o.dim,
    hidden: o.hidden,
    classes: o.classes,
    w1: f32(o.w1),
    b1: f32(o.b1),
    w2: f32(o.w2),
    b2: f32(o.b2),
  };
}

/** What a run took as truth: its class ids in class order, and each image's class index. */
export interface RunLabels {
  classIds: number[];
  labels: [imageId: number, classIndex: number][];
}

/** Records the labels a run learns from (called by the trainer once the split is known). */
export function recordRunLabels(db: Database.Database, runId: number, labels: RunLabels): void {
  db.prepare('UPDATE runs SET dataset_labels = ? WHERE id = ?').run(JSON.stringify(labels), runId);
}

/** The run's split and recorded labels (null for runs made before labels were recorded). */
export function readRunDataset(
  db: Database.Database,
  runId: number,
): { split: { train: number[]; validation: number[] } | null; labels: RunLabels | null } {
  const row = db.prepare('SELECT split, dataset_labels FROM runs WHERE id = ?').get(runId) as
    { split: string | null; dataset_labels: string | null } | undefined;
  if (!row) throw new OcellusError('NOT_FOUND', `No training run ${runId}`);
  return {
    split: row.split ? (JSON.parse(row.split) as { train: number[]; validation: number[] }) : null,
    labels: row.dataset_labels ? (JSON.parse(row.dataset_labels) as RunLabels) : null,
  };
}
