import { afterEach, describe, expect, it } from 'vitest';
import { engineStatus } from '../../../../../../src/main/core/ml/engine-status';
import { forcedEngine } from '../../../../../../src/main/core/ml/inference-engine';

describe('engine choice before any run', () => {
  const saved = process.env['OCELLUS_ENGINE'];
  afterEach(() => {
    if (saved === undefined) delete process.env['OCELLUS_ENGINE'];
    else process.env['OCELLUS_ENGINE'] = saved;
  });

  it('is ONNX Runtime when its package is installed and nothing is forced', () => {
    delete process.env['OCELLUS_ENGINE'];
    expect(engineStatus()).toEqual({ engine: 'onnx', note: expect.stringMatching(/converts/) });
  });

  it('follows OCELLUS_ENGINE, which wins over a preference', () => {
    process.env['OCELLUS_ENGINE'] = 'tfjs';
    expect(engineStatus().engine).toBe('tfjs');
    expect(forcedEngine('onnx')).toBe('tfjs');
  });

  it('refuses an unknown engine name clearly', () => {
    process.env['OCELLUS_ENGINE'] = 'cuda';
    expect(() => forcedEngine(null)).toThrow(/OCELLUS_ENGINE must be onnx or tfjs, not cuda/);
    expect(engineStatus()).toEqual({ engine: 'tfjs', note: expect.stringMatching(/cuda/) });
  });
});
