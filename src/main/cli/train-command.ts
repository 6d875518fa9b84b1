import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { OcellusError } from '../../shared/errors';
import { pct, plural } from '../../shared/format';
import type {
  RunEstimate,
  RunSummary,
  SplitGrouping,
  TrainConfig,
  TrainMode,
} from '../../shared/types';
import type { OcellusService } from '../core/service';
import { TRAIN_HELP, validateTrainConfig } from '../core/train/train-config';
import { waitForJob } from './ml-commands';
import type { CliIo } from './cli-io';

/** Each setting `ocellus train` takes, by its option. */
const TRAIN_FLAGS: ReadonlyArray<readonly [string, keyof TrainConfig]> = [
  ['--base <id|folder>', 'baseModel'],
  ['--mode features|finetune', 'mode'],
  ['--epochs N', 'epochs'],
  ['--batch-size N', 'batchSize'],
  ['--learning-rate X', 'learningRate'],
  ['--validation F', 'validationFraction'],
  ['--group-by G', 'groupBy'],
  ['--seed N', 'seed'],
  ['--unfreeze N', 'unfreezeLayers'],
  ['--warmup N', 'warmupEpochs'],
  ['--base-lr-factor X', 'baseLearningRateFactor'],
  ['--tuned-share X', 'tunedShare'],
  ['--[no-]weight-averaging', 'weightAveraging'],
  ['--views N', 'viewsPerImage'],
  ['--refit auto|always|never', 'refit'],
  ['--folds N', 'crossValidation'],
  ['--[no-]tta', 'tta'],
  ['--unit image|box', 'unit'],
];

/** A refused setting named by its option (--folds), not by its name in the API (crossValidation). */
function asFlagError(err: unknown): unknown {
  if (!(err instanceof OcellusError) || err.code !== 'INVALID_ARGUMENT') return err;
  const hit = TRAIN_FLAGS.find(([, key]) => err.message.startsWith(`${key} `));
  if (!hit) return err;
  const flag = hit[0].split(' ')[0]?.replace('[no-]', '') ?? hit[1];
  return new OcellusError('INVALID_ARGUMENT', `${flag}${err.message.slice(hit[1].length)}`);
}

/** `text` from column `indent` in lines that end by column `width`, later lines indented. */
function wrap(text: string, indent: number, width = 96): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && indent + line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line].join(`\n${' '.repeat(indent)}`);
}

/**
 * What each option of `ocellus train` does and its default, in the Train view's own words and
 * from the same defaults, so the two never disagree.
 */
export function trainOptionsHelp(): string {
  // Validation fills in every default, those set there (the unit) as well.
  const defaults = validateTrainConfig({ baseModel: 'the first model available' });
  const shown = (v: unknown) =>
    typeof v === 'boolean' ? (v ? 'on' : 'off') : typeof v === 'object' ? null : String(v);
  const rows: [string, string][] = TRAIN_FLAGS.map(([flag, key]) => {
    const value = shown(defaults[key]);
    return [flag, `${TRAIN_HELP[key]}${value === null ? '' : ` Default: ${value}.`}`];
  });
  rows.push(
    ['--title TEXT', 'A title for the run, shown in the Train view.'],
    ['--json', 'One JSON object per epoch on stdout, then a summary object.'],
  );
  const indent = 2 + Math.max(...rows.map(([flag]) => flag.length)) + 2;
  const lines = rows.map(([flag, what]) => `  ${flag.padEnd(indent - 2)}${wrap(what, indent)}`);
  return `\nSettings:\n${lines.join('\n')}\n`;
}

/**
 * `ocellus train <project> [--base id|folder] [--mode features|finetune] [--epochs N] …`:
 * with --json, one JSON object per epoch on stdout, then a summary object.
 */
