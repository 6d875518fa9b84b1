import fs from 'node:fs';
import path from 'node:path';
import { OcellusError } from '../../../shared/errors';
import { FileRefusedError, readFileSafe, readTextSafe } from '../util/safe-fs';
import { ONNX_MODEL, type OnnxBaseDeclaration } from './model-files';
import { MAX_MODEL_BYTES } from './model-import';
import { importOrt } from './onnx/ort-module';
import type { Normalization, PreprocessingSpec } from './zoo-types';

/** The file beside model.onnx that declares how to feed it. */
export const ONNX_DECLARATION = 'ocellus-base.json';

const EXAMPLE = `{"input": "pixel_values", "output": "pooler_output", "layout": "NCHW", "inputSize": [224, 224], "resize": "center-crop", "normalization": {"kind": "mean-std", "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}, "licence": "…"}`;

function bad(dir: string, why: string): OcellusError {
  return new OcellusError(
    'INVALID_ARGUMENT',
    `${path.join(dir, ONNX_DECLARATION)}: ${why}. An ONNX base needs its input, embedding output, layout and preprocessing declared, e.g. ${EXAMPLE}`,
  );
}

function isNormalization(n: unknown): n is Normalization {
  if (typeof n !== 'object' || n === null) return false;
  const o = n as Record<string, unknown>;
  const triple = (v: unknown) =>
    Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number');
  if (o['kind'] === 'range') return typeof o['min'] === 'number' && typeof o['max'] === 'number';
  if (o['kind'] === 'mean-std') return triple(o['mean']) && triple(o['std']);
  if (o['kind'] === 'caffe') return triple(o['mean']) && typeof o['bgr'] === 'boolean';
  return false;
}

/** Parses a declaration (ocellus-base.json, or a zoo entry's fields) or says what is wrong. */
export function parseDeclaration(json: unknown, dir: string): OnnxBaseDeclaration {
  if (typeof json !== 'object' || json === null) throw bad(dir, 'not a JSON object');
  const o = json as Record<string, unknown>;
  const size = o['inputSize'];
  if (typeof o['input'] !== 'string' || typeof o['output'] !== 'string')
    throw bad(dir, '"input" and "output" must name the image input and the embedding output');
  if (o['layout'] !== 'NCHW' && o['layout'] !== 'NHWC') throw bad(dir, '"layout" is NCHW or NHWC');
  if (
    !Array.isArray(size) ||
    size.length !== 2 ||
    !size.every((v) => Number.isInteger(v) && (v as number) > 0 && (v as number) <= 4096)
  )
    throw bad(dir, '"inputSize" is [height, width]');
  if (o['resize'] !== 'squash' && o['resize'] !== 'center-crop' && o['resize'] !== 'letterbox')
    throw bad(dir, '"resize" is squash, center-crop or letterbox');
  if (!isNormalization(o['normalization'])) throw bad(dir, '"normalization" is not valid');
  const preprocessing: PreprocessingSpec = {
    inputSize: [size[0] as number, size[1] as number],
    resize: o['resize'],
    normalization: o['normalization'],
  };
  return {
    io: { input: o['input'], output: o['output'], layout: o['layout'] },
    preprocessing,
    ...(typeof o['licence'] === 'string' ? { licence: o['licence'] } : {}),
  };
}

/** A declaration is a few hundred bytes; anything near this is not one. */
const MAX_DECLARATION_BYTES = 1024 * 1024;

/**
 * Reads the declaration beside a folder's model.onnx and the model's bytes, both through the
 * safe reader as regular files of the folder itself (no link, FIFO or device), and checks the
 * declaration against the model (ONNX Runtime opens it; the named input and output must
 * exist), naming what the model has.
 */
export async function readOnnxDeclaration(
  dir: string,
): Promise<{ declaration: OnnxBaseDeclaration; model: Buffer }> {
  const safe = { roots: [fs.realpathSync(dir)], noLinks: true };
  let json: unknown;
  try {
    const text = await readTextSafe(path.join(dir, ONNX_DECLARATION), {
      ...safe,
      maxBytes: MAX_DECLARATION_BYTES,
    });
    json = JSON.parse(text);
  } catch (err) {
    // A link, FIFO or device is refused as such; a missing file gets the declaration's help.
    if (err instanceof FileRefusedError && err.reason !== 'missing') throw err;
    throw bad(dir, err instanceof SyntaxError ? `not valid JSON (${err.message})` : 'missing');
  }
  const declaration = parseDeclaration(json, dir);
  const file = path.join(dir, ONNX_MODEL);
  const model = await readFileSafe(file, { ...safe, maxBytes: MAX_MODEL_BYTES });
  await checkOnnxModel(file, declaration, model);
  return { declaration, model };
}

/** Opens an ONNX model (its bytes when given) and checks the declared input and output exist. */
export async function checkOnnxModel(
  file: string,
  d: OnnxBaseDeclaration,
  bytes?: Uint8Array,
): Promise<void> {
  let session;
  try {
    // onnxruntime-node directly: the model store stays free of the TF.js engines' imports.
    const ort = await importOrt();
    session = await ort.InferenceSession.create(bytes ?? fs.readFileSync(file), {
      intraOpNumThreads: 1,
    });
  } catch (err) {
    throw new OcellusError(
      'INVALID_ARGUMENT',
      `${file} is not a model ONNX Runtime can run: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  try {
    if (!session.inputNames.includes(d.io.input) || !session.outputNames.includes(d.io.output)) {
      throw new OcellusError(
        'INVALID_ARGUMENT',
        `${file} has inputs ${session.inputNames.join(', ')} and outputs ${session.outputNames.join(', ')}; the declaration names input "${d.io.input}" and output "${d.io.output}"`,
      );
    }
  } finally {
    await session.release();
  }
}
