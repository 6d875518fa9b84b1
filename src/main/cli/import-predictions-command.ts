import path from 'node:path';
import { parseArgs } from 'node:util';
import { OcellusError } from '../../shared/errors';
import type { PathPrefixMap } from '../../shared/types';
import type { OcellusService } from '../core/service';
import type { CliIo } from './cli-io';

const USAGE =
  'usage: ocellus import-predictions <project.ocellus> <shard-*.jsonl…> [--name NAME] [--map FROM=TO]… [--json]';

/**
 * `ocellus import-predictions <project> <files.jsonl…> [--name N] [--map FROM=TO]`: a batch
 * run's records become the project's suggestions (a named set; importing it again replaces it).
 */
export async function importPredictions(
  service: OcellusService,
  args: string[],
  io: CliIo,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      map: { type: 'string', multiple: true },
      json: { type: 'boolean' },
    },
  });
  const [file, ...files] = positionals;
  if (!file || files.length === 0) throw new OcellusError('INVALID_ARGUMENT', USAGE);
  const prefixMap: PathPrefixMap[] = (values.map ?? []).map((m) => {
    const at = m.indexOf('=');
    if (at <= 0) throw new OcellusError('INVALID_ARGUMENT', `--map must be FROM=TO, not ${m}`);
    return { from: m.slice(0, at), to: m.slice(at + 1) };
  });
  await service.api.project.open(path.resolve(file));
  const r = await service.api.predict.importRecords({
    files: files.map((f) => path.resolve(f)),
    name: values.name ?? 'batch predictions',
    prefixMap,
  });
  if (values.json) io.stdout(`${JSON.stringify(r, null, 2)}\n`);
  else
    io.stdout(
      `${r.matched} images got suggestions "${r.name}" from ${r.records} records (${r.byPath} by path, ${r.byHash} by content hash); ${r.unmatched} unmatched, ${r.duplicated} duplicated, ${r.errors} unreadable\n`,
    );
  if (!values.json && r.unmatched)
    io.stderr(`Unmatched, e.g.: ${r.unmatchedExamples.slice(0, 3).join(', ')}\n`);
  if (!values.json && r.unknownClasses.length)
    io.stderr(`Classes the project does not have: ${r.unknownClasses.join(', ')}\n`);
  return 0;
}
