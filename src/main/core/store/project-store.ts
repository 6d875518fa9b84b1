import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { OcellusError } from '../../../shared/errors';
import type { ImageCounts, LabelMode, ProjectStatus, ProjectSummary } from '../../../shared/types';
import { isReadOnly } from '../util/io-errors';
import { allMeta, readMeta, writeMeta } from './meta';
import { LATEST_SCHEMA_VERSION, migrate } from './migrations';
import { memoryCopy } from './memory-copy';
import { ProjectLock } from './project-lock';
import {
  OCELLUS_APPLICATION_ID,
  PROJECT_EXTENSION,
  confirmSameProject,
  fileError,
  inspectProjectFile,
  readCheckedProject,
  readWalBeside,
  type ProjectFileHeader,
} from './project-file';

export interface CreateOptions {
  name?: string;
  labelMode?: LabelMode;
  appVersion: string;
}

export interface OpenOptions {
  appVersion: string;
  /** Where better-sqlite3's native addon lives when it is not the default build (Electron). */
  nativeBinding?: string;
  /**
   * Read without owning: no lock, no migration, no write (status, export, evaluate and
   * predict; also on read-only media and while another process owns the project).
   */
  readOnly?: boolean;
}

/** Adds the project extension when the path has none. */
export function withProjectExtension(filePath: string): string {
  return path.extname(filePath).toLowerCase() === PROJECT_EXTENSION
    ? filePath
    : `${filePath}${PROJECT_EXTENSION}`;
}

/** One open project file. Owns its SQLite connection; everything else goes through it. */
export class ProjectStore {
  readonly path: string;
  readonly db: Database.Database;

  private constructor(
    filePath: string,
    db: Database.Database,
    private readonly lock: ProjectLock | null,
    /** Opened read-only: every write fails with READ_ONLY. */
    readonly readOnly = false,
  ) {
    this.path = filePath;
    this.db = db;
  }

  /** Creates a new project file; refuses to overwrite anything. */
  static create(filePath: string, options: CreateOptions & Partial<OpenOptions>): ProjectStore {
    const target = path.resolve(withProjectExtension(filePath));
    const dir = path.dirname(target);
    if (!fs.existsSync(dir)) {
      throw new OcellusError('NOT_FOUND', `The folder ${dir} does not exist`, { path: dir });
    }
    if (fs.existsSync(target)) {
      throw new OcellusError('ALREADY_EXISTS', `${target} already exists`, { path: target });
    }
    const labelMode = options.labelMode ?? 'single';
    if (labelMode !== 'single' && labelMode !== 'multi') {
      throw new OcellusError('INVALID_ARGUMENT', `Unknown label mode: ${String(labelMode)}`);
    }
    const name = (options.name ?? '').trim() || path.basename(target, PROJECT_EXTENSION);
    const lock = acquireLock(target, options.appVersion);
    let db: Database.Database | undefined;
    try {
      db = new Database(target, dbOptions(options.nativeBinding));
      db.pragma(`application_id = ${OCELLUS_APPLICATION_ID}`);
      configure(db);
      migrate(db, 0);
      const created = db;
      created.transaction(() => {
        writeMeta(created, 'name', name);
        writeMeta(created, 'label_mode', labelMode);
        writeMeta(created, 'created_at', new Date().toISOString());
        writeMeta(created, 'created_with', options.appVersion);
      })();
      // Write the header to the main file now, so a later open can identify it cheaply.
      db.pragma('wal_checkpoint(TRUNCATE)');
      return new ProjectStore(target, db, lock);
    } catch (err) {
      db?.close();
      for (const suffix of ['', '-wal', '-shm']) fs.rmSync(`${target}${suffix}`, { force: true });
      lock.release();
      if (err instanceof OcellusError) throw err;
      throw new OcellusError('IO_ERROR', `Could not create ${target}: ${errMessage(err)}`, {
        path: target,
      });
    }
  }

