import type Database from 'better-sqlite3';
import type { CamtrapClassMapping, Detection } from '../../../shared/types';
import { detectorsUsed, imageDetections } from '../detect/detection-store';
import type { Row } from './camtrap-tables';

/** Model boxes under this confidence are not observations (people's boxes always are). */
export const BOX_OBSERVATION_THRESHOLD = 0.2;

const TYPES: Record<Detection['category'], string> = {
  animal: 'animal',
  person: 'human',
  vehicle: 'vehicle',
};

/** One medium of the package: its image, ids and time. */
export interface BoxMedium {
  imageId: number;
  mediaId: string;
  deploymentId: string;
  eventId: string;
  timestamp: string;
}

/**
 * Media-level observations, one per box (Camtrap DP 1.0 `bboxX`, `bboxY`, `bboxWidth`,
 * `bboxHeight`: normalised, from the top-left corner, as Ocellus stores them): people's boxes
 * and the latest detector's at or above the threshold, deleted ones left out. A box's label
 * gives its scientific name through the class mapping.
 */
export function boxObservations(
  db: Database.Database,
  media: readonly BoxMedium[],
  mapping: ReadonlyMap<string, CamtrapClassMapping>,
  classNames: ReadonlyMap<number, string>,
  firstId: number,
): { rows: Row[]; taxa: string[] } {
  const detector = detectorsUsed(db)[0] ?? null;
  const rows: Row[] = [];
  const taxa = new Set<string>();
  let n = firstId;
  for (const m of media) {
    for (const b of imageDetections(db, m.imageId, detector)) {
      const byPerson = b.source === 'human' || b.status === 'confirmed';
      if (!byPerson && b.confidence < BOX_OBSERVATION_THRESHOLD) continue;
      const className = b.classId === null ? null : (classNames.get(b.classId) ?? null);
      const map = className ? mapping.get(className) : undefined;
      const type = className ? (map?.observationType ?? TYPES[b.category]) : TYPES[b.category];
      const sci = type === 'animal' && className ? (map?.scientificName ?? className) : null;
      if (sci) taxa.add(sci);
      const w = Math.max(b.box[2], 1e-6);
      const h = Math.max(b.box[3], 1e-6);
      rows.push({
        observationID: `obs-${++n}`,
        deploymentID: m.deploymentId,
        mediaID: m.mediaId,
        eventID: m.eventId,
        eventStart: m.timestamp,
        eventEnd: m.timestamp,
        observationLevel: 'media',
        observationType: type,
        scientificName: sci,
        bboxX: round(b.box[0]),
        bboxY: round(b.box[1]),
        bboxWidth: round(Math.min(w, 1 - b.box[0]) || w),
        bboxHeight: round(Math.min(h, 1 - b.box[1]) || h),
        classificationMethod: byPerson ? 'human' : 'machine',
        classifiedBy: byPerson
          ? 'Ocellus user'
          : `Ocellus detector ${b.detector.split('@')[0] ?? b.detector}`,
        classificationProbability: byPerson ? null : round(b.classConf ?? b.confidence),
        observationComments: className
          ? `Ocellus class: ${className}; box`
          : `Ocellus box (${b.category})`,
      });
    }
  }
  return { rows, taxa: [...taxa] };
}

const round = (v: number) => Math.round(v * 1e6) / 1e6;
