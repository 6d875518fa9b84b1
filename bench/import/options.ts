/** The import benchmark's command line. */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

// ---------------------------------------------------------------------------------------------
// Options

export interface Options {
  n: number;
  big: number;
  data: string;
  keep: boolean;
  json: boolean;
  /** Internal: which part a child process runs (parts run in children so RSS is their own). */
  part: Part | null;
  /** Internal: the run's temporary folder, for the children. */
  work: string | null;
}

export type Part = 'generate' | 'ocellus' | 'reference';

export function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      n: { type: 'string', default: '20000' },
      big: { type: 'string', default: '200' },
      data: { type: 'string', default: path.join(os.tmpdir(), 'ocellus-bench-import') },
      keep: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      part: { type: 'string' },
      work: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      'Usage: npm run bench:import -- [--n 20000] [--big 200] [--data DIR] [--keep] [--json]\n',
    );
    process.exit(0);
  }
  const count = (name: string, v: string, min: number): number => {
    const x = Number(v);
    if (!Number.isInteger(x) || x < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
    return x;
  };
  return {
    n: count('n', values.n, 1),
    big: count('big', values.big, 0),
    data: path.resolve(values.data),
    keep: values.keep,
    json: values.json,
    part: values.part === undefined ? null : partName(values.part),
    work: values.work ?? null,
  };
}

export function partName(v: string): Part {
  if (v === 'generate' || v === 'ocellus' || v === 'reference') return v;
  throw new Error(`Unknown --part ${v}`);
}

export const PARALLELISM = os.availableParallelism();
