import type Database from 'better-sqlite3';
import { writeMeta } from '../store/meta';
import type { PredictionDetail, Suggestion } from '../../../shared/types';

import { SUGGESTIONS_RUN_KEY, currentSuggestionsRun } from '../library/prediction-query';

/** What one probability vector says: the top class, how sure, and how unsure. */
export interface PredictionFigures {
  /** Index of the top class in the run's class order. */
  top: number;
  confidence: number;
  margin: number;
  entropy: number;
}

/** Top class, confidence, margin (top − second) and entropy (nats) of probabilities. */
export function predictionFigures(p: ArrayLike<number>): PredictionFigures {
  let top = 0;
  let first = -Infinity;
  let second = -Infinity;
  let entropy = 0;
  for (let i = 0; i < p.length; i++) {
    const v = p[i] ?? 0;
    if (v > first) {
      second = first;
      first = v;
      top = i;
    } else if (v > second) second = v;
    if (v > 0) entropy -= v * Math.log(v);
  }
  return {
    top,
    confidence: first,
    margin: p.length > 1 ? first - second : 1,
    entropy,
  };
}

export interface PredictionInput {
  imageId: number;
  probabilities: Float32Array;
}

/**
 * Predictions of runs in the project file. One run's set is "current" (shown as
 * suggestions); it switches only when a run's set is complete, and older sets are dropped
 * then, since they are rebuildable from their runs' heads.
 */
export class PredictionStore {
  private hasRow: Database.Statement | null = null;

  constructor(private readonly db: Database.Database) {}

  /** The run whose predictions are shown, or null. */
  currentRun(): number | null {
    return currentSuggestionsRun(this.db);
  }

  /** The current run when it is a training run (not an imported set, whose ids are below -1). */
  currentTrainingRun(): number | null {
    const run = this.currentRun();
    return run !== null && run >= 0 ? run : null;
  }

  /** Whether a run's set already holds an image. */
  has(runId: number, imageId: number): boolean {
    // Asked once per imported record: prepared once.
    this.hasRow ??= this.db.prepare('SELECT 1 FROM predictions WHERE run_id = ? AND image_id = ?');
    return this.hasRow.get(runId, imageId) !== undefined;
  }

  /** Drops a run's whole set, current or not (an imported set about to be imported again). */
  clear(runId: number): void {
    this.db.prepare('DELETE FROM predictions WHERE run_id = ?').run(runId);
  }

  /** Writes one batch of a run's predictions; `classIds` maps run class order to ids. */
  write(runId: number, classIds: readonly (number | null)[], batch: PredictionInput[]): void {
    const insert = this.db.prepare(
      `INSERT OR REPLACE INTO predictions
         (run_id, image_id, class_id, confidence, margin, entropy, probs, created_at)
       SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM images WHERE id = ?)`,
    );
    const now = new Date().toISOString();
    this.db.transaction(() => {
      for (const item of batch) {
        const f = predictionFigures(item.probabilities);
        const p = item.probabilities;
        insert.run(
          runId,
          item.imageId,
          classIds[f.top] ?? null,
          f.confidence,
          f.margin,
          f.entropy,
          Buffer.from(p.buffer, p.byteOffset, p.byteLength),
          now,
          item.imageId,
        );
      }
    })();
  }

