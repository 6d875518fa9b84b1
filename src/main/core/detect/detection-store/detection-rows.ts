/** Rows of the `detections` table as the app's `Detection`, shared by the store's queries. */
import type { Detection, DetectionCategory, DetectionSource } from '../../../../shared/types';

/** Boxes people draw belong to no detector: they show whichever detector is chosen. */
export const HUMAN_DETECTOR = 'human';
export interface DetectionRow {
  id: number;
  image_id: number;
  detector: string;
  category: DetectionCategory;
  confidence: number;
  x: number;
  y: number;
  w: number;
  h: number;
  source: DetectionSource;
  status: Detection['status'];
  static: number;
  class_id: number | null;
  class_conf: number | null;
}

export const toDetection = (r: DetectionRow): Detection => ({
  id: r.id,
  imageId: r.image_id,
  detector: r.detector,
  category: r.category,
  confidence: r.confidence,
  box: [r.x, r.y, r.w, r.h],
  source: r.source,
  status: r.status,
  static: r.static === 1,
  classId: r.class_id,
  classConf: r.class_conf,
});

/** The columns of `images` that make up a camera's key (library/sequences.ts cameraKey). */
export interface CameraColumns {
  rootId: number;
  relPath: string;
  make: string | null;
  model: string | null;
  serial: string | null;
}
