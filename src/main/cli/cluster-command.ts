import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { OcellusError } from '../../shared/errors';
import { writeManifest } from '../core/export/manifest';
import {
  FINISHED,
  jobState,
  recordsWritten,
  shardTotals,
  submitSlurm,
  taskStates,
  type ShardState,
} from '../core/cluster/slurm-jobs';
import {
  checkSlurmPlan,
  shellQuote,
  writeSlurmScripts,
  type SlurmPlan,
} from '../core/cluster/slurm-script';
import { refuseExisting } from '../core/util/fs-atomic';
import type { OcellusService } from '../core/service';
import type { CliIo } from './cli-io';
import { makeDirs } from '../core/util/make-dirs';

const USAGE =
  'usage: ocellus cluster slurm <bundle-dir> --manifest <files.txt|folder> --shards N --out <dir> [--partition P] [--time T] [--cpus N] [--mem M] [--project P.ocellus [--name NAME]] [--submit]';
const POLL_MS = 2000;

/**
 * `ocellus cluster slurm …`: writes a SLURM job array over a manifest plus a merge job that
 * depends on it; `--submit` submits both and follows each shard until the merge is done.
 * No scheduler of Ocellus's own: SLURM runs, retries and accounts for the tasks.
 */
export async function cluster(
  _service: OcellusService,
  args: string[],
  io: CliIo,
): Promise<number> {
  const [engine, ...rest] = args;
  if (engine !== 'slurm') throw new OcellusError('INVALID_ARGUMENT', USAGE);
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      manifest: { type: 'string' },
      shards: { type: 'string' },
      out: { type: 'string' },
      partition: { type: 'string' },
      time: { type: 'string' },
      cpus: { type: 'string' },
      mem: { type: 'string' },
      'batch-size': { type: 'string' },
      project: { type: 'string' },
      name: { type: 'string' },
      submit: { type: 'boolean' },
      json: { type: 'boolean' },
    },
  });
  const [bundle, ...extra] = positionals;
  const shards = Number(values.shards);
  // A bad --shards value is said by checkSlurmPlan; a missing one is a usage error.
  if (!bundle || extra.length || !values.manifest || !values.out || values.shards === undefined)
    throw new OcellusError('INVALID_ARGUMENT', USAGE);
  if (!fs.existsSync(path.join(bundle, 'labels.json')))
    throw new OcellusError('NOT_FOUND', `${bundle} is not a model bundle (no labels.json)`);
  const cli = process.argv[1];
  if (!cli) throw new OcellusError('INTERNAL', 'Cannot tell where this CLI runs from');
  const out = path.resolve(values.out);
  const given = path.resolve(values.manifest);
  // A folder is walked once here, so every task reads the same list instead of walking it.
  const listed = fs.statSync(given, { throwIfNoEntry: false })?.isDirectory()
    ? path.join(out, 'manifest.txt')
    : null;
  const manifest = listed ?? given;
  const plan: SlurmPlan = {
    bundle: path.resolve(bundle),
    manifest,
    shards,
    out,
    command: `${shellQuote(process.execPath)} ${shellQuote(path.resolve(cli))}`,
    partition: values.partition,
    time: values.time,
    cpus: values.cpus === undefined ? undefined : Number(values.cpus),
    mem: values.mem,
    batchSize: values['batch-size'] === undefined ? undefined : Number(values['batch-size']),
    project: values.project === undefined ? undefined : path.resolve(values.project),
    name: values.name,
  };
  // Everything is checked before anything is written: a refused command leaves nothing.
  if (listed) refuseExisting(listed);
  checkSlurmPlan(plan);
  makeDirs(out);
  if (listed) {
    const n = await writeManifest(given, listed);
    io.stderr(`${n} images listed in ${listed}\n`);
  }
  const scripts = writeSlurmScripts(plan);
  if (!values.submit) {
    const text = `Wrote ${scripts.array} and ${scripts.merge}. Submit with:\n  jid=$(sbatch --parsable ${scripts.array})\n  sbatch --dependency=afterok:$jid ${scripts.merge}\n`;
    io.stdout(
      values.json ? `${JSON.stringify({ ...scripts, manifest, shards }, null, 2)}\n` : text,
    );
    return 0;
  }
  return submitAndFollow(scripts, manifest, out, shards, values.json === true, io);
}

/** Submits the array and its merge job, then follows them to the end; the exit code. */
async function submitAndFollow(
  scripts: ReturnType<typeof writeSlurmScripts>,
  manifest: string,
  out: string,
  shards: number,
  json: boolean,
  io: CliIo,
): Promise<number> {
  const jobs = await submitSlurm(scripts, out);
  io.stderr(`Submitted array job ${jobs.arrayJob} (${shards} tasks), merge job ${jobs.mergeJob}\n`);
  const shardsAtEnd = await follow(jobs.arrayJob, manifest, out, shards, io);
  let merge = await jobState(jobs.mergeJob);
  while (merge !== null && !FINISHED.has(merge)) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    merge = await jobState(jobs.mergeJob);
  }
  const failed = shardsAtEnd.filter(
    (s) => s.done < s.total || (s.state !== 'COMPLETED' && s.state !== 'UNKNOWN'),
  );
  const summary = { ...jobs, ...scripts, merge: merge ?? 'UNKNOWN', shards: shardsAtEnd };
  if (json) io.stdout(`${JSON.stringify(summary, null, 2)}\n`);
  if (failed.length) {
    io.stderr(
      `${failed.length} of ${shards} shards did not finish; they resume where they stopped: sbatch --array=${failed.map((s) => s.index).join(',')} ${scripts.array}\n`,
    );
    return 1;
  }
  io.stderr(`All ${shards} shards done; merge ${merge ?? 'state unknown'}\n`);
  return merge === 'COMPLETED' ? 0 : 1;
}

/** Polls the array until every task has finished, echoing each shard's changes. */
async function follow(
  jobId: string,
  manifest: string,
  out: string,
  count: number,
  io: CliIo,
): Promise<ShardState[]> {
  const totals = await shardTotals(manifest, count);
  const shown = new Map<number, string>();
  let forgotten = 0;
  for (;;) {
    const states = await taskStates(jobId);
    // A scheduler that no longer knows the job (purged, no accounting): its files tell.
    forgotten = states.size === 0 ? forgotten + 1 : 0;
    const shards = totals.map((total, index) => ({
      index,
      state: states.get(index) ?? 'UNKNOWN',
      done: recordsWritten(out, index, count),
      total,
    }));
    for (const s of shards) {
      const line = `shard ${s.index}/${count} ${s.state} ${s.done}/${s.total}`;
      if (shown.get(s.index) !== line) io.stderr(`${line}\n`);
      shown.set(s.index, line);
    }
    if (shards.every((s) => FINISHED.has(s.state)) || forgotten >= 3) return shards;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
