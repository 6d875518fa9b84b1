import path from 'node:path';
import { parseArgs } from 'node:util';
import { OcellusError } from '../../shared/errors';
import type { JobInfo, ProjectStatus } from '../../shared/types';
import {
  defaultAppDataDir,
  defaultProjectDir,
  locateMlWorker,
  locateResources,
} from '../core/app/app-paths';
import { createOcellusService, type OcellusService } from '../core/service';
import { embed, models } from './ml-commands';
import { classes, label } from './label-commands';
import { metadata } from './metadata-command';
import { train, trainOptionsHelp } from './train-command';
import { exportBundle, exportDataset, importLabels } from './export-commands';
import { predict } from './predict-command';
import { importPredictions } from './import-predictions-command';
import { cluster } from './cluster-command';
import { evaluate } from './evaluate-command';
import { leakage, operatingPoint } from './clinic-commands';
import { detect, exportDetections, importDetections } from './detect-commands';
import { openToRead } from './open-project';
import type { CliIo } from './cli-io';

const HELP = `Usage: ocellus <command> [options]

Commands:
  init <project.ocellus> [--name NAME] [--multi-label]   create a project file
  add <project.ocellus> <folder> [--labels-from-folders] [--json] [--progress]
                                                         import a folder of images (recursive)
  rescan <project.ocellus> [--json] [--progress]         re-read roots from disk; resumes an
                                                         interrupted import
  status <project.ocellus> [--json]                      counts of images, classes, labels
  classes <project.ocellus> [--json]                     classes, counts, readiness to train
  label <project.ocellus> <class> <paths…> [--remove] [--replace-human]
                                                         label images (files or folders); asks
                                                         (refuses) before replacing human labels
  models [--json]                                        base models: zoo, downloaded, imported
  models import <folder|file>                            import a model for offline use (TF.js
        [--signature S] [--feature-output O]             folder, exported file, or a TensorFlow
        [--input-size H[xW]] [--resize R]                SavedModel: needs the native backend)
        [--normalization=0,1|-1,1|imagenet|caffe|caffe-bgr]
  models inspect <SavedModel folder> [--json]            its signatures and detected feature output
  embed <project.ocellus> --base <id|folder> [--batch-size N] [--json]
                                                         compute image embeddings (cached)
  train <project.ocellus> [--base <id|folder>] [--mode features|finetune] [--epochs N]
        [--batch-size N] [--learning-rate X] [--validation F] [--group-by none|sequence|folder|camera|<metadata key>]
        [--seed N] [--unfreeze N] [--warmup N] [--base-lr-factor X] [--tuned-share X]
        [--weight-averaging | --no-weight-averaging]
        [--views N] [--refit auto|always|never]
        [--folds N] [--tta | --no-tta] [--unit image|box] [--title TEXT] [--json]
                                                         train a classifier (--unit box: on the
                                                         crops of labelled boxes)
  export <project.ocellus> [--run N] --out <dir> [--zip] [--json]
        [--detector id|folder] [--detector-threshold 0.2] [--no-detector]
                                                         a run's model bundle (runs without Ocellus);
                                                         with a detector it detects → crops → classifies
                                                         (a box run's bundle does by default, with the
                                                         project's last detector; --no-detector: not)
  export-dataset <project.ocellus> --format csv|imagefolder|camtrap-dp --out <dir>
        [--link copy|hardlink] [--deployments root|camera] [--timezone +HH:MM] [--json]
        [--deidentify [--dates shift|remove]] [--strip-metadata] [--pseudonymise]
                                                         labels as CSV, ImageFolder or Camtrap DP 1.0;
                                                         ImageFolder: DICOM de-identified (PS3.15
                                                         Basic Profile), EXIF/GPS dropped, names
                                                         pseudonymised, privacy-log.json
  import-labels <project.ocellus> <labels.csv> [--json] [--replace-human]
                                                         labels from a CSV (path,label); one undo
  predict <bundle-dir|project.ocellus> <images or folders…> [--run N] [--out predictions.csv]
        [--json] [--batch-size N]                        classify images (CSV on stdout by default)
        [--manifest files.txt|folder [--shard i/N] --out f.jsonl] [--resume] [--progress]
                                                         or a manifest (a shard of it: line k goes
                                                         to shard k mod N) to JSON Lines, resumable
        [--manifest … --local-shards N --out DIR]        N shards as local processes
  import-predictions <project.ocellus> <shard-*.jsonl…> [--name NAME] [--map FROM=TO]… [--json]
                                                         merge predictions as a named set of
                                                         suggestions (by path, else content hash)
  cluster slurm <bundle-dir> --manifest files.txt|folder --shards N --out DIR
        [--partition P] [--time T] [--cpus N] [--mem M] [--project P.ocellus] [--submit] [--json]
                                                         a SLURM job array (and merge job) over
                                                         the manifest; --submit sends and follows it
  evaluate <project.ocellus> [--run N] [--positive CLASS] [--threshold X] [--json]
                                                         a run's figures on its validation split
  metadata <project.ocellus> [file.csv] [--json]         import image metadata (path,<key>,…); list keys
  leakage <project.ocellus> [--run N] [--threshold C] [--key K]… [--pairs N] [--json]
                                                         patients, identical files and near-duplicates
                                                         on both sides of a run's split (exit 3 if any)
  operating-point <project.ocellus> [--run N] --positive CLASS
        (--sensitivity X | --specificity X | --threshold X) [--clear] [--json]
                                                         fix the run's threshold for a class (figures
                                                         + CIs); bundles and predict apply it
  detect <project.ocellus> [--detector id|folder] [--threshold 0.2] [--json] [--progress]
                                                         find animals, people, vehicles; counts
                                                         per category and empty at the threshold
  export-detections <project.ocellus> --format megadetector --out <file.json> [--detector KEY] [--json]
                                                         boxes as MegaDetector batch-output JSON
  import-detections <project.ocellus> <file.json> [--labels] [--json]
                                                         boxes from MegaDetector batch output;
                                                         --labels: the file is verified, its box
                                                         classifications become labels (one undo)

Options:
  --help, -h       show this help
  --version, -v    print the version
`;

