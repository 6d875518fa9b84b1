/**
 * predict.mjs of a model bundle: runs the bundle's model on images without Ocellus. It
 * runs `model.onnx` on ONNX Runtime (onnxruntime-node) when both are there, else the TF.js
 * model. Decoding copies library/model-input.ts step for step (sharp: EXIF orientation,
 * alpha on white, bicubic resize, sRGB) and the normalisation and mirror of
 * ml/preprocess.ts, so its probabilities match the app's; tests hold them to that.
 */
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

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, 'package.json'));
const sharp = require('sharp');

const EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.gif', '.avif']);
const args = process.argv.slice(2);
let batchSize = 16;
let wanted = null;
const inputs = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--batch-size') batchSize = Math.max(1, Number(args[++i]) || 16);
  else if (args[i] === '--engine') wanted = args[++i];
  else inputs.push(args[i]);
}
if (inputs.length === 0) {
  process.stderr.write('usage: node predict.mjs <images or folders…> [--batch-size N] [--engine onnx|tfjs] > predictions.csv\n');
  process.exit(2);
}

const { classes } = JSON.parse(fs.readFileSync(path.join(here, 'labels.json'), 'utf8'));
const spec = JSON.parse(fs.readFileSync(path.join(here, 'preprocessing.json'), 'utf8'));
const [h, w] = spec.inputSize;
const mirrorToo = spec.tta === 'flip';

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

function normalise(rgb) {
  const out = new Float32Array(rgb.length);
  const n = spec.normalization;
  if (n.kind === 'range') {
    const scale = (n.max - n.min) / 255;
    for (let i = 0; i < rgb.length; i++) out[i] = rgb[i] * scale + n.min;
  } else if (n.kind === 'mean-std') {
    for (let i = 0; i < rgb.length; i++) {
      const c = i % 3;
      out[i] = (rgb[i] / 255 - n.mean[c]) / n.std[c];
    }
  } else {
    for (let i = 0; i < rgb.length; i += 3) {
      const [c0, c1, c2] = n.bgr ? [rgb[i + 2], rgb[i + 1], rgb[i]] : [rgb[i], rgb[i + 1], rgb[i + 2]];
      out[i] = c0 - n.mean[0];
      out[i + 1] = c1 - n.mean[1];
      out[i + 2] = c2 - n.mean[2];
    }
  }
  return out;
}

function mirror(x) {
  const out = new Float32Array(x.length);
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const from = (r * w + c) * 3;
      const to = (r * w + (w - 1 - c)) * 3;
      out[to] = x[from];
      out[to + 1] = x[from + 1];
      out[to + 2] = x[from + 2];
    }
  }
  return out;
}

async function load(file) {
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
  return normalise(data);
}

/** NHWC → NCHW for ONNX models that take channels first. */
function channelsFirst(packed, n) {
  const out = new Float32Array(packed.length);
  const plane = h * w;
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < 3; c++) out[b * 3 * plane + c * plane + p] = packed[(b * plane + p) * 3 + c];
    }
  }
  return out;
}

async function onnxEngine() {
  const info = spec.onnx;
  if (!info || !info.file || !fs.existsSync(path.join(here, info.file))) return null;
  let ort;
  try {
    ort = require('onnxruntime-node');
  } catch {
    return null;
  }
  const session = await ort.InferenceSession.create(path.join(here, info.file), {
    intraOpNumThreads: os.availableParallelism ? os.availableParallelism() : os.cpus().length,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  return {
    name: 'ONNX Runtime',
    async run(packed, n) {
      const data = info.layout === 'NCHW' ? channelsFirst(packed, n) : packed;
      const dims = info.layout === 'NCHW' ? [n, 3, h, w] : [n, h, w, 3];
      const out = await session.run({ [info.input]: new ort.Tensor('float32', data, dims) });
      return out[info.output].data;
    },
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
    async run(packed, n) {
      const input = tf.tensor4d(packed, [n, h, w, 3]);
      const out = model.predict(input);
      const data = out.dataSync();
      input.dispose();
      out.dispose();
      return data;
    },
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

/** Probabilities of one batch of files: decoded, packed, run (and mirrored and averaged with TTA). */
async function decode(batch) {
  return Promise.allSettled(batch.map(load));
}
async function infer(settled) {
  const ok = settled.flatMap((s, i) => (s.status === 'fulfilled' ? [i] : []));
  if (ok.length === 0) return { ok, probs: null };
  const per = h * w * 3;
  const views = mirrorToo ? 2 : 1;
  const packed = new Float32Array(ok.length * views * per);
  ok.forEach((i, j) => {
    packed.set(settled[i].value, j * per);
    if (mirrorToo) packed.set(mirror(settled[i].value), (ok.length + j) * per);
  });
  const out = await engine.run(packed, ok.length * views);
  const k = classes.length;
  const probs = new Float32Array(ok.length * k);
  for (let j = 0; j < ok.length * k; j++) probs[j] = mirrorToo ? (out[j] + out[ok.length * k + j]) / 2 : out[j];
  return { ok, probs };
}

const list = files(inputs);
const started = Date.now();
const tty = process.stderr.isTTY;
let reported = 0;
process.stdout.write(line(['path', 'label', 'confidence', ...classes, 'error']));
// The next batch decodes (on sharp's threads) while the current one runs.
let next = decode(list.slice(0, batchSize));
for (let start = 0; start < list.length; start += batchSize) {
  const batch = list.slice(start, start + batchSize);
  const settled = await next;
  next = decode(list.slice(start + batchSize, start + 2 * batchSize));
  const { ok, probs } = await infer(settled);
  batch.forEach((file, i) => {
    const s = settled[i];
    if (s.status === 'rejected') {
      process.stdout.write(line([file, '', '', ...classes.map(() => ''), s.reason?.message ?? String(s.reason)]));
      return;
    }
    const j = ok.indexOf(i);
    const p = Array.from(probs.slice(j * classes.length, (j + 1) * classes.length));
    let best = 0;
    for (let c = 1; c < p.length; c++) if (p[c] > p[best]) best = c;
    process.stdout.write(line([file, classes[best], p[best], ...p, '']));
  });
  const done = Math.min(start + batchSize, list.length);
  const rate = done / Math.max((Date.now() - started) / 1000, 1e-3);
  if (tty) process.stderr.write('\r' + done + '/' + list.length + ' images, ' + rate.toFixed(1) + ' images/s');
  else if (done === list.length || done - reported >= Math.max(batchSize, list.length / 10)) {
    reported = done;
    process.stderr.write(done + '/' + list.length + ' images, ' + rate.toFixed(1) + ' images/s\n');
  }
}
const seconds = (Date.now() - started) / 1000;
process.stderr.write((tty ? '\n' : '') + list.length + ' images in ' + seconds.toFixed(1) + ' s (' + (list.length / Math.max(seconds, 1e-3)).toFixed(1) + ' images/s, ' + engine.name + (mirrorToo ? ', with mirror averaging' : '') + ')\n');
`;
