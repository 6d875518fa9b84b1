import type Database from 'better-sqlite3';
import type {
  IdPage,
  IdQuery,
  ImageCounts,
  ImageDetail,
  ImagePage,
  ImageQuery,
  ImageStatus,
  ImageTile,
} from '../../../shared/types';
import { OcellusError } from '../../../shared/errors';
import { imageCounts } from '../store/project-store';
import {
  PREDICTION_COLUMNS,
  PREDICTION_JOIN,
  type PredictionColumns,
  currentSuggestionsRun,
  predictionClauses,
  suggestionOf,
} from './prediction-query';
import { keysetChunk, keysetPlan, orderByOf, type OrderPart } from './keyset';
import { extraFilterClauses } from './filter-clauses';

export interface RootRow {
  id: number;
  path: string;
  labels_from_folders: number;
  added_at: string;
}

interface ImageRow {
  id: number;
  root_id: number;
  rel_path: string;
  status: ImageStatus;
  error: string | null;
  size: number | null;
  mtime_ms: number | null;
  hash: string | null;
  width: number | null;
  height: number | null;
  imported_at: string;
  format: string | null;
  taken_at: string | null;
  camera_make: string | null;
  camera_model: string | null;
  camera_serial: string | null;
  orientation: number | null;
  gps_lat: number | null;
  gps_lon: number | null;
  gps_alt: number | null;
  sequence_id: number | null;
  derived: number;
  frame: number;
  frames: number | null;
  class_ids: string | null;
}

type ImageRowWithSuggestion = ImageRow & PredictionColumns;

/** What a tile shows: a few columns, so a page of them reads little. */
const TILE_COLUMNS = `i.id, i.root_id, i.rel_path, i.status, i.error, i.width, i.height, i.taken_at,
  i.sequence_id, i.derived, i.hash, i.frame, i.frames,
  (SELECT group_concat(l.class_id) FROM labels l WHERE l.image_id = i.id) AS class_ids,
  ${PREDICTION_COLUMNS}`;
type TileRow = Pick<
  ImageRow,
  | 'id'
  | 'root_id'
  | 'rel_path'
  | 'status'
  | 'error'
  | 'width'
  | 'height'
  | 'taken_at'
  | 'sequence_id'
  | 'derived'
  | 'hash'
  | 'frame'
  | 'frames'
  | 'class_ids'
> &
  PredictionColumns;

const MAX_PAGE = 5000;
const MAX_ID_CHUNK = 50_000;

/** Reads roots and images; the import and watch code write through their own statements. */
export class LibraryDb {
  private tileStatement: Database.Statement | null = null;

  constructor(readonly db: Database.Database) {}

  /** Adds a root folder and returns its id. */
  addRoot(absPath: string, labelsFromFolders: boolean | undefined): number {
    const info = this.db
      .prepare('INSERT INTO roots (path, labels_from_folders, added_at) VALUES (?, ?, ?)')
      .run(absPath, labelsFromFolders ? 1 : 0, new Date().toISOString());
    return Number(info.lastInsertRowid);
  }

  /** Deletes a root's row (its images go first). */
  deleteRoot(id: number): void {
    this.db.prepare('DELETE FROM roots WHERE id = ?').run(id);
  }

  /** Points a root at another folder. */
  setRootPath(id: number, absPath: string): void {
    this.db.prepare('UPDATE roots SET path = ? WHERE id = ?').run(absPath, id);
  }

  /** All roots, oldest first. */
  roots(): RootRow[] {
    return this.db.prepare('SELECT * FROM roots ORDER BY id').all() as RootRow[];
  }

  /** One root, or NOT_FOUND. */
  root(id: number): RootRow {
    const row = this.db.prepare('SELECT * FROM roots WHERE id = ?').get(id) as RootRow | undefined;
    if (!row) throw new OcellusError('NOT_FOUND', `No root folder with id ${id}`);
    return row;
  }

  /** Visible (not missing) image count per root. */
  imageCountsByRoot(): Map<number, number> {
    const rows = this.db
      .prepare('SELECT root_id, COUNT(*) AS n FROM images WHERE missing = 0 GROUP BY root_id')
      .all() as { root_id: number; n: number }[];
    return new Map(rows.map((r) => [r.root_id, r.n]));
  }

  /** Image counts by status. */
  counts(): ImageCounts {
    return imageCounts(this.db);
  }

