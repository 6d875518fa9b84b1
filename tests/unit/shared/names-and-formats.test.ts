import { describe, expect, it } from 'vitest';
import { dateTime, duration, interval, pct, score } from '../../../src/shared/format';
import { runName } from '../../../src/shared/run-name';
import type { RunSummary, TrainConfig } from '../../../src/shared/types';

const run = (over: Partial<RunSummary>, mode: TrainConfig['mode'] = 'features') =>
  ({
    id: 3,
    title: null,
    baseName: 'MobileNet V2',
    startedAt: new Date(2026, 4, 3, 14, 2).toISOString(),
    config: { baseModel: 'imported-3bebefb63279', mode } as TrainConfig,
    ...over,
  }) as RunSummary;

describe('run names', () => {
  it('name a run by number, mode, base model and start time, title first', () => {
    expect(runName(run({}))).toBe('#3 Features · MobileNet V2 · 2026-05-03 14:02');
    expect(runName(run({ title: 'Herons v2' }, 'finetune'))).toBe(
      'Herons v2 · #3 Fine-tune · MobileNet V2 · 2026-05-03 14:02',
    );
  });

  it('say when a run learnt from boxes', () => {
    const boxes = run({});
    boxes.config = { ...boxes.config, unit: 'box' };
    expect(runName(boxes)).toBe('#3 Features on boxes · MobileNet V2 · 2026-05-03 14:02');
  });

  it('fall back to the base model id when its name is unknown', () => {
    expect(runName(run({ baseName: null }))).toContain('imported-3bebefb63279');
  });
});

describe('one format per quantity', () => {
  it('shares in percent, scores with three decimals, intervals like their figure', () => {
    expect(pct(0.7351)).toBe('73.5 %');
    expect(score(0.7351)).toBe('0.735');
    expect(interval({ lower: 0.701, upper: 0.769 }, 'score')).toBe('0.701–0.769');
    expect(interval({ lower: 0.701, upper: 0.769 }, 'pct')).toBe('70.1–76.9 %');
    expect([pct(null), score(undefined), interval(null, 'pct')]).toEqual(['–', '–', '–']);
  });

  it('durations and times for people', () => {
    expect(duration(0.014)).toBe('14 ms');
    expect(duration(3.24)).toBe('3.2 s');
    expect(duration(240)).toBe('4 min');
    expect(duration(5400)).toBe('1.5 h');
    expect(dateTime(new Date(2026, 0, 9, 7, 5).toISOString())).toBe('2026-01-09 07:05');
  });
});