// eslint-disable-next-line max-lines-per-function -- the command's option parsing and its progress output, a short branch per option.
export async function train(service: OcellusService, args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      base: { type: 'string' },
      mode: { type: 'string' },
      epochs: { type: 'string' },
      'batch-size': { type: 'string' },
      'learning-rate': { type: 'string' },
      validation: { type: 'string' },
      'group-by': { type: 'string' },
      seed: { type: 'string' },
      unfreeze: { type: 'string' },
      warmup: { type: 'string' },
      'base-lr-factor': { type: 'string' },
      'tuned-share': { type: 'string' },
      'weight-averaging': { type: 'boolean' },
      'no-weight-averaging': { type: 'boolean' },
      views: { type: 'string' },
      refit: { type: 'string' },
      folds: { type: 'string' },
      tta: { type: 'boolean' },
      'no-tta': { type: 'boolean' },
      unit: { type: 'string' },
      title: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const [file, ...extra] = positionals;
  if (!file || extra.length)
    throw new OcellusError(
      'INVALID_ARGUMENT',
      'usage: ocellus train <project.ocellus> [--base <model>] [options]',
    );
  await service.api.project.open(path.resolve(file));
  const { config: defaults } = await service.api.train.defaults();
  let baseModel = values.base ?? defaults.baseModel;
  if (values.base && fs.existsSync(values.base))
    baseModel = (await service.api.ml.importModel(path.resolve(values.base))).id;
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const config: Partial<TrainConfig> & { baseModel: string } = {
    baseModel,
    ...(values.mode ? { mode: values.mode as TrainMode } : {}),
    ...(values.epochs ? { epochs: num(values.epochs) } : {}),
    ...(values['batch-size'] ? { batchSize: num(values['batch-size']) } : {}),
    ...(values['learning-rate'] ? { learningRate: num(values['learning-rate']) } : {}),
    ...(values.validation ? { validationFraction: num(values.validation) } : {}),
    ...(values['group-by'] ? { groupBy: grouping(values['group-by']) } : {}),
    ...(values.unfreeze ? { unfreezeLayers: num(values.unfreeze) } : {}),
    ...(values.warmup ? { warmupEpochs: num(values.warmup) } : {}),
    ...(values['base-lr-factor'] ? { baseLearningRateFactor: num(values['base-lr-factor']) } : {}),
    ...(values['tuned-share'] ? { tunedShare: num(values['tuned-share']) } : {}),
    ...(values['weight-averaging'] ? { weightAveraging: true } : {}),
    ...(values['no-weight-averaging'] ? { weightAveraging: false } : {}),
    ...(values.views ? { viewsPerImage: num(values.views) } : {}),
    ...(values.seed ? { seed: num(values.seed) } : {}),
    ...(values.refit ? { refit: values.refit as TrainConfig['refit'] } : {}),
    ...(values.folds ? { crossValidation: num(values.folds) } : {}),
    ...(values.tta ? { tta: true } : {}),
    ...(values['no-tta'] ? { tta: false } : {}),
    ...(values.unit ? { unit: values.unit as TrainConfig['unit'] } : {}),
  };
  const tty = !values.json && process.stderr.isTTY === true;
  const off = service.bus.on('train:progress', (p) => {
    if (p.epochMetrics) {
      const m = p.epochMetrics;
      if (values.json) io.stdout(`${JSON.stringify({ type: 'epoch', runId: p.runId, ...m })}\n`);
      else
        io.stderr(
          `${tty ? '\r\x1b[K' : ''}epoch ${m.epoch}: loss ${m.trainLoss.toFixed(4)} acc ${m.trainAccuracy.toFixed(3)} · val loss ${m.valLoss.toFixed(4)} val acc ${m.valAccuracy.toFixed(3)}\n`,
        );
    } else if (tty) {
      io.stderr(
        `\r\x1b[Kepoch ${p.epoch} batch ${p.batch}/${p.batches} loss ${p.loss.toFixed(4)} acc ${p.accuracy.toFixed(3)}`,
      );
    }
  });
  const run = await service.api.train
    .start(config, { title: values.title ?? null })
    .catch((err: unknown) => {
      throw asFlagError(err);
    });
  const job = (await service.api.jobs.list()).find((j) => j.id === run.jobId);
  const final = job ? await waitForJob(service, job, io, false) : null;
  off();
  const summary = await service.api.train.run(run.id);
  const out = {
    type: 'summary',
    runId: summary.id,
    status: summary.status,
    error: summary.error,
    bestEpoch: summary.bestEpoch,
    validationLoss: summary.best?.valLoss ?? null,
    validationAccuracy: summary.best?.valAccuracy ?? null,
    classes: summary.classes,
    counts: summary.counts,
    leakedContents: summary.leakedContents,
    estimate: summary.estimate,
    backend: summary.backend,
    seconds: summary.durationSeconds,
  };
  if (values.json) io.stdout(`${JSON.stringify(out)}\n`);
  else
    io.stdout(
      summary.status === 'done'
        ? `${doneLine(summary)}\n`
        : `Run ${summary.id} ${summary.status}${summary.error ? `: ${summary.error}` : ''}\n`,
    );
  if (summary.status !== 'done') {
    if (!values.json) return 1;
    throw new OcellusError(
      final?.state === 'cancelled' ? 'CANCELLED' : 'INTERNAL',
      summary.error ?? `Run ${summary.status}`,
    );
  }
  return 0;
}

/**
 * What a finished run scored. The headline is the released weights' validation accuracy (the
 * estimate), which differs from the best epoch's when they are averaged or blended.
 */
export function doneLine(summary: RunSummary): string {
  const best = summary.best?.valAccuracy ?? 0;
  const released = summary.estimate?.accuracy ?? null;
  const figure =
    released !== null && Math.abs(released - best) > 1e-9
      ? `${pct(released)} for the released weights (the best epoch alone: ${pct(best)}, loss ${summary.best?.valLoss.toFixed(4)})`
      : `${pct(best)} (loss ${summary.best?.valLoss.toFixed(4)})`;
  return `Run ${summary.id}: best epoch ${summary.bestEpoch}, validation accuracy ${figure} on ${summary.counts.validation} held-out ${summary.config.unit === 'box' ? 'boxes' : 'images'}${estimateLine(summary.estimate)}`;
}

/** The estimate in words: interval, cross-validation, what the released model learnt from. */
function estimateLine(e: RunEstimate | null): string {
  if (!e) return '';
  const parts = [
    e.interval ? `95 % interval ${pct(e.interval[0])}–${pct(e.interval[1])}` : null,
    e.crossValidation
      ? `${e.crossValidation.folds.length}-fold cross-validation ${pct(e.crossValidation.mean)} ± ${pct(e.crossValidation.sd)}`
      : null,
    e.refit
      ? `released model refit on all ${e.refit.images} images for ${plural(e.refit.epochs, 'epoch')}`
      : null,
    ...e.smallClasses.map((s) => `${s.name}: only ${s.images} images`),
  ].filter((p) => p !== null);
  return parts.length ? `\n  (${parts.join('; ')})` : '';
}

/** A built-in grouping, or any other word as an image metadata key (patient id, eye…). */
function grouping(v: string): SplitGrouping {
  return ['none', 'sequence', 'folder', 'camera'].includes(v) || v.startsWith('meta:')
    ? (v as SplitGrouping)
    : `meta:${v}`;
}