  /** One page of images matching a query. */
  list(query: ImageQuery): ImagePage {
    const { where, params } = this.where(query);
    const offset = Math.max(0, Math.floor(query.offset ?? 0));
    const limit = Math.min(MAX_PAGE, Math.max(1, Math.floor(query.limit ?? 200)));
    const order =
      query.filter?.imageIds !== undefined
        ? '(SELECT j.key FROM json_each(@imageIds) j WHERE j.value = i.id), i.id'
        : orderByOf(orderParts(query), 'p.image_id');
    const total = (
      this.db
        .prepare(`SELECT COUNT(*) AS n FROM images i ${PREDICTION_JOIN} WHERE ${where}`)
        .get(params) as {
        n: number;
      }
    ).n;
    const rows = this.db
      .prepare(
        `SELECT ${TILE_COLUMNS}
           FROM images i ${PREDICTION_JOIN} WHERE ${where} ORDER BY ${order} LIMIT @limit OFFSET @offset`,
      )
      .all({ ...params, limit, offset }) as TileRow[];
    return { total, offset, items: rows.map(toTile) };
  }

  /** Ids of every image matching a query's filter, in its sort order. */
  ids(query: ImageQuery): number[] {
    const out: number[] = [];
    let page: IdPage = { ids: [], next: null };
    do {
      page = this.listIds({ ...query, after: page.next, limit: MAX_ID_CHUNK });
      for (const id of page.ids) out.push(id);
    } while (page.next);
    return out;
  }

  /**
   * The next chunk of a listing's ids after a cursor, walked on the sort order's index; a
   * chunk ends early after about `budgetMs` (its `next` then goes on from there).
   */
  listIds(query: IdQuery, budgetMs = Infinity): IdPage {
    const limit = Math.min(MAX_ID_CHUNK, Math.max(1, Math.floor(query.limit ?? 1000)));
    return keysetChunk(this.db, orderParts(query), this.where(query), query.after, limit, budgetMs);
  }

  /** How SQLite finds a chunk of this listing after a cursor, per part (for checks). */
  listPlan(query: IdQuery): string[][] {
    return keysetPlan(this.db, orderParts(query), this.where(query));
  }

  /** Tiles of these images, in the given order; unknown and missing ones are left out. */
  tiles(ids: readonly number[]): ImageTile[] {
    if (ids.length > MAX_PAGE)
      throw new OcellusError('INVALID_ARGUMENT', `At most ${MAX_PAGE} tiles at a time`);
    // Prepared once: the grid asks for a page at every scroll step.
    this.tileStatement ??= this.db.prepare(
      `SELECT ${TILE_COLUMNS}
         FROM json_each(@ids) j JOIN images i ON i.id = j.value ${PREDICTION_JOIN}
        WHERE i.missing = 0 ORDER BY j.key`,
    );
    const rows = this.tileStatement.all({
      ids: JSON.stringify(ids),
      suggestionsRun: currentSuggestionsRun(this.db) ?? -1,
    }) as TileRow[];
    return rows.map(toTile);
  }

  /** Everything known about one image. */
  detail(id: number, absPath: (rootId: number, relPath: string) => string): ImageDetail {
    const row = this.db
      .prepare(
        `SELECT i.*, (SELECT group_concat(l.class_id) FROM labels l WHERE l.image_id = i.id) AS class_ids,
                ${PREDICTION_COLUMNS}
           FROM images i ${PREDICTION_JOIN} WHERE i.id = @id`,
      )
      .get({ id, suggestionsRun: currentSuggestionsRun(this.db) ?? -1 }) as
      ImageRowWithSuggestion | undefined;
    if (!row) throw new OcellusError('NOT_FOUND', `No image with id ${id}`);
    return {
      ...toTile(row),
      absPath: absPath(row.root_id, row.rel_path),
      size: row.size,
      mtimeMs: row.mtime_ms,
      hash: row.hash,
      format: row.format,
      cameraMake: row.camera_make,
      cameraModel: row.camera_model,
      cameraSerial: row.camera_serial,
      orientation: row.orientation,
      gpsLat: row.gps_lat,
      gpsLon: row.gps_lon,
      gpsAlt: row.gps_alt,
      importedAt: row.imported_at,
    };
  }

  private where(query: ImageQuery): { where: string; params: Record<string, unknown> } {
    const built = buildWhere(query);
    const extra = predictionClauses(query.filter ?? {});
    const above = extraFilterClauses(this.db, query.filter ?? {});
    return {
      where: [built.where, ...extra.clauses, ...above.clauses].join(' AND '),
      params: {
        ...built.params,
        ...extra.params,
        ...above.params,
        suggestionsRun: currentSuggestionsRun(this.db) ?? -1,
      },
    };
  }

