import { parseArgs } from 'node:util';

export const USAGE = [
  'usage: node predict.mjs <images or folders…> [--batch-size N] [--engine onnx|tfjs] > predictions.csv',
  '',
  'Classifies image files (folders are searched recursively) and writes one CSV row per file:',
  'path, label, confidence, one probability per class, error (unreadable files get an error).',
  'A multi-frame DICOM gets one row per frame, with a frame column (from 0) after the path.',
  'A bundle with a detector/ folder detects first and writes one row per box (box_x, box_y,',
  'box_w, box_h, detection, detection_confidence after the path), "empty" for an image without.',
  '',
  'Options:',
  '  --batch-size N      images per network run (default 16)',
  '  --engine onnx|tfjs  model.onnx on ONNX Runtime (the default when installed) or the TF.js model',
  '  --json              with a detector: MegaDetector batch-output JSON (format 1.4) instead of CSV,',
  '                      the classes as classification_categories',
  '  -h, --help          show this help',
  '',
].join('\n');

/** predict.mjs's command line. */
export interface PredictArgs {
  batchSize: number;
  engine: 'onnx' | 'tfjs' | null;
  /** MegaDetector batch-output JSON instead of CSV (bundles with a detector). */
  json: boolean;
  inputs: string[];
}

/** Says what is wrong and how to call predict.mjs, and exits 2. */
export function usageError(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}`);
  process.exit(2);
}

/** Parses the command line (strict: an unknown option is an error); usage errors exit 2, --help exits 0. */
export function predictArgs(args: string[] = process.argv.slice(2)): PredictArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        'batch-size': { type: 'string' },
        engine: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    usageError((err as Error).message);
  }
  if (parsed.values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const batchText = parsed.values['batch-size'] ?? '16';
  if (!/^[1-9][0-9]{0,3}$/.test(batchText))
    usageError(`--batch-size takes a whole number from 1 to 9999, not "${batchText}"`);
  const engine = parsed.values.engine ?? null;
  if (engine !== null && engine !== 'onnx' && engine !== 'tfjs')
    usageError(`--engine takes onnx or tfjs, not "${engine}"`);
  if (parsed.positionals.length === 0) usageError('No images or folders given.');
  return {
    batchSize: Number(batchText),
    engine,
    json: parsed.values.json === true,
    inputs: parsed.positionals,
  };
}
