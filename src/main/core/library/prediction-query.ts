import type Database from 'better-sqlite3';
import { readMeta } from '../store/meta';
import type { ImageFilter, Suggestion } from '../../../shared/types';

/** Meta key of the run whose predictions are the current suggestions. */
export const SUGGESTIONS_RUN_KEY = 'suggestions_run';

/** The run whose predictions are the current suggestions, or null. */
export function currentSuggestionsRun(db: Database.Database): number | null {
  const value = readMeta(db, SUGGESTIONS_RUN_KEY);
  const n = value !== null ? Number(value) : NaN;
  return Number.isSafeInteger(n) ? n : null;
}

/**
 * The library query's pieces for suggestions: the grid lists images with `p` joined to the
 * current run's predictions (LEFT JOIN, so images without one stay listed).
 */
export const PREDICTION_JOIN =
  'LEFT JOIN predictions p ON p.image_id = i.id AND p.run_id = @suggestionsRun';

/** Columns of the joined prediction, for tiles. */
export const PREDICTION_COLUMNS =
  'p.run_id AS s_run, p.class_id AS s_class, p.confidence AS s_conf, p.margin AS s_margin, p.entropy AS s_entropy';

export interface PredictionColumns {
  s_run: number | null;
  s_class: number | null;
  s_conf: number | null;
  s_margin: number | null;
  s_entropy: number | null;
}

const HUMAN = "SELECT 1 FROM labels l WHERE l.image_id = i.id AND l.source = 'human'";

/** WHERE clauses and parameters for the prediction filters of an image filter. */
export function predictionClauses(f: ImageFilter): {
  clauses: string[];
  params: Record<string, unknown>;
} {
  const clauses: string[] = [];
  const params: Record<string, unknown> = {};
  if (f.predictedClassId !== undefined) {
    clauses.push('p.class_id = @predictedClassId');
    params['predictedClassId'] = f.predictedClassId;
  }
  if (f.minConfidence !== undefined) {
    clauses.push('p.confidence >= @minConfidence');
    params['minConfidence'] = f.minConfidence;
  }
  if (f.maxConfidence !== undefined) {
    clauses.push('p.confidence <= @maxConfidence');
    params['maxConfidence'] = f.maxConfidence;
  }
  if (f.suggested) {
    if (typeof f.suggestedSince === 'string') {
      clauses.push(
        `p.image_id IS NOT NULL AND NOT EXISTS (${HUMAN} AND l.created_at < @suggestedSince)`,
      );
      params['suggestedSince'] = f.suggestedSince;
    } else clauses.push(`p.image_id IS NOT NULL AND NOT EXISTS (${HUMAN})`);
  }
  if (f.disagrees) {
    clauses.push(
      `p.image_id IS NOT NULL AND EXISTS (${HUMAN}) AND NOT EXISTS (${HUMAN} AND l.class_id IS p.class_id)`,
    );
  }
  if (f.imageIds !== undefined) {
    clauses.push('i.id IN (SELECT value FROM json_each(@imageIds))');
    params['imageIds'] = JSON.stringify(f.imageIds);
  }
  return { clauses, params };
}

/** The tile's suggestion from the joined columns. */
export function suggestionOf(row: PredictionColumns): Suggestion | null {
  if (row.s_run === null || row.s_conf === null) return null;
  return {
    runId: row.s_run,
    classId: row.s_class,
    confidence: row.s_conf,
    margin: row.s_margin ?? 0,
    entropy: row.s_entropy ?? 0,
  };
}