  /**
   * Opens an existing project, migrating it forward, as its one owner process (else
   * PROJECT_LOCKED). A file that is not an Ocellus project, or was written by a newer app,
   * is refused before anything writes to it.
   */
  static open(filePath: string, options: OpenOptions): ProjectStore {
    const target = realTarget(path.resolve(filePath));
    const header = inspectProjectFile(target);
    if (header.userVersion > LATEST_SCHEMA_VERSION) {
      throw new OcellusError(
        'PROJECT_TOO_NEW',
        `${target} was written by a newer version of Ocellus (schema ${header.userVersion}; this app reads up to ${LATEST_SCHEMA_VERSION}). Update Ocellus to open it.`,
        { path: target, schemaVersion: header.userVersion, supported: LATEST_SCHEMA_VERSION },
      );
    }
    if (options.readOnly) return ProjectStore.openReadOnly(target, header, options);
    const lock = acquireLock(target, options.appVersion);
    let db: Database.Database;
    try {
      db = new Database(target, { ...dbOptions(options.nativeBinding), fileMustExist: true });
    } catch (err) {
      lock.release();
      throw fileError(err, target);
    }
    try {
      confirmSameProject(db, target, header);
    } catch (err) {
      db.close();
      lock.release();
      throw err;
    }
    try {
      configure(db);
      migrate(db, header.userVersion);
      return new ProjectStore(target, db, lock);
    } catch (err) {
      db.close();
      lock.release();
      throw new OcellusError('IO_ERROR', `Could not open ${target}: ${errMessage(err)}`, {
        path: target,
      });
    }
  }

  private static openReadOnly(
    target: string,
    header: ProjectFileHeader,
    options: OpenOptions,
  ): ProjectStore {
    const schemaVersion = header.userVersion;
    if (schemaVersion < LATEST_SCHEMA_VERSION) {
      throw new OcellusError(
        'READ_ONLY',
        `${target} was written by an older Ocellus and must be upgraded before it can be read; open it once where it can be written`,
        { path: target, schemaVersion },
      );
    }
    const readonly = { ...dbOptions(options.nativeBinding), readonly: true };
    let db: Database.Database | undefined;
    try {
      db = new Database(target, { ...readonly, fileMustExist: true });
      // The file is opened lazily: read once now, so a failure shows here.
      db.prepare('SELECT count(*) FROM sqlite_master').get();
      confirmSameProject(db, target, header);
    } catch (err) {
      db?.close();
      if (err instanceof OcellusError) throw err;
      if ((err as { code?: string }).code !== 'SQLITE_CANTOPEN') throw fileError(err, target);
      // A WAL-mode file on read-only media without its -shm cannot be opened in place: read
      // a copy in memory, with what its -wal holds applied. The copy comes from the file
      // checked above, never from whatever the path names by now.
      const copy = readCheckedProject(target, header);
      db = memoryCopy(copy, readWalBeside(header), dbOptions(options.nativeBinding));
    }
    db.pragma('query_only = ON');
    db.pragma('busy_timeout = 5000');
    return new ProjectStore(target, db, null, true);
  }

  /** Name, label mode and versions of the project. */
  summary(): ProjectSummary {
    const meta = allMeta(this.db);
    const labelMode = meta.get('label_mode') === 'multi' ? 'multi' : 'single';
    return {
      path: this.path,
      name: meta.get('name') ?? path.basename(this.path, PROJECT_EXTENSION),
      labelMode,
      schemaVersion: this.db.pragma('user_version', { simple: true }) as number,
      createdAt: meta.get('created_at') ?? '',
      createdWith: meta.get('created_with') ?? '',
      ...(this.readOnly ? { readOnly: true } : {}),
    };
  }

