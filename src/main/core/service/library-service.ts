import type { LibraryApi } from '../../../shared/api';
import { OcellusError } from '../../../shared/errors';
import type { IdQuery, ImageQuery, LibrarySettings } from '../../../shared/types';
import { importMetadataCsv, metadataKeys } from '../library/image-metadata';
import type { Workspace } from './workspace';
import { requireObject, requirePath } from './validate';

/** The `library` domain: root folders, import, and image queries of the open project. */
export function createLibraryService(ctx: Workspace): LibraryApi {
  return {
    async roots() {
      return ctx.requireLibrary().roots();
    },
    async addRoot(path, options) {
      const opts = options === undefined ? {} : requireObject(options, 'options');
      return ctx.requireLibrary().addRoot(requirePath(path, 'path'), {
        labelsFromFolders: opts['labelsFromFolders'] === true,
      });
    },
    async removeRoot(rootId, options) {
      const opts = requireObject(options, 'options');
      if (typeof opts['keepLabels'] !== 'boolean') {
        throw new OcellusError('INVALID_ARGUMENT', 'Say whether to keep the labels (keepLabels)');
      }
      await ctx.requireLibrary().removeRoot(requireId(rootId, 'rootId'), {
        keepLabels: opts['keepLabels'],
      });
    },
    async relocateRoot(rootId, path) {
      return ctx
        .requireLibrary()
        .relocateRoot(requireId(rootId, 'rootId'), requirePath(path, 'path'));
    },
    async rescan(rootId) {
      return ctx
        .requireLibrary()
        .rescan(rootId === undefined || rootId === null ? undefined : requireId(rootId, 'rootId'));
    },
    async counts() {
      return ctx.requireLibrary().counts();
    },
    async listImages(query) {
      return ctx.requireLibrary().list(requireObject(query ?? {}, 'query') as ImageQuery);
    },
    async listIds(query) {
      const q = requireObject(query ?? {}, 'query') as IdQuery;
      if (q.after !== undefined && q.after !== null && !Array.isArray(q.after))
        throw new OcellusError('INVALID_ARGUMENT', 'after is the cursor of the previous chunk');
      return ctx.requireLibrary().listIds(q);
    },
    async tiles(imageIds) {
      if (!Array.isArray(imageIds))
        throw new OcellusError('INVALID_ARGUMENT', 'Expected a list of image ids');
      return ctx.requireLibrary().tiles(imageIds.map((id) => requireId(id, 'imageId')));
    },
    async image(imageId) {
      return ctx.requireLibrary().detail(requireId(imageId, 'imageId'));
    },
    async imageIds(filter, sort) {
      return ctx.requireLibrary().ids({
        filter: requireObject(filter ?? {}, 'filter') as ImageQuery['filter'],
        sort: sort ?? undefined,
      });
    },
    async settings() {
      return { sequenceGapSeconds: ctx.requireLibrary().sequenceGapSeconds() };
    },
    async importMetadata(file) {
      return await importMetadataCsv(ctx.requireStore().db, requirePath(file, 'file'));
    },
    async metadataKeys() {
      return metadataKeys(ctx.requireStore().db);
    },
    async updateSettings(settings) {
      const s = requireObject(settings, 'settings') as Partial<LibrarySettings>;
      const lib = ctx.requireLibrary();
      if (s.sequenceGapSeconds !== undefined)
        lib.setSequenceGapSeconds(Number(s.sequenceGapSeconds));
      return { sequenceGapSeconds: lib.sequenceGapSeconds() };
    },
  };
}

function requireId(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new OcellusError('INVALID_ARGUMENT', `${name} must be a positive integer`);
  }
  return value;
}