/** Every command the CLI runs, as the overview lists them. */
export const COMMANDS = [
  'init',
  'add',
  'rescan',
  'status',
  'classes',
  'label',
  'models',
  'embed',
  'train',
  'export',
  'export-dataset',
  'import-labels',
  'predict',
  'import-predictions',
  'cluster',
  'evaluate',
  'metadata',
  'leakage',
  'operating-point',
  'detect',
  'export-detections',
  'import-detections',
] as const;

/**
 * The help of one command: its lines of HELP (the command's line and the indented lines that
 * continue it), so the overview and each command's help never disagree.
 */
export function commandHelp(command: string): string | null {
  const lines = HELP.split('\n');
  const out: string[] = [];
  let inCommand = false;
  for (const line of lines) {
    if (/^ {2}[a-z]/.test(line)) inCommand = line.slice(2).split(' ')[0] === command;
    else if (!/^ {3,}/.test(line)) inCommand = false;
    if (inCommand) out.push(line);
  }
  if (out.length === 0) return null;
  const settings = command === 'train' ? trainOptionsHelp() : '';
  return `Usage: ocellus ${command} …\n\n${out.join('\n')}\n${settings}\nOptions:\n  --help, -h       show this help\n`;
}

/** The handler of each command; the compiler checks every command has one. */
const HANDLERS: Record<
  (typeof COMMANDS)[number],
  (service: OcellusService, args: string[], io: CliIo) => Promise<number>
> = {
  init,
  add,
  rescan,
  status,
  classes,
  label,
  models,
  embed,
  train,
  export: exportBundle,
  'export-dataset': exportDataset,
  'import-labels': importLabels,
  predict,
  'import-predictions': importPredictions,
  cluster,
  evaluate,
  metadata,
  leakage,
  'operating-point': operatingPoint,
  detect,
  'export-detections': exportDetections,
  'import-detections': importDetections,
};

const wantsHelp = (args: string[]): boolean => args.includes('--help') || args.includes('-h');

/**
 * `--option -5` and `--timezone -05:30` as `--option=-5`: Node's parser takes a value that
 * starts with a dash for a forgotten argument. No option name starts with a digit or a dot.
 */
