import fs from 'node:fs';
import path from 'node:path';
import type { ProjectApi } from '../../../shared/api';
import { OcellusError } from '../../../shared/errors';
import type { JobInfo, LabelMode } from '../../../shared/types';
import { Library } from '../library/library';
import { RunStore } from '../train/run-store';
import { ProjectStore } from '../store/project-store';
import type { ServiceContext } from './context';
import { requireObject, requirePath } from './validate';

/** The `project` domain: create, open, close and describe the one open project. */
export function createProjectService(ctx: ServiceContext): ProjectApi {
  const openStore = async (store: ProjectStore) => {
    await closeCurrent(ctx);
    // A run that was training when the app died cannot resume: say so in its record.
    if (!store.readOnly) new RunStore(store.db).failInterrupted();
    ctx.store = store;
    ctx.library = new Library(store, {
      bus: ctx.bus,
      jobs: ctx.jobs,
      watch: ctx.options.watch !== false,
      writeStabilityMs: ctx.options.writeStabilityMs,
    });
    const summary = store.summary();
    if (ctx.options.trackRecent !== false) {
      ctx.bus.emit('recent:changed', ctx.recent.touch(store.path, summary.name));
    }
    ctx.bus.emit('project:changed', summary);
    // Catch up with what changed on disk while the project was closed.
    if (ctx.options.watch !== false && !store.readOnly) ctx.library.start();
    return summary;
  };

  return {
    async create(input) {
      const rec = requireObject(input, 'input');
      const filePath = requirePath(rec['path'], 'path');
      const name = rec['name'] === undefined ? undefined : String(rec['name']);
      const labelMode =
        rec['labelMode'] === undefined ? undefined : (rec['labelMode'] as LabelMode);
      ensureDefaultFolder(ctx, filePath);
      const store = ProjectStore.create(filePath, {
        name,
        labelMode,
        appVersion: ctx.options.appVersion,
        nativeBinding: ctx.options.nativeBinding,
      });
      return openStore(store);
    },
    async open(path, options) {
      const opts =
        options === undefined || options === null ? {} : requireObject(options, 'options');
      if (opts['readOnly'] !== undefined && typeof opts['readOnly'] !== 'boolean') {
        throw new OcellusError('INVALID_ARGUMENT', 'readOnly must be true or false');
      }
      const store = ProjectStore.open(requirePath(path, 'path'), {
        appVersion: ctx.options.appVersion,
        nativeBinding: ctx.options.nativeBinding,
        readOnly: opts['readOnly'] === true,
      });
      return openStore(store);
    },
    async close() {
      if (!ctx.store) return;
      await closeCurrent(ctx);
      ctx.bus.emit('project:changed', null);
    },
    async current() {
      return ctx.store?.summary() ?? null;
    },
    async status() {
      return requireStore(ctx).status();
    },
  };
}

/**
 * The folder suggested for new projects may not exist on a fresh machine (no ~/Documents):
 * it is made on demand. Any other missing folder stays an error (a typo should not make one).
 */
function ensureDefaultFolder(ctx: ServiceContext, filePath: string): void {
  const dir = path.dirname(path.resolve(filePath));
  if (dir !== path.resolve(ctx.options.defaultProjectDir) || fs.existsSync(dir)) return;
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new OcellusError(
      'IO_ERROR',
      `Could not make the folder ${dir}: ${err instanceof Error ? err.message : String(err)}`,
      { path: dir },
    );
  }
}

/** The open project, or NO_PROJECT_OPEN. */
export function requireStore(ctx: ServiceContext): ProjectStore {
  if (!ctx.store) throw new OcellusError('NO_PROJECT_OPEN', 'No project is open');
  return ctx.store;
}

/** A job's retry that refuses to run once the job's project is closed (it would act on another). */
export function retryInProject(
  ctx: ServiceContext,
  retry: () => Promise<JobInfo>,
): () => Promise<JobInfo> {
  const store = ctx.store;
  return async () => {
    if (!store || ctx.store !== store)
      throw new OcellusError(
        'INVALID_ARGUMENT',
        'That job belongs to a project that is no longer open: open it again, then start the work there',
      );
    return retry();
  };
}

/** Stops the library (watchers, import) and closes the project file. */
export async function closeCurrent(ctx: ServiceContext): Promise<void> {
  const { library, store } = ctx;
  ctx.library = null;
  ctx.store = null;
  await library?.close();
  store?.close();
}
