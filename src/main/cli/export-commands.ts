import path from 'node:path';
import { parseArgs } from 'node:util';
import { OcellusError } from '../../shared/errors';
import type { DatasetExportOptions, DatasetFormat, JobInfo } from '../../shared/types';
import type { OcellusService } from '../core/service';
import { waitForJob } from './ml-commands';
import type { CliIo } from './cli-io';
import { openToExport } from './open-project';

/**
 * Waits for an export job and says what it wrote. A project opened read-only keeps no export
 * history, so the newest record is then an older export: the job's own summary is said instead.
 */
async function finish(
  service: OcellusService,
  job: JobInfo,
  io: CliIo,
  json: boolean,
  out: string,
) {
  const final = await waitForJob(service, job, io, !json && process.stderr.isTTY === true);
  if (final.state !== 'done')
    throw new OcellusError(
      final.state === 'cancelled' ? 'CANCELLED' : 'INTERNAL',
      final.error ?? `Export ${final.state}`,
    );
  const newest = (await service.api.export.history())[0];
  const record =
    newest && newest.createdAt >= final.startedAt
      ? newest
      : {
          kind: final.subject,
          path: out,
          state: 'done',
          summary: final.detail ?? 'Done',
          recorded: false,
        };
  io.stdout(json ? `${JSON.stringify(record)}\n` : `${record.summary}\n`);
  return 0;
}

/**
 * `ocellus export <project> [--run N] --out <dir> [--zip] [--json] [--detector id|folder]
 * [--detector-threshold T] [--no-detector]`: a run's model bundle, detecting first when a
 * detector is given or the run is a box run (unless --no-detector).
 */
export async function exportBundle(
  service: OcellusService,
  args: string[],
  io: CliIo,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      run: { type: 'string' },
      out: { type: 'string' },
      zip: { type: 'boolean' },
      json: { type: 'boolean' },
      detector: { type: 'string' },
      'detector-threshold': { type: 'string' },
      'no-detector': { type: 'boolean' },
    },
  });
  const [file, ...extra] = positionals;
  const threshold = values['detector-threshold'];
  const noDetector = values['no-detector'] === true;
  if (noDetector && (values.detector !== undefined || threshold !== undefined))
    throw new OcellusError(
      'INVALID_ARGUMENT',
      '--no-detector goes without --detector and --detector-threshold',
    );
  if (!file || !values.out || extra.length)
    throw new OcellusError(
      'INVALID_ARGUMENT',
      'usage: ocellus export <project.ocellus> [--run N] --out <dir> [--zip]',
    );
  if (threshold !== undefined && !(Number(threshold) >= 0 && Number(threshold) <= 1))
    throw new OcellusError('INVALID_ARGUMENT', '--detector-threshold is a number from 0 to 1');
  await openToExport(service, file);
  const bundleOut = path.resolve(values.out);
  const job = await service.api.export.bundle({
    out: bundleOut,
    runId: values.run === undefined ? undefined : Number(values.run),
    zip: values.zip === true,
    // No --detector: a box run's bundle takes the project's detector, an image run's none.
    ...(noDetector ? { detector: null } : {}),
    ...(values.detector === undefined
      ? {}
      : {
          // A folder is passed as a full path; an id (centernet-coco, a zoo id) as it is.
          detector: /[\\/]/.test(values.detector) ? path.resolve(values.detector) : values.detector,
        }),
    ...(threshold === undefined ? {} : { detectorThreshold: Number(threshold) }),
  });
  return finish(service, job, io, values.json === true, bundleOut);
}

/** `ocellus export-dataset <project> --format csv|imagefolder|camtrap-dp --out <dir>`. */
export async function exportDataset(
  service: OcellusService,
  args: string[],
  io: CliIo,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      format: { type: 'string' },
      out: { type: 'string' },
      link: { type: 'string' },
      deployments: { type: 'string' },
      timezone: { type: 'string' },
      deidentify: { type: 'boolean' },
      dates: { type: 'string' },
      'strip-metadata': { type: 'boolean' },
      pseudonymise: { type: 'boolean' },
      json: { type: 'boolean' },
    },
  });
  const [file, ...extra] = positionals;
  if (values.dates !== undefined && values.dates !== 'shift' && values.dates !== 'remove')
    throw new OcellusError('INVALID_ARGUMENT', '--dates is shift or remove');
  if (!file || !values.format || !values.out || extra.length)
    throw new OcellusError(
      'INVALID_ARGUMENT',
      'usage: ocellus export-dataset <project.ocellus> --format csv|imagefolder|camtrap-dp --out <dir>',
    );
  await openToExport(service, file);
  const job = await service.api.export.dataset({
    format: values.format as DatasetFormat,
    out: path.resolve(values.out),
    // The service refuses other words, naming the choices.
    linkMode: values.link as DatasetExportOptions['linkMode'],
    deploymentsBy: values.deployments as DatasetExportOptions['deploymentsBy'],
    timezone: values.timezone,
    privacy: {
      deidentify: values.deidentify === true,
      stripMetadata: values['strip-metadata'] === true,
      pseudonymiseNames: values.pseudonymise === true,
      ...(values.dates === 'remove' ? { dates: 'remove' as const } : {}),
    },
  });
  return finish(service, job, io, values.json === true, path.resolve(values.out));
}

/** `ocellus import-labels <project> <labels.csv> [--json] [--replace-human]`. */
export async function importLabels(
  service: OcellusService,
  args: string[],
  io: CliIo,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, 'replace-human': { type: 'boolean' } },
  });
  const [file, csv, ...extra] = positionals;
  if (!file || !csv || extra.length)
    throw new OcellusError(
      'INVALID_ARGUMENT',
      'usage: ocellus import-labels <project.ocellus> <labels.csv> [--replace-human]',
    );
  await service.api.project.open(path.resolve(file));
  const r = await service.api.export.importLabels(path.resolve(csv), {
    replaceHuman: values['replace-human'] === true,
  });
  if (r.replacesHuman) {
    if (values.json) io.stdout(`${JSON.stringify(r, null, 2)}\n`);
    io.stderr(
      `Nothing imported: it would replace human labels of another class on ${r.replacesHuman} images. Run again with --replace-human to replace them.\n`,
    );
    return 1;
  }
  if (values.json) io.stdout(`${JSON.stringify(r, null, 2)}\n`);
  else {
    io.stdout(
      `${r.labelled} images labelled from ${r.rows} rows${r.createdClasses.length ? `; new classes: ${r.createdClasses.map((c) => JSON.stringify(c)).join(', ')}` : ''}\n`,
    );
    if (r.unknownCount)
      io.stderr(
        `${r.unknownCount} path(s) match no image, e.g. line ${r.unknown[0]?.line}: ${r.unknown[0]?.path}\n`,
      );
  }
  return 0;
}