export function joinDashValues(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    const next = args[i + 1];
    if (
      /^--[^=]+$/.test(a) &&
      next !== undefined &&
      /^-(\d+(\.\d*)?|\.\d+|\d{1,2}:\d{2})$/.test(next)
    ) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/** Runs one CLI invocation; returns the process exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    const topic = command === 'help' ? rest[0] : undefined;
    const text = topic === undefined ? HELP : commandHelp(topic);
    if (text === null) {
      io.stderr(`ocellus: unknown command '${topic}' (see ocellus --help)\n`);
      return 2;
    }
    io.stdout(text);
    return command === undefined ? 1 : 0;
  }
  if (command === '--version' || command === '-v') {
    io.stdout(`${__OCELLUS_VERSION__}\n`);
    return 0;
  }
  if (!(COMMANDS as readonly string[]).includes(command)) {
    io.stderr(`ocellus: unknown command '${command}' (see ocellus --help)\n`);
    return 2;
  }
  if (wantsHelp(rest)) {
    io.stdout(commandHelp(command) ?? HELP);
    return 0;
  }
  const service = createOcellusService({
    host: 'cli',
    appVersion: __OCELLUS_VERSION__,
    appDataDir: defaultAppDataDir(),
    defaultProjectDir: defaultProjectDir(),
    trackRecent: false,
    watch: false,
    resourcesDir: locateResources(__dirname),
    mlWorkerFile: locateMlWorker(__dirname),
  });
  try {
    return await HANDLERS[command as (typeof COMMANDS)[number]](service, joinDashValues(rest), io);
  } catch (err) {
    // parseArgs' own errors (an unknown or malformed option) are usage errors, as is a
    // command's own usage line (a missing or extra argument): exit 2, as predict.mjs does.
    const parse = (err as { code?: unknown }).code?.toString().startsWith('ERR_PARSE_ARGS');
    const usage =
      parse ||
      (err instanceof OcellusError &&
        (err.message.startsWith('usage:') || err.details?.['usage'] === true));
    // Node's own wording ends "as in '-- "--bogus"" with a quote left open.
    const unknown = parse ? /^Unknown option '([^']+)'/.exec(oneLine(err))?.[1] : undefined;
    const said = unknown ? `unknown option ${unknown}` : oneLine(err);
    io.stderr(`ocellus ${command}: ${said}${parse ? ` (see ocellus ${command} --help)` : ''}\n`);
    return usage ? 2 : 1;
  } finally {
    await service.dispose();
  }
}

async function init(service: OcellusService, args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      'multi-label': { type: 'boolean' },
      json: { type: 'boolean' },
    },
  });
  const file = single(positionals, 'init <project.ocellus>');
  const summary = await service.api.project.create({
    path: path.resolve(file),
    name: values.name,
    labelMode: values['multi-label'] ? 'multi' : 'single',
  });
  if (values.json) io.stdout(`${JSON.stringify(summary)}\n`);
  else
    io.stdout(`Created ${summary.path} (${summary.labelMode}-label project "${summary.name}")\n`);
  return 0;
}

async function add(service: OcellusService, args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'labels-from-folders': { type: 'boolean' },
      json: { type: 'boolean' },
      progress: { type: 'boolean' },
    },
  });
  const [file, folder, ...extra] = positionals;
  if (file === undefined || folder === undefined || extra.length > 0) {
    throw new OcellusError('INVALID_ARGUMENT', 'usage: ocellus add <project.ocellus> <folder>');
  }
  await service.api.project.open(path.resolve(file));
  // Finish what an earlier, interrupted import left before adding more.
  await service.whenIdle();
  const started = Date.now();
  const off = progressFor(service, io, values);
  const root = await service.api.library.addRoot(path.resolve(folder), {
    labelsFromFolders: values['labels-from-folders'] === true,
  });
  const final = await service.whenIdle();
  off();
  throwIfFailed(final);
  const [roots, counts, st] = await Promise.all([
    service.api.library.roots(),
    service.api.library.counts(),
    service.api.project.status(),
  ]);
  const added = roots.find((r) => r.id === root.id) ?? root;
  const seconds = (Date.now() - started) / 1000;
  const summary = {
    root: { id: added.id, path: added.path, images: added.imageCount, problems: added.problems },
    images: counts,
    classes: st.classes,
    seconds: Math.round(seconds * 100) / 100,
  };
  if (values.json) {
    io.stdout(`${JSON.stringify(summary, null, 2)}\n`);
  } else {
    io.stdout(
      `Added ${added.path}: ${added.imageCount} images in ${seconds.toFixed(1)} s\n` +
        `  project: ${counts.total} images (${counts.ok} ok, ${counts.broken} broken, ${counts.unsupported} unsupported)\n` +
        (st.classes.length
          ? `  classes: ${st.classes.map((c) => `${c.name} ${c.count}`).join(', ')}\n`
          : '') +
        (added.problems.length
          ? `  ${added.problems.length} problem(s), e.g. ${added.problems[0]?.relPath}: ${added.problems[0]?.error}\n`
          : ''),
    );
  }
  return 0;
}

async function rescan(service: OcellusService, args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, progress: { type: 'boolean' } },
  });
  const file = single(positionals, 'rescan <project.ocellus>');
  await service.api.project.open(path.resolve(file));
  const off = progressFor(service, io, values);
  await service.api.library.rescan();
  const final = await service.whenIdle();
  off();
  throwIfFailed(final);
  const counts = await service.api.library.counts();
  io.stdout(
    values.json
      ? `${JSON.stringify({ images: counts }, null, 2)}\n`
      : `${counts.total} images (${counts.ok} ok, ${counts.broken} broken, ${counts.unsupported} unsupported, ${counts.missing} missing)\n`,
  );
  return 0;
}

/**
 * Progress on stderr: a redrawn line on a terminal, or one line per update with
 * --progress (for logs and for tests that act mid-import).
 */
function progressFor(
  service: OcellusService,
  io: CliIo,
  flags: { json?: boolean; progress?: boolean },
): () => void {
  const tty = !flags.json && process.stderr.isTTY === true;
  if (!tty && !flags.progress) return () => {};
  const off = service.bus.on('job:updated', (job) => {
    if (job.state !== 'running') return;
    const pct = job.total > 0 ? ` ${Math.floor((100 * job.done) / job.total)}%` : '';
    const rate = job.rate ? ` ${job.rate.toFixed(0)}/s` : '';
    const line = `${job.detail ?? job.title}${pct} (${job.done}/${job.total})${rate}`;
    io.stderr(tty ? `\r\x1b[K${line}` : `${line}\n`);
  });
  return () => {
    off();
    if (tty) io.stderr('\r\x1b[K');
  };
}

async function status(service: OcellusService, args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean' } },
  });
  const file = single(positionals, 'status <project.ocellus>');
  await openToRead(service, file);
  const st = await service.api.project.status();
  const ml = await service.api.ml
    .status()
    .catch(() => ({ backend: null, engine: undefined, engineNote: undefined }));
  const engine = ml.engine === 'onnx' ? 'ONNX Runtime' : ml.engine === 'tfjs' ? 'TF.js' : null;
  io.stdout(
    values.json
      ? `${JSON.stringify({ ...st, ml: { backend: ml.backend, engine: ml.engine ?? null } }, null, 2)}\n`
      : `${formatStatus(st)}  ML backend: ${ml.backend ?? 'none available'}${engine ? `, engine: ${engine}` : ''}\n`,
  );
  return 0;
}

