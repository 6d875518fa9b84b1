#!/usr/bin/env node
// @ts-check
/**
 * `npm run test:fuzz -- [--seeds N] [--from S] [--actions M] [--workers W]`: runs the
 * model-based labelling test (tests/e2e/label-model.spec.ts) on N seeds from S (default: a
 * seed from the clock, printed so a failure can be run again with --from S --seeds 1), each
 * with M random actions (default 500). CI runs seed 1 only, through `npm test`.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '10' },
    from: { type: 'string' },
    actions: { type: 'string', default: '500' },
    workers: { type: 'string', default: '2' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});
if (values.help) {
  process.stdout.write(
    'Usage: npm run test:fuzz -- [--seeds N] [--from SEED] [--actions M] [--workers W]\n' +
      'Runs the model-based labelling test on N seeds (default 10) from SEED (default: from the\n' +
      'clock), M random actions each (default 500).\n',
  );
  process.exit(0);
}

/** @param {string} name @param {string | undefined} v @param {number} min */
function count(name, v, min) {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`--${name} must be an integer ≥ ${min}\n`);
    process.exit(2);
  }
  return n;
}

const n = count('seeds', values.seeds, 1);
const from = values.from === undefined ? Date.now() % 1_000_000 : count('from', values.from, 0);
const actions = count('actions', values.actions, 1);
const workers = count('workers', values.workers, 1);
const seeds = Array.from({ length: n }, (_, i) => from + i);
process.stdout.write(`seeds ${seeds[0]}…${seeds.at(-1)}, ${actions} actions each\n`);
const playwright = path.join(root, 'node_modules', '@playwright', 'test', 'cli.js');
const run = spawnSync(
  process.execPath,
  [playwright, 'test', 'tests/e2e/label-model.spec.ts', '--workers', String(workers)],
  {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      OCELLUS_FUZZ_SEEDS: seeds.join(','),
      OCELLUS_FUZZ_ACTIONS: String(actions),
    },
  },
);
process.exit(run.status ?? 1);
