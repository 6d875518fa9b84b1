/**
 * predict.mjs of a model bundle: runs the bundle's model on images without Ocellus. Built
 * from the app's own modules (the pixel steps, the normalisation, the decision rule, the
 * file walk, the CSV dialect) into one ESM file by the project's build (vite.bundle.config.mts);
 * sharp, onnxruntime-node and TF.js are loaded from the bundle's folder at run time.
 *
 * Throughput: files decode on libuv's threads two batches ahead of the network, which runs
 * on the main thread; ONNX Runtime takes all cores but one, and its idle threads sleep
 * rather than spin, so the decodes get a core; each batch is normalised straight into one
 * reused input buffer (a table per byte value, the layout and the mirror applied while
 * packing), so no per-image copies.
 */
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { csvLine } from '../../shared/csv';
import { collectImageFiles } from '../core/export/image-files';
import { nothingPredicted } from '../core/library/image-check';
import { predictArgs, usageError } from './predict-args';
import { onnxEngine, tfjsEngine, type BundleSpec, type Engine } from './predict-engines';
import { inputsOf, type Input, type Sharp } from './predict-input';
import { readBundleJson } from '../core/export/bundle-files';
import { refuseUnfinished } from '../core/export/out-dir';
import { exitOnStdoutError } from '../core/util/stdout-errors';
import { classifyFiles, type BundleLabels } from './predict-classify';
import {
  boxRows,
  classifyBoxes,
  detectorRuntime,
  mdImage,
  mdOutput,
  readDetector,
} from './predict-detect';
import type { MdImage } from '../core/detect/megadetector-format';
import { BOX_COLUMNS } from '../../shared/predictions-csv';

exitOnStdoutError('predict.mjs');
const args = predictArgs();
const here = path.dirname(fileURLToPath(import.meta.url));
// Packages come from the bundle's folder (or NODE_PATH), as require() finds them.
const load = createRequire(path.join(here, 'package.json'));
/** A package the script cannot run without; missing means the folder was never installed. */
function required<T>(name: string): T {
  try {
    return load(name) as T;
  } catch (err) {
    if ((err as { code?: string }).code !== 'MODULE_NOT_FOUND') throw err;
    process.stderr.write(
      `predict.mjs needs its packages (${name} is missing): run npm install in ${here} first (Node 20 or later)\n`,
    );
    process.exit(1);
  }
}
const sharp = required<Sharp>('sharp');
// The bundle's own files are read as the app reads a bundle (core/export/bundle-files.ts): a
// FIFO, a device or a link out of the folder is refused with one line, never waited on.
const fatal = (err: unknown): never => {
  process.stderr.write(`predict.mjs: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
};
// A bundle whose export was killed half-way holds some of its files: not a model to trust.
await Promise.resolve()
  .then(() => refuseUnfinished(here))
  .catch(fatal);
const labels = await readBundleJson<BundleLabels>(here, 'labels.json').catch(fatal);
const spec = await readBundleJson<BundleSpec>(here, 'preprocessing.json').catch(fatal);
const cores = os.availableParallelism ? os.availableParallelism() : os.cpus().length;

const engine: Engine | null =
  (args.engine !== 'tfjs' ? await onnxEngine(here, spec, load, cores).catch(fatal) : null) ??
  (args.engine !== 'onnx' ? await tfjsEngine(here, spec, load).catch(fatal) : null);
if (!engine) {
  process.stderr.write(
    args.engine === 'onnx'
      ? 'ONNX Runtime is not available: run npm install here, or check that model.onnx is in this folder\n'
      : 'No model to run: this bundle has neither a usable model.onnx (with onnxruntime-node installed) nor model/model.json\n',
  );
  process.exit(1);
}

const detector = await readDetector(here).catch(fatal);
if (args.json && !detector)
  usageError('--json is for bundles with a detector (a detector/ folder)');
const list = await collectImageFiles(args.inputs).catch(fatal);
// Each frame of a multi-frame DICOM is an input, as in ocellus predict (detected first when the
// bundle detects), with a frame column only when some input has frames.
const inputs: Input[] = await inputsOf(list);
const framed = inputs.some((input) => input.frame !== undefined);
const withDecision = labels.operatingPoint ? ['decision'] : [];
const boxColumns = detector ? BOX_COLUMNS : [];
if (!args.json)
  process.stdout.write(
    csvLine([
      'path',
      ...(framed ? ['frame'] : []),
      ...boxColumns,
      'label',
      'confidence',
      ...labels.classes,
      ...withDecision,
      'error',
    ]),
  );
const started = Date.now();
let unreadable = 0;
const context = { engine, spec, labels, sharp, batchSize: args.batchSize };
const write = (text: string) => process.stdout.write(text);
if (detector) {
  const runtime = await detectorRuntime(here, detector, load).catch(fatal);
  const images: MdImage[] = [];
  await classifyBoxes(inputs, context, detector, runtime.run, (r) => {
    if (r.error) unreadable++;
    if (args.json) images.push(mdImage(r));
    else write(boxRows(r, labels, framed));
  });
  await runtime.release();
  if (args.json) write(`${JSON.stringify(mdOutput(images, detector, labels.classes), null, 1)}\n`);
} else unreadable = await classifyFiles(inputs, context, write, framed);
await engine.release();
const seconds = (Date.now() - started) / 1000;
const rate = (inputs.length / Math.max(seconds, 1e-3)).toFixed(1);
const mirrored = spec.tta === 'flip' ? ', with mirror averaging' : '';
const failed = unreadable ? `, ${unreadable} unreadable` : '';
process.stderr.write(
  `${process.stderr.isTTY ? '\n' : ''}${inputs.length} images in ${seconds.toFixed(1)} s (${rate} images/s, ${engine.name}${mirrored})${failed}\n`,
);
const nothing = nothingPredicted(inputs.length, unreadable);
if (nothing) {
  process.stderr.write(`predict.mjs: ${nothing}\n`);
  process.exitCode = 1;
}
