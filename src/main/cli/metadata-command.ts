import path from 'node:path';
import { parseArgs } from 'node:util';
import { OcellusError } from '../../shared/errors';
import type { OcellusService } from '../core/service';
import type { CliIo } from './cli-io';
import { openToRead } from './open-project';

/** `ocellus metadata <project> [file.csv] [--json]`: imports a metadata CSV, then lists the keys. */
export async function metadata(
  service: OcellusService,
  args: string[],
  io: CliIo,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean' } },
  });
  const [file, csv, ...extra] = positionals;
  if (!file || extra.length)
    throw new OcellusError(
      'INVALID_ARGUMENT',
      'usage: ocellus metadata <project.ocellus> [file.csv]',
    );
  // Listing the keys only reads: it works on read-only media and beside an open window.
  if (csv) await service.api.project.open(path.resolve(file));
  else await openToRead(service, file);
  const imported = csv ? await service.api.library.importMetadata(path.resolve(csv)) : null;
  const keys = await service.api.library.metadataKeys();
  if (values.json) {
    io.stdout(`${JSON.stringify({ imported, keys })}\n`);
    return 0;
  }
  if (imported) {
    io.stdout(
      `${imported.matched} images got values; ${imported.unmatched} rows matched no image\n`,
    );
  }
  for (const k of keys) io.stdout(`${k.key}\t${k.values} values\t${k.images} images\n`);
  return 0;
}
