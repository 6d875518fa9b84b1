import fs from 'node:fs';
import path from 'node:path';
import { GraphBuilder } from '../../src/main/core/ml/onnx/onnx-graph';

/**
 * A tiny ONNX image feature extractor, as a PyTorch export would look: input `pixel_values`
 * [N, 3, size, size] (channels first), a seeded 3×3 convolution with 8 filters and a ReLU,
 * output `features` [N, 8, size-2, size-2] (a spatial map the app pools). Written as
 * `dir/model.onnx` with `dir/ocellus-base.json` declaring it; returns the folder.
 */
export async function writeTinyOnnxBase(dir: string, size = 16): Promise<string> {
  const g = new GraphBuilder();
  const input = g.addInput('pixel_values', ['N', 3, size, size]);
  let s = 12345;
  const random = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff) * 2 - 1;
  const kernel = g.weight('conv/w', [8, 3, 3, 3], Float32Array.from({ length: 216 }, random));
  const bias = g.weight(
    'conv/b',
    [8],
    Float32Array.from({ length: 8 }, () => random() * 0.1),
  );
  const conv = g.op('Conv', [input, kernel, bias], 'conv', { kernel_shape: [3, 3] });
  const relu = g.op('Relu', [conv], 'features');
  g.addOutput(relu, ['N', 8, size - 2, size - 2]);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'model.onnx'), g.encode('tiny'));
  fs.writeFileSync(
    path.join(dir, 'ocellus-base.json'),
    JSON.stringify({
      input: 'pixel_values',
      output: 'features',
      layout: 'NCHW',
      inputSize: [size, size],
      resize: 'squash',
      normalization: { kind: 'mean-std', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
      licence: 'MIT (test model)',
    }),
  );
  return dir;
}

/**
 * A tiny ONNX detector shaped like a YOLOv5 export (MegaDetector v5): input `images`
 * [1, 3, size, size], output [1, 20, 8] rows of centre x, centre y, width, height (input
 * pixels), objectness and animal / person / vehicle scores. The rows are fixed (the input
 * only feeds a zero term, so the graph depends on it): one person box at 0.9 × 0.8 centred at
 * (size/2, size/2), size/5 wide and size/10 high, one box under any threshold, and 18 empty rows (real
 * exports have thousands of rows, which is how their layout is told from YOLOv8's). Written as
 * `dir/detector.onnx`; returns the folder.
 */
export function writeTinyOnnxDetector(dir: string, size = 64): string {
  const g = new GraphBuilder();
  const input = g.addInput('images', [1, 3, size, size]);
  const rows = new Float32Array(20 * 8);
  rows.set([
    size / 2,
    size / 2,
    size / 5,
    size / 10,
    0.9,
    0.1,
    0.8,
    0.1,
    size / 4,
    size / 4,
    4,
    4,
    0.01,
    1,
    0,
    0,
  ]);
  const fixed = g.weight('rows', [1, 20, 8], rows);
  const zero = g.weight('zero', [1], Float32Array.from([0]));
  const mean = g.op('ReduceMean', [input], 'mean', { axes: [1, 2, 3], keepdims: 0 });
  const nothing = g.op('Mul', [mean, zero], 'nothing');
  const out = g.op('Add', [fixed, nothing], 'output0');
  g.addOutput(out, [1, 20, 8]);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'detector.onnx'), g.encode('tiny-detector'));
  return dir;
}
