import type Database from 'better-sqlite3';
import { OcellusError } from '../../../shared/errors';
import type { AssistSettings } from '../../../shared/types';
import { readMeta, writeMeta } from '../store/meta';

const QUICK_KEY = 'quick_retrain';
const DELAY_KEY = 'quick_retrain_delay_seconds';
const ACCEPT_TWICE_KEY = 'accept_twice_below';

/** The project's assist settings (defaults without a project or for values out of range). */
export function readAssistSettings(db: Database.Database | null): AssistSettings {
  const get = (key: string) => (db ? readMeta(db, key) : null);
  const delay = Number(get(DELAY_KEY) ?? 3);
  const twice = Number(get(ACCEPT_TWICE_KEY) ?? 0.5);
  return {
    quickRetrain: (get(QUICK_KEY) ?? '1') === '1',
    quickRetrainDelaySeconds: Number.isFinite(delay) ? delay : 3,
    acceptTwiceBelow: twice >= 0 && twice <= 1 ? twice : 0.5,
  };
}

/** Saves the settings given (each checked; INVALID_ARGUMENT names a bad one). */
export function writeAssistSettings(db: Database.Database, s: Record<string, unknown>): void {
  if (s['quickRetrain'] !== undefined) {
    if (typeof s['quickRetrain'] !== 'boolean')
      throw new OcellusError('INVALID_ARGUMENT', 'quickRetrain is true or false');
    writeMeta(db, QUICK_KEY, s['quickRetrain'] ? '1' : '0');
  }
  if (s['quickRetrainDelaySeconds'] !== undefined) {
    const d = s['quickRetrainDelaySeconds'];
    if (typeof d !== 'number' || !Number.isFinite(d) || d < 0.5 || d > 600)
      throw new OcellusError('INVALID_ARGUMENT', 'quickRetrainDelaySeconds is between 0.5 and 600');
    writeMeta(db, DELAY_KEY, String(d));
  }
  if (s['acceptTwiceBelow'] !== undefined) {
    const a = s['acceptTwiceBelow'];
    if (typeof a !== 'number' || !(a >= 0 && a <= 1))
      throw new OcellusError('INVALID_ARGUMENT', 'acceptTwiceBelow is between 0 and 1');
    writeMeta(db, ACCEPT_TWICE_KEY, String(a));
  }
}
