import { describe, expect, it } from 'vitest';
import type { DetectionCounts, MarkEmptyOptions } from '../../../../src/shared/types';
import { PROJECT, deferred, settle, startStates } from './fake-client';

function counts(threshold: number, empty: number): DetectionCounts {
  return {
    detector: 'centernet-coco@abc',
    threshold,
    processed: 4,
    empty,
    animal: 4 - empty,
    person: 0,
    vehicle: 0,
    burstKept: 0,
    pending: 0,
  };
}

/** Started states with a project on which a detector has run. */
async function started(answers: Record<string, unknown> = {}) {
  const s = await startStates({
    'project.current': PROJECT,
    'project.status': null,
    'assist.status': null,
    'detect.detectors': [],
    'detect.used': ['centernet-coco@abc'],
    'detect.staticBoxes': [],
    'detect.counts': (q: { threshold: number }) => counts(q.threshold, 2),
    ...answers,
  });
  await s.states.detect.refresh();
  return s;
}

describe('DetectState', () => {
  it('loads the detectors and boxes of a project already open when the page starts', async () => {
    // No refresh() by hand: a reload with a project open has no project:changed event.
    const { states } = await startStates({
      'project.current': PROJECT,
      'project.status': null,
      'assist.status': null,
      'detect.detectors': [{ id: 'centernet-coco', name: 'CenterNet', available: true }],
      'detect.used': ['centernet-coco@abc'],
      'detect.staticBoxes': [],
      'detect.counts': (q: { threshold: number }) => counts(q.threshold, 2),
    });
    await settle();
    expect(states.detect.detector).toBe('centernet-coco@abc');
    expect(states.detect.detectors.map((d) => d.id)).toEqual(['centernet-coco']);
    expect(states.detect.counts).toMatchObject({ empty: 2 });
  });

  it('shows the counts of the latest threshold while the slider moves', async () => {
    const slow = deferred<DetectionCounts>();
    const { states, api } = await started();
    api.answer({
      'detect.counts': (q: { threshold: number }) =>
        q.threshold === 0.3 ? slow.promise : counts(q.threshold, 3),
    });
    states.detect.setThreshold(0.3);
    states.detect.setThreshold(0.5);
    await settle();
    expect(states.detect.counts?.threshold).toBe(0.5);
    // The slower answer for 0.3 arrives last: it is not shown.
    slow.resolve(counts(0.3, 1));
    await settle();
    expect(states.detect.counts).toMatchObject({ threshold: 0.5, empty: 3 });
  });

  it('marks the rest empty, asking first when human labels would be replaced', async () => {
    const { states, api } = await started({
      'detect.markEmpty': (o: MarkEmptyOptions) =>
        o.preview
          ? { labelled: 0, candidates: 5, humanLabelled: 2, batchId: null }
          : { labelled: o.replaceHuman ? 5 : 3, candidates: 5, humanLabelled: 2, batchId: 9 },
    });
    // Cancel marks nothing at all.
    const cancelled = states.detect.markEmpty();
    await settle();
    expect(states.labels.question?.text).toMatch(/2 of the 5 images/);
    expect(states.labels.question?.other).toBe('Mark only the other 3');
    states.labels.question?.answer(false);
    await cancelled;
    expect(states.detect.note).toBe('Nothing marked');
    // The milder answer marks only the images without a human label.
    const done = states.detect.markEmpty();
    await settle();
    states.labels.question?.answer('other');
    await done;
    const calls = api.callsOf('detect.markEmpty') as [MarkEmptyOptions][];
    expect(calls.map(([o]) => [o.preview ?? false, o.replaceHuman ?? false])).toEqual([
      [true, false],
      [true, false],
      [false, false],
    ]);
    expect(states.detect.note).toMatch(/Marked 3 images empty/);
    expect(states.app.error).toBeNull();
  });

  it('makes no call for counts before any detector has run', async () => {
    const { states, api } = await startStates({
      'project.current': PROJECT,
      'project.status': null,
      'detect.detectors': [],
      'detect.used': [],
    });
    await states.detect.refresh();
    states.detect.setThreshold(0.4);
    await settle();
    expect(api.callsOf('detect.counts')).toEqual([]);
    expect(states.detect.counts).toBeNull();
  });
});
