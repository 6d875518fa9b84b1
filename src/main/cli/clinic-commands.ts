import { parseArgs } from 'node:util';
import { OcellusError } from '../../shared/errors';
import type { LeakageReport } from '../../shared/types';
import type { OcellusService } from '../core/service';
import type { CliIo } from './cli-io';
import { openToRead } from './open-project';

/** The run a command is about: `--run N`, else the newest finished one. */
export async function runOf(service: OcellusService, run: string | undefined): Promise<number> {
  if (run !== undefined) {
    const id = Number(run);
    if (!Number.isSafeInteger(id))
      throw new OcellusError('INVALID_ARGUMENT', '--run takes a run number');
    return id;
  }
  const done = (await service.api.train.runs()).find((r) => r.status === 'done');
  if (!done) throw new OcellusError('NOT_FOUND', 'This project has no finished training run');
  return done.id;
}

/**
 * `ocellus leakage <project> [--run N] [--threshold C] [--key K]… [--pairs N] [--json]`:
 * patients (metadata values), identical files and near-duplicates on both sides of a split.
 */
export async function leakage(service: OcellusService, args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      run: { type: 'string' },
      threshold: { type: 'string' },
      key: { type: 'string', multiple: true },
      pairs: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const [file, ...extra] = positionals;
  if (!file || extra.length)
    throw new OcellusError(
      'INVALID_ARGUMENT',
      'usage: ocellus leakage <project.ocellus> [--run N]',
    );
  await openToRead(service, file);
  const report = await service.api.clinic.leakage(await runOf(service, values.run), {
    ...(values.threshold !== undefined ? { threshold: Number(values.threshold) } : {}),
    ...(values.key !== undefined ? { keys: values.key } : {}),
    ...(values.pairs !== undefined ? { maxPairs: Number(values.pairs) } : {}),
  });
  io.stdout(values.json ? `${JSON.stringify(report)}\n` : formatLeakage(report));
  // Leakage found is worth a non-zero exit in scripts, like a failed check.
  return report.groups.length + report.exact.length + report.nearCount > 0 ? 3 : 0;
}

/** The report as text for a terminal. */
export function formatLeakage(r: LeakageReport): string {
  const lines = [`Run ${r.runId}: ${r.train} training and ${r.validation} validation images`];
  if (r.groups.length === 0) lines.push('  no metadata value (patient, eye…) on both sides');
  for (const g of r.groups) {
    lines.push(`  ${g.key}: ${g.values.length} on both sides`);
    for (const v of g.values.slice(0, 20))
      lines.push(`    ${v.value}  (${v.train} training, ${v.validation} validation)`);
    if (g.values.length > 20)
      lines.push(`    … and ${g.values.length - 20} more (--json lists all)`);
  }
  lines.push(`  identical files on both sides: ${r.exact.length}`);
  for (const p of r.exact) lines.push(`    ${p.trainPath}  =  ${p.validationPath}`);
  lines.push(`  near-duplicates (embedding cosine ≥ ${r.threshold}): ${r.nearCount}`);
  for (const p of r.near)
    lines.push(`    ${p.cosine.toFixed(4)}  ${p.trainPath}  ~  ${p.validationPath}`);
  if (r.noEmbedding > 0)
    lines.push(
      `  ${r.noEmbedding} image(s) not checked for near-duplicates: no embedding (run ocellus embed)`,
    );
  return `${lines.join('\n')}\n`;
}
