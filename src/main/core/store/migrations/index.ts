import type Database from 'better-sqlite3';
import type { Migration } from './migration';
import { step as v1 } from './001-initial-schema';
import { step as v2 } from './002-image-metadata';
import { step as v3 } from './003-embedding-cache';
import { step as v4 } from './004-label-batches';
import { step as v5 } from './005-training-runs';
import { step as v6 } from './006-export-history';
import { step as v7 } from './007-run-labels';
import { step as v8 } from './008-predictions';
import { step as v11 } from './011-image-meta-and-run-weights';
import { step as v13 } from './013-keyset-indexes';
import { step as v14 } from './014-run-estimate';
import { step as v16 } from './016-run-title-and-base-name';
import { step as v17 } from './017-detections';
import { step as v18 } from './018-operating-points';
import { step as v19 } from './019-prediction-sets';
import { step as v20 } from './020-box-label-history';
import { step as v21 } from './021-image-frames';
import { step as v22 } from './022-box-label-confidence';
import { step as v23 } from './023-undo-floor';

export type { Migration };

/**
 * The schema's history, one step per file (`NNN-name.ts`, NNN its version). Never edit a
 * released step: append a new one. Image paths are stored relative to their root so a
 * project survives a moved drive.
 *
 * Versions 9, 10, 12 and 15 do not exist: they were handed to branches that ended up
 * needing no migration, and no released project file was ever written at them. Steps run
 * in this order and skip every version at or below the file's, so a gap is harmless.
 */
export const MIGRATIONS: readonly Migration[] = [
  v1,
  v2,
  v3,
  v4,
  v5,
  v6,
  v7,
  v8,
  v11,
  v13,
  v14,
  v16,
  v17,
  v18,
  v19,
  v20,
  v21,
  v22,
  v23,
];

/** The schema version this build of the app writes. */
export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/** Runs every step above `from`, each in its own transaction with its version bump. */
export function migrate(db: Database.Database, from: number): number {
  let version = from;
  for (const step of MIGRATIONS) {
    if (step.version <= version) continue;
    // A no-op inside a transaction, so switched around it (SQLite's table-rebuild recipe).
    const keysWereOn = step.rebuildsTables && db.pragma('foreign_keys', { simple: true }) === 1;
    if (keysWereOn) db.pragma('foreign_keys = OFF');
    try {
      db.transaction(() => {
        step.up(db);
        if (step.rebuildsTables) assertReferencesHold(db, step.version);
        db.pragma(`user_version = ${step.version}`);
      })();
    } finally {
      if (keysWereOn) db.pragma('foreign_keys = ON');
    }
    version = step.version;
  }
  return version;
}

function assertReferencesHold(db: Database.Database, version: number): void {
  const broken = db.pragma('foreign_key_check') as unknown[];
  if (broken.length > 0) {
    throw new Error(`Schema step ${version} would leave ${broken.length} broken reference(s)`);
  }
}