  /** Root id, relative path, hash and derivative state of one image, or null. */
  locate(id: number): {
    rootId: number;
    relPath: string;
    hash: string | null;
    status: ImageStatus;
    derived: boolean;
  } | null {
    const row = this.db
      .prepare(
        'SELECT root_id, rel_path, hash, status, derived FROM images WHERE id = ? AND missing = 0',
      )
      .get(id) as
      Pick<ImageRow, 'root_id' | 'rel_path' | 'hash' | 'status' | 'derived'> | undefined;
    return row
      ? {
          rootId: row.root_id,
          relPath: row.rel_path,
          hash: row.hash,
          status: row.status,
          derived: row.derived === 1,
        }
      : null;
  }
}

function toTile(row: TileRow): ImageTile {
  return {
    suggestion: suggestionOf(row),
    id: row.id,
    rootId: row.root_id,
    relPath: row.rel_path,
    status: row.status,
    error: row.error,
    width: row.width,
    height: row.height,
    takenAt: row.taken_at,
    sequenceId: row.sequence_id,
    classIds: row.class_ids ? row.class_ids.split(',').map(Number) : [],
    ...(row.frames ? { frame: row.frame, frames: row.frames } : {}),
    // A preview (or a thumbnail made on demand) until derived: the address changes then.
    thumbVersion: row.hash ? `${row.derived === 1 ? '' : 'p'}${row.hash.slice(0, 12)}` : null,
  };
}

function buildWhere(query: ImageQuery): { where: string; params: Record<string, unknown> } {
  const clauses = ['i.missing = 0'];
  const params: Record<string, unknown> = {};
  const f = query.filter ?? {};
  if (f.status === 'problem') clauses.push("i.status IN ('broken', 'unsupported')");
  else if (f.status) {
    clauses.push('i.status = @status');
    params['status'] = f.status;
  }
  if (f.rootId !== undefined) {
    clauses.push('i.root_id = @rootId');
    params['rootId'] = f.rootId;
  }
  if (f.folder) {
    const folder = f.folder.replace(/^\/+|\/+$/g, '');
    clauses.push("substr(i.rel_path, 1, length(@folder) + 1) = @folder || '/'");
    params['folder'] = folder;
  }
  if (f.relPath !== undefined) {
    clauses.push('i.rel_path = @relPath');
    params['relPath'] = f.relPath;
  }
  if (f.sequenceId !== undefined) {
    clauses.push('i.sequence_id = @sequenceId');
    params['sequenceId'] = f.sequenceId;
  }
  if (f.classId !== undefined) {
    clauses.push(
      'EXISTS (SELECT 1 FROM labels l WHERE l.image_id = i.id AND l.class_id = @classId)',
    );
    params['classId'] = f.classId;
  }
  if (f.humanLabelled !== undefined) {
    const human = "EXISTS (SELECT 1 FROM labels l WHERE l.image_id = i.id AND l.source = 'human')";
    clauses.push(f.humanLabelled ? human : `NOT ${human}`);
  }
  if (f.unlabelled) {
    // `+` keeps SQLite off the status index here: most images are ok, and walking the sort
    // order's index is what lets a chunk stop after its rows.
    clauses.push(
      "+i.status = 'ok' AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.image_id = i.id)",
    );
  }
  return { where: clauses.join(' AND '), params };
}

const LISTED = `images i ${PREDICTION_JOIN}`;

/** The parts of a query's order, each on an index (see keyset.ts). */
function orderParts(query: ImageQuery): OrderPart[] {
  const part = (keys: string[], descending = false, from = LISTED, where: string[] = []) => ({
    from,
    where,
    keys,
    descending,
  });
  if (query.filter?.imageIds !== undefined) {
    // "More like this": the list's own order (the array index of each id).
    return [
      part(
        ['j.key'],
        false,
        `json_each(@imageIds) j JOIN images i ON i.id = j.value ${PREDICTION_JOIN}`,
      ),
    ];
  }
  // Images with a suggestion by how unsure it is, then those without one.
  const bySuggestion = (column: string, descending: boolean) => [
    part(
      [`p.${column}`, 'p.image_id'],
      descending,
      'predictions p JOIN images i ON i.id = p.image_id',
      ['p.run_id = @suggestionsRun'],
    ),
    part(['i.id'], false, LISTED, ['p.image_id IS NULL']),
  ];
  switch (query.sort ?? 'path') {
    case 'time':
      return [part(['i.time_key', 'i.mtime_key', 'i.id'])];
    case 'imported':
      return [part(['i.id'])];
    case 'uncertain':
      return bySuggestion('margin', false);
    case 'entropy':
      return bySuggestion('entropy', true);
    case 'confidence':
      return bySuggestion('confidence', true);
    default:
      // The id never decides (the path and frame are unique) but keeps the cursor's shape apart.
      return [part(['i.root_id', 'i.rel_path', 'i.frame', 'i.id'])];
  }
}
