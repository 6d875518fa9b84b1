import path from 'node:path';
import { parseArgs } from 'node:util';
import { OcellusError } from '../../shared/errors';
import type { LeakageReport, RunOperatingPoint } from '../../shared/types';
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

/**
 * `ocellus operating-point <project> [--run N] --positive CLASS (--sensitivity X |
 * --specificity X | --threshold X) [--json]`, `--clear`, or no target to show it.
 */
export async function operatingPoint(
  service: OcellusService,
  args: string[],
  io: CliIo,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      run: { type: 'string' },
      positive: { type: 'string' },
      sensitivity: { type: 'string' },
      specificity: { type: 'string' },
      threshold: { type: 'string' },
      clear: { type: 'boolean' },
      json: { type: 'boolean' },
    },
  });
  const [file, ...extra] = positionals;
  if (!file || extra.length)
    throw new OcellusError(
      'INVALID_ARGUMENT',
      'usage: ocellus operating-point <project.ocellus> --positive CLASS --sensitivity X',
    );
  const targets = (['sensitivity', 'specificity', 'threshold'] as const).filter(
    (k) => values[k] !== undefined,
  );
  if (targets.length > 1)
    throw new OcellusError(
      'INVALID_ARGUMENT',
      'Give one of --sensitivity, --specificity, --threshold',
    );
  const by = targets[0];
  if (by || values.clear) await service.api.project.open(path.resolve(file));
  else await openToRead(service, file);
  const runId = await runOf(service, values.run);
  if (values.clear) {
    const had = await service.api.clinic.clearOperatingPoint(runId);
    io.stdout(
      values.json
        ? `${JSON.stringify({ cleared: had })}\n`
        : had
          ? `Run ${runId}: operating point cleared\n`
          : `Run ${runId} had no operating point\n`,
    );
    return 0;
  }
  let point = await service.api.clinic.operatingPoint(runId);
  if (by) {
    if (!values.positive) throw new OcellusError('INVALID_ARGUMENT', '--positive CLASS is needed');
    point = await service.api.clinic.setOperatingPoint(runId, {
      positiveClass: values.positive,
      by,
      value: Number(values[by]),
    });
  }
  if (values.json) io.stdout(`${JSON.stringify(point)}\n`);
  else if (!point)
    io.stdout(`Run ${runId} has no operating point: predictions take the most probable class\n`);
  else io.stdout(formatPoint(point));
  return 0;
}

const pct = (v: number | null): string => (v === null ? '–' : `${(v * 100).toFixed(1)} %`);
const ci = (i: { lower: number; upper: number } | null): string =>
  i ? ` (95 % CI ${(i.lower * 100).toFixed(1)}–${(i.upper * 100).toFixed(1)})` : '';

/** The operating point as text for a terminal. */
export function formatPoint(p: RunOperatingPoint): string {
  return [
    `Run ${p.runId}: ${p.positiveClass} when its probability ≥ ${p.threshold.toPrecision(6)} (chosen by ${p.target.by} ${p.target.value})`,
    `  on ${p.count} validation images: sensitivity ${pct(p.sensitivity)}${ci(p.intervals.sensitivity)}, specificity ${pct(p.specificity)}${ci(p.intervals.specificity)}`,
    `  PPV ${pct(p.ppv)}${ci(p.intervals.ppv)}, NPV ${pct(p.npv)}${ci(p.intervals.npv)}`,
    '  Bundles exported from now on, predict.mjs and ocellus predict write the decision beside the probabilities.',
    '',
  ].join('\n');
}
