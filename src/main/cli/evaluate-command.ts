import { parseArgs } from 'node:util';
import { OcellusError } from '../../shared/errors';
import type { EvaluationReport, Interval } from '../../shared/types';
import type { OcellusService } from '../core/service';
import type { CliIo } from './cli-io';
import { openToRead } from './open-project';

/**
 * `ocellus evaluate <project> [--run N] [--positive CLASS] [--threshold X] [--json]`: the
 * figures of a run (the newest finished one by default) on its validation split; a box run's
 * are per box, and --json adds the run's unit.
 */
export async function evaluate(
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
      threshold: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const [file, ...extra] = positionals;
  if (!file || extra.length)
    throw new OcellusError(
      'INVALID_ARGUMENT',
      'usage: ocellus evaluate <project.ocellus> [--run N] [--json]',
    );
  await openToRead(service, file);
  let runId: number;
  if (values.run !== undefined) {
    runId = Number(values.run);
    if (!Number.isSafeInteger(runId))
      throw new OcellusError('INVALID_ARGUMENT', '--run takes a run number');
  } else {
    const done = (await service.api.train.runs()).find((r) => r.status === 'done');
    if (!done) throw new OcellusError('NOT_FOUND', 'This project has no finished training run');
    runId = done.id;
  }
  const threshold = values.threshold === undefined ? undefined : Number(values.threshold);
  const report = await service.api.evaluate.run(runId, {
    ...(values.positive !== undefined ? { positiveClass: values.positive } : {}),
    ...(threshold !== undefined ? { threshold } : {}),
  });
  const unit = (await service.api.train.run(runId)).config.unit ?? 'image';
  io.stdout(values.json ? `${JSON.stringify({ ...report, unit })}\n` : formatReport(report, unit));
  return 0;
}

const pct = (v: number | null) => (v === null ? '–' : `${(v * 100).toFixed(1)} %`);
/** A 95 % interval in percent (of a share: accuracy, precision…). */
const ci = (i: Interval | null) =>
  i ? ` (95 % CI ${(i.lower * 100).toFixed(1)}–${(i.upper * 100).toFixed(1)})` : '';

/** A 95 % interval of a figure printed as a fraction (ROC AUC, average precision), alike. */
const ciOfFraction = (i: Interval | null) =>
  i ? ` (95 % CI ${i.lower.toFixed(4)}–${i.upper.toFixed(4)})` : '';

/** The report as text for a terminal; a box run counts boxes (crops), an image run images. */
export function formatReport(r: EvaluationReport, unit: 'image' | 'box' = 'image'): string {
  const items = unit === 'box' ? 'boxes' : 'images';
  const width = Math.max(8, ...r.classes.map((c) => c.length)) + 2;
  const cell = (s: string) => s.padStart(width);
  const lines = [
    `Run ${r.runId} on ${r.count} validation ${items}${unit === 'box' ? ' (each box’s crop classified)' : ''}${r.labels.stale ? ` — STALE: ${r.labels.changed} label(s) changed since this run` : ''}`,
    `  accuracy   ${pct(r.accuracy)}${ci(r.intervals.accuracy)}`,
    `  macro F1   ${pct(r.macro.f1)}${ci(r.intervals.macroF1)}   weighted F1 ${pct(r.weighted.f1)}`,
    `  top-k      ${r.topK.map((t) => `top-${t.k} ${pct(t.accuracy)}`).join('  ')}`,
    `  ECE        ${r.calibration.ece.toFixed(4)}`,
    '',
    'Confusion matrix (rows: true class, columns: predicted)',
    `${' '.repeat(width)}${r.classes.map(cell).join('')}`,
    ...r.confusionMatrix.map(
      (row, i) =>
        `${(r.classes[i] ?? '').padEnd(width)}${row.map((v) => cell(String(v))).join('')}`,
    ),
    '',
    `${'class'.padEnd(width)}${['precision', 'recall', 'F1', 'support'].map(cell).join('')}`,
    ...r.perClass.map(
      (c) =>
        `${c.name.padEnd(width)}${[pct(c.precision), pct(c.recall), pct(c.f1), String(c.support)].map(cell).join('')}`,
    ),
  ];
  const b = r.binary;
  if (b) {
    const t = b.atThreshold;
    lines.push(
      '',
      `${b.positiveClass} vs ${b.kind === 'binary' ? 'the other class' : 'the rest'}: ROC AUC ${b.auc?.toFixed(4) ?? '–'}${ciOfFraction(b.intervals.auc)}, average precision ${b.averagePrecision?.toFixed(4) ?? '–'}`,
      `  at threshold ${t.threshold}: sensitivity ${pct(t.sensitivity)}${ci(b.intervals.sensitivity)}, specificity ${pct(t.specificity)}${ci(b.intervals.specificity)}, PPV ${pct(t.ppv)}, NPV ${pct(t.npv)}`,
    );
  }
  const ex = r.excluded;
  const left = ex.missing + ex.unlabelled + ex.otherClass + ex.noEmbedding;
  if (left > 0)
    lines.push(
      '',
      `Validation ${items} left out: ${ex.missing} gone or unreadable, ${ex.unlabelled} unlabelled, ${ex.otherClass} relabelled outside the run's classes, ${ex.noEmbedding} without an embedding`,
    );
  return `${lines.join('\n')}\n`;
}
