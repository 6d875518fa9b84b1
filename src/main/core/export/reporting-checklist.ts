import type Database from 'better-sqlite3';
import type { RunOperatingPoint, RunSummary } from '../../../shared/types';
import { OperatingPointStore } from '../eval/operating-point-store';
import { metadataKeys, metadataValues } from '../library/image-metadata';
import type { ValidationMetrics } from './bundle-metrics';
import { runUnit } from './run-unit';

/** How much of an item Ocellus could fill from the project. */
export type ItemState = 'filled' | 'partly' | 'for you';

export interface ChecklistItem {
  /** The CLAIM 2024 and TRIPOD+AI sections it answers. */
  refs: string;
  topic: string;
  state: ItemState;
  text: string;
}

const pct = (v: number | null | undefined): string =>
  v === null || v === undefined ? '–' : `${(v * 100).toFixed(1)} %`;
const ci = (i: { lower: number; upper: number } | null): string =>
  i ? ` (95 % CI ${pct(i.lower)}–${pct(i.upper)})` : '';

/** What the checklist is built from: the run, its figures, and the project's metadata. */
export interface ChecklistInput {
  run: RunSummary;
  metrics: ValidationMetrics;
  baseName: string;
}

/**
 * The reporting checklist of a run (CLAIM 2024 and TRIPOD+AI items), pre-filled from the
 * project and marked filled, partly filled, or for the user to complete.
 */
// eslint-disable-next-line max-lines-per-function -- one literal list of the checklist's items, in the order the card prints them; each item is a few lines.
export function checklistItems(db: Database.Database, c: ChecklistInput): ChecklistItem[] {
  const { run } = c;
  const keys = new Map(metadataKeys(db).map((k) => [k.key, k]));
  const patients = keys.get('PatientID');
  const dates = [...metadataValues(db, 'StudyDate').values()]
    .filter((d) => /^\d{8}/.test(d))
    .sort();
  const modalities = [...new Set(metadataValues(db, 'Modality').values())].sort();
  const point: RunOperatingPoint | null = new OperatingPointStore(db).get(run.id);
  const total = run.counts.train + run.counts.validation;
  const balance = run.counts.perClass.map((k) => `${k.name} ${k.train + k.validation}`).join(', ');
  const smallest = Math.min(...run.counts.perClass.map((k) => k.train + k.validation));
  const largest = Math.max(...run.counts.perClass.map((k) => k.train + k.validation));
  const grouped = run.config.groupBy !== 'none';
  const est = run.estimate;
  const u = runUnit(run).many;
  return [
    {
      refs: 'CLAIM: data sources; TRIPOD+AI: data',
      topic: 'Data source and dates',
      state: dates.length ? 'partly' : 'for you',
      text: dates.length
        ? `${dates.length} DICOM studies dated ${fmt(dates[0])} to ${fmt(dates[dates.length - 1])}${modalities.length ? `, modality ${modalities.join(', ')}` : ''}. Add the sites and how the images were collected.`
        : 'Say where the images come from (sites, devices), and the period they cover.',
    },
    {
      refs: 'CLAIM: eligibility; TRIPOD+AI: participants',
      topic: 'Inclusion and exclusion',
      state: 'partly',
      text: `${inclusion(run, total)} State the clinical inclusion criteria.`,
    },
    {
      refs: 'CLAIM: data pre-processing, de-identification; TRIPOD+AI: ethics',
      topic: 'De-identification',
      state: 'for you',
      text: "Ocellus keeps data on this machine; DICOM exports can follow PS3.15 Annex E's Basic Profile (export-dataset --deidentify, privacy-log.json). Say how the data were de-identified and approved.",
    },
    {
      refs: 'CLAIM: ground truth; TRIPOD+AI: outcome',
      topic: 'Ground truth',
      state: 'partly',
      text: 'Labels are human labels; each label keeps its history (who — human or model suggestion confirmed by a human —, when, with what confidence). Describe who labelled, their expertise, and how disagreements were settled.',
    },
    {
      refs: 'CLAIM: data partitions; TRIPOD+AI: analytical methods',
      topic: 'Data partitions',
      state: grouped ? 'filled' : 'partly',
      text: `${run.counts.train} training and ${run.counts.validation} validation ${u} (${pct(run.config.validationFraction)} held out), stratified by class${grouped ? `, grouped by ${run.config.groupBy} so no group is on both sides` : ', not grouped: images of one patient may be on both sides'}. Seed ${run.config.seed}.${patients ? ` ${patients.values} patients (PatientID).` : ''}`,
    },
    {
      refs: 'CLAIM: data partitions; TRIPOD+AI: analytical methods',
      topic: 'Leakage checks',
      state: 'partly',
      text: `${run.leakedContents} identical files on both sides of the split. Run \`ocellus leakage\` for patients and near-duplicates on both sides, and report its result.`,
    },
    {
      refs: 'CLAIM: data; TRIPOD+AI: class imbalance',
      topic: 'Class balance',
      state: 'filled',
      text: `${balance} ${u}${smallest > 0 && largest / smallest >= 3 ? ` — imbalanced (${(largest / smallest).toFixed(1)} : 1)` : ''}.`,
    },
    {
      refs: 'CLAIM: model; TRIPOD+AI: analytical methods',
      topic: 'Model',
      state: 'filled',
      text: `${c.baseName} pre-trained on ImageNet, ${run.config.mode === 'finetune' ? 'fine-tuned' : 'frozen as a feature extractor'}, with a Dense ${run.config.hiddenUnits} ReLU → softmax head (see Model above).`,
    },
    {
      refs: 'CLAIM: training; TRIPOD+AI: analytical methods',
      topic: 'Training',
      state: 'filled',
      text: `Adam, learning rate ${run.config.learningRate}, batch ${run.config.batchSize}, ${est?.epochs ?? run.bestEpoch ?? run.config.epochs} epochs (${est?.epochChoice ?? 'fixed'}), dropout ${run.config.dropout}${est?.refit ? `; the released model was refit on all ${est.refit.images} labelled ${u}` : ''}.`,
    },
    {
      refs: 'CLAIM: evaluation, model performance; TRIPOD+AI: performance measures',
      topic: 'Metrics with confidence intervals',
      state: est?.interval ? 'filled' : 'partly',
      text: `Validation accuracy ${pct(est?.accuracy ?? c.metrics.accuracy)}${est?.interval ? ` (95 % CI ${pct(est.interval[0])}–${pct(est.interval[1])})` : ''} on ${c.metrics.images} ${u}${est?.crossValidation ? `; ${est.crossValidation.folds.length}-fold cross-validation ${pct(est.crossValidation.mean)} ± ${pct(est.crossValidation.sd)}` : ''}. Per-class figures in metrics.json.`,
    },
    {
      refs: 'CLAIM: evaluation; TRIPOD+AI: model output',
      topic: 'Operating point',
      state: point ? 'filled' : 'for you',
      text: point
        ? `${point.positiveClass} called at probability ≥ ${point.threshold.toPrecision(4)} (chosen for ${point.target.by} ${point.target.value}): sensitivity ${pct(point.sensitivity)}${ci(point.intervals.sensitivity)}, specificity ${pct(point.specificity)}${ci(point.intervals.specificity)}, PPV ${pct(point.ppv)}, NPV ${pct(point.npv)} on ${point.count} ${u}.`
        : 'No operating point is set: predictions take the most probable class. Set one in Evaluate (or `ocellus operating-point`) for a screening use.',
    },
    {
      refs: 'CLAIM: evaluation; TRIPOD+AI: performance measures',
      topic: 'Calibration',
      state: 'partly',
      text: 'The reliability diagram and expected calibration error are in Evaluate (`ocellus evaluate`); report them, and say whether probabilities were recalibrated (Ocellus does not).',
    },
    {
      refs: 'CLAIM: evaluation; TRIPOD+AI: model evaluation',
      topic: 'External validation',
      state: 'for you',
      text: 'These figures come from a split of the same data. Report any test on data from another site or period.',
    },
    {
      refs: 'CLAIM: discussion; TRIPOD+AI: interpretation, usability',
      topic: 'Limitations and intended use',
      state: 'for you',
      text: 'Say what the model must not be used for, the populations it was not tested on, and the failure cases seen in the misclassified images.',
    },
  ];
}

