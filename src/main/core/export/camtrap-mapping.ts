import type Database from 'better-sqlite3';
import { readMeta, writeMeta } from '../store/meta';
import { OcellusError } from '../../../shared/errors';
import type { CamtrapClassMapping, CamtrapObservationType } from '../../../shared/types';

const META_KEY = 'camtrap_mapping';

export const OBSERVATION_TYPES: readonly CamtrapObservationType[] = [
  'animal',
  'human',
  'vehicle',
  'blank',
  'unknown',
  'unclassified',
];

// Common names of non-animal classes, so most projects need no editing.
const GUESSES: [RegExp, CamtrapObservationType][] = [
  [/^(empty|blank|nothing|none|no[ _-]?animal)$/i, 'blank'],
  [/^(human|humans|person|people)$/i, 'human'],
  [/^(vehicle|vehicles|car|cars|truck)$/i, 'vehicle'],
  [/^(unknown|unidentified|other)$/i, 'unknown'],
];

/** The class → Camtrap DP mapping of a project: saved entries, guesses for the rest. */
export function camtrapMapping(db: Database.Database): CamtrapClassMapping[] {
  const saved = readSaved(db);
  const classes = db.prepare('SELECT name FROM classes ORDER BY sort_order, id').all() as {
    name: string;
  }[];
  return classes.map(({ name }) => {
    const s = saved.find((m) => m.className.toLowerCase() === name.toLowerCase());
    if (s) return { ...s, className: name };
    const type = GUESSES.find(([re]) => re.test(name.trim()))?.[1] ?? 'animal';
    return {
      className: name,
      observationType: type,
      scientificName: type === 'animal' ? name : null,
    };
  });
}

/** Saves edited entries (merged over the saved ones) and returns the whole mapping. */
export function saveCamtrapMapping(
  db: Database.Database,
  entries: readonly CamtrapClassMapping[],
): CamtrapClassMapping[] {
  const merged = new Map(readSaved(db).map((m) => [m.className.toLowerCase(), m]));
  for (const e of entries) {
    if (typeof e?.className !== 'string' || e.className.trim() === '')
      throw new OcellusError('INVALID_ARGUMENT', 'Each mapping entry needs a className');
    if (!OBSERVATION_TYPES.includes(e.observationType))
      throw new OcellusError(
        'INVALID_ARGUMENT',
        `observationType is one of ${OBSERVATION_TYPES.join(', ')}`,
      );
    const sci = typeof e.scientificName === 'string' ? e.scientificName.trim() : '';
    merged.set(e.className.toLowerCase(), {
      className: e.className,
      observationType: e.observationType,
      scientificName: sci === '' ? null : sci,
    });
  }
  writeMeta(db, META_KEY, JSON.stringify([...merged.values()]));
  return camtrapMapping(db);
}

function readSaved(db: Database.Database): CamtrapClassMapping[] {
  const value = readMeta(db, META_KEY);
  if (value === null) return [];
  try {
    const list = JSON.parse(value) as unknown;
    return Array.isArray(list) ? (list as CamtrapClassMapping[]) : [];
  } catch {
    return [];
  }
}
