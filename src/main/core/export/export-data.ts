import path from 'node:path';
import type Database from 'better-sqlite3';

/** One current label of an image, as the exports write it. */
export interface ExportLabel {
  className: string;
  source: 'human' | 'model';
  runId: number | null;
  confidence: number | null;
  createdAt: string;
}

/** Everything an export needs to know about one image. */
export interface ExportImage {
  id: number;
  rootId: number;
  rootPath: string;
  relPath: string;
  /** Absolute path of the original, in the platform's separators. */
  file: string;
  /** The item's frame (0-based) when the file has several frames (multi-frame DICOM). */
  frame: number;
  /** How many frames the file has when more than one, else null. */
  frames: number | null;
  status: 'pending' | 'ok' | 'broken' | 'unsupported';
  error: string | null;
  hash: string | null;
  format: string | null;
  takenAt: string | null;
  mtimeMs: number | null;
  cameraMake: string | null;
  cameraModel: string | null;
  cameraSerial: string | null;
  sequenceId: number | null;
  gpsLat: number | null;
  gpsLon: number | null;
  labels: ExportLabel[];
}

interface Row {
  id: number;
  root_id: number;
  root_path: string;
  rel_path: string;
  frame: number;
  frames: number | null;
  status: ExportImage['status'];
  error: string | null;
  hash: string | null;
  format: string | null;
  taken_at: string | null;
  mtime_ms: number | null;
  camera_make: string | null;
  camera_model: string | null;
  camera_serial: string | null;
  sequence_id: number | null;
  gps_lat: number | null;
  gps_lon: number | null;
}

/**
 * Every present image of the project (broken and unsupported ones included: exports list
 * them, they never stop an export), with its current labels, in root and path order.
 */
export function exportImages(db: Database.Database): ExportImage[] {
  const rows = db
    .prepare(
      `SELECT i.id, i.root_id, r.path AS root_path, i.rel_path, i.frame, i.frames, i.status,
              i.error, i.hash, i.format,
              i.taken_at, i.mtime_ms, i.camera_make, i.camera_model, i.camera_serial,
              i.sequence_id, i.gps_lat, i.gps_lon
         FROM images i JOIN roots r ON r.id = i.root_id
        WHERE i.missing = 0
        ORDER BY i.root_id, i.rel_path, i.frame`,
    )
    .all() as Row[];
  const labels = new Map<number, ExportLabel[]>();
  const labelRows = db
    .prepare(
      `SELECT l.image_id, c.name, l.source, l.run_id, l.confidence, l.created_at
         FROM labels l JOIN classes c ON c.id = l.class_id
        ORDER BY l.image_id, c.sort_order, c.id`,
    )
    .all() as {
    image_id: number;
    name: string;
    source: 'human' | 'model';
    run_id: number | null;
    confidence: number | null;
    created_at: string;
  }[];
  for (const l of labelRows) {
    const list = labels.get(l.image_id) ?? [];
    list.push({
      className: l.name,
      source: l.source,
      runId: l.run_id,
      confidence: l.confidence,
      createdAt: l.created_at,
    });
    labels.set(l.image_id, list);
  }
  return rows.map((r) => ({
    id: r.id,
    rootId: r.root_id,
    rootPath: r.root_path,
    relPath: r.rel_path,
    file: path.join(r.root_path, ...r.rel_path.split('/')),
    frame: r.frame,
    frames: r.frames,
    status: r.status,
    error: r.error,
    hash: r.hash,
    format: r.format,
    takenAt: r.taken_at,
    mtimeMs: r.mtime_ms,
    cameraMake: r.camera_make,
    cameraModel: r.camera_model,
    cameraSerial: r.camera_serial,
    sequenceId: r.sequence_id,
    gpsLat: r.gps_lat,
    gpsLon: r.gps_lon,
    labels: labels.get(r.id) ?? [],
  }));
}

/** A human-readable camera name: make, model and serial, as far as known. */
export function cameraName(im: ExportImage): string {
  return [im.cameraMake, im.cameraModel, im.cameraSerial]
    .map((s) => s?.replace(/\0/g, '').trim() ?? '')
    .filter((s) => s !== '')
    .join(' ');
}
