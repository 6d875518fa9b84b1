import path from 'node:path';
import { OcellusError } from '../../shared/errors';
import type { OcellusService } from '../core/service';

/**
 * Opens a project only to read it (status, classes, evaluate, predict): no lock is taken,
 * so it works while an Ocellus window owns the project and on read-only media.
 */
export async function openToRead(service: OcellusService, file: string): Promise<void> {
  await service.api.project.open(path.resolve(file), { readOnly: true });
}

/**
 * Opens a project for an export: as its owner when possible (the export is then listed in
 * the project's history), else read-only (owned by a window, or on read-only media).
 */
export async function openToExport(service: OcellusService, file: string): Promise<void> {
  try {
    await service.api.project.open(path.resolve(file));
  } catch (err) {
    if (!(err instanceof OcellusError) || !['PROJECT_LOCKED', 'READ_ONLY'].includes(err.code)) {
      throw err;
    }
    await openToRead(service, file);
  }
}
