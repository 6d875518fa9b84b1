/**
 * predict.mjs of a model bundle: runs the bundle's model on images without Ocellus. It
 * runs `model.onnx` on ONNX Runtime (onnxruntime-node) when both are there, else the TF.js
 * model. Decoding copies library/model-input.ts step for step (sharp: EXIF orientation,
 * alpha on white, bicubic resize, sRGB) and the normalisation and mirror of
 * ml/preprocess.ts, so its probabilities match the app's; tests hold them to that.
 *
 * Throughput: files decode on libuv's threads two batches ahead of the network, which runs
 * on the main thread; ONNX Runtime takes all cores but one, and its idle threads sleep
 * rather than spin, so the decodes get a core; each batch is normalised straight into one
 * reused input buffer (a table per byte value, the layout and the mirror applied while
 * packing), so no per-image copies.
 * Arguments are parsed by node:util parseArgs (strict: an unknown option is an error).
 */
import { decideSource } from './decision-rule';

export const PREDICT_SCRIPT = String.raw`#!/usr/bin/env node
// Usage: node predict.mjs <images or folders…> [--batch-size N] [--engine onnx|tfjs] > predictions.csv
// Needs: npm install (in this folder). Runs model.onnx on onnxruntime-node when it is
// installed; otherwise the TF.js model (@tensorflow/tfjs-node when installed, else the
// pure-JS @tensorflow/tfjs, which is far slower). Images are decoded with sharp.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const USAGE = [
  'usage: node predict.mjs <images or folders…> [--batch-size N] [--engine onnx|tfjs] > predictions.csv',
  '',
  'Classifies image files (folders are searched recursively) and writes one CSV row per file:',
  'path, label, confidence, one probability per class, error (unreadable files get an error).',
  '',
  'Options:',
  '  --batch-size N      images per network run (default 16)',
  '  --engine onnx|tfjs  model.onnx on ONNX Runtime (the default when installed) or the TF.js model',
  '  -h, --help          show this help',
  '',
].join('\n');

function usageError(message) {
  process.stderr.write(message + '\n\n' + USAGE);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      'batch-size': { type: 'string' },
      engine: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
} catch (err) {
  usageError(err.message);
}
if (parsed.values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const batchText = parsed.values['batch-size'] ?? '16';
if (!/^[1-9][0-9]{0,3}$/.test(batchText)) usageError('--batch-size takes a whole number from 1 to 9999, not "' + batchText + '"');
const batchSize = Number(batchText);
const wanted = parsed.values.engine ?? null;
if (wanted !== null && wanted !== 'onnx' && wanted !== 'tfjs') usageError('--engine takes onnx or tfjs, not "' + wanted + '"');
const inputs = parsed.positionals;
if (inputs.length === 0) usageError('No images or folders given.');

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, 'package.json'));
const sharp = require('sharp');

const EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.gif', '.avif', '.dcm', '.dicom']);
const { classes, operatingPoint } = JSON.parse(fs.readFileSync(path.join(here, 'labels.json'), 'utf8'));
// The app's own decision function (src/shared/decision.ts), so every path decides alike.
${decideSource()}
const spec = JSON.parse(fs.readFileSync(path.join(here, 'preprocessing.json'), 'utf8'));
const [h, w] = spec.inputSize;
const mirrorToo = spec.tta === 'flip';
const cores = os.availableParallelism ? os.availableParallelism() : os.cpus().length;

function files(list) {
  const out = [];
  const walk = (p) => {
    let st;
    try { st = fs.statSync(p); } catch { out.push(p); return; }
    if (st.isDirectory()) {
      for (const name of fs.readdirSync(p).sort()) {
        if (name.startsWith('.')) continue;
        const child = path.join(p, name);
        if (fs.statSync(child).isDirectory() || EXTENSIONS.has(path.extname(child).toLowerCase())) walk(child);
      }
    } else out.push(p);
  };
  for (const p of list) walk(path.resolve(p));
  return out;
}

// The normalised value of every byte in every output channel, computed as the app computes
// it (ml/preprocess.ts), so packing a batch is a table look-up per value.
function normalisationTable() {
  const n = spec.normalization;
  const table = new Float32Array(3 * 256);
  const source = [0, 1, 2];
  for (let c = 0; c < 3; c++) {
    for (let v = 0; v < 256; v++) {
      table[c * 256 + v] =
        n.kind === 'range' ? v * ((n.max - n.min) / 255) + n.min
        : n.kind === 'mean-std' ? (v / 255 - n.mean[c]) / n.std[c]
        : v - n.mean[c];
    }
    if (n.kind !== 'range' && n.kind !== 'mean-std' && n.bgr) source[c] = 2 - c;
  }
  return { table, source };
}
const { table: TABLE, source: SOURCE } = normalisationTable();

/** Writes one decoded image (RGB bytes, h×w) normalised into one slot of a batch. */
function pack(rgb, batch, slot, mirrored, nchw) {
  const plane = h * w;
  const base = slot * plane * 3;
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const from = (r * w + c) * 3;
      const p = r * w + (mirrored ? w - 1 - c : c);
      for (let k = 0; k < 3; k++) {
        const value = TABLE[k * 256 + rgb[from + SOURCE[k]]];
        if (nchw) batch[base + k * plane + p] = value;
        else batch[base + p * 3 + k] = value;
      }
    }
  }
}

// DICOM needs the app's decoders and windowing; a second copy here could give other pixels.
function refuseDicom(file) {
  let fd;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return; // sharp says why the file cannot be read
  }
  try {
    const head = Buffer.alloc(132);
    const n = fs.readSync(fd, head, 0, 132, 0);
    if (n === 132 && head.toString('latin1', 128, 132) === 'DICM') {
      throw new Error('DICOM file: predict.mjs does not decode DICOM; run "ocellus predict <this folder> <files>", which reads it as the app does');
    }
  } finally {
    fs.closeSync(fd);
  }
}

async function load(file) {
  refuseDicom(file);
  const fit = spec.resize === 'squash' ? 'fill' : spec.resize === 'center-crop' ? 'cover' : 'contain';
  const { data, info } = await sharp(file, { failOn: 'truncated' })
    .rotate()
    .flatten({ background: '#ffffff' })
    .resize(w, h, { fit, position: 'centre', background: '#000000', kernel: 'cubic' })
    .removeAlpha()
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.width !== w || info.height !== h || info.channels !== 3) {
    throw new Error('Decoded to ' + info.width + '×' + info.height + '×' + info.channels + ', not ' + w + '×' + h + '×3');
  }
  return data;
}

async function onnxEngine() {
  const info = spec.onnx;
  if (!info || !info.file || !fs.existsSync(path.join(here, info.file))) return null;
  let ort;
  try {
    // Off before ONNX Runtime starts: its telemetry walks the command line recursively and
    // overflows the stack when it is long (some 500 image paths: SIGSEGV); it also writes
    // ~/.cache/Microsoft/DeveloperTools and tries to upload, which this offline script must not.
    process.env.ORT_DISABLE_TELEMETRY = '1';
    ort = require('onnxruntime-node');
  } catch {
    return null;
  }
  const session = await ort.InferenceSession.create(path.join(here, info.file), {
    // One core is left to sharp's decoding, which runs alongside; waiting threads sleep
    // instead of spinning, so they take no core from it either (measured: npm run bench:predict).
    intraOpNumThreads: Math.max(1, cores - 1),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  return {
    name: 'ONNX Runtime',
    nchw: info.layout === 'NCHW',
    async run(batch, n) {
      const dims = info.layout === 'NCHW' ? [n, 3, h, w] : [n, h, w, 3];
      const out = await session.run({ [info.input]: new ort.Tensor('float32', batch, dims) });
      return out[info.output].data;
    },
    release: () => session.release(),
  };
}

async function tfjsEngine() {
  if (!fs.existsSync(path.join(here, 'model', 'model.json'))) return null;
  let tf;
  try {
    tf = require('@tensorflow/tfjs-node');
  } catch {
    tf = require('@tensorflow/tfjs');
  }
  const json = JSON.parse(fs.readFileSync(path.join(here, 'model', 'model.json'), 'utf8'));
  const buffers = [];
  const specs = [];
  for (const group of json.weightsManifest) {
    for (const p of group.paths) buffers.push(fs.readFileSync(path.join(here, 'model', p)));
    specs.push(...group.weights);
  }
  const all = Buffer.concat(buffers);
  const model = await tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: specs,
    weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
  }));
  return {
    name: 'TF.js (' + tf.getBackend() + ')',
    nchw: false,
    async run(batch, n) {
      const input = tf.tensor4d(batch, [n, h, w, 3]);
      const out = model.predict(input);
      const data = out.dataSync();
      input.dispose();
      out.dispose();
      return data;
    },
    release: async () => model.dispose(),
  };
}

const engine =
  (wanted !== 'tfjs' ? await onnxEngine() : null) ?? (wanted !== 'onnx' ? await tfjsEngine() : null);
if (!engine) {
  process.stderr.write(wanted === 'onnx'
    ? 'ONNX Runtime is not available: run npm install here, or check that model.onnx is in this folder\n'
    : 'No model to run: this bundle has neither a usable model.onnx (with onnxruntime-node installed) nor model/model.json\n');
  process.exit(1);
}

// Text cells that a spreadsheet would run as a formula get a leading ' (OWASP); numbers,
// and text that is a plain number, stay as they are.
function field(v) {
  if (v === null || v === undefined) return '';
  let s = String(v);
  if (typeof v === 'string' && /^'*[=+\-@\t\r]/.test(s) && !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) s = "'" + s;
  return /[",\r\n]/.test(s) || s !== s.trim() ? '"' + s.replace(/"/g, '""') + '"' : s;
}
const line = (fields) => fields.map(field).join(',') + '\n';

const views = mirrorToo ? 2 : 1;
const per = h * w * 3;
// One input buffer for every batch: a batch is packed, run, and done before the next.
const input = new Float32Array(batchSize * views * per);

/** Probabilities ([ok × classes]) of the decoded images of one batch (mirror-averaged with TTA). */
async function infer(decoded, ok) {
  const n = ok.length;
  ok.forEach((i, j) => {
    pack(decoded[i].data, input, j, false, engine.nchw);
    if (mirrorToo) pack(decoded[i].data, input, n + j, true, engine.nchw);
  });
  const out = await engine.run(input.subarray(0, n * views * per), n * views);
  const k = classes.length;
  const probs = new Float32Array(n * k);
  for (let j = 0; j < n * k; j++) probs[j] = mirrorToo ? (out[j] + out[n * k + j]) / 2 : out[j];
  return probs;
}

/** CSV rows of one batch, in file order. */
function rows(batch, decoded, ok, probs) {
  const k = classes.length;
  const slot = new Map(ok.map((i, j) => [i, j]));
  let text = '';
  batch.forEach((file, i) => {
    const d = decoded[i];
    if (d.error) {
      const noDecision = operatingPoint ? [''] : [];
      text += line([file, '', '', ...classes.map(() => ''), ...noDecision, d.error.message ?? String(d.error)]);
      return;
    }
    const j = slot.get(i);
    const p = Array.from(probs.subarray(j * k, (j + 1) * k));
    let best = 0;
    for (let c = 1; c < p.length; c++) if (p[c] > p[best]) best = c;
    const decision = operatingPoint ? [decide(p, classes, operatingPoint)] : [];
    text += line([file, classes[best], p[best], ...p, ...decision, '']);
  });
  return text;
}

const list = files(inputs);
const started = Date.now();
const tty = process.stderr.isTTY;
let reported = 0;
// Decoding runs on libuv's threads, a few batches ahead of the network (which runs on the
// main thread); each file's outcome is dropped once its row is written.
const AHEAD = 2 * batchSize;
const pending = new Array(list.length);
let queued = 0;
function decodeUpTo(end) {
  for (; queued < Math.min(end, list.length); queued++) {
    pending[queued] = load(list[queued]).then((data) => ({ data }), (error) => ({ error }));
  }
}
process.stdout.write(line(['path', 'label', 'confidence', ...classes, ...(operatingPoint ? ['decision'] : []), 'error']));
for (let start = 0; start < list.length; start += batchSize) {
  const end = Math.min(start + batchSize, list.length);
  decodeUpTo(end + AHEAD);
  const decoded = await Promise.all(pending.slice(start, end));
  pending.fill(undefined, start, end);
  const ok = decoded.flatMap((d, i) => (d.error ? [] : [i]));
  const probs = ok.length > 0 ? await infer(decoded, ok) : null;
  process.stdout.write(rows(list.slice(start, end), decoded, ok, probs));
  const rate = end / Math.max((Date.now() - started) / 1000, 1e-3);
  if (tty) process.stderr.write('\r' + end + '/' + list.length + ' images, ' + rate.toFixed(1) + ' images/s');
  else if (end === list.length || end - reported >= Math.max(batchSize, list.length / 10)) {
    reported = end;
    process.stderr.write(end + '/' + list.length + ' images, ' + rate.toFixed(1) + ' images/s\n');
  }
}
await engine.release();
const seconds = (Date.now() - started) / 1000;
process.stderr.write((tty ? '\n' : '') + list.length + ' images in ' + seconds.toFixed(1) + ' s (' + (list.length / Math.max(seconds, 1e-3)).toFixed(1) + ' images/s, ' + engine.name + (mirrorToo ? ', with mirror averaging' : '') + ')\n');
`;
