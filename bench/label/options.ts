import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

export interface Options {
  n: number;
  labels: number;
  data: string;
  fresh: boolean;
  json: boolean;
  profile: boolean;
  headed: boolean;
  setupOnly: boolean;
  /** Run only the preview phase on this many fresh 12 MP camera photos (0: the labelling bench). */
  previews: number;
}

/** Keys pressed back to back in the burst phase. */
export const BURST = 300;
/** Labels after the full scroll. */
export const AFTER_SCROLL = 200;
/** Labels while the project's open-time rescan runs. */
export const DURING_RESCAN = 100;

const USAGE =
  'Usage: npm run bench:label -- [--n 100000] [--labels 600] [--data DIR] [--fresh] [--json]\n' +
  '                              [--profile] [--headed] [--setup-only] [--previews 10000]\n' +
  '  --n        images in the generated project (100000; 1000000 works)\n' +
  '  --labels   keys pressed one at a time in the image view (600)\n' +
  '  --data     where the images and the project are made once and kept\n' +
  '  --fresh    make them again\n' +
  '  --previews only the camera-preview phase, on this many fresh 12 MP photos\n';

export function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      n: { type: 'string', default: '100000' },
      labels: { type: 'string', default: '600' },
      data: { type: 'string' },
      fresh: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      headed: { type: 'boolean', default: false },
      'setup-only': { type: 'boolean', default: false },
      previews: { type: 'string', default: '0' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const count = (name: string, v: string, min: number): number => {
    const x = Number(v);
    if (!Number.isInteger(x) || x < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
    return x;
  };
  const n = count('n', values.n, 1000);
  const labels = count('labels', values.labels, 3);
  if (DURING_RESCAN + labels + BURST + AFTER_SCROLL + 10 > n)
    throw new Error(`--n ${n} is too small for --labels ${labels}`);
  const previews = count('previews', values.previews, 0);
  const data =
    values.data ??
    path.join(os.tmpdir(), previews > 0 ? 'ocellus-bench-previews' : `ocellus-bench-label-${n}`);
  return {
    n,
    labels,
    data: path.resolve(data),
    fresh: values.fresh,
    json: values.json,
    profile: values.profile,
    headed: values.headed,
    setupOnly: values['setup-only'],
    previews,
  };
}

export function log(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}
