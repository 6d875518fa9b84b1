import fs from 'node:fs';
import path from 'node:path';
import type { ProjectApi } from '../../../shared/api';
import { OcellusError } from '../../../shared/errors';
import type { LabelMode } from '../../../shared/types';
import { Library } from '../library/library';
import { RunStore } from '../train/run-store';
import { ProjectStore } from '../store/project-store';
import type { Workspace } from './workspace';
import { requireObject, requirePath } from './validate';
import { makeDirs } from '../util/make-dirs';

/** The `project` domain: create, open, close and describe the one open project. */
export function createProjectService(ctx: Workspace): ProjectApi {
  const openStore = (store: ProjectStore) => ctx.serially(() => switchTo(store));
  const switchTo = async (store: ProjectStore) => {
    try {
      await ctx.closeProject();
    } catch (err) {
      store.close();
      throw err;
    }
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
      await ctx.serially(async () => {
        if (!ctx.store) return;
        await ctx.closeProject();
        ctx.bus.emit('project:changed', null);
      });
    },
    async current() {
      return ctx.store?.summary() ?? null;
    },
    async status() {
      return ctx.requireStore().status();
    },
  };
}

/**
 * The folder suggested for new projects may not exist on a fresh machine (no ~/Documents):
 * it is made on demand. Any other missing folder stays an error (a typo should not make one).
 */
function ensureDefaultFolder(ctx: Workspace, filePath: string): void {
  const dir = path.dirname(path.resolve(filePath));
  if (dir !== path.resolve(ctx.options.defaultProjectDir) || fs.existsSync(dir)) return;
  try {
    makeDirs(dir);
  } catch (err) {
    throw new OcellusError(
      'IO_ERROR',
      `Could not make the folder ${dir}: ${err instanceof Error ? err.message : String(err)}`,
      { path: dir },
    );
  }
}
