import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { OcellusError } from '../../../shared/errors';
import { inShard, manifestItems } from '../export/manifest';
import { shardFileName, type SlurmScripts } from './slurm-script';

const run = promisify(execFile);

/** One array task as the scheduler (and its output file) sees it. */
export interface ShardState {
  index: number;
  /** SLURM's state: PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, … */
  state: string;
  done: number;
  total: number;
}

/** The array and merge job ids `sbatch` gave. */
export interface Submitted {
  arrayJob: string;
  mergeJob: string;
}

/** Submits the array, then the merge as a job that runs once every task succeeded. */
export async function submitSlurm(scripts: SlurmScripts, cwd: string): Promise<Submitted> {
  const arrayJob = await sbatch(['--parsable', scripts.array], cwd);
  const mergeJob = await sbatch(
    ['--parsable', `--dependency=afterok:${arrayJob}`, '--kill-on-invalid-dep=yes', scripts.merge],
    cwd,
  );
  return { arrayJob, mergeJob };
}

async function sbatch(args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await run('sbatch', args, { cwd });
    const id = stdout.trim().split(';')[0] ?? '';
    if (!/^\d+$/.test(id)) throw new Error(`sbatch answered ${stdout.trim()}`);
    return id;
  } catch (err) {
    const e = err as { code?: string; stderr?: string; message?: string };
    if (e.code === 'ENOENT')
      throw new OcellusError(
        'UNSUPPORTED',
        'sbatch is not on the PATH: is this a SLURM login node?',
      );
    throw new OcellusError('IO_ERROR', `sbatch failed: ${(e.stderr || e.message || '').trim()}`);
  }
}

/** How many images each of N shards holds (one streaming pass over the manifest). */
export async function shardTotals(manifest: string, count: number): Promise<number[]> {
  const totals = new Array<number>(count).fill(0);
  for await (const item of manifestItems(manifest))
    for (let i = 0; i < count; i++) if (inShard(item.index, { index: i, count })) totals[i]!++;
  return totals;
}

/** Complete records in a shard's output so far (0 when it has none yet). */
export function recordsWritten(out: string, index: number, count: number): number {
  const file = path.join(out, shardFileName(index, count));
  let fd: number;
  try {
    // Non-blocking: a FIFO at the name must not hang the follower; only a file is counted.
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch {
    return 0;
  }
  try {
    if (!fs.fstatSync(fd).isFile()) return 0;
    const buf = Buffer.alloc(1 << 20);
    let lines = 0;
    for (let pos = 0, n = 0; (n = fs.readSync(fd, buf, 0, buf.length, pos)) > 0; pos += n)
      for (let i = buf.indexOf(10); i !== -1 && i < n; i = buf.indexOf(10, i + 1)) lines++;
    return lines;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Each task's state: from `squeue` while the job is queued or running, then from `sacct`
 * (or `scontrol` where accounting is off, as on a single-node test cluster).
 */
export async function taskStates(jobId: string): Promise<Map<number, string>> {
  const states = new Map<number, string>();
  const add = (text: string, sep: RegExp) => {
    for (const line of text.split('\n')) {
      const [id, state] = line.trim().split(sep);
      const m = /^\d+_(\d+)$/.exec(id ?? '');
      if (m && state) states.set(Number(m[1]), state.split(' ')[0] ?? state);
      const range = /^\d+_\[(.+)\]$/.exec(id ?? '');
      if (range && state) for (const i of expand(range[1] ?? '')) states.set(i, state);
    }
  };
  add(await quiet('squeue', ['-h', '-r', '-j', jobId, '-o', '%i %T']), / +/);
  if (states.size === 0)
    add(await quiet('sacct', ['-n', '-P', '-X', '-j', jobId, '-o', 'JobID,State']), /\|/);
  if (states.size === 0) {
    const text = await quiet('scontrol', ['-o', 'show', 'job', jobId]);
    for (const line of text.split('\n')) {
      const task = /ArrayTaskId=(\d+)/.exec(line);
      const state = /JobState=(\S+)/.exec(line);
      if (task && state) states.set(Number(task[1]), state[1] ?? '');
    }
  }
  return states;
}

/** The state of a single (non-array) job, or null once the scheduler has forgotten it. */
export async function jobState(jobId: string): Promise<string | null> {
  const q = (await quiet('squeue', ['-h', '-j', jobId, '-o', '%T'])).trim();
  if (q) return q.split('\n')[0] ?? null;
  const a = (await quiet('sacct', ['-n', '-P', '-X', '-j', jobId, '-o', 'State'])).trim();
  if (a) return a.split('\n')[0]?.split(' ')[0] ?? null;
  return /JobState=(\S+)/.exec(await quiet('scontrol', ['-o', 'show', 'job', jobId]))?.[1] ?? null;
}

/** SLURM states after which a job will not run again by itself. */
export const FINISHED = new Set([
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TIMEOUT',
  'OUT_OF_MEMORY',
  'NODE_FAIL',
  'PREEMPTED',
  'BOOT_FAIL',
  'DEADLINE',
]);

function expand(spec: string): number[] {
  const out: number[] = [];
  for (const part of spec.split('%')[0]?.split(',') ?? []) {
    const [a, b] = part.split('-').map(Number);
    if (a === undefined || Number.isNaN(a)) continue;
    for (let i = a; i <= (b ?? a); i++) out.push(i);
  }
  return out;
}

/** A command's stdout, or '' when it fails (sacct with accounting off, a forgotten job). */
async function quiet(cmd: string, args: string[]): Promise<string> {
  try {
    return (await run(cmd, args, { timeout: 30_000 })).stdout;
  } catch {
    return '';
  }
}
