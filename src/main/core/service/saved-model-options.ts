import { OcellusError } from '../../../shared/errors';
import type { SavedModelChoice } from '../../../shared/types';
import { requireObject, requireString } from './validate';

type Preprocessing = NonNullable<SavedModelChoice['preprocessing']>;

const RESIZES = ['squash', 'center-crop', 'letterbox'] as const;

function bad(why: string): OcellusError {
  return new OcellusError('INVALID_ARGUMENT', `SavedModel import: ${why}`);
}

function triple(value: unknown, name: string): [number, number, number] {
  if (!Array.isArray(value) || value.length !== 3 || !value.every(Number.isFinite)) {
    throw bad(`${name} must be three numbers`);
  }
  return value as [number, number, number];
}

function normalization(value: unknown): NonNullable<Preprocessing['normalization']> {
  const n = requireObject(value, 'normalization');
  if (n['kind'] === 'range') {
    const { min, max } = n;
    if (typeof min !== 'number' || typeof max !== 'number' || !(max > min)) {
      throw bad('a range normalisation needs numbers min < max');
    }
    return { kind: 'range', min, max };
  }
  if (n['kind'] === 'mean-std') {
    const std = triple(n['std'], 'std');
    if (std.some((v) => v <= 0)) throw bad('std must be positive');
    return { kind: 'mean-std', mean: triple(n['mean'], 'mean'), std };
  }
  if (n['kind'] === 'caffe') {
    return { kind: 'caffe', mean: triple(n['mean'], 'mean'), bgr: n['bgr'] === true };
  }
  throw bad('normalization.kind is range, mean-std or caffe');
}

function preprocessing(value: unknown): Preprocessing {
  const p = requireObject(value, 'preprocessing');
  const out: Preprocessing = {};
  if (p['inputSize'] !== undefined) {
    const size = p['inputSize'];
    if (
      !Array.isArray(size) ||
      size.length !== 2 ||
      !size.every((v) => Number.isInteger(v) && v >= 8 && v <= 4096)
    ) {
      throw bad('inputSize must be [height, width], whole numbers from 8 to 4096');
    }
    out.inputSize = size as [number, number];
  }
  if (p['resize'] !== undefined) {
    const resize = RESIZES.find((r) => r === p['resize']);
    if (!resize) throw bad(`resize is ${RESIZES.join(', ')}`);
    out.resize = resize;
  }
  if (p['normalization'] !== undefined) out.normalization = normalization(p['normalization']);
  return out;
}

/** Checks SavedModel import choices that arrived over a transport. */
export function parseSavedModelChoice(value: unknown): SavedModelChoice {
  if (value === undefined || value === null) return {};
  const v = requireObject(value, 'savedModel');
  const out: SavedModelChoice = {};
  if (v['signature'] !== undefined) out.signature = requireString(v['signature'], 'signature');
  if (v['featureOutput'] !== undefined) {
    out.featureOutput = requireString(v['featureOutput'], 'featureOutput');
  }
  if (v['preprocessing'] !== undefined) out.preprocessing = preprocessing(v['preprocessing']);
  return out;
}
