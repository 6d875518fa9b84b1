import fs from 'node:fs';
import path from 'node:path';
import { OcellusError } from '../../../shared/errors';
import { refuseExisting, writeNewFile } from '../util/fs-atomic';

/** What `ocellus cluster slurm` writes a job array for. */
export interface SlurmPlan {
  bundle: string;
  /** A manifest file (one image path per line). */
  manifest: string;
  shards: number;
  /** Shard outputs, logs and the scripts go here. */
  out: string;
  /** The command that runs Ocellus on a node (quoted shell words), e.g. `'/usr/bin/node' '/opt/ocellus/bin/ocellus.cjs'`. */
  command: string;
  partition?: string;
  time?: string;
  cpus?: number;
  mem?: string;
  batchSize?: number;
  /** Import the merged shards into this project as suggestions; else concatenate them. */
  project?: string;
  /** The name of the imported set of suggestions. */
  name?: string;
}

/** The files written: the array script and the merge script (run as a dependent job). */
export interface SlurmScripts {
  array: string;
  merge: string;
}

/** A word quoted for a POSIX shell. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The output file of shard i of N (the CLI's `--local-shards` writes the same names). */
export function shardFileName(index: number, count: number): string {
  return `shard-${index}-of-${count}.jsonl`;
}

const SAFE_OPTION = /^[\w.:,+-]+$/;
/** SLURM's time forms: minutes, m:s, h:m:s, d-h, d-h:m, d-h:m:s, or unlimited. */
const SLURM_TIME = /^(\d+-\d+(:\d{1,2}){0,2}|\d+(:\d{1,2}){0,2}|unlimited|infinite)$/i;
/** Memory per node: a whole number with an optional K, M, G or T. */
const SLURM_MEM = /^\d+[KMGT]?$/i;
const FORMS: Record<string, [RegExp, string]> = {
  time: [SLURM_TIME, 'minutes, hours:minutes:seconds or days-hours, such as 2:00:00'],
  mem: [SLURM_MEM, 'a size such as 8G or 4000M'],
};

function directives(plan: SlurmPlan, name: string, log: string): string[] {
  const lines = [`#SBATCH --job-name=${name}`, `#SBATCH --output=${log}`];
  for (const [flag, value] of [
    ['partition', plan.partition],
    ['time', plan.time],
    ['mem', plan.mem],
  ] as const) {
    if (value === undefined) continue;
    if (!SAFE_OPTION.test(value))
      throw new OcellusError('INVALID_ARGUMENT', `--${flag} ${value} is not a SLURM value`);
    const form = FORMS[flag];
    if (form && !form[0].test(value))
      throw new OcellusError('INVALID_ARGUMENT', `--${flag} ${value} is not ${form[1]}`);
    lines.push(`#SBATCH --${flag}=${value}`);
  }
  return lines;
}

/** The text of the job-array script: task i runs shard i/N with --resume, so a rerun finishes it. */
export function arrayScript(plan: SlurmPlan): string {
  const out = path.resolve(plan.out);
  const q = shellQuote;
  return [
    '#!/bin/bash',
    ...directives(plan, 'ocellus-predict', path.join(out, 'logs', 'shard-%a.log')),
    `#SBATCH --array=0-${plan.shards - 1}`,
    `#SBATCH --cpus-per-task=${plan.cpus ?? 1}`,
    '# Written by `ocellus cluster slurm`. Each task classifies one shard of the manifest',
    '# (line k goes to shard k mod N) and appends its records batch by batch, so a task that',
    '# was killed or timed out loses at most one batch: submit the script again (or only',
    '# that task: sbatch --array=K) and it continues where it stopped.',
    '# Set OCELLUS to run another build, e.g. OCELLUS="apptainer exec ocellus.sif ocellus".',
    'set -euo pipefail',
    `OCELLUS=\${OCELLUS:-${plan.command}}`,
    `N=${plan.shards}`,
    'I=${SLURM_ARRAY_TASK_ID}',
    '# As many inference threads as CPUs SLURM gave the task, not as the node has.',
    'export OCELLUS_THREADS=${OCELLUS_THREADS:-${SLURM_CPUS_PER_TASK:-1}}',
    `$OCELLUS predict ${q(path.resolve(plan.bundle))} --manifest ${q(path.resolve(plan.manifest))} \\`,
    `  --shard "$I/$N" --out ${q(out)}/"shard-$I-of-$N.jsonl" --resume --progress \\`,
    `  --batch-size ${plan.batchSize ?? 16}`,
    '',
  ].join('\n');
}