  /** Makes a run's (complete) set the current suggestions and drops the other sets. */
  publish(runId: number): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM predictions WHERE run_id <> ?').run(runId);
      writeMeta(this.db, SUGGESTIONS_RUN_KEY, String(runId));
    })();
  }

  /** Drops an unfinished set (a cancelled or failed job). */
  discard(runId: number): void {
    if (runId === this.currentRun()) return;
    this.db.prepare('DELETE FROM predictions WHERE run_id = ?').run(runId);
  }

  /** The current suggestion of one image, or null. */
  suggestion(imageId: number): Suggestion | null {
    const run = this.currentRun();
    if (run === null) return null;
    const row = this.db
      .prepare(
        'SELECT run_id, class_id, confidence, margin, entropy FROM predictions WHERE run_id = ? AND image_id = ?',
      )
      .get(run, imageId) as PredictionRow | undefined;
    return row ? toSuggestion(row) : null;
  }

  /** One image's current prediction with every class's probability. */
  detail(imageId: number, runClasses: readonly string[]): PredictionDetail | null {
    const run = this.currentRun();
    if (run === null) return null;
    const row = this.db
      .prepare('SELECT * FROM predictions WHERE run_id = ? AND image_id = ?')
      .get(run, imageId) as (PredictionRow & { probs: Buffer }) | undefined;
    if (!row) return null;
    const probs = new Float32Array(
      row.probs.buffer.slice(row.probs.byteOffset, row.probs.byteOffset + row.probs.byteLength),
    );
    const byName = this.db.prepare('SELECT id FROM classes WHERE name = ?');
    return {
      imageId,
      ...toSuggestion(row),
      probabilities: runClasses.map((name, i) => ({
        classId: (byName.get(name) as { id: number } | undefined)?.id ?? null,
        name,
        p: probs[i] ?? 0,
      })),
    };
  }

  /** Counts of the current set: predicted, without a human label, disagreeing with one. */
  counts(): { predicted: number; unconfirmed: number; disagreeing: number } {
    const run = this.currentRun();
    if (run === null) return { predicted: 0, unconfirmed: 0, disagreeing: 0 };
    return this.db
      .prepare(
        `SELECT COUNT(*) AS predicted,
                COALESCE(SUM(NOT EXISTS (SELECT 1 FROM labels l WHERE l.image_id = p.image_id AND l.source = 'human')), 0) AS unconfirmed,
                COALESCE(SUM(EXISTS (SELECT 1 FROM labels l WHERE l.image_id = p.image_id AND l.source = 'human')
                    AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.image_id = p.image_id AND l.source = 'human' AND l.class_id = p.class_id)), 0) AS disagreeing
           FROM predictions p JOIN images i ON i.id = p.image_id AND i.missing = 0
          WHERE p.run_id = ?`,
      )
      .get(run) as { predicted: number; unconfirmed: number; disagreeing: number };
  }

  /**
   * Unconfirmed suggestions (no human label) at or above a confidence, optionally of one
   * class, with or without a given image list.
   */
  unconfirmed(opts: {
    threshold?: number;
    classId?: number | null;
    imageIds?: readonly number[];
  }): { imageId: number; classId: number; runId: number; confidence: number }[] {
    const run = this.currentRun();
    if (run === null) return [];
    const clauses = [
      'p.run_id = @run',
      'p.class_id IS NOT NULL',
      'p.confidence >= @threshold',
      "NOT EXISTS (SELECT 1 FROM labels l WHERE l.image_id = p.image_id AND l.source = 'human' AND l.class_id = p.class_id)",
    ];
    const params: Record<string, unknown> = { run, threshold: opts.threshold ?? 0 };
    if (opts.imageIds) {
      clauses.push('p.image_id IN (SELECT value FROM json_each(@ids))');
      params['ids'] = JSON.stringify(opts.imageIds);
    } else {
      // Bulk: only images no human has labelled; a human label always outranks the model.
      clauses.push(
        "NOT EXISTS (SELECT 1 FROM labels l WHERE l.image_id = p.image_id AND l.source = 'human')",
      );
    }
    if (opts.classId !== undefined && opts.classId !== null) {
      clauses.push('p.class_id = @classId');
      params['classId'] = opts.classId;
    }
    return this.db
      .prepare(
        `SELECT p.image_id AS imageId, p.class_id AS classId, p.run_id AS runId, p.confidence
           FROM predictions p JOIN images i ON i.id = p.image_id AND i.missing = 0
          WHERE ${clauses.join(' AND ')} ORDER BY p.image_id`,
      )
      .all(params) as { imageId: number; classId: number; runId: number; confidence: number }[];
  }
}

interface PredictionRow {
  run_id: number;
  class_id: number | null;
  confidence: number;
  margin: number;
  entropy: number;
}

function toSuggestion(r: PredictionRow): Suggestion {
  return {
    runId: r.run_id,
    classId: r.class_id,
    confidence: r.confidence,
    margin: r.margin,
    entropy: r.entropy,
  };
}
