/**
 * predict.mjs of a model bundle: runs the bundle's model on images without Ocellus.
 * Decoding and resizing use sharp exactly as the app's preprocess.ts does (same kernel,
 * fit, EXIF rotation and alpha flattening), so its probabilities match the app's.
 */
export const PREDICT_SCRIPT = String.raw`#!/usr/bin/env node
// Usage: node predict.mjs <images or folders…> [--batch-size N] > predictions.csv
// Needs: npm install (in this folder). Uses @tensorflow/tfjs-node when it is installed
// (native, fast), else the pure-JS @tensorflow/tfjs. Images are decoded with sharp.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, 'package.json'));
let tf;
try {
  tf = require('@tensorflow/tfjs-node');
} catch {
  tf = require('@tensorflow/tfjs');
}
const sharp = require('sharp');

const EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.gif', '.avif']);
const args = process.argv.slice(2);
let batchSize = 16;
const inputs = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--batch-size') batchSize = Math.max(1, Number(args[++i]) || 16);
  else inputs.push(args[i]);
}
if (inputs.length === 0) {
  process.stderr.write('usage: node predict.mjs <images or folders…> [--batch-size N] > predictions.csv\n');
  process.exit(2);
}

const { classes } = JSON.parse(fs.readFileSync(path.join(here, 'labels.json'), 'utf8'));
const spec = JSON.parse(fs.readFileSync(path.join(here, 'preprocessing.json'), 'utf8'));

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

async function load(file) {
  const [h, w] = spec.inputSize;
  const fit = spec.resize === 'squash' ? 'fill' : spec.resize === 'center-crop' ? 'cover' : 'contain';
  const { data } = await sharp(file, { failOn: 'truncated' })
    .rotate()
    .flatten({ background: '#ffffff' })
    .resize(w, h, { fit, position: 'centre', background: '#000000', kernel: 'cubic' })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return normalise(data);
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

const model = await tf.loadLayersModel(tf.io.fromMemory(await artifacts()));
async function artifacts() {
  const json = JSON.parse(fs.readFileSync(path.join(here, 'model', 'model.json'), 'utf8'));
  const buffers = [];
  const specs = [];
  for (const group of json.weightsManifest) {
    for (const p of group.paths) buffers.push(fs.readFileSync(path.join(here, 'model', p)));
    specs.push(...group.weights);
  }
  const all = Buffer.concat(buffers);
  return {
    modelTopology: json.modelTopology,
    weightSpecs: specs,
    weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
  };
}

const list = files(inputs);
const started = Date.now();
const tty = process.stderr.isTTY;
process.stdout.write(line(['path', 'label', 'confidence', ...classes, 'error']));
const [h, w] = spec.inputSize;
for (let start = 0; start < list.length; start += batchSize) {
  const batch = list.slice(start, start + batchSize);
  const settled = await Promise.allSettled(batch.map(load));
  const ok = settled.flatMap((s, i) => (s.status === 'fulfilled' ? [i] : []));
  let probs = null;
  if (ok.length > 0) {
    const packed = new Float32Array(ok.length * h * w * 3);
    ok.forEach((i, j) => packed.set(settled[i].value, j * h * w * 3));
    const input = tf.tensor4d(packed, [ok.length, h, w, 3]);
    const out = model.predict(input);
    probs = out.dataSync();
    input.dispose();
    out.dispose();
  }
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
  if (tty) process.stderr.write('\r' + Math.min(start + batchSize, list.length) + '/' + list.length + ' images');
}
const seconds = (Date.now() - started) / 1000;
process.stderr.write((tty ? '\r' : '') + list.length + ' images in ' + seconds.toFixed(1) + ' s (' + (list.length / Math.max(seconds, 1e-3)).toFixed(1) + ' images/s, ' + tf.getBackend() + ')\n');
`;