/** The text of the merge script: imports (or concatenates) the shards once every task is done. */
export function mergeScript(plan: SlurmPlan): string {
  const out = path.resolve(plan.out);
  const q = shellQuote;
  const shards = `${q(out)}/shard-*-of-${plan.shards}.jsonl`;
  const partial = q(path.join(out, 'predictions.jsonl.partial'));
  const body = plan.project
    ? [
        `$OCELLUS import-predictions ${q(path.resolve(plan.project))} ${shards} \\`,
        `  --name ${q(plan.name ?? 'cluster predictions')} --json > ${q(path.join(out, 'import.json'))}`,
      ]
    : [
        // Never replaces a file: '>' creates the partial file exclusively (noclobber, after
        // removing a leftover name), and ln fails where mv would replace predictions.jsonl.
        'set -o noclobber',
        `rm -f ${partial}`,
        `cat ${shards} > ${partial}`,
        `ln ${partial} ${q(path.join(out, 'predictions.jsonl'))}`,
        `rm ${partial}`,
      ];
  return [
    '#!/bin/bash',
    ...directives(plan, 'ocellus-merge', path.join(out, 'logs', 'merge.log')),
    '#SBATCH --cpus-per-task=1',
    '# Written by `ocellus cluster slurm`: runs after every task of the array succeeded.',
    'set -euo pipefail',
    `OCELLUS=\${OCELLUS:-${plan.command}}`,
    ...body,
    '',
  ].join('\n');
}

function slurmScriptFiles(out: string): SlurmScripts {
  const dir = path.resolve(out);
  return { array: path.join(dir, 'predict-array.sh'), merge: path.join(dir, 'merge.sh') };
}

/**
 * Checks a plan and its output names without writing anything: INVALID_ARGUMENT for a value
 * the scripts refuse, ALREADY_EXISTS when a script's name is taken.
 */
export function checkSlurmPlan(plan: SlurmPlan): void {
  if (!Number.isSafeInteger(plan.shards) || plan.shards < 1)
    throw new OcellusError('INVALID_ARGUMENT', '--shards must be a whole number ≥ 1');
  for (const [flag, v] of [
    ['cpus', plan.cpus],
    ['batch-size', plan.batchSize],
  ] as const) {
    if (v !== undefined && !(Number.isSafeInteger(v) && v >= 1))
      throw new OcellusError('INVALID_ARGUMENT', `--${flag} must be a whole number ≥ 1`);
  }
  arrayScript(plan);
  mergeScript(plan);
  const scripts = slurmScriptFiles(plan.out);
  refuseExisting(scripts.array);
  refuseExisting(scripts.merge);
}

/**
 * Writes both scripts (and the logs folder) into the plan's output folder; never replaces
 * one, and writes nothing when the plan fails checkSlurmPlan.
 */
export function writeSlurmScripts(plan: SlurmPlan): SlurmScripts {
  checkSlurmPlan(plan);
  const scripts = slurmScriptFiles(plan.out);
  fs.mkdirSync(path.join(path.resolve(plan.out), 'logs'), { recursive: true });
  writeNewFile(scripts.array, arrayScript(plan), 0o755);
  writeNewFile(scripts.merge, mergeScript(plan), 0o755);
  return scripts;
}
