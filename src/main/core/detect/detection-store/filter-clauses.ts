/** The grid's detection filter as SQL conditions of the image query. */
import type Database from 'better-sqlite3';
import { OcellusError } from '../../../../shared/errors';
import type { ImageFilter } from '../../../../shared/types';
import { detectorsUsed } from './detector-results';

/** A box of one category at or above the threshold on image `img` (human boxes count). */
const hit = (img: string, category: string) =>
  `EXISTS (SELECT 1 FROM detections d WHERE d.hash = ${img}.hash AND d.status != 'deleted'
     AND (d.detector = @detDetector OR d.source = 'human') AND d.category = '${category}'
     AND d.confidence >= @detThreshold)`;
const PROCESSED = `EXISTS (SELECT 1 FROM detection_images di WHERE di.hash = i.hash AND di.detector = @detDetector)`;
const READ_OK = `EXISTS (SELECT 1 FROM detection_images di WHERE di.hash = i.hash AND di.detector = @detDetector AND di.error IS NULL)`;
/** Another (or this) processed frame of the image's burst has an animal. */
const ANIMAL_BURST = `(@detBurst = 1 AND i.sequence_id IS NOT NULL AND EXISTS (SELECT 1 FROM images j
     JOIN detection_images dj ON dj.hash = j.hash AND dj.detector = @detDetector
     WHERE j.sequence_id = i.sequence_id AND j.status = 'ok' AND j.missing = 0 AND ${hit('j', 'animal')}))`;

/**
 * The grid's detection filter as conditions of the image query (images `i`), sorting images
 * exactly as detect/filtering.ts's verdicts do (burst-aware: a frame with no box of its own is
 * an animal when its burst has one), so a filter over 10⁶ images ships no id list.
 */
export function detectionFilterClauses(
  db: Database.Database,
  f: ImageFilter,
): { clauses: string[]; params: Record<string, unknown> } {
  const q = f.detection;
  if (!q) return { clauses: [], params: {} };
  // The category names a fixed SQL fragment: only the four known values get through.
  if (!['empty', 'animal', 'person', 'vehicle'].includes(q.category))
    throw new OcellusError(
      'INVALID_ARGUMENT',
      'detection.category is empty, animal, person or vehicle',
    );
  if (typeof q.threshold !== 'number' || !(q.threshold >= 0 && q.threshold <= 1))
    throw new OcellusError('INVALID_ARGUMENT', 'detection.threshold is a number from 0 to 1');
  const detector = q.detector ?? detectorsUsed(db)[0] ?? '';
  const none = ['animal', 'person', 'vehicle'].map((c) => `NOT ${hit('i', c)}`).join(' AND ');
  const clause =
    q.category === 'empty'
      ? `${READ_OK} AND ${none} AND NOT ${ANIMAL_BURST}`
      : q.category === 'animal'
        ? `${PROCESSED} AND (${hit('i', 'animal')} OR (${READ_OK} AND NOT ${hit('i', 'person')} AND NOT ${hit('i', 'vehicle')} AND ${ANIMAL_BURST}))`
        : `${PROCESSED} AND ${hit('i', q.category)}`;
  return {
    clauses: [`i.status = 'ok' AND ${clause}`],
    params: {
      detDetector: detector,
      detThreshold: q.threshold,
      detBurst: q.burstAware === false ? 0 : 1,
    },
  };
}
