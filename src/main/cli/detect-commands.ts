import path from 'node:path';
import { parseArgs } from 'node:util';
import { OcellusError } from '../../shared/errors';
import type { DetectionCounts } from '../../shared/types';
import type { OcellusService } from '../core/service';
import type { CliIo } from './cli-io';
import { waitForJob } from './ml-commands';
import { openToExport } from './open-project';

/** `ocellus detect <project> [--detector id|folder] [--threshold 0.2] [--json] [--progress]`. */
export async function detect(service: OcellusService, args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      detector: { type: 'string' },
      threshold: { type: 'string', default: '0.2' },
      json: { type: 'boolean' },
      progress: { type: 'boolean' },
    },
  });
  const [file, ...extra] = positionals;
  if (!file || extra.length > 0) {
    throw new OcellusError(
      'INVALID_ARGUMENT',
      'usage: ocellus detect <project.ocellus> [--detector id|folder] [--threshold 0.2]',
    );
  }
  const threshold = Number(values.threshold);
  if (!(threshold >= 0 && threshold <= 1)) {
    throw new OcellusError('INVALID_ARGUMENT', '--threshold must be a number in [0, 1]');
  }
  await service.api.project.open(path.resolve(file));
  const detector =
    values.detector && (values.detector.includes('/') || values.detector.includes('\\'))
      ? path.resolve(values.detector)
      : values.detector;
  const started = Date.now();
  const job = await service.api.detect.run({ detector: detector ?? null });
  const final = await waitForJob(
    service,
    job,
    io,
    values.progress === true || (!values.json && process.stderr.isTTY === true),
  );
  if (final.state !== 'done') {
    throw new OcellusError(
      final.state === 'cancelled' ? 'CANCELLED' : (final.errorCode ?? 'INTERNAL'),
      final.error ?? `Detection ${final.state}`,
    );
  }
  const counts = await service.api.detect.counts({ threshold, detector: final.subject });
  const seconds = Math.round((Date.now() - started) / 10) / 100;
  io.stdout(
    values.json
      ? `${JSON.stringify({ ...counts, seconds }, null, 2)}\n`
      : formatCounts(counts, seconds),
  );
  return 0;
}

function formatCounts(c: DetectionCounts, seconds: number): string {
  return (
    `${c.processed} images processed by ${c.detector ?? '?'} in ${seconds.toFixed(1)} s; at threshold ${c.threshold}:\n` +
    `  empty ${c.empty}, animal ${c.animal} (${c.burstKept} kept for their burst), person ${c.person}, vehicle ${c.vehicle}` +
    `${c.pending ? `; ${c.pending} not processed (unreadable)` : ''}\n`
  );
}

/** `ocellus export-detections <project> --format megadetector --out file.json [--detector KEY] [--json]`. */
export async function exportDetections(
  service: OcellusService,
  args: string[],
  io: CliIo,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      format: { type: 'string', default: 'megadetector' },
      out: { type: 'string' },
      detector: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const [file, ...extra] = positionals;
  if (!file || extra.length > 0 || !values.out) {
    throw new OcellusError(
      'INVALID_ARGUMENT',
      'usage: ocellus export-detections <project.ocellus> --format megadetector --out <file.json>',
    );
  }
  if (values.format !== 'megadetector') {
    throw new OcellusError('INVALID_ARGUMENT', '--format is megadetector (the only format so far)');
  }
  await openToExport(service, file);
  const r = await service.api.detect.exportResults(
    path.resolve(values.out),
    values.detector ?? null,
  );
  io.stdout(
    values.json
      ? `${JSON.stringify(r, null, 2)}\n`
      : `Wrote ${r.boxes} boxes of ${r.images} images (${r.detector}) to ${r.file}\n`,
  );
  return 0;
}

/**
 * `ocellus import-detections <project> <file.json> [--labels] [--json]`; with --labels the
 * file is taken as verified: its boxes' classifications become people's box labels.
 */
export async function importDetections(
  service: OcellusService,
  args: string[],
  io: CliIo,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, labels: { type: 'boolean' } },
  });
  const [file, results, ...extra] = positionals;
  if (!file || !results || extra.length > 0) {
    throw new OcellusError(
      'INVALID_ARGUMENT',
      'usage: ocellus import-detections <project.ocellus> <megadetector.json> [--labels]',
    );
  }
  await service.api.project.open(path.resolve(file));
  const r = await service.api.detect.importResults(path.resolve(results), {
    labels: values.labels === true,
  });
  io.stdout(
    values.json
      ? `${JSON.stringify(r, null, 2)}\n`
      : `Imported ${r.boxes} boxes of ${r.images} images as ${r.detector}` +
          `${r.labelled === undefined ? '' : `; ${r.labelled} box labels taken from the file (undo in the app)`}` +
          `${r.unmatched.length ? `; ${r.unmatched.length} files match no image of the project (first: ${r.unmatched[0]})` : ''}\n`,
  );
  return 0;
}
