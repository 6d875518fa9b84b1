import type { LibraryApi } from '../../../shared/api';
import { OcellusError } from '../../../shared/errors';
import type { IdQuery, ImageQuery, LibrarySettings } from '../../../shared/types';
import { importMetadataCsv, metadataKeys } from '../library/image-metadata';
import type { Library } from '../library/library';
import type { ServiceContext } from './context';
import { requireStore } from './project-service';
import { requireObject, requirePath } from './validate';

/** The `library` domain: root folders, import, and image queries of the open project. */
export function createLibraryService(ctx: ServiceContext): LibraryApi {
  return {
    async roots() {
      return requireLibrary(ctx).roots();
    },
    async addRoot(path, options) {
      const opts = options === undefined ? {} : requireObject(options, 'options');
      return requireLibrary(ctx).addRoot(requirePath(path, 'path'), {
        labelsFromFolders: opts['labelsFromFolders'] === true,
      });
    },
    async removeRoot(rootId, options) {
      const opts = requireObject(options, 'options');
      if (typeof opts['keepLabels'] !== 'boolean') {
        throw new OcellusError('INVALID_ARGUMENT', 'Say whether to keep the labels (keepLabels)');
      }
      await requireLibrary(ctx).removeRoot(requireId(rootId, 'rootId'), {
        keepLabels: opts['keepLabels'],
      });
    },
    async relocateRoot(rootId, path) {
      return requireLibrary(ctx).relocateRoot(
        requireId(rootId, 'rootId'),
        requirePath(path, 'path'),
      );
    },
    async rescan(rootId) {
      return requireLibrary(ctx).rescan(
        rootId === undefined || rootId === null ? undefined : requireId(rootId, 'rootId'),
      );
    },
    async counts() {
      return requireLibrary(ctx).counts();
    },
    async listImages(query) {
      return requireLibrary(ctx).list(requireObject(query ?? {}, 'query') as ImageQuery);
    },
    async listIds(query) {
      const q = requireObject(query ?? {}, 'query') as IdQuery;
      if (q.after !== undefined && q.after !== null && !Array.isArray(q.after))
        throw new OcellusError('INVALID_ARGUMENT', 'after is the cursor of the previous chunk');
      return requireLibrary(ctx).listIds(q);
    },
    async tiles(imageIds) {
      if (!Array.isArray(imageIds))
        throw new OcellusError('INVALID_ARGUMENT', 'Expected a list of image ids');
      return requireLibrary(ctx).tiles(imageIds.map((id) => requireId(id, 'imageId')));
    },
    async image(imageId) {
      return requireLibrary(ctx).detail(requireId(imageId, 'imageId'));
    },
    async imageIds(filter, sort) {
      return requireLibrary(ctx).ids({
        filter: requireObject(filter ?? {}, 'filter') as ImageQuery['filter'],
        sort: sort ?? undefined,
      });
    },
    async settings() {
      return { sequenceGapSeconds: requireLibrary(ctx).sequenceGapSeconds() };
    },
    async importMetadata(file) {
      return await importMetadataCsv(requireStore(ctx).db, requirePath(file, 'file'));
    },
    async metadataKeys() {
      return metadataKeys(requireStore(ctx).db);
    },
    async updateSettings(settings) {
      const s = requireObject(settings, 'settings') as Partial<LibrarySettings>;
      const lib = requireLibrary(ctx);
      if (s.sequenceGapSeconds !== undefined)
        lib.setSequenceGapSeconds(Number(s.sequenceGapSeconds));
      return { sequenceGapSeconds: lib.sequenceGapSeconds() };
    },
  };
}

/** The open project's library, or NO_PROJECT_OPEN. */
export function requireLibrary(ctx: ServiceContext): Library {
  if (!ctx.library) throw new OcellusError('NO_PROJECT_OPEN', 'No project is open');
  return ctx.library;
}

function requireId(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new OcellusError('INVALID_ARGUMENT', `${name} must be a positive integer`);
  }
  return value;
}