/** Which items the run used and left out, in its unit (a box run counts labelled boxes only). */
function inclusion(run: RunSummary, total: number): string {
  const c = run.counts;
  const noEmbedding = c.excludedNoEmbedding
    ? `, and ${c.excludedNoEmbedding} without an embedding`
    : '';
  if (run.config.unit === 'box')
    return `${total} labelled boxes (their crops) were used${c.excludedNoEmbedding ? `; ${c.excludedNoEmbedding} whose crop has no embedding were left out` : ''}.`;
  return `${total} labelled images were used; ${c.excludedUnlabelled} unlabelled and ${c.excludedUnreadable} unreadable images were left out${noEmbedding}.`;
}

function fmt(d: string | undefined): string {
  return d ? `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}` : '–';
}

/** The checklist as a Markdown section of the model card. */
export function checklistSection(items: readonly ChecklistItem[]): string {
  const rows = items.map(
    (i) => `| ${i.topic} | ${i.refs} | ${i.state} | ${i.text.replace(/\|/g, '\\|')} |`,
  );
  const counts = (s: ItemState): number => items.filter((i) => i.state === s).length;
  return `## Reporting checklist (CLAIM 2024, TRIPOD+AI)

Pre-filled by Ocellus from the project: ${counts('filled')} items filled, ${counts('partly')} partly filled, ${counts('for you')} for you to complete before publication.

| item | checklist sections | state | from the project |
| --- | --- | --- | --- |
${rows.join('\n')}
`;
}