function formatStatus(st: ProjectStatus): string {
  const lines = [
    `${st.project.name}  (${st.project.path})`,
    `  schema ${st.project.schemaVersion}, ${st.project.labelMode}-label, created ${st.project.createdAt}`,
    `  images: ${st.images.total} (${st.images.ok} ok, ${st.images.broken} broken, ${st.images.unsupported} unsupported${st.images.pending ? `, ${st.images.pending} not read yet` : ''})${st.images.missing ? `; ${st.images.missing} missing from their folders` : ''}`,
    // Images not read: an import under way in a window, or one that was stopped (a crash, a
    // kill), which a rescan finishes.
    ...(st.images.pending
      ? [
          `  ${st.images.pending === 1 ? '1 image is' : `${st.images.pending} images are`} not read yet: an import is under way, or stopped (ocellus rescan ${JSON.stringify(st.project.path)} finishes it)`,
        ]
      : []),
    `  unlabelled: ${st.unlabelled}`,
    `  classes: ${st.classes.length === 0 ? 'none' : st.classes.map((c) => `${c.name} ${c.count}`).join(', ')}`,
  ];
  return `${lines.join('\n')}\n`;
}

/** A failed import (a full disk…) ends the command with its reason and a non-zero code. */
function throwIfFailed(job: JobInfo | null): void {
  if (job?.state === 'failed') {
    throw new OcellusError(job.errorCode ?? 'IO_ERROR', job.error ?? `${job.title} failed`);
  }
}

function single(positionals: string[], usage: string): string {
  const [first, ...extra] = positionals;
  if (first === undefined || extra.length > 0) {
    throw new OcellusError('INVALID_ARGUMENT', `usage: ocellus ${usage}`);
  }
  return first;
}

function oneLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0] ?? message;
}