  /** Image, class and label counts. */
  status(): ProjectStatus {
    const images = imageCounts(this.db);
    const classes = this.db
      .prepare(
        `SELECT c.name AS name, COUNT(i.id) AS count
           FROM classes c
           LEFT JOIN labels l ON l.class_id = c.id
           LEFT JOIN images i ON i.id = l.image_id AND i.missing = 0
          GROUP BY c.id ORDER BY c.sort_order, c.id`,
      )
      .all() as ProjectStatus['classes'];
    const { unlabelled } = this.db
      .prepare(
        `SELECT COUNT(*) AS unlabelled FROM images i
          WHERE i.status = 'ok' AND i.missing = 0 AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.image_id = i.id)`,
      )
      .get() as { unlabelled: number };
    return {
      project: this.summary(),
      images,
      classes,
      unlabelled,
      fileBytes: fileSize(this.path) + fileSize(`${this.path}-wal`),
    };
  }

  /** A value of the project's key/value metadata. */
  getMeta(key: string): string | null {
    return readMeta(this.db, key);
  }

  /** Sets a value of the project's key/value metadata. */
  setMeta(key: string, value: string): void {
    writeMeta(this.db, key, value);
  }

  /**
   * Checkpoints the WAL into the main file, leaves it in rollback-journal mode (so the
   * closed file can be read on read-only media, where WAL needs a -shm it cannot create),
   * closes the connection and gives up the lock.
   */
  close(): void {
    if (!this.db.open) {
      this.lock?.release();
      return;
    }
    try {
      if (!this.readOnly) {
        this.db.pragma('wal_checkpoint(TRUNCATE)');
        // Needs the only connection: with a reader elsewhere it stays WAL, which is fine.
        this.db.pragma('busy_timeout = 0');
        this.db.pragma('journal_mode = DELETE');
      }
    } catch (err) {
      // A full or read-only disk, or a reader elsewhere: the WAL still holds every committed
      // change and SQLite replays it on the next open, so closing like this loses nothing.
      console.error(`[ocellus] closing ${this.path} without a checkpoint:`, errMessage(err));
    } finally {
      this.db.close();
      this.lock?.release();
    }
  }
}

/** Image counts by status; missing files count apart. */
export function imageCounts(db: Database.Database): ImageCounts {
  return db
    .prepare(
      `SELECT COALESCE(SUM(missing = 0), 0) AS total,
              COALESCE(SUM(missing = 0 AND status = 'ok'), 0) AS ok,
              COALESCE(SUM(missing = 0 AND status = 'broken'), 0) AS broken,
              COALESCE(SUM(missing = 0 AND status = 'unsupported'), 0) AS unsupported,
              COALESCE(SUM(missing = 0 AND status = 'pending'), 0) AS pending,
              COALESCE(SUM(missing = 1), 0) AS missing
         FROM images`,
    )
    .get() as ImageCounts;
}

/**
 * The file a project path stands for, links followed: the lock and the cache folder sit beside
 * the real file, so a link to an open project cannot open it a second time. A path that does
 * not resolve stays as given, for the open's own error.
 */
function realTarget(target: string): string {
  try {
    return fs.realpathSync(target);
  } catch {
    return target;
  }
}

/** The project's lock, with a read-only disk (or folder) said as READ_ONLY. */
function acquireLock(target: string, appVersion: string): ProjectLock {
  try {
    return ProjectLock.acquire(target, appVersion);
  } catch (err) {
    if (err instanceof OcellusError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (isReadOnly(err) || code === 'EACCES' || code === 'EPERM') {
      throw new OcellusError(
        'READ_ONLY',
        `${target} is on a read-only disk or in a folder Ocellus cannot write: it can only be read there (ocellus status, export, evaluate, predict)`,
        { path: target },
      );
    }
    throw new OcellusError('IO_ERROR', `Cannot lock ${target}: ${errMessage(err)}`, {
      path: target,
    });
  }
}

function dbOptions(nativeBinding: string | undefined): Database.Options {
  return nativeBinding ? { nativeBinding } : {};
}

function configure(db: Database.Database): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
}

function fileSize(p: string): number {
  try {
    return fs.statSync(p).size;
  } catch {
    return 0;
  }
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
